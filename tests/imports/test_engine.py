"""Import engine, second pass (issue 16): real changes only in update mode, problems grouped by
cause, interrupted runs marked failed, progress in the shell, a preview that skips the writes."""

import io
import os
import signal
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fortycrm.imports import driver, import_log
from fortycrm.models import Customer, ImportLog
from tests import factories
from tests.imports.conftest import run_bytes

pytestmark = pytest.mark.django_db


def _csv(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


# --- item 5: update mode counts and writes only real changes -------------------------------
def test_update_mode_writes_only_changed_rows(base_data, olga):
    hansa = base_data["hansa"]
    nord = factories.company("Nord Bau GmbH", status="Kunde", number=10003, city="Kiel", phone="0431 1")
    hansa.refresh_from_db()
    stamps = {c.pk: c.updated_at for c in (hansa, nord)}
    history = {c.pk: c.history.count() for c in (hansa, nord)}
    data = _csv([
        "Kundennummer;Name *;PLZ;Ort;Telefon;E-Mail;Status;Schlagwörter",
        "10001;Hansa Reinigung GmbH;20457;;;info@hansa.de;Kunde;",  # all as stored: unchanged
        "10003;Nord Bau GmbH;;Kiel;0431 2;;;",  # the phone number changed
    ])
    result = run_bytes("company_customers", data, mode="update", user=olga)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    hansa.refresh_from_db()
    nord.refresh_from_db()
    assert hansa.updated_at == stamps[hansa.pk] and hansa.history.count() == history[hansa.pk]
    assert nord.phone == "0431 2" and nord.updated_at > stamps[nord.pk] and nord.history.count() == history[nord.pk] + 1
    # the same file again: nothing left to change
    again = run_bytes("company_customers", data, mode="update", user=olga)
    assert (again.updated, again.unchanged) == (0, 2) and nord.history.count() == history[nord.pk] + 1


def test_update_mode_tags_and_account_manager_count_as_changes(base_data, olga):
    data = _csv(["Kundennummer;Name *;Kundenbetreuer;Schlagwörter", "10001;;olga;Nord, Stammkunde"])
    first = run_bytes("company_customers", data, mode="update", user=olga)
    assert first.ok, first.errors
    assert (first.updated, first.unchanged) == (1, 0)
    second = run_bytes("company_customers", _csv(["Kundennummer;Name *;Kundenbetreuer;Schlagwörter", "10001;;OLGA;stammkunde, nord"]), mode="update")
    assert (second.updated, second.unchanged) == (0, 1)


# --- item 13: one cause, many rows ----------------------------------------------------------
def _bernd_file(rows: int) -> bytes:
    lines = ["Name *;Kundenbetreuer;Status"]
    lines += [f"Firma {i} GmbH;bernd;" for i in range(rows)]
    lines.append("Firma X GmbH;olga;Stammkunde")
    return _csv(lines)


def test_problems_are_grouped_by_cause_with_a_hint(base_data):
    result = run_bytes("company_customers", _bernd_file(12))
    groups = result.problem_groups()
    first = groups[0]
    assert (first["column"], first["value"], first["count"]) == ("Kundenbetreuer", "bernd", 12)
    assert first["rows"] == list(range(2, 12))  # the first ten row numbers
    assert "olga" in first["hint"] and "nogroup" not in first["hint"]  # the users who may be account manager
    status = next(g for g in groups if g["column"] == "Status")
    assert status["count"] == 1 and status["rows"] == [14] and "Kunde" in status["hint"]


def test_command_prints_causes_once_with_rows_and_progress_lines(base_data, monkeypatch):
    from django.core.files.base import ContentFile

    monkeypatch.setattr(driver, "BATCH_SIZE", 5)
    monkeypatch.setattr("fortycrm.management.commands.fortycrm_import.PLAIN_PROGRESS_SECONDS", 0)
    path = ContentFile(_bernd_file(12))
    target = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"bernd-{os.getpid()}.csv")
    with open(target, "wb") as f:
        f.write(path.read())
    out, err = io.StringIO(), io.StringIO()
    try:
        with pytest.raises(CommandError):
            call_command("fortycrm_import", "company_customers", target, stdout=out, stderr=err)
    finally:
        os.unlink(target)
    err_text, out_text = err.getvalue(), out.getvalue()
    assert "Kundenbetreuer „bernd“: " in err_text and "– 12 Zeilen: 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, …" in err_text
    assert "→ Kundenbetreuer auf dieser Site: olga" in err_text
    assert err_text.count("bernd") == 2  # one line for the cause (value and message), not twelve rows
    assert "Zeile 14, Spalte C (Status)" in err_text
    assert "5 von 13 Zeilen (38 %)" in out_text and "Zeilen/s" in out_text and "13 von 13 Zeilen (100 %)" in out_text
    log = ImportLog.objects.get()
    assert log.problem_groups[0]["count"] == 12 and log.problem_groups[0]["hint"].startswith("Kundenbetreuer auf dieser Site")


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_command_shows_a_progress_bar_with_rows_per_second_on_a_terminal(base_data, tmp_path):
    path = tmp_path / "kunden.csv"
    path.write_bytes(_csv(["Name *;Ort"] + [f"Firma {i} GmbH;Kiel" for i in range(3)]))
    out = _Terminal()
    call_command("fortycrm_import", "company_customers", str(path), stdout=out)
    text = out.getvalue()
    assert "Zeilen/s" in text and "3/3" in text and "━" in text  # rich's bar
    assert "3 rows checked: 3 were created, 0 were changed, 0 unchanged" in text


