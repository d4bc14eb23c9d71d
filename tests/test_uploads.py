"""Uploaded files (issue 8, items 4, 11, 13): access by permission, random names, no caching,
import files deleted when done, picture extensions only, replaced files deleted, memory."""

from __future__ import annotations

import io
import re
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fortycrm.models import Customer, ImportLog, Location, Meter, MeterReading
from fortycrm.services import meters as meter_services
from fortycrm.services.customers import customer_update
from tests import factories
from tests.imports.conftest import base_data, fixture_path, nogroup, olga  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
HEX_NAME = r"[0-9a-f]{32}"


def png(name: str = "logo.png", size=(200, 120), color="red") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, factories.png_bytes(size, color), content_type="image/png")


def stored(settings) -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
def meter():
    customer = factories.company("Zähler GmbH")
    location = Location.objects.create(customer=customer, name="Haus A", street="Weg 1", postcode="10115", city="Berlin")
    return Meter.objects.create(location=location, kind="electricity", number="Z-1")


def reading(meter, value: str, *, days: int, photo=None) -> MeterReading:
    new = MeterReading(meter=meter, read_at=timezone.now() - timedelta(days=days), value=Decimal(value), photo=photo)
    return meter_services.reading_record(reading=new)


def user_with(django_user_model, username: str, *codenames: str):
    """A staff user (the old rule's only check) holding just the given permissions."""
    user = django_user_model.objects.create_user(username, password="pw-files-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="fortycrm", codename__in=codenames))
    return user


def import_file(settings) -> ImportLog:
    call_command("fortycrm_import", "company_customers", str(fixture_path("company_customers_cp1252.csv")), "--dry-run")
    log = ImportLog.objects.get()
    assert log.file and (Path(settings.MEDIA_ROOT) / log.file.name).exists()
    return log


# --- item 4: who may read which file -------------------------------------------------------------
def test_files_are_served_by_the_permission_of_the_owning_model(client, django_user_model, meter, settings, base_data):  # noqa: F811
    customer = factories.company("Logo GmbH", logo=png())
    photo = reading(meter, "10", days=1, photo=png("zaehler.png")).photo
    log = import_file(settings)
    urls = {"logo": customer.logo.url, "thumb": customer.logo_thumbnail.url, "photo": photo.url, "import": log.file.url}
    may = {
        "customers": (user_with(django_user_model, "kunden", "view_customer"), {"logo", "thumb"}),
        "readings": (user_with(django_user_model, "ableser", "view_meterreading"), {"photo"}),
        "imports": (user_with(django_user_model, "importeur", "view_importlog"), {"import"}),
        "nothing": (user_with(django_user_model, "nurstaff"), set()),
        "office": (django_user_model.objects.create_user("buero", password="pw-files-123"), {"logo", "thumb", "photo", "import"}),
    }
    may["office"][0].groups.add(Group.objects.get(name="Büro"))
    for name, (user, allowed) in may.items():
        client.force_login(user)
        for what, url in urls.items():
            response = client.get(url)
            if what in allowed:
                assert response.status_code == 200, (name, what)
                assert response["Cache-Control"] == "no-store"
                b"".join(response.streaming_content)
            else:
                assert response.status_code == 302 and "/login/" in response["Location"], (name, what)
    client.logout()
    assert client.get(urls["logo"]).status_code == 302


def test_files_outside_the_known_folders_are_never_served(admin_client, settings):
    folder = Path(settings.MEDIA_ROOT) / "other"
    folder.mkdir(parents=True)
    (folder / "secret.txt").write_text("geheim")
    (Path(settings.MEDIA_ROOT) / "top.txt").write_text("geheim")
    assert admin_client.get("/files/other/secret.txt").status_code == 404
    assert admin_client.get("/files/top.txt").status_code == 404
    assert admin_client.get("/files/logos/").status_code == 404


def test_import_files_are_downloaded_not_shown_inline(admin_client, settings, base_data):  # noqa: F811
    log = import_file(settings)
    response = admin_client.get(log.file.url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")


def test_uploads_are_stored_under_random_names_keeping_the_extension(meter, settings, base_data):  # noqa: F811
    customer = factories.company("Müller GmbH", logo=png("Müller Logo Kundenliste.PNG"))
    assert re.fullmatch(rf"logos/{HEX_NAME}\.png", customer.logo.name)
    assert re.fullmatch(rf"logos/thumbs/{HEX_NAME}\.png", customer.logo_thumbnail.name)
    photo = reading(meter, "10", days=1, photo=png("Zähler Keller.jpeg")).photo
    assert re.fullmatch(rf"readings/{HEX_NAME}\.jpeg", photo.name)
    log = import_file(settings)
    assert re.fullmatch(rf"imports/{HEX_NAME}\.csv", log.file.name)
    assert log.file_name == "company_customers_cp1252.csv"
    assert not any("Müller" in name or "company_customers" in name or "Keller" in name for name in stored(settings))


def test_import_file_is_deleted_once_the_import_has_finished(desk_client, settings, base_data):  # noqa: F811
    log = import_file(settings)  # a preview keeps the file: its commit needs it
    name = log.file.name
    response = desk_client.post(reverse("admin:fortycrm_importlog_commit", args=[log.pk]))
    assert response.status_code == 302
    log.refresh_from_db()
    assert log.state == ImportLog.State.DONE and log.created_count == 3
    assert log.file.name == "" and name not in stored(settings)
    assert log.file_name == "company_customers_cp1252.csv"  # the log stays
    assert desk_client.get(reverse("admin:fortycrm_importlog_change", args=[log.pk])).status_code == 200


def test_import_without_preview_deletes_its_file(settings, base_data):  # noqa: F811
    call_command("fortycrm_import", "company_customers", str(fixture_path("company_customers_cp1252.csv")))
    log = ImportLog.objects.get()
    assert log.state == ImportLog.State.DONE and not log.file and stored(settings) == set()


def test_files_of_previews_nobody_committed_are_deleted_after_a_week(settings, base_data):  # noqa: F811
    from fortycrm import uploads

    old = import_file(settings)
    ImportLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=uploads.IMPORT_FILE_KEEP_DAYS + 1))
    call_command("fortycrm_import", "company_customers", str(fixture_path("company_customers_cp1252.csv")), "--dry-run")
    old.refresh_from_db()
    assert not old.file and old.state == ImportLog.State.FAILED  # its commit is refused from now on
    assert stored(settings) == {ImportLog.objects.exclude(pk=old.pk).get().file.name}


