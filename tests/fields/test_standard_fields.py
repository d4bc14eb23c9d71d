"""Standard fields made required or hidden by admins (R-FLD-8): desk, API and import alike."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from fortycrm.imports import files
from fortycrm.imports.columns import get_template
from fortycrm.models import Contact, Customer, StandardFieldRule
from fortycrm.services.custom_fields import standardfield_rule_save
from tests import factories
from tests.api.conftest import client_for, make_key
from tests.customers.test_desk import ADD_URL, form_data
from tests.fields.conftest import define
from tests.imports.conftest import run_bytes
from tests.records import with_tabs

pytestmark = pytest.mark.django_db

RULE_ADD = "/desk/fortycrm/standardfieldrule/add/"


def rule(object_type: str, field: str, behaviour: str = "required", applies_to: str = "both") -> StandardFieldRule:
    return standardfield_rule_save(rule=StandardFieldRule(object_type=object_type, field=field, behaviour=behaviour, applies_to=applies_to))


@pytest.fixture
def desk(client, admin_user):
    client.force_login(admin_user)
    return client


def test_rules_for_fields_mandatory_by_nature_or_overlapping_are_refused(db):
    with pytest.raises(ValidationError) as exc:
        rule("customer", "name")  # a company's name is mandatory by nature
    assert "field" in exc.value.message_dict
    with pytest.raises(ValidationError):
        rule("location", "name")
    with pytest.raises(ValidationError) as exc:
        rule("customer", "first_name", applies_to="company")  # a private customer's field
    assert "applies_to" in exc.value.message_dict
    with pytest.raises(ValidationError):
        rule("contact", "birthday")  # only for contacts of private customers: hide, never require
    rule("contact", "birthday", behaviour="hidden")
    rule("customer", "email", applies_to="company")
    with pytest.raises(ValidationError) as exc:
        rule("customer", "email", behaviour="hidden")  # overlaps the company rule
    assert "E-Mail" in exc.value.message_dict["field"][0]
    rule("customer", "email", behaviour="hidden", applies_to="private")
    assert StandardFieldRule.objects.count() == 3


def test_admin_configures_a_rule_in_the_desk_and_office_may_not(desk, client, office_user):
    response = desk.post(RULE_ADD, {"target": "customer:email", "behaviour": "required", "applies_to": "company"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert StandardFieldRule.objects.get().field == "email"
    response = desk.post(RULE_ADD, {"target": "customer:name", "behaviour": "required", "applies_to": "both"})
    assert response.status_code == 200 and StandardFieldRule.objects.count() == 1  # not offered, refused if sent
    client.force_login(office_user)
    assert client.get("/desk/fortycrm/standardfieldrule/").status_code == 403


def test_desk_requires_email_for_company_customers_only(desk):
    rule("customer", "email", applies_to="company")
    response = desk.post(ADD_URL, form_data())
    assert response.status_code == 200
    assert "E-Mail" in response.context["adminform"].form.errors["email"][0]
    assert not Customer.objects.exists()
    assert "Pflicht bei Firmenkunden" in desk.get(ADD_URL).content.decode()
    response = desk.post(ADD_URL, form_data(kind="private", name="", last_name="Schmidt"))
    assert response.status_code == 302
    response = desk.post(ADD_URL, form_data(email="info@glanz.de"))
    assert response.status_code == 302 and Customer.objects.count() == 2


def test_hidden_field_vanishes_from_the_desk_and_keeps_its_value(desk):
    customer = factories.company("Glanz & Gloria GmbH", phone="030 123")
    rule("customer", "phone", behaviour="hidden")
    rule("customer", "city")  # required for both kinds: the field itself is required (marked)
    page = desk.get(ADD_URL).content.decode()
    assert 'name="phone"' not in page and 'name="mobile"' in page
    form = desk.get(f"/desk/fortycrm/customer/{customer.pk}/change/").context["adminform"].form
    assert "phone" not in form.fields and form.fields["city"].required
    response = desk.post(f"/desk/fortycrm/customer/{customer.pk}/change/", form_data(name=customer.name, city="Berlin"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.phone == "030 123" and customer.city == "Berlin"


def test_api_answers_400_naming_the_field(db):
    rule("customer", "email", applies_to="company")
    rule("contact", "role")
    api = client_for(make_key("write"))
    response = api.post("/api/v1/customers/", {"name": "Sonne GmbH"}, format="json")
    assert response.status_code == 400 and "email" in response.json(), response.json()
    assert "e-mail" in response.json()["email"][0].lower()
    assert api.post("/api/v1/customers/", {"kind": "private", "last_name": "Schulz"}, format="json").status_code == 201
    created = api.post("/api/v1/customers/", {"name": "Sonne GmbH", "email": "info@sonne.de"}, format="json")
    assert created.status_code == 201
    response = api.patch(f"/api/v1/customers/{created.json()['id']}/", {"email": ""}, format="json")
    assert response.status_code == 400 and "email" in response.json()
    response = api.post("/api/v1/contacts/", {"customer": created.json()["id"], "last_name": "Meier"}, format="json")
    assert response.status_code == 400 and "role" in response.json(), response.json()
    assert not Contact.objects.exists()


def test_import_reports_the_row_and_column_and_saves_nothing(db):
    rule("customer", "email", applies_to="company")
    headers = files.headers(get_template("company_customers"))
    email = next(h for h in headers if h.startswith("E-Mail"))
    name = next(h for h in headers if h.startswith("Name"))
    rows = [{name: "Gut GmbH", email: "gut@example.de"}, {name: "Ohne GmbH"}]
    body = ";".join(headers) + "\n" + "\n".join(";".join(r.get(h, "") for h in headers) for r in rows)
    result = run_bytes("company_customers", body.encode("utf-8"), "kunden.csv")
    problems = {(p.row, p.column): p for p in result.errors}
    assert (3, email) in problems, [(p.row, p.column, p.message) for p in result.errors]
    assert "E-Mail" in problems[(3, email)].message
    assert not Customer.objects.exists()


def test_contact_custom_fields_are_edited_in_the_customer_pages_contacts(desk):
    """Item B: the contacts tab of the customer page carries the contacts' custom fields."""
    define(name="pflegegrad", label="Pflegegrad", type="integer", object_type="contact", min_value=1, max_value=5, required=True)
    contact = {"contacts-TOTAL_FORMS": "1", "contacts-0-last_name": "Meier", "contacts-0-priority": "1"}
    response = desk.post(ADD_URL, form_data(**contact, **{"contacts-0-cf_pflegegrad": "7"}))
    assert response.status_code == 200 and not Customer.objects.exists()
    assert "Pflegegrad" in response.content.decode()
    response = desk.post(ADD_URL, form_data(**contact, **{"contacts-0-cf_pflegegrad": "3"}))
    assert response.status_code == 302
    assert Contact.objects.get().custom_field_data == {"pflegegrad": 3}
    customer = Customer.objects.get()
    page = with_tabs(desk, desk.get(f"/desk/fortycrm/customer/{customer.pk}/change/")).content.decode()
    assert 'name="contacts-0-cf_pflegegrad"' in page


def test_import_templates_mark_required_standard_columns(db):
    assert "E-Mail *" not in files.headers(get_template("company_customers"))
    rule("customer", "email", applies_to="company")
    rule("location", "postcode")
    assert "E-Mail *" in files.headers(get_template("company_customers"))
    assert "E-Mail" in files.headers(get_template("private_customers"))  # the rule is for companies only
    assert "E-Mail *" not in files.headers(get_template("private_customers"))
    assert "PLZ *" in files.headers(get_template("locations"))
    # the explanation sheet of the XLSX says "ja" for it
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(files.template_xlsx(get_template("company_customers")))).worksheets[1]
    mandatory = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if row and row[0]}
    assert mandatory["E-Mail *"] == "ja"


def test_import_without_a_required_standard_column_is_refused_at_the_header(db):
    rule("customer", "email", applies_to="company")
    result = run_bytes("company_customers", b"Name;Ort\nGut GmbH;Berlin\n", "kunden.csv")
    assert [(p.row, p.message) for p in result.errors if p.row == 1], result.errors
    assert any("E-Mail" in p.message for p in result.errors if p.row == 1)
    assert not Customer.objects.exists()