# --- item 3: a killed import is marked failed ------------------------------------------------
def test_a_killed_import_is_marked_failed_on_next_access(base_data, admin_client):
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        log = ImportLog.objects.create(template="company_customers", file_name="k.csv", state=ImportLog.State.RUNNING, total_rows=5000)
        runner = import_log.this_runner().rsplit(":", 2)[0] + f":{victim.pid}:{import_log._process_start(victim.pid)}"
        ImportLog.objects.filter(pk=log.pk).update(runner=runner)
        log.refresh_from_db()
        assert import_log.import_progress(log)["state"] == "running"  # alive: left alone
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=5)
    finally:
        if victim.poll() is None:
            victim.kill()
    assert import_log.import_progress(log)["state"] == "failed"
    log.refresh_from_db()
    assert log.finished_at is not None and log.errors[0]["code"] == import_log.INTERRUPTED
    page = admin_client.get(f"/desk/fortycrm/importlog/{log.pk}/change/").content.decode()
    assert "Der Import hat nicht stattgefunden" in page and "nichts importiert" in page


def test_a_reused_process_id_does_not_keep_a_log_running(base_data):
    log = ImportLog.objects.create(template="company_customers", file_name="k.csv", state=ImportLog.State.RUNNING)
    host, pid, _start = import_log.this_runner().rsplit(":", 2)
    ImportLog.objects.filter(pk=log.pk).update(runner=f"{host}:{pid}:1")  # this pid, but started at another time
    assert import_log.mark_interrupted_runs() == 1
    log.refresh_from_db()
    assert log.state == "failed"


def test_a_run_records_its_process(base_data):
    log = ImportLog(template="company_customers", file_name="k.csv")
    from django.core.files.base import ContentFile

    log.file.save("k.csv", ContentFile(_csv(["Name *", "Firma A GmbH"])), save=False)
    log.save()
    driver.import_run(log=log, dry_run=True)
    log.refresh_from_db()
    assert log.runner == import_log.this_runner() and log.state == "previewed"
    assert not import_log.mark_interrupted(log)  # finished logs are never touched


