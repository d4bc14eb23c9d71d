"""Website forms offer the customers' custom fields (issue 15 item 1 with issue 9): offered,
checked with the same German rules, stored on the prospect; a required one missing → 400."""

from __future__ import annotations

import pytest

from fortycrm.models import Customer, CustomField
from fortycrm.services.custom_fields import customfield_save
from fortycrm.webforms.fields import offered_field_map
from tests.webforms.conftest import body
from tests.webforms.test_submit import post_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(db):
    contract = customfield_save(field=CustomField(
        object_type="customer", name="vertragsart", label="Vertragsart", type="select",
        choices=[{"value": "basis", "label": "Basis"}, {"value": "premium", "label": "Premium"}],
    ))
    area = customfield_save(field=CustomField(object_type="customer", name="flaeche", label="Fläche m²", type="decimal"))
    return contract, area


def offer(form, *names):
    form.fields = [*form.fields, *({"name": n, "required": False} for n in names)]
    form.full_clean()
    form.save()


def test_custom_fields_are_offered_with_their_choices(fields):
    offered = offered_field_map()
    assert offered["cf_vertragsart"].input_type == "select"
    assert ("premium", "Premium") in offered["cf_vertragsart"].choices
    assert offered["cf_flaeche"].label == "Fläche m²"


def test_a_submission_stores_custom_field_values_in_german_formats(client, web_form, fields):
    offer(web_form, "cf_vertragsart", "cf_flaeche")
    answer = post_json(client, web_form, body(web_form, cf_vertragsart="Premium", cf_flaeche="1.234,5"))
    assert answer.status_code in (200, 201), answer.content
    customer = Customer.objects.get()
    assert customer.custom_field_data == {"vertragsart": "premium", "flaeche": "1234.5"}


def test_a_wrong_choice_is_refused_at_its_field_and_nothing_is_saved(client, web_form, fields):
    offer(web_form, "cf_vertragsart")
    answer = post_json(client, web_form, body(web_form, cf_vertragsart="Gold"))
    assert answer.status_code == 400
    assert "cf_vertragsart" in answer.json()["errors"]
    assert not Customer.objects.exists()


def test_a_required_custom_field_the_form_does_not_offer_gives_400_not_500(client, web_form, fields):
    contract, _area = fields
    contract.required = True
    contract.default = "basis"
    customfield_save(field=contract)
    CustomField.objects.filter(pk=contract.pk).update(default=None)  # required without default
    answer = post_json(client, web_form, body(web_form))
    assert answer.status_code == 400, answer.content
    assert not Customer.objects.exists()
