"""Shell command and the job path (R-IMP-5/6)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fortycrm import jobs
from fortycrm.models import Customer, ImportLog
from tests.imports.conftest import fixture_path

pytestmark = pytest.mark.django_db


def test_command_imports_and_logs(base_data, capsys):
    call_command("fortycrm_import", "company_customers", str(fixture_path("company_customers_cp1252.csv")), "--user", "olga")
    out = capsys.readouterr().out
    assert "3 rows checked: 3 were created" in out
    assert Customer.objects.filter(name="Müller Gebäudereinigung GmbH").exists()
    log = ImportLog.objects.get()
    assert (log.state, log.created_count, log.total_rows, log.user.username) == ("done", 3, 3, "olga")
    assert log.file_name == "company_customers_cp1252.csv" and log.finished_at is not None


def test_command_dry_run_imports_nothing(base_data, capsys):
    call_command("fortycrm_import", "company_customers", str(fixture_path("company_customers_cp1252.csv")), "--dry-run")
    assert "3 would be created" in capsys.readouterr().out
    assert not Customer.objects.filter(name="Müller Gebäudereinigung GmbH").exists()
    assert ImportLog.objects.get().state == "previewed"


def test_command_prints_every_problem_and_fails(base_data, capsys):
    before = Customer.objects.count()
    with pytest.raises(CommandError) as exc:
        call_command("fortycrm_import", "company_customers", str(fixture_path("company_customers_bad.csv")))
    assert exc.value.returncode == 1 and "nothing was imported" in str(exc.value)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("Zeile ")]
    assert len(lines) == 17
    assert "Zeile 2, Spalte B (Status) „Stammkunde“: " in err
    assert "Zeile 8, Spalte A (Kundennummer) „10001“: " in err and "Hansa Reinigung GmbH" in err
    assert Customer.objects.count() == before
    log = ImportLog.objects.get()
    assert log.state == "failed" and log.error_count == 17 and log.errors[0]["row"] == 2


def test_command_update_mode(base_data, capsys):
    path = fixture_path("company_customers_update.csv")
    with pytest.raises(CommandError):
        call_command("fortycrm_import", "company_customers", str(path), "--mode", "update")
    assert "Zeile 3, Spalte A (Kundennummer *)" in capsys.readouterr().err


def test_command_refuses_missing_file_and_unknown_template():
    with pytest.raises(CommandError, match="not found"):
        call_command("fortycrm_import", "company_customers", "/nonexistent/file.csv")
    with pytest.raises(CommandError):
        call_command("fortycrm_import", "kunden", str(fixture_path("contacts.csv")))


def _big_file(rows: int) -> bytes:
    return ("Name *;PLZ;Status\n" + "".join(f"Firma {i} GmbH;{10000 + i};Kunde\n" for i in range(rows))).encode("cp1252")


def _log_for(data: bytes, user=None) -> ImportLog:
    from django.core.files.base import ContentFile

    from fortycrm.imports.parsing import count_rows

    log = ImportLog(template="company_customers", file_name="gross.csv", dry_run=True, user=user)
    log.file.save("gross.csv", ContentFile(data), save=False)
    with log.file.open("rb") as f:
        log.total_rows = count_rows(f, "gross.csv")
    log.save()
    return log


def test_large_file_goes_through_the_job_synchronously_without_redis(settings, base_data):
    settings.FORTYCRM_JOBS_ASYNC = False
    settings.FORTYCRM_IMPORT_JOB_THRESHOLD = 50
    called = []
    original = jobs.import_job
    jobs.import_job = lambda log_id, dry_run: (called.append((log_id, dry_run)), original(log_id, dry_run))
    try:
        log = _log_for(_big_file(120))
        jobs.import_start(log.pk, dry_run=True)
        log.refresh_from_db()
        assert called == [(log.pk, True)]
        assert (log.state, log.total_rows, log.processed_rows, log.created_count) == ("previewed", 120, 120, 120)
        assert Customer.objects.count() == 2
        jobs.import_start(log.pk, dry_run=False)
        log.refresh_from_db()
        assert log.state == "done" and Customer.objects.count() == 122
    finally:
        jobs.import_job = original


def test_job_records_progress(settings, base_data, monkeypatch):
    from django.core.cache import cache

    from fortycrm.imports import driver, import_log

    monkeypatch.setattr(driver, "BATCH_SIZE", 100)
    seen = []
    original_set = cache.set
    monkeypatch.setattr(cache, "set", lambda key, value, *a, **k: ("import-progress" in key and seen.append(value), original_set(key, value, *a, **k)))
    log = _log_for(_big_file(350))
    jobs.import_job(log.pk, True)
    assert seen[:3] == [100, 200, 300] and seen[-1] == 350
    log.refresh_from_db()
    assert import_log.import_progress(log) == {"state": "previewed", "processed": 350, "total": 350, "percent": 100}


def test_job_failure_is_recorded_on_the_log(base_data):
    log = _log_for(_big_file(3))
    log.file.storage.delete(log.file.name)  # the uploaded file vanished
    with pytest.raises(FileNotFoundError):
        jobs.import_job(log.pk, True)
    log.refresh_from_db()
    assert log.state == "failed" and "FileNotFoundError" in log.errors[0]["message"]


@pytest.mark.django_db(transaction=True)
def test_large_file_runs_as_an_rq_job_on_redis(settings, base_data):
    """With Redis the job is queued after commit and a real RQ worker runs it (R-IMP-5)."""
    import os

    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis: set REDIS_URL (done by .ci/run)")
    import django_rq
    from rq import SimpleWorker

    settings.FORTYCRM_JOBS_ASYNC = True
    settings.FORTYCRM_IMPORT_JOB_THRESHOLD = 50
    queue = django_rq.get_queue("default")
    queue.empty()
    log = _log_for(_big_file(120))
    jobs.import_start(log.pk, dry_run=False)  # outside a transaction: queued at once
    log.refresh_from_db()
    assert log.state == "pending" and Customer.objects.count() == 2  # nothing done in the request
    assert queue.count == 1
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    log.refresh_from_db()
    assert (log.state, log.created_count) == ("done", 120)
    assert Customer.objects.count() == 122