# --- item 11: a preview writes nothing and agrees with the commit ----------------------------
def test_preview_skips_the_writes_and_agrees_with_the_commit(base_data, monkeypatch):
    monkeypatch.setattr(driver, "BATCH_SIZE", 2)
    lines = ["Kundennummer;Name *;Status;Schlagwörter"] + [f";Firma {i} GmbH;Kunde;Neu, Nord" for i in range(5)]
    lines.append("10004;Firma Nummer GmbH;Kunde;")  # 10003 is the first free number, 10004 the second: given to row 3
    before = Customer.objects.count(), Customer.history.count()
    preview = run_bytes("company_customers", _csv(lines), dry_run=True)
    assert (Customer.objects.count(), Customer.history.count()) == before
    commit = run_bytes("company_customers", _csv(lines))
    assert [(p.row, p.column) for p in preview.errors] == [(p.row, p.column) for p in commit.errors] == [(7, "Kundennummer")]
    assert "Zeile 3" in preview.errors[0].message
    ok_lines = lines[:-1]
    preview = run_bytes("company_customers", _csv(ok_lines), dry_run=True)
    commit = run_bytes("company_customers", _csv(ok_lines))
    assert preview.created == commit.created == 5 and preview.preview == commit.preview


def test_desk_preview_lists_causes_first_with_hint_then_rows_with_the_problem_column_first(client, olga):
    from django.urls import reverse

    from tests.imports.conftest import fixture_path

    client.force_login(olga)
    with fixture_path("unknown_account_manager.csv").open("rb") as f:
        response = client.post(reverse("admin:fortycrm_importlog_add"), {"template": "company_customers", "mode": "insert", "file": f}, follow=True)
    html = response.content.decode()
    log = ImportLog.objects.get()
    assert log.error_count == 10 and Customer.objects.count() == 0
    groups = html.index('id="fortycrm-import-groups"')
    table = html.index('class="fortycrm-import-preview"')
    assert groups < table
    cause = html[groups:table]
    assert "Kundenbetreuer</strong> „bernd“" in cause and "10 Zeilen: 2, 6, 10, 14, 18, 22, 26, 30, 34, 38" in cause
    assert "Kundenbetreuer auf dieser Site: olga" in cause
    head = html[table:html.index("</thead>", table)]
    assert head.index("Hinweise") < head.index("Kundenbetreuer") < head.index("Name *")  # the problem column first
    assert 'class="fortycrm-cell-bad" tabindex="0" data-problem="Es gibt keinen' in html


@pytest.mark.django_db(transaction=True)
def test_a_queued_import_whose_rq_job_vanished_is_marked_failed(settings, base_data):
    """With Redis: the log keeps the RQ job id; a job that is gone (worker crashed, queue
    emptied) means the import never happens, and the log says so."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis: set REDIS_URL (done by .ci/run)")
    import django_rq
    from django.core.files.base import ContentFile

    from fortycrm import jobs

    settings.FORTYCRM_JOBS_ASYNC = True
    settings.FORTYCRM_IMPORT_JOB_THRESHOLD = 1
    queue = django_rq.get_queue("default")
    log = ImportLog(template="company_customers", file_name="k.csv", total_rows=3)
    log.file.save("k.csv", ContentFile(_csv(["Name *", "A GmbH", "B GmbH", "C GmbH"])), save=False)
    log.save()
    jobs.import_start(log.pk, dry_run=True)
    log.refresh_from_db()
    assert log.job_id and queue.fetch_job(log.job_id) is not None
    assert import_log.import_progress(log)["state"] == "pending"  # queued: left alone
    queue.fetch_job(log.job_id).delete()
    assert import_log.import_progress(log)["state"] == "failed"
    assert log.errors[0]["code"] == import_log.INTERRUPTED


def test_a_cause_shows_its_row_count_the_german_way():
    from fortycrm.admin.import_views import group_for_display
    from fortycrm.management.commands.fortycrm_import import group_line

    group = {"level": "error", "column": "Kundenbetreuer", "value": "bernd", "message": "Unbekannt.", "count": 1250, "rows": [2, 6, 10], "hint": ""}
    assert group_for_display(group)["count_text"] == "1.250" and group_for_display(group)["row_list"] == "2, 6, 10, …"
    assert group_line(group) == "Kundenbetreuer „bernd“: Unbekannt. – 1.250 Zeilen: 2, 6, 10, …"
