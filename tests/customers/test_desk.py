"""The customer desk through Django's test client: forms, messages, list queries."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fortycrm.models import Contact, Customer, CustomerStatus
from tests import factories

pytestmark = pytest.mark.django_db

ADD_URL = "/desk/fortycrm/customer/add/"


def form_data(**overrides):
    data = {
        "kind": "company",
        "name": "Glanz & Gloria GmbH",
        "short_name": "",
        "status": CustomerStatus.objects.get(name="Interessent").pk,
        "country": "DE",
        "tag_names": "",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        "locations-TOTAL_FORMS": "0",
        "locations-INITIAL_FORMS": "0",
        "locations-MIN_NUM_FORMS": "0",
        "locations-MAX_NUM_FORMS": "1000",
        # sections "Kostenträger" and "Einstellungen" (R-PAY)
        "cost_bearer_links-TOTAL_FORMS": "0",
        "cost_bearer_links-INITIAL_FORMS": "0",
        "cost_bearer_links-MIN_NUM_FORMS": "0",
        "cost_bearer_links-MAX_NUM_FORMS": "1000",
        "own_settings-TOTAL_FORMS": "0",
        "own_settings-INITIAL_FORMS": "0",
        "own_settings-MIN_NUM_FORMS": "0",
        "own_settings-MAX_NUM_FORMS": "1",
    }
    data.update(overrides)
    return data


@pytest.fixture
def desk(client, admin_user):
    client.force_login(admin_user)
    return client


def test_add_form_suggests_next_number(desk):
    factories.company(status="Kunde", number=10000)
    page = desk.get(ADD_URL).content.decode()
    assert 'value="10001"' in page
    assert "data-with-number" in page


def test_desk_is_german_by_default(desk):
    page = desk.get(ADD_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Kunde hinzufügen" in page or "Kunden hinzufügen" in page


def test_create_numbered_customer_with_tags_in_desk(desk):
    kunde = CustomerStatus.objects.get(name="Kunde")
    response = desk.post(ADD_URL, form_data(status=kunde.pk, number="10000", suggested_number="10000", tag_names="Winterdienst, Treppenhaus"))
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get()
    assert customer.number == 10000
    assert set(customer.tags.values_list("name", flat=True)) == {"Winterdienst", "Treppenhaus"}


def test_duplicate_number_in_desk_names_holder(desk):
    factories.company(name="Sauber AG", status="Kunde", number=10000)
    kunde = CustomerStatus.objects.get(name="Kunde")
    response = desk.post(ADD_URL, form_data(status=kunde.pk, number="10000", suggested_number="10001"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sauber AG" in page and "10000" in page
    assert Customer.objects.count() == 1


def test_numbered_customer_is_offered_only_statuses_with_number(desk):
    customer = factories.company(status="Kunde")
    page = desk.get(reverse("admin:fortycrm_customer_change", args=[customer.pk])).content.decode()
    select = page[page.index('name="status"') : page.index("</select>", page.index('name="status"'))]
    assert "ehemaliger Kunde" in select and "Interessent" not in select


def test_prospect_status_for_numbered_customer_is_refused_in_desk(desk):
    customer = factories.company(status="Kunde")
    url = reverse("admin:fortycrm_customer_change", args=[customer.pk])
    response = desk.post(url, form_data(name=customer.name, status=CustomerStatus.objects.get(name="Interessent").pk))
    assert response.status_code == 200
    assert "10000" in response.content.decode()
    customer.refresh_from_db()
    assert customer.status.name == "Kunde"


def test_birthday_on_company_contact_refused_in_desk(desk):
    data = form_data(**{
        "contacts-TOTAL_FORMS": "1",
        "contacts-0-last_name": "Meier",
        "contacts-0-priority": "1",
        "contacts-0-birthday": "01.05.1980",
    })
    response = desk.post(ADD_URL, data)
    assert response.status_code == 200
    assert "Firmenkunde" in response.content.decode() or "company customer" in response.content.decode()
    assert Customer.objects.count() == 0 and Contact.objects.count() == 0


def test_birthday_on_private_contact_saved_in_desk(desk):
    data = form_data(kind="private", name="", first_name="Erika", last_name="Schmidt", **{
        "contacts-TOTAL_FORMS": "1",
        "contacts-0-last_name": "Schmidt",
        "contacts-0-first_name": "Tochter",
        "contacts-0-priority": "1",
        "contacts-0-birthday": "01.05.1980",
    })
    response = desk.post(ADD_URL, data)
    assert response.status_code == 302
    assert Contact.objects.get().birthday.year == 1980


def test_non_image_logo_refused_in_desk(desk):
    fake = SimpleUploadedFile("logo.png", b"this is text", content_type="image/png")
    response = desk.post(ADD_URL, form_data(logo=fake))
    assert response.status_code == 200
    assert Customer.objects.count() == 0


def test_huge_logo_refused_in_desk(desk):
    huge = SimpleUploadedFile("logo.png", factories.png_bytes() + b"\0" * (6 * 1024 * 1024), content_type="image/png")
    response = desk.post(ADD_URL, form_data(logo=huge))
    assert response.status_code == 200
    assert "MB" in response.content.decode()
    assert Customer.objects.count() == 0


def test_delete_status_in_use_shows_message(desk):
    factories.company(status="Kunde")
    kunde = CustomerStatus.objects.get(name="Kunde")
    response = desk.post(reverse("admin:fortycrm_customerstatus_delete", args=[kunde.pk]), {"post": "yes"}, follow=True)
    assert "Kunde" in response.content.decode()
    assert CustomerStatus.objects.filter(pk=kunde.pk).exists()
    messages = [str(m) for m in response.context["messages"]]
    assert any("1" in m and "Kunde" in m for m in messages)


def test_delete_last_default_status_shows_message(desk):
    default = CustomerStatus.objects.get(name="Interessent")
    response = desk.post(reverse("admin:fortycrm_customerstatus_delete", args=[default.pk]), {"post": "yes"}, follow=True)
    assert CustomerStatus.objects.filter(pk=default.pk).exists()
    assert any("Interessent" in str(m) for m in response.context["messages"])


def test_office_user_cannot_edit_saved_number(client, office_user):
    customer = factories.company(status="Kunde")
    client.force_login(office_user)
    page = client.get(reverse("admin:fortycrm_customer_change", args=[customer.pk])).content.decode()
    assert 'name="number"' not in page
    assert "10000" in page


def test_account_manager_choices_only_group_members(desk, office_user, django_user_model):
    django_user_model.objects.create_user("nogroup", password="x", first_name="Nobody")
    page = desk.get(ADD_URL).content.decode()
    assert "Olga Office" in page or "office" in page
    assert "nogroup" not in page and "Nobody" not in page


def test_delete_confirmation_names_related_objects(desk):
    from fortycrm.services.contacts import contact_save

    customer = factories.private()
    contact_save(contact=Contact(customer=customer, last_name="Sohn"))
    page = desk.get(reverse("admin:fortycrm_customer_delete", args=[customer.pk])).content.decode()
    assert "Sohn" in page
    desk.post(reverse("admin:fortycrm_customer_delete", args=[customer.pk]), {"post": "yes"})
    assert Customer.objects.count() == 0 and Contact.objects.count() == 0


def test_tag_link_filters_the_list(desk):
    factories.company(name="Mit Tag GmbH", tags=["Winterdienst"])
    factories.company(name="Ohne Tag GmbH")
    page = desk.get("/desk/fortycrm/customer/").content.decode()
    assert "?tags__id__exact=" in page
    from fortycrm.models import Tag

    tag = Tag.objects.get()
    filtered = desk.get(f"/desk/fortycrm/customer/?tags__id__exact={tag.pk}").content.decode()
    assert "Mit Tag GmbH" in filtered and "Ohne Tag GmbH" not in filtered


def _make_customers(count, office_user):
    from django.utils.text import slugify

    statuses = list(CustomerStatus.objects.all())
    for i in range(count):
        factories.company(
            name=f"Kunde {i} GmbH",
            status=statuses[i % len(statuses)],
            tags=[f"tag-{i % 7}", f"gruppe-{i % 3}"],
            account_manager=office_user,
            email=f"{slugify(str(i))}@example.com",
        )


def test_customer_list_query_count_does_not_grow(desk, office_user):
    _make_customers(10, office_user)
    with CaptureQueriesContext(connection) as small:
        assert desk.get("/desk/fortycrm/customer/").status_code == 200
    _make_customers(490, office_user)
    with CaptureQueriesContext(connection) as large:
        response = desk.get("/desk/fortycrm/customer/")
    assert response.status_code == 200
    assert Customer.objects.count() == 500
    assert len(large.captured_queries) == len(small.captured_queries), [q["sql"] for q in large.captured_queries]


def test_search_by_name_and_by_number(desk):
    factories.company(name="Glanz GmbH", status="Kunde")
    factories.company(name="Blitz GmbH")
    page = desk.get("/desk/fortycrm/customer/?q=Glanz").content.decode()
    assert "Glanz GmbH" in page and "Blitz GmbH" not in page
    page = desk.get("/desk/fortycrm/customer/?q=10000").content.decode()
    assert "Glanz GmbH" in page and "Blitz GmbH" not in page


def test_language_switch_to_english(desk):
    response = desk.post("/i18n/setlang/", {"language": "en", "next": ADD_URL}, follow=True)
    page = response.content.decode()
    assert "Add customer" in page
    assert "Kunde hinzufügen" not in page


def test_bulk_set_status_refuses_prospect_for_numbered_customers(desk):
    numbered = factories.company(name="Nummer GmbH", status="Kunde")
    prospect = factories.company(name="Offen GmbH")
    interessent = CustomerStatus.objects.get(name="Interessent")
    response = desk.post(
        "/desk/fortycrm/customer/",
        {"action": "set_status", "_selected_action": [numbered.pk, prospect.pk], "apply": "1", "status": interessent.pk},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("Nummer GmbH" in m and "10000" in m for m in messages), messages
    numbered.refresh_from_db()
    assert numbered.status.name == "Kunde"


def test_bulk_add_tag(desk):
    a = factories.company(name="A GmbH")
    b = factories.company(name="B GmbH")
    desk.post("/desk/fortycrm/customer/", {"action": "add_tag", "_selected_action": [a.pk, b.pk], "apply": "1", "tag": "Weihnachtskarte"})
    assert set(a.tags.values_list("name", flat=True)) == {"Weihnachtskarte"}
    assert set(b.tags.values_list("name", flat=True)) == {"Weihnachtskarte"}


def test_tag_merge_action(desk):
    from fortycrm.models import Tag

    factories.company(name="A GmbH", tags=["Winter"])
    factories.company(name="B GmbH", tags=["Winterdienst"])
    keep = Tag.objects.get(name="Winterdienst")
    desk.post("/desk/fortycrm/tag/", {"action": "merge", "_selected_action": list(Tag.objects.values_list("pk", flat=True)), "apply": "1", "target": keep.pk})
    assert list(Tag.objects.values_list("name", flat=True)) == ["Winterdienst"]
    assert keep.customers.count() == 2


def test_start_page_shows_birthdays_and_status_counts(desk):
    import datetime as dt

    from django.utils import timezone

    from fortycrm.services.contacts import contact_save

    person = factories.private(last_name="Geburtstag")
    soon = timezone.localdate() + dt.timedelta(days=3)
    contact_save(contact=Contact(customer=person, first_name="Oma", last_name="Geburtstag", birthday=soon.replace(year=1940)))
    page = desk.get("/desk/").content.decode()
    assert "Oma Geburtstag" in page
    assert "Kunden pro Status" in page


def test_export_selected_customers_reimports_in_update_mode(desk, office_user):
    import datetime as dt
    import io

    from fortycrm.imports.driver import import_file

    a = factories.company(name="Export = GmbH", status="Kunde", tags=["Winterdienst", "Nord"], account_manager=office_user, city="Köln")
    b = factories.company(name="Zweite GmbH", status="Kunde", start_date=dt.date(2024, 3, 1), combine_invoices=True)
    response = desk.post("/desk/fortycrm/customer/", {"action": "export_csv", "_selected_action": [a.pk, b.pk]})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("Kundennummer;Status;Name *")
    assert "10000;Kunde;Export = GmbH" in text and "Nord, Winterdienst" in text and "office" in text
    assert "01.03.2024" in text and ";ja;" in text
    # the file goes back in unchanged (update mode by number): nothing is lost on the way
    edited = text.replace("Köln", "Bonn").encode("utf-8-sig")
    result = import_file(template="company_customers", file=io.BytesIO(edited), file_name="export.csv", mode="update", user=office_user)
    assert result.ok, result.errors
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.city == "Bonn" and set(a.tags.values_list("name", flat=True)) == {"Winterdienst", "Nord"}
    assert b.start_date.isoformat() == "2024-03-01" and b.combine_invoices


def test_export_of_a_mixed_selection_is_a_zip_with_one_csv_per_kind_named_in_german(desk):
    import io
    import zipfile

    from django.utils import timezone

    a = factories.company(name="Firma GmbH")
    b = factories.private(last_name="Privat")
    today = f"{timezone.localdate():%Y-%m-%d}"
    response = desk.post("/desk/fortycrm/customer/", {"action": "export_csv", "_selected_action": [a.pk, b.pk]})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="fortycrm_kunden_{today}.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    files = {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}
    assert set(files) == {f"fortycrm_firmenkunden_{today}.csv", f"fortycrm_privatkunden_{today}.csv"}
    assert "Firma GmbH" in files[f"fortycrm_firmenkunden_{today}.csv"] and "Privat" not in files[f"fortycrm_firmenkunden_{today}.csv"]
    assert "Privat" in files[f"fortycrm_privatkunden_{today}.csv"]
    # one kind alone: the CSV itself, named like the template
    response = desk.post("/desk/fortycrm/customer/", {"action": "export_csv", "_selected_action": [b.pk]})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="fortycrm_privatkunden_{today}.csv"'


def test_start_page_lists_recent_imports(desk, admin_user):
    from fortycrm.models import ImportLog

    ImportLog.objects.create(template="company_customers", file_name="kunden-maerz.csv", state="done", created_count=12, user=admin_user)
    page = desk.get("/desk/").content.decode()
    assert "Letzte Importe" in page and "kunden-maerz.csv" in page and "12 angelegt" in page


def test_broken_image_message_is_formal_german(desk):
    fake = SimpleUploadedFile("logo.png", b"GIF89a but broken", content_type="image/png")
    page = desk.post(ADD_URL, form_data(logo=fake)).content.decode()
    assert "kein Bild" in page and "Lade ein" not in page
    assert Customer.objects.count() == 0