@pytest.fixture
def desk_client(client, olga):  # noqa: F811
    client.force_login(olga)
    return client


def test_api_answers_are_never_cached(db):
    from tests.api.conftest import client_for, make_key

    api = client_for(make_key("read"))
    for url in ("/api/v1/customers/", "/api/v1/customers/999999/"):
        assert api.get(url)["Cache-Control"] == "no-store"
    assert client_for(None).get("/api/v1/customers/")["Cache-Control"] == "no-store"  # 401 too


# --- item 13: picture extensions only; replaced files leave the disk ------------------------------
@pytest.mark.parametrize("name", ["logo.pdf", "logo.html", "logo.svg", "logo"])
def test_picture_with_another_extension_is_refused_in_the_service(meter, settings, name):
    with pytest.raises(ValidationError) as exc:
        reading(meter, "10", days=1, photo=png(name))
    message = exc.value.message_dict["photo"][0]
    assert "können nicht als Bild hochgeladen werden" in message and ".jpg, .jpeg, .png, .gif oder .webp" in message
    with pytest.raises(ValidationError) as exc:
        factories.company("Pdf GmbH", logo=png(name))
    assert "Bild" in exc.value.message_dict["logo"][0]
    assert stored(settings) == set() and not Customer.objects.filter(name="Pdf GmbH").exists()


