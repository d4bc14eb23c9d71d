"""R-PAY/R-BIL-3: the billing run charges cost bearers (share, monthly budget with carry-over)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fortycrm.models import Invoice, InvoiceLine
from fortycrm.payer_selectors import cost_bearer_budget
from fortycrm.services.billing import invoice_cancel, invoice_issue
from fortycrm.services.billing_run import billing_run
from tests import factories
from tests.billing.conftest import make_order
from tests.payers.helpers import VALID_KVNR, assign, bearer

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 27)
EXEMPT = {"vat_rate": Decimal("0"), "vat_exemption": "§ 4 Nr. 16 UStG"}


def run(month="2026-03"):
    return billing_run(month, today=TODAY)


def _split(customer):
    """(the customer's invoices, the bearer's invoices) of ``customer``."""
    invoices = list(Invoice.objects.filter(customer=customer).prefetch_related("lines"))
    return [i for i in invoices if i.cost_bearer_id is None], [i for i in invoices if i.cost_bearer_id is not None]


def test_share_goes_on_an_invoice_to_the_cost_bearer():
    customer = factories.private("Schmidt", "Erika", combine_invoices=True)
    kasse = bearer("AOK Pflegekasse", street="Hauptstr. 1", postcode="10115", city="Berlin")
    link = assign(customer, kasse, valid_from=dt.date(2026, 1, 1), share="40", insurance_number=VALID_KVNR)
    make_order(customer, "Betreuung", price="100.00")
    make_order(customer, "Reinigung", price="33.33")
    run()
    own, theirs = _split(customer)
    assert len(own) == 1 and len(theirs) == 1
    assert theirs[0].cost_bearer == kasse and theirs[0].insurance_number == VALID_KVNR
    assert sorted(line.unit_price for line in theirs[0].lines.all()) == [Decimal("13.33"), Decimal("40.00")]
    assert all(line.charged_to_id == link.pk and line.part == 1 for line in theirs[0].lines.all())
    assert sorted(line.unit_price for line in own[0].lines.all()) == [Decimal("20.00"), Decimal("60.00")]
    assert own[0].total + theirs[0].total == Decimal("133.33")
    assert theirs[0].gross_total == Decimal("63.46")  # 53.33 + 19 %
    # a second run bills nothing again
    assert run().created_ids == []
    assert InvoiceLine.objects.count() == 4


def test_budget_exhausted_mid_month_the_customer_pays_the_rest():
    customer = factories.private("Meier", "Hans", combine_invoices=True)
    link = assign(customer, bearer(), valid_from=dt.date(2026, 3, 1), budget="131")
    make_order(customer, "Entlastung", recurrence="weekly", price="50.00", start=dt.date(2026, 3, 2), **EXEMPT)  # 2, 9, 16, 23, 30
    run()
    own, theirs = _split(customer)
    bearer_lines = sorted(theirs[0].lines.all(), key=lambda ln: ln.period_start)
    assert [(ln.period_start.day, ln.unit_price) for ln in bearer_lines] == [(2, Decimal("50.00")), (9, Decimal("50.00")), (16, Decimal("31.00"))]
    customer_lines = sorted(own[0].lines.all(), key=lambda ln: ln.period_start)
    assert [(ln.period_start.day, ln.unit_price) for ln in customer_lines] == [(16, Decimal("19.00")), (23, Decimal("50.00")), (30, Decimal("50.00"))]
    assert all(ln.vat_exemption == "§ 4 Nr. 16 UStG" for ln in bearer_lines + customer_lines)
    budget = cost_bearer_budget(link, on=dt.date(2026, 3, 31))
    assert (budget.accrued, budget.used, budget.remaining) == (Decimal("131.00"), Decimal("131.00"), Decimal("0.00"))
    # April accrues again; cancelling the issued bearer invoice gives its amount back
    invoice_issue(invoice=theirs[0], today=dt.date(2026, 4, 1))
    invoice_cancel(invoice=theirs[0])
    assert cost_bearer_budget(link, on=dt.date(2026, 4, 1)).remaining == Decimal("262.00")


def test_carried_over_budget_pays_and_vat_counts_against_it():
    customer = factories.private("Klein", "Anna")
    link = assign(customer, bearer(), valid_from=dt.date(2026, 1, 1), budget="131")  # January and February unused
    make_order(customer, "Haushaltshilfe", price="400.00", start=dt.date(2026, 3, 1), **EXEMPT)
    make_order(customer, "Gartenarbeit", price="100.00", start=dt.date(2026, 3, 1))  # 19 %: 119.00 gross
    run()
    own, theirs = _split(customer)
    charged = {ln.description.split(",")[0]: ln.unit_price for ln in theirs[0].lines.all()}
    assert charged == {"Haushaltshilfe": Decimal("393.00")}  # 3 × 131, the first order by date/id takes it all
    assert sorted(i.total for i in own) == [Decimal("7.00"), Decimal("100.00")]
    assert cost_bearer_budget(link, on=dt.date(2026, 3, 31)).remaining == Decimal("0.00")


def test_budget_with_vat_the_bearer_pays_gross_within_the_budget():
    customer = factories.private("Groß", "Otto", combine_invoices=True)
    link = assign(customer, bearer(), valid_from=dt.date(2026, 3, 1), budget="100")
    make_order(customer, "Reinigung", price="100.00", start=dt.date(2026, 3, 1))
    run()
    own, theirs = _split(customer)
    assert theirs[0].lines.get().unit_price == Decimal("84.03")  # 84.03 × 1.19 = 99.9957 → 100.00
    assert theirs[0].gross_total == Decimal("100.00")
    assert own[0].total == Decimal("15.97")
    assert cost_bearer_budget(link, on=dt.date(2026, 3, 31)).remaining == Decimal("0.00")


def test_assignment_charged_by_invoices_cannot_be_deleted():
    from django.core.exceptions import ValidationError

    from fortycrm.services.payers import assignment_delete

    customer = factories.private("Lang", "Eva")
    link = assign(customer, bearer(), valid_from=dt.date(2026, 1, 1), share="50")
    make_order(customer, "Betreuung", price="80.00")
    run()
    with pytest.raises(ValidationError, match="gelöscht"):
        assignment_delete(link=link)
    assert InvoiceLine.objects.filter(charged_to=link).count() == 1


def test_customer_with_draft_bearer_invoices_can_be_deleted():
    from fortycrm.models import Customer, CustomerCostBearer
    from fortycrm.services.customers import customer_delete

    customer = factories.private("Kurz", "Max")
    assign(customer, bearer(), valid_from=dt.date(2026, 1, 1), share="50")
    make_order(customer, "Betreuung", price="80.00")
    run()
    customer_delete(customer=customer)
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not CustomerCostBearer.objects.exists() and not InvoiceLine.objects.exists()


def test_cost_bearer_with_invoices_but_no_assignment_is_kept():
    from django.core.exceptions import ValidationError

    from fortycrm.models import CostBearer
    from fortycrm.services.payers import assignment_delete, cost_bearer_delete

    customer = factories.private("Berg", "Ute")
    kasse = bearer()
    link = assign(customer, kasse, valid_from=dt.date(2026, 1, 1), share="50")
    make_order(customer, "Betreuung", price="80.00")
    run()
    Invoice.objects.get(cost_bearer=kasse).lines.all().delete()  # an emptied draft still names the bearer
    assignment_delete(link=link)
    with pytest.raises(ValidationError, match="Rechnung"):
        cost_bearer_delete(cost_bearer=kasse)
    assert CostBearer.objects.filter(pk=kasse.pk).exists()
