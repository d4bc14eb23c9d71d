"""Desk: templates, upload, preview with hints next to the rows, error file, commit (R-IMP, R-DSK-4)."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fortycrm.models import Customer, CustomerStatus, ImportLog
from tests.imports.conftest import fixture_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, olga):
    olga.is_superuser = False
    olga.save()
    client.force_login(olga)
    return client


def _csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_csv_template_german_and_english(desk):
    url = reverse("admin:fortycrm_importlog_template", args=["company_customers", "csv"])
    german = _csv_rows(desk.get(url).content)[0]
    assert german[:4] == ["Kundennummer", "Status", "Name *", "Kurzname"]
    assert "Kundenbetreuer" in german and "Schlagwörter" in german
    desk.cookies["django_language"] = "en"
    english = _csv_rows(desk.get(url).content)[0]
    assert english[:4] == ["Customer number", "Status", "Name *", "Short name"]


@pytest.mark.parametrize("template", ["company_customers", "private_customers", "contacts", "locations", "meters", "readings"])
def test_xlsx_templates_have_an_explanation_sheet(desk, template):
    response = desk.get(reverse("admin:fortycrm_importlog_template", args=[template, "xlsx"]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Daten", "Erläuterungen"]
    headers = [c.value for c in book["Daten"][1]]
    explained = [row[0] for row in book["Erläuterungen"].iter_rows(min_row=2, values_only=True) if row and row[0]]
    assert all(h in explained for h in headers)
    assert any(h.endswith(" *") for h in headers)


def test_templates_round_trip_through_the_importer(desk):
    """A downloaded template is accepted as it is (no missing or unknown columns)."""
    from fortycrm.imports.columns import TEMPLATES
    from fortycrm.imports.parsing import match_headers, open_table

    for key, template in TEMPLATES.items():
        for fmt in ("csv", "xlsx"):
            content = desk.get(reverse("admin:fortycrm_importlog_template", args=[key, fmt])).content
            table = open_table(io.BytesIO(content), f"t.{fmt}")
            match = match_headers(template, table.headers)
            assert not match.problems and not match.ignored, (key, fmt)
            assert len(match.by_index) == len(template.columns)


def test_formula_injection_is_neutralised_in_templates_and_error_file(desk):
    CustomerStatus.objects.create(name="=HYPERLINK(\"http://evil\")", with_number=True)
    book = load_workbook(io.BytesIO(desk.get(reverse("admin:fortycrm_importlog_template", args=["company_customers", "xlsx"])).content))
    allowed = [row[3] for row in book["Erläuterungen"].iter_rows(min_row=2, values_only=True) if row and row[0] == "Status"][0]
    assert not allowed.startswith("=")  # the text starts with "Einer von:" — and no cell starts with =
    for row in book["Erläuterungen"].iter_rows(values_only=True):
        assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in row)

    upload = io.BytesIO(b"Name *;Status;Ort\n=cmd|' /C calc'!A0;Kunde;@SUM(1)\n+49 170;-1;x\n")
    upload.name = "evil.csv"
    desk.post(reverse("admin:fortycrm_importlog_add"), {"template": "company_customers", "mode": "insert", "file": upload})
    log = ImportLog.objects.get()
    assert log.state == "failed"
    rows = _csv_rows(desk.get(reverse("admin:fortycrm_importlog_errors", args=[log.pk])).content)
    assert rows[0] == ["Zeile", "Spalte", "Wert", "Problem", "Art"]
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert any(cell == "'-1" for row in rows for cell in row)


def test_upload_preview_shows_hints_next_to_rows_then_fix_and_commit(desk, olga):
    with fixture_path("desk_two_bad_rows.csv").open("rb") as f:
        response = desk.post(reverse("admin:fortycrm_importlog_add"), {"template": "company_customers", "mode": "insert", "file": f}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    log = ImportLog.objects.get()
    assert (log.state, log.dry_run, log.error_count, log.user) == ("failed", True, 2, olga)
    assert 'data-row="3"' in html and "Stammkunde" in html
    assert 'data-row="4"' in html and "32.04.2023" in html
    assert "Import now" not in html and "Jetzt importieren" not in html
    assert Customer.objects.count() == 0

    with fixture_path("desk_two_bad_rows_fixed.csv").open("rb") as f:
        response = desk.post(reverse("admin:fortycrm_importlog_add"), {"template": "company_customers", "mode": "insert", "file": f}, follow=True)
    fixed = ImportLog.objects.order_by("-pk").first()
    assert fixed.state == "previewed" and fixed.created_count == 3
    assert "Jetzt importieren" in response.content.decode()
    assert Customer.objects.count() == 0

    response = desk.post(reverse("admin:fortycrm_importlog_commit", args=[fixed.pk]), follow=True)
    fixed.refresh_from_db()
    assert fixed.state == "done" and fixed.dry_run is False
    assert set(Customer.objects.values_list("name", flat=True)) == {"Nordlicht Reinigung GmbH", "Südwind Service GmbH", "Westwerk Hausmeister GmbH"}
    # committing twice does not import twice
    desk.post(reverse("admin:fortycrm_importlog_commit", args=[fixed.pk]))
    assert Customer.objects.count() == 3


def test_commit_of_a_failed_preview_is_refused(desk):
    with fixture_path("desk_two_bad_rows.csv").open("rb") as f:
        desk.post(reverse("admin:fortycrm_importlog_add"), {"template": "company_customers", "mode": "insert", "file": f})
    log = ImportLog.objects.get()
    desk.post(reverse("admin:fortycrm_importlog_commit", args=[log.pk]))
    log.refresh_from_db()
    assert log.state == "failed" and Customer.objects.count() == 0


def test_upload_form_errors_are_clear(desk):
    upload = io.BytesIO(b"x")
    upload.name = "kunden.pdf"
    response = desk.post(reverse("admin:fortycrm_importlog_add"), {"template": "company_customers", "mode": "insert", "file": upload})
    assert response.status_code == 200 and ".xlsx" in response.content.decode()
    assert ImportLog.objects.count() == 0


def test_broken_upload_is_a_clear_problem_not_a_500(desk):
    upload = io.BytesIO(b"PK\x03\x04 not really a workbook")
    upload.name = "kunden.xlsx"
    response = desk.post(reverse("admin:fortycrm_importlog_add"), {"template": "company_customers", "mode": "insert", "file": upload}, follow=True)
    assert response.status_code == 200
    log = ImportLog.objects.get()
    assert log.state == "failed" and ".xlsx" in log.errors[0]["message"]
    assert ".xlsx" in response.content.decode()


def test_log_list_progress_and_navigation(desk):
    with fixture_path("desk_two_bad_rows_fixed.csv").open("rb") as f:
        desk.post(reverse("admin:fortycrm_importlog_add"), {"template": "company_customers", "mode": "insert", "file": f})
    log = ImportLog.objects.get()
    listing = desk.get(reverse("admin:fortycrm_importlog_changelist")).content.decode()
    assert "desk_two_bad_rows_fixed.csv" in listing and "Firmenkunden" in listing
    progress = desk.get(reverse("admin:fortycrm_importlog_progress", args=[log.pk])).json()
    assert progress == {"state": "previewed", "processed": 3, "total": 3, "percent": 100}
    upload_page = desk.get(reverse("admin:fortycrm_importlog_add")).content.decode()
    assert "Datenimport" in upload_page and "fortycrm_firmenkunden.xlsx" not in upload_page
    assert reverse("admin:fortycrm_importlog_template", args=["readings", "xlsx"]) in upload_page


def test_users_without_import_permission_are_refused(client, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("guest", "g@example.com", "pw-guest-1234", is_staff=True)
    user.groups.add(Group.objects.create(name="Gast"))  # may use the desk (a role), but has no import permission
    client.force_login(user)
    assert client.get(reverse("admin:fortycrm_importlog_template", args=["contacts", "csv"])).status_code == 403
    assert client.get(reverse("admin:fortycrm_importlog_add")).status_code == 403


def test_duplicates_checkbox_flags_only_and_commit_keeps_that_choice(desk, base_data):
    data = "Name *;PLZ\nHansa Reinigung GmbH;20457\nNeu GmbH;11111\n".encode("cp1252")
    upload = io.BytesIO(data)
    upload.name = "dubletten.csv"
    desk.post(reverse("admin:fortycrm_importlog_add"), {"template": "company_customers", "mode": "insert", "file": upload})
    refused = ImportLog.objects.get()
    assert refused.state == "failed" and refused.errors[0]["code"] == "duplicate"

    upload = io.BytesIO(data)
    upload.name = "dubletten.csv"
    response = desk.post(
        reverse("admin:fortycrm_importlog_add"), {"template": "company_customers", "mode": "insert", "file": upload, "allow_duplicates": "on"}, follow=True
    )
    flagged = ImportLog.objects.order_by("-pk").first()
    assert flagged.state == "previewed" and [w["row"] for w in flagged.warnings] == [2]
    assert 'data-row="2"' in response.content.decode() and "Dublette" in response.content.decode()
    desk.post(reverse("admin:fortycrm_importlog_commit", args=[flagged.pk]))
    flagged.refresh_from_db()
    assert flagged.state == "done" and Customer.objects.filter(name="Hansa Reinigung GmbH").count() == 2


def test_import_needs_the_permission_of_the_model_the_template_writes(client, django_user_model):
    """Import rights alone are not enough: a role must also be allowed to create (insert) or
    change (update mode) the template's records, and to view them for the empty template."""
    from django.contrib.auth.models import Group, Permission

    role = Group.objects.create(name="Zählerablesung")
    role.permissions.add(*Permission.objects.filter(codename__in=[
        "view_importlog", "add_importlog", "view_meterreading", "add_meterreading", "view_customer",
    ]))
    user = django_user_model.objects.create_user("leser", "l@example.com", "pw-leser-1234")
    user.groups.add(role)
    client.force_login(user)
    add = reverse("admin:fortycrm_importlog_add")
    page = client.get(add).content.decode()
    assert 'value="readings"' in page and 'value="company_customers"' not in page
    assert client.get(reverse("admin:fortycrm_importlog_template", args=["readings", "csv"])).status_code == 200
    assert client.get(reverse("admin:fortycrm_importlog_template", args=["cost_bearers", "csv"])).status_code == 403

    data = "Name *;PLZ\nNeu GmbH;11111\n".encode("cp1252")
    upload = io.BytesIO(data)
    upload.name = "kunden.csv"
    response = client.post(add, {"template": "company_customers", "mode": "insert", "file": upload})
    assert response.status_code == 200 and ImportLog.objects.count() == 0  # not offered, refused

    upload = io.BytesIO("Zählernummer *;Ablesezeitpunkt *;Wert *\n".encode("cp1252"))
    upload.name = "staende.csv"
    response = client.post(add, {"template": "readings", "mode": "update", "file": upload})
    assert response.status_code == 200 and ImportLog.objects.count() == 0
    assert "nicht ändern" in response.content.decode()

    # a preview someone else started for customers cannot be committed by this role
    log = ImportLog.objects.create(template="company_customers", mode="insert", file_name="k.csv", dry_run=True, state="previewed")
    assert client.post(reverse("admin:fortycrm_importlog_commit", args=[log.pk])).status_code == 403
