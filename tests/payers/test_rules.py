"""R-PAY-1/2: the rules of cost bearers, assignments and customer settings; each bad input
gives a message naming the field and saves nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from fortycrm.models import CostBearer, CustomerCostBearer, CustomerDefaults, CustomerSettings
from fortycrm.models.payers import ik_check_digit, insurance_number_problem, kvnr_check_digit
from fortycrm.selectors import customer_effective_settings
from fortycrm.services import payers
from tests.factories import private
from tests.payers.helpers import VALID_IK, VALID_KVNR, assign, bearer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared in English, whatever language an earlier test left active."""
    from django.utils import translation

    with translation.override("en"):
        yield


def errors(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.message_dict


# --- check digits (algorithms from the ARGE IK circular and § 290 SGB V / GKV) -------------
def test_ik_check_digit_follows_the_published_example():
    assert ik_check_digit("26032682") == 2


@pytest.mark.parametrize("kvnr", ["A123456780", "X110411319", "A000500015", "T555558879"])
def test_known_insurance_numbers_pass(kvnr):
    assert kvnr_check_digit(kvnr[:9]) == int(kvnr[9])
    assert insurance_number_problem(kvnr) is None


@pytest.mark.parametrize("ik", ["26032682", "2603268220", "26032682x", "260326821"])
def test_bad_ik_is_refused_and_nothing_saved(ik):
    with pytest.raises(ValidationError) as exc:
        bearer(ik=ik)
    assert "ik" in errors(exc)
    assert "IK" in errors(exc)["ik"][0]
    assert not CostBearer.objects.exists()


def test_wrong_ik_check_digit_says_so():
    with pytest.raises(ValidationError) as exc:
        bearer(ik="260326821")
    assert "check digit" in errors(exc)["ik"][0]


def test_cost_bearer_without_ik_is_fine_and_an_unchanged_save_writes_no_history():
    cb = bearer(name="Tochter Anna", kind="relative", ik="")
    assert cb.history.count() == 1
    payers.cost_bearer_save(cost_bearer=cb)
    assert cb.history.count() == 1
    cb.phone = "0301234"
    payers.cost_bearer_save(cost_bearer=cb)
    assert cb.history.count() == 2


@pytest.mark.parametrize("number", ["123456789", "A12345678", "A1234567801", "AB23456780", "A123456781"])
def test_insurance_number_of_a_statutory_insurer_must_fit(number):
    customer = private()
    with pytest.raises(ValidationError) as exc:
        assign(customer, bearer(), budget="131", insurance_number=number)
    assert "insurance_number" in errors(exc)
    assert not CustomerCostBearer.objects.exists()


def test_insurance_number_of_other_bearers_is_free_text():
    link = assign(private(), bearer(name="Sozialamt Mitte", kind="authority", ik=""), share="50", insurance_number="AZ 12/345")
    assert link.pk


def test_valid_insurance_number_is_stored_upper_case():
    link = assign(private(), bearer(), budget="131", insurance_number=VALID_KVNR.lower())
    assert link.insurance_number == VALID_KVNR


def test_share_over_100_is_refused():
    with pytest.raises(ValidationError) as exc:
        assign(private(), bearer(), share="100.01")
    assert "share_percent" in errors(exc)


def test_total_shares_over_100_in_the_same_period_are_refused():
    customer = private()
    assign(customer, bearer(name="Sozialamt", kind="authority", ik=""), share="60", valid_from=dt.date(2025, 1, 1), valid_until=dt.date(2025, 6, 30))
    with pytest.raises(ValidationError) as exc:
        assign(customer, bearer(name="Tochter", kind="relative", ik=""), share="50", valid_from=dt.date(2025, 3, 1))
    assert "100 %" in errors(exc)["share_percent"][0]
    assert CustomerCostBearer.objects.count() == 1


def test_shares_in_different_periods_may_add_up_to_more():
    customer = private()
    assign(customer, bearer(name="Sozialamt", kind="authority", ik=""), share="60", valid_until=dt.date(2025, 6, 30))
    link = assign(customer, bearer(name="Tochter", kind="relative", ik=""), share="50", valid_from=dt.date(2025, 7, 1))
    assert link.pk


def test_shares_of_other_customers_do_not_count():
    cb = bearer(name="Sozialamt", kind="authority", ik="")
    assign(private("A"), cb, share="80")
    assert assign(private("B"), cb, share="80").pk


def test_negative_budget_is_refused():
    with pytest.raises(ValidationError) as exc:
        assign(private(), bearer(), budget="-1")
    assert "monthly_budget" in errors(exc)


def test_coverage_needs_a_share_or_a_budget_not_both():
    with pytest.raises(ValidationError) as exc:
        assign(private(), bearer())
    assert "share_percent" in errors(exc)
    with pytest.raises(ValidationError) as exc:
        assign(private(), bearer(name="B2"), share="10", budget="131")
    assert "monthly_budget" in errors(exc)


def test_valid_until_before_valid_from_is_refused():
    with pytest.raises(ValidationError) as exc:
        assign(private(), bearer(), budget="131", valid_from=dt.date(2025, 5, 1), valid_until=dt.date(2025, 4, 30))
    assert "valid_until" in errors(exc)


def test_overlapping_assignments_of_the_same_bearer_are_refused():
    customer, cb = private(), bearer()
    assign(customer, cb, budget="131", valid_from=dt.date(2025, 1, 1), valid_until=dt.date(2025, 12, 31))
    with pytest.raises(ValidationError) as exc:
        assign(customer, cb, budget="131", valid_from=dt.date(2025, 12, 31))
    assert "overlap" in errors(exc)["valid_from"][0]
    assert assign(customer, cb, budget="131", valid_from=dt.date(2026, 1, 1)).pk  # the day after is fine


def test_open_ended_assignment_overlaps_a_later_one():
    customer, cb = private(), bearer()
    assign(customer, cb, budget="131", valid_from=dt.date(2025, 6, 1))
    with pytest.raises(ValidationError):
        assign(customer, cb, budget="131", valid_from=dt.date(2024, 1, 1), valid_until=dt.date(2025, 6, 1))


def test_an_assigned_bearer_cannot_be_deleted_and_the_message_names_the_customers():
    cb = bearer()
    assign(private("Berger", "Hans"), cb, budget="131")
    with pytest.raises(ValidationError) as exc:
        payers.cost_bearer_delete(cost_bearer=cb)
    assert "Hans Berger" in exc.value.messages[0]
    assert CostBearer.objects.filter(pk=cb.pk).exists()
    CustomerCostBearer.objects.all().delete()
    payers.cost_bearer_delete(cost_bearer=cb)
    assert not CostBearer.objects.exists()


# --- customer settings ---------------------------------------------------------------------
def test_effective_settings_come_from_defaults_until_overridden():
    customer = private(email="erika@example.com")
    eff = customer_effective_settings(customer)
    assert eff.payment_days == 14 and eff.source("payment_days") == "default"
    assert eff.invoice_email == "erika@example.com" and eff.source("invoice_email") == "customer_email"
    assert eff.overrides == []
    payers.customer_settings_save(customer=customer, values={"payment_days": 30, "calendar_color": "#FF0000"})
    eff = customer_effective_settings(customer)
    assert (eff.payment_days, eff.calendar_color) == (30, "#FF0000")
    assert eff.overrides == ["payment_days", "calendar_color"]
    defaults = CustomerDefaults.load()
    defaults.delivery = "post"
    payers.customer_defaults_save(defaults=defaults)
    assert customer_effective_settings(customer).delivery == "post"
    payers.customer_settings_save(customer=customer, values={"payment_days": None})
    eff = customer_effective_settings(customer)
    assert eff.payment_days == 14 and eff.overrides == ["calendar_color"]


def test_all_defaults_need_no_row():
    customer = private()
    payers.customer_settings_save(customer=customer, values={"payment_days": None})
    assert not CustomerSettings.objects.exists()


def test_unchanged_settings_write_no_history():
    customer = private()
    own = payers.customer_settings_save(customer=customer, values={"payment_days": 30})
    payers.customer_settings_save(customer=customer, values={"payment_days": 30})
    assert own.history.count() == 1


def test_discount_without_days_is_refused():
    customer = private()
    with pytest.raises(ValidationError) as exc:
        payers.customer_settings_save(customer=customer, values={"discount_percent": Decimal("2")})
    assert "discount_days" in errors(exc)
    assert not CustomerSettings.objects.exists()
    defaults = CustomerDefaults.load()
    defaults.discount_percent = Decimal("2")
    with pytest.raises(ValidationError) as exc:
        payers.customer_defaults_save(defaults=defaults)
    assert "discount_days" in errors(exc)


def test_discount_with_days_from_the_defaults_is_fine():
    defaults = CustomerDefaults.load()
    defaults.discount_days = 10
    payers.customer_defaults_save(defaults=defaults)
    customer = private()
    payers.customer_settings_save(customer=customer, values={"discount_percent": Decimal("2")})
    eff = customer_effective_settings(customer)
    assert (eff.discount_percent, eff.discount_days) == (Decimal("2.00"), 10)


@pytest.mark.parametrize(
    ("name", "value"),
    [("invoice_email", "not-an-email"), ("calendar_color", "red"), ("calendar_color", "#12345"), ("payment_days", -1), ("delivery", "fax")],
)
def test_bad_setting_values_are_refused_naming_the_field(name, value):
    customer = private()
    with pytest.raises(ValidationError) as exc:
        payers.customer_settings_save(customer=customer, values={name: value})
    assert name in errors(exc)
    assert not CustomerSettings.objects.exists()


def test_unknown_setting_is_refused():
    with pytest.raises(ValidationError) as exc:
        payers.customer_settings_save(customer=private(), values={"colour": "#FF0000"})
    assert "colour" in errors(exc)


def test_relief_amount_is_a_setting_of_131_euro():
    assert CustomerDefaults.load().relief_amount == Decimal("131.00")


def test_assigned_validity_via_valid_ik():
    assert bearer(ik=VALID_IK).ik == VALID_IK


# --- letterheads -------------------------------------------------------------------------------
def test_letterhead_upload_is_checked_and_its_folder_needs_the_view_permission():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fortycrm import uploads
    from fortycrm.models import Letterhead

    assert uploads.permission_for("letterheads/abc.pdf") == "fortycrm.view_letterhead"
    fake = Letterhead(name="Briefbogen", file=SimpleUploadedFile("bogen.pdf", b"<html>not a pdf</html>"))
    with pytest.raises(ValidationError) as exc:
        fake.full_clean()
    assert "file" in errors(exc)
    wrong_type = Letterhead(name="Briefbogen", file=SimpleUploadedFile("bogen.docx", b"PK\x03\x04"))
    with pytest.raises(ValidationError):
        wrong_type.full_clean()
    good = Letterhead(name="Briefbogen", file=SimpleUploadedFile("bogen.pdf", b"%PDF-1.4\n%%EOF\n"))
    good.full_clean()
    good.save()
    assert good.file.name.startswith("letterheads/") and "bogen" not in good.file.name
    customer = private()
    payers.customer_settings_save(customer=customer, values={"letterhead": good})
    assert customer_effective_settings(customer).letterhead == good
