"""The job dashboard (django-rq) in the German desk: not one English word (issue 12, item 1).

With real Redis: one job of every kind (queued, running on a registered worker process,
deferred, scheduled, finished with a result, failed) and a cron scheduler in a queue of its
own, then every dashboard page reachable from the start page by its links, the
confirmation pages of the list actions (posted forms) and of the job buttons, and the
messages the actions leave. Office staff stay out (tests/desk/test_menu.py).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from html.parser import HTMLParser

import pytest
from django.urls import resolve, reverse

from fortycrm.setup import ROLE_ADMIN
from tests.desk.test_german_everywhere import english_in

pytestmark = pytest.mark.django_db

QUEUE = "pruefung"  # a queue of its own: other tests empty and work the "default" queue
DASHBOARD = "/desk/django_rq/dashboard/"
NOT_PAGES = ("stats.json", "metrics")  # JSON and Prometheus data, not pages


def aufgabe_ok():
    return 42


def aufgabe_fehler():
    raise ValueError("Absichtlicher Fehler")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)


def _dashboard_links(html: str, base: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    found = []
    for href in parser.links:
        url = base.split("?")[0] + href if href.startswith("?") else href
        if url.startswith(DASHBOARD) and not any(part in url for part in NOT_PAGES):
            found.append(url)
    return found


def _delete_keys(connection, keys):
    keys = [k for k in keys if k]
    if keys:
        connection.delete(*keys)


@pytest.fixture
def jobs_on_redis(settings):
    """The queue with one job of every kind, a worker process and a cron scheduler."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs Redis: set REDIS_URL (done by .ci/run)")
    import django_rq
    from django_rq.cron import DjangoCronScheduler
    from rq import SimpleWorker, Worker
    from rq.executions import prepare_execution

    settings.RQ_QUEUES = {QUEUE: {"URL": url, "DEFAULT_TIMEOUT": 600}}
    queue = django_rq.get_queue(QUEUE, commit_mode="auto")  # now, not after the test's transaction
    connection = queue.connection
    _delete_keys(connection, list(connection.scan_iter(f"rq:*:{QUEUE}*")))

    finished = queue.enqueue(aufgabe_ok)
    failed = queue.enqueue(aufgabe_fehler)
    SimpleWorker([queue], connection=connection, name="pruefung-erledigt").work(burst=True)
    waiting = queue.enqueue(aufgabe_ok)
    deferred = queue.enqueue(aufgabe_ok, depends_on=waiting)
    scheduled = queue.enqueue_in(dt.timedelta(hours=1), aufgabe_ok)
    # a job a (registered) worker process is running right now
    worker = Worker([queue], connection=connection, name="pruefung-prozess")
    worker.register_birth()
    running = queue.enqueue(aufgabe_ok)
    queue.remove(running.id)
    with connection.pipeline() as pipeline:
        running.prepare_for_execution(worker.name, pipeline)
        pipeline.execute()
    prepare_execution(worker, running)
    cron = DjangoCronScheduler(name="pruefung-zeitplaner")
    cron.register(aufgabe_ok, QUEUE, interval=3600, name="stuendlich")
    cron.register_birth()

    jobs = {"finished": finished, "failed": failed, "waiting": waiting, "deferred": deferred,
            "scheduled": scheduled, "running": running}
    assert finished.get_status(refresh=True) == "finished" and failed.get_status(refresh=True) == "failed"
    yield queue, jobs, worker
    cron.register_death()
    worker.register_death()
    leftovers = [key for job in jobs.values() for key in connection.scan_iter(f"rq:*{job.id}*")]  # job, results, dependents …
    _delete_keys(connection, leftovers + list(connection.scan_iter(f"rq:*:{QUEUE}*")))
    connection.srem("rq:queues", queue.key)


@pytest.fixture
def german_admin(client, role_user):
    client.force_login(role_user("chefin", ROLE_ADMIN, is_staff=True))
    client.cookies["django_language"] = "de"
    return client


def _walk(client) -> dict[str, str]:
    """Every dashboard page reachable from the start page by its links: url → HTML."""
    pages, todo = {}, [DASHBOARD]
    while todo:
        url = todo.pop(0)
        if url in pages:
            continue
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        pages[url] = response.content.decode()
        todo += [link for link in _dashboard_links(pages[url], url) if link not in pages]
        assert len(pages) < 200
    return pages