@pytest.mark.parametrize("name", ["a.jpg", "b.JPEG", "c.png", "d.gif", "e.webp"])
def test_picture_extensions_that_are_allowed(meter, name):
    assert reading(meter, "10", days=1, photo=png(name)).photo


def test_png_named_pdf_is_refused_in_the_desk_with_a_german_message(admin_client, settings):
    from tests.customers.test_desk import ADD_URL, form_data

    response = admin_client.post(ADD_URL, form_data(logo=png("rechnung.pdf")))
    assert response.status_code == 200
    assert "Dateien mit der Endung „.pdf“ können nicht als Bild hochgeladen werden" in response.content.decode()
    assert not Customer.objects.exists() and stored(settings) == set()


def test_replaced_and_removed_logo_and_thumbnail_are_deleted_after_commit(settings, django_capture_on_commit_callbacks):
    customer = factories.company("Wechsel GmbH", logo=png("alt.png"))
    first = {customer.logo.name, customer.logo_thumbnail.name}
    assert first <= stored(settings)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        customer_update(customer=customer, logo=png("neu.png", color="blue"))
    assert first <= stored(settings)  # nothing goes before the commit
    for callback in callbacks:
        callback()
    second = {customer.logo.name, customer.logo_thumbnail.name}
    assert stored(settings) == second
    with django_capture_on_commit_callbacks(execute=True):
        customer_update(customer=customer, logo=None)
    customer.refresh_from_db()
    assert not customer.logo and not customer.logo_thumbnail and stored(settings) == set()


def test_a_failed_update_keeps_the_old_logo(settings):
    customer = factories.company("Bleibt GmbH", logo=png("alt.png"))
    with pytest.raises(ValidationError):
        customer_update(customer=customer, logo=png("neu.png"), email="kein-mail")
    assert Customer.objects.get().logo.name in stored(settings)


def test_replaced_and_removed_meter_photos_are_deleted_after_commit(meter, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = reading(meter, "10", days=2, photo=png("a.png"))
    old = first.photo.name
    first.photo = png("b.png", color="green")
    with django_capture_on_commit_callbacks(execute=True):
        meter_services.reading_record(reading=first)
    assert stored(settings) == {first.photo.name} and old != first.photo.name
    # several rows at once (the meter page)
    first.photo = None
    second = MeterReading(read_at=timezone.now() - timedelta(days=1), value=Decimal("20"), photo=png("c.png"))
    with django_capture_on_commit_callbacks(execute=True):
        meter_services.readings_save(meter=meter, readings=[first, second])
    assert stored(settings) == {second.photo.name}


# --- item 11: memory of a logo upload ---------------------------------------------------------------
@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc to measure peak memory")
def test_logo_upload_peaks_under_50_mb_over_idle(tmp_path):
    """The 128 KB PNG of 6300×6300 px of issue 8 and the largest logo allowed per format, each
    checked and thumbnailed in a fresh process (benchmarks/upload_memory.py)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import upload_memory
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    bomb, *largest = upload_memory.worst_cases(tmp_path)
    assert 100_000 < bomb.stat().st_size < 200_000
    result = upload_memory.measure(bomb)
    assert result["peak_over_idle_mb"] < upload_memory.LIMIT_MB, result
    assert not result["accepted"]
    for path in largest:
        result = upload_memory.measure(path)
        assert result["accepted"], result
        assert result["peak_over_idle_mb"] < upload_memory.LIMIT_MB, result


def test_large_png_logo_is_refused_with_a_clear_message(settings):
    from PIL import Image

    out = io.BytesIO()
    Image.new("P", (2300, 2300), 1).save(out, format="PNG")
    content = SimpleUploadedFile("gross.png", out.getvalue(), content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        factories.company("Riesig GmbH", logo=content)
    message = exc.value.message_dict["logo"][0]
    assert "Das Logo hat 5,3 Megapixel; ein PNG-Logo darf höchstens 5 haben" in message and "JPEG" in message
    assert stored(settings) == set()