def test_every_dashboard_page_is_german(german_admin, jobs_on_redis):
    queue, jobs, worker = jobs_on_redis
    client = german_admin
    pages = _walk(client)
    url_names = {resolve(url.split("?")[0]).url_name.removeprefix("django_rq_") for url in pages}
    assert {
        "home", "queue_details", "jobs", "started_jobs", "deferred_jobs", "finished_jobs", "failed_jobs",
        "scheduled_jobs", "workers", "worker_details", "job_detail", "result_detail", "delete_job", "clear",
        "requeue_all", "delete_failed_jobs", "cron_scheduler_detail", "cron_job_detail",
    } <= url_names, url_names
    for job in jobs.values():
        assert any(job.id in url for url in pages), job

    # the pages behind the buttons: confirmation of a list action (posted), re-queue and enqueue a job
    q = 0
    confirmations = {
        "delete": [jobs["waiting"].id], "requeue": [jobs["failed"].id], "stop": [jobs["running"].id],
    }
    for action, ids in confirmations.items():
        response = client.post(reverse("admin:django_rq_confirm_action", args=[q]), {"action": action, "_selected_action": ids + ["verschwunden"]})
        assert response.status_code == 200
        pages[f"confirm {action}"] = response.content.decode()
    for name, job in (("requeue_job", jobs["failed"]), ("enqueue_job", jobs["finished"])):
        response = client.get(reverse(f"admin:django_rq_{name}", args=[q, job.id]))
        assert response.status_code == 200
        pages[name] = response.content.decode()

    english = {url: words for url, html in pages.items() if (words := english_in(html))}
    assert english == {}, "\n".join(f"{url}: {', '.join(words)}" for url, words in english.items())

    # what the pages say, in words an office understands, and times in the German format
    page = pages[reverse("admin:django_rq_queue_details", args=[q])]
    assert "Warteschlange pruefung" in page and "Hintergrundprozesse" in page and "Wartend" in page
    detail = pages[reverse("admin:django_rq_job_detail", args=[q, jobs["failed"].id])]
    assert "fehlgeschlagen" in detail and "Erneut einreihen" in detail
    assert re.search(r">\d\d\.\d\d\.\d{4} \d\d:\d\d</time>", detail)
    assert "Möchten Sie die folgenden Aufgaben wirklich aus" in pages["confirm delete"]
    assert "2 Aufgaben löschen" in pages["confirm delete"] and "(nicht mehr vorhanden)" in pages["confirm delete"]
    assert "erneut einreihen?" in pages["requeue_job"] and "löschen?" not in pages["requeue_job"]
    workers = pages[reverse("admin:django_rq_workers", args=[q])]
    assert "pruefung-prozess" in workers and "beschäftigt" in workers
    assert "Wartende Aufgaben" in pages[DASHBOARD] and "Zeitgesteuerte Planer" in pages[DASHBOARD]


def test_actions_leave_german_messages(german_admin, jobs_on_redis):
    queue, jobs, _worker = jobs_on_redis
    client = german_admin
    q = 0
    done = []
    response = client.post(reverse("admin:django_rq_requeue_job", args=[q, jobs["failed"].id]), follow=True)
    done.append((response, f"Die Aufgabe {jobs['failed'].id} wurde erneut eingereiht."))
    response = client.post(reverse("admin:django_rq_actions", args=[q]), {"action": "delete", "job_ids": [jobs["deferred"].id]}, follow=True)
    done.append((response, "1 Aufgabe wurde gelöscht."))
    response = client.post(reverse("admin:django_rq_delete_job", args=[q, jobs["scheduled"].id]), follow=True)
    done.append((response, f"Die Aufgabe {jobs['scheduled'].id} wurde gelöscht."))
    response = client.post(reverse("admin:django_rq_clear", args=[q]), follow=True)
    done.append((response, f"Die Warteschlange {QUEUE} wurde geleert."))
    for response, message in done:
        html = response.content.decode()
        assert response.status_code == 200 and message in html, message
        assert english_in(html) == []
    assert queue.count == 0


def test_english_desk_stays_english(client, role_user, jobs_on_redis):
    _queue, jobs, _worker = jobs_on_redis
    client.force_login(role_user("boss", ROLE_ADMIN, is_staff=True))
    client.cookies["django_language"] = "en"
    page = client.get(reverse("admin:django_rq_queue_details", args=[0])).content.decode()
    assert "Queued" in page and "Worker processes" in page and "Warteschlange" not in page
    detail = client.get(reverse("admin:django_rq_job_detail", args=[0, jobs["failed"].id])).content.decode()
    assert "Requeue" in detail and "failed" in detail


def test_office_stays_out_of_every_dashboard_page(client, office_user, jobs_on_redis):
    _queue, jobs, _worker = jobs_on_redis
    client.force_login(office_user)
    for name, args in (("queue_details", [0]), ("jobs", [0]), ("failed_jobs", [0]), ("workers", [0]),
                       ("job_detail", [0, jobs["failed"].id]), ("clear", [0])):
        assert client.get(reverse(f"admin:django_rq_{name}", args=args)).status_code == 403, name
    assert client.post(reverse("admin:django_rq_clear", args=[0])).status_code == 403
    assert _queue.count == 1



LIBRARY_MESSAGES = {  # django-rq 4.2.0's views.py → what the German desk shows
    "You have successfully deleted 3 jobs!": "3 Aufgaben wurden gelöscht.",
    "You have successfully requeued 1 job!": "1 Aufgabe wurde erneut eingereiht.",
    "You have successfully requeued 2 jobs!": "2 Aufgaben wurden erneut eingereiht.",
    "You have successfully stopped 2 jobs!": "2 Aufgaben wurden gestoppt.",
    "2 jobs failed to stop!": "2 Aufgaben ließen sich nicht stoppen.",
    "You have successfully cleared the queue default": "Die Warteschlange default wurde geleert.",
    "You have successfully deleted 4f8e-a1": "Die Aufgabe 4f8e-a1 wurde gelöscht.",
    "You have successfully requeued 4f8e-a1": "Die Aufgabe 4f8e-a1 wurde erneut eingereiht.",
    "You have successfully enqueued 4f8e-a1": "Die Aufgabe 4f8e-a1 wurde eingereiht.",
    "You have successfully stopped 4f8e-a1": "Die Aufgabe 4f8e-a1 wurde gestoppt.",
    "Failed to stop 4f8e-a1": "Die Aufgabe 4f8e-a1 ließ sich nicht stoppen.",
}


def test_every_library_message_is_translated(rf):
    """Also the messages the walk above does not cause (stopping jobs needs a running worker)."""
    from django.contrib import messages
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.utils import translation

    from fortycrm.admin.jobs import _translated_messages

    request = rf.get("/")
    request._messages = CookieStorage(request)
    for text in LIBRARY_MESSAGES:
        messages.info(request, text)
    with translation.override("de"):
        _translated_messages(request)
    assert [m.message for m in request._messages._queued_messages] == list(LIBRARY_MESSAGES.values())


def test_scheduler_page_is_german(rf, role_user):
    """rq-scheduler's page (not installed here, so no view reaches it): the template alone."""
    from types import SimpleNamespace

    from django.contrib import admin
    from django.template.loader import render_to_string
    from django.utils import translation

    request = rf.get("/")
    request.user = role_user("chefin", ROLE_ADMIN, is_staff=True)
    request.current_app = "admin"
    job = SimpleNamespace(id="4f8e-a1", queue_index=0, schedule="interval: 60 repeat: 3", func_name="fortycrm.jobs.aufgabe",
                          next_run=dt.datetime(2026, 11, 28, 5, 0), ended_at=None, get_status=lambda: "scheduled")
    context = {**admin.site.each_context(request), "scheduler": SimpleNamespace(name="planer"), "jobs": [job],
               "num_jobs": 1, "page": 1, "page_range": [1]}
    with translation.override("de"):
        html = render_to_string("django_rq/scheduler.html", context, request=request)
    assert english_in(html) == []
    assert "alle 60 Sekunden, 3 Wiederholungen" in html and "28.11.2026 06:00" in html and "geplant" in html
