"""Not one English word in the German desk (issue 12, item 1).

Walks every desk page as an administrator with one record of every model present: the
start page, each model's list, add, change, delete and history pages, an old version of
each record, every action's confirmation page (and the message an action leaves), every
further desk page without arguments (settings, billing run, revenue, import, job
dashboard) and the sign-in page. The visible text (no scripts, styles, code or URLs) must
not contain any of the English giveaway words below (whole words).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import URLPattern, URLResolver, reverse

from tests import factories

pytestmark = pytest.mark.django_db

# Words and phrases that give English away on a German page (seen in the desk before, issue 12).
ENGLISH = [
    "Choose", "Remove all", "Choose all", "click to clear", "Enabled", "Disabled", "Password-based",
    "Raw passwords", "After you've", "Can add", "Can change", "Can delete", "Can view", "historical", "None",
    "object", "API keys", "API Key", "Permissions", "Queued", "Workers", "Finished", "Failed",
    "Scheduled", "Deferred", "Staff", "Authentication", "Authorization", "Select", "Selected", "selected",
    "Add", "Change", "Delete", "Save", "Search", "History", "Home", "Log out", "Welcome", "Yes", "Today",
    "Now", "Clear", "Show", "Hide", "Filter by", "Actions", "Action", "Go", "Users", "Groups", "User",
    "Group", "Date", "Time", "Comment", "Reason", "Revert", "Press", "the", "and", "of", "you", "your",
    "this", "with", "from", "for", "are", "is", "not", "by", "Are you sure", "Unknown", "Enter", "Submit",
    "Close", "Cancel", "Back", "Next", "Previous", "Loading", "Type", "Required",
    "Upload", "Download", "Active", "Inactive", "active", "inactive", "Name", "Email", "email", "Username",
    "Login", "Sign in", "Forgot", "Revoke", "expired", "revoked", "Expires", "Prefix", "Created",
    "Jobs", "Queue", "Queues", "Statistics", "Dashboard", "Empty", "Status", "Count",
    # the job dashboard's pages (tests/desk/test_job_dashboard.py)
    "Job", "Worker", "Started", "Running", "Ended", "Enqueue", "Enqueued", "Requeue", "Requeue All", "Empty queue",
    "Empty Queue", "Delete All", "Stop", "Callable", "Timeout", "Scheduler", "Every", "seconds", "Result",
    "Connection", "Configuration", "Activity", "Payload", "Birth", "State", "Successful", "Function", "Method",
    "Trigger", "View", "Exception", "Deleted", "Unpickling", "Timestamps", "Hostname", "Cron",
]
# German words that look like English ones in the list above stay allowed
ALLOWED_EXACT = {"Name", "Status", "Login"}
GIVEAWAY = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH if w not in ALLOWED_EXACT) + r")(?![\w-])")

SKIPPED_TAGS = {"script", "style", "code", "pre", "template", "noscript", "textarea"}
SHOWN_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}


class _VisibleText(HTMLParser):
    """Text a user reads: element text outside scripts/styles/code, plus placeholders, titles and button labels."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self._skip += 1
        a = dict(attrs)
        for name in SHOWN_ATTRIBUTES:
            if a.get(name):
                self.parts.append(a[name])
        if tag == "input" and (a.get("type") or "").lower() in ("submit", "button") and a.get("value"):
            self.parts.append(a["value"])

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data)


def english_in(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    found = []
    for part in parser.parts:
        if re.match(r"^\s*(https?://|/)\S*\s*$", part):  # a URL shown as text
            continue
        found += [m.group(1) for m in GIVEAWAY.finditer(part)]
    return sorted(set(found))


@pytest.fixture
def every_record(admin_user):
    """One record of every model the desk shows (all names and texts German, as entered by an office)."""
    from django.contrib.auth.models import Group

    from fortycrm.models import (
        ApiKey,
        Assignment,
        Contact,
        CostBearer,
        CustomerCostBearer,
        CustomerDefaults,
        CustomField,
        Event,
        ImportLog,
        Invoice,
        Letterhead,
        Location,
        LocationSupplier,
        Meter,
        MeterReading,
        Order,
        SiteSettings,
        Supplier,
        WebForm,
        WebhookDelivery,
        WebhookSubscription,
    )
    from fortycrm.services.billing import invoice_create, order_create
    from fortycrm.services.contacts import contact_save
    from fortycrm.services.locations import building_service_save, location_save, supplier_save
    from fortycrm.services.meters import meter_save, reading_record
    from fortycrm.setup import ROLE_OFFICE

    admin_user.first_name, admin_user.last_name = "Clara", "Chefin"
    admin_user.save()
    admin_user.groups.add(Group.objects.get(name=ROLE_OFFICE))
    customer = factories.company("Hausverwaltung Nord GmbH", status="Kunde", tags=["Winterdienst"])
    factories.private("Schmidt", "Erika")
    contact_save(contact=Contact(customer=customer, first_name="Hanna", last_name="Hauser"))
    location = location_save(location=Location(customer=customer, name="Wohnanlage Parkstraße", street="Parkstraße 1", postcode="20095", city="Hamburg"))
    supplier = supplier_save(supplier=Supplier(name="Elektro Schulz", trade="Elektriker", phone="040 999"))
    building_service_save(link=LocationSupplier(location=location, supplier=supplier))
    Assignment.objects.create(location=location, user=admin_user, start=dt.date(2026, 1, 1))
    meter = meter_save(meter=Meter(location=location, kind="electricity", number="E-4711", unit="kWh"))
    reading_record(reading=MeterReading(meter=meter, read_at=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC), value=Decimal("12789.4")))
    reading_record(reading=MeterReading(meter=meter, read_at=dt.datetime(2026, 2, 5, 9, tzinfo=dt.UTC), value=Decimal("12800")))
    order_create(order=Order(customer=customer, location=location, title="Unterhaltsreinigung", recurrence="monthly",
                             price=Decimal("58.00"), start=dt.date(2026, 1, 1)))
    invoice_create(invoice=Invoice(customer=customer, date=dt.date(2026, 1, 31)),
                   lines=[{"description": "Reinigung Januar", "quantity": Decimal("1"), "unit_price": Decimal("58.00")}])
    bearer = CostBearer.objects.create(name="AOK Nordwest", ik="103411401")
    CustomerCostBearer.objects.create(customer=customer, cost_bearer=bearer, valid_from=dt.date(2026, 1, 1))
    Letterhead.objects.create(name="Standard")
    CustomerDefaults.objects.get_or_create()
    SiteSettings.objects.get_or_create(pk=1)
    CustomField.objects.create(object_type="customer", name="objektgroesse", label="Objektgröße")
    ImportLog.objects.create(template="company_customers", file_name="kunden.csv", user=admin_user, state="done", total_rows=1)
    WebForm.objects.create(name="Kontaktformular")
    subscription = WebhookSubscription.objects.create(url="https://crm.example.de/hook", events=["customer.created"], secret="geheim")
    event = Event.objects.create(type="customer.created", data={"id": customer.pk}, created_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    WebhookDelivery.objects.create(subscription=subscription, event=event, record=f"customer:{customer.pk}", state="failed", error="Zeitüberschreitung")
    ApiKey.objects.assign_key(key := ApiKey(name="Webseite"))
    key.save()
    return customer


def _admin_urls_without_arguments(patterns, prefix="/desk/"):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _admin_urls_without_arguments(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and "<" not in str(pattern.pattern) and "(?P" not in str(pattern.pattern):
            path = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
            if "\\" not in path and "logout" not in path:
                yield path


# Actions that reach out to the network or only download a file: their page is the form
# that posts them, which the list already shows.
ACTIONS_NOT_RUN = {"send_test", "send_again", "export_csv"}


def _pages():
    """(url, method, data) of every desk page to look at."""
    pages = [("/desk/", "get", None)]
    pages += [(url, "get", None) for url in sorted(set(_admin_urls_without_arguments(admin.site.get_urls())))]
    for model in admin.site._registry:
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}"
        pages.append((reverse(f"{base}_changelist"), "get", None))
        pages.append((reverse(f"{base}_add"), "get", None))
        obj = model._default_manager.order_by("pk").first() if opts.managed else None
        if obj is None:
            continue
        for view in ("change", "history", "delete"):
            pages.append((reverse(f"{base}_{view}", args=[obj.pk]), "get", None))
        history = getattr(obj, "history", None)
        if history is not None and hasattr(history, "order_by"):
            version = history.order_by("history_id").first()
            if version is not None:
                pages.append((f"{reverse(f'{base}_history', args=[obj.pk])}{version.history_id}/", "get", None))
        if opts.model_name == "user":
            pages.append((reverse(f"{base}_password_change", args=[obj.pk]), "get", None))
    return pages


def _action_pages(request_user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = request_user
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        obj = model._default_manager.order_by("pk").first() if opts.managed else None
        if obj is None:
            continue
        for name in model_admin.get_actions(request):
            if name in ACTIONS_NOT_RUN:
                continue
            yield reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), {"action": name, ACTION_CHECKBOX_NAME: [str(obj.pk)], "index": "0"}


def test_no_english_word_on_any_german_desk_page(client, admin_user, every_record):
    client.force_login(admin_user)
    client.cookies["django_language"] = "de"
    client.raise_request_exception = False
    found, visited = {}, 0
    for url in dict.fromkeys(url for url, _method, _data in _pages()):  # each page once
        response = client.get(url, follow=True)
        visited += 1
        if response.status_code >= 500:
            found[url] = [f"status {response.status_code}"]
            continue
        if "text/html" in response.get("Content-Type", "") and (words := english_in(response.content.decode())):
            found[url] = words
    for url, data in _action_pages(admin_user):
        response = client.post(url, data, follow=True)
        visited += 1
        if "text/html" in response.get("Content-Type", "") and (words := english_in(response.content.decode())):
            found[f"{url} action {data['action']}"] = words
    client.logout()
    for url, data in (("/desk/login/", None), ("/desk/login/", {"username": "niemand", "password": "falsch"})):
        response = client.post(url, data) if data else client.get(url)
        if words := english_in(response.content.decode()):
            found[f"{url} {'error' if data else ''}"] = words
    assert visited > 100
    assert found == {}, "\n".join(f"{url}: {', '.join(words)}" for url, words in found.items())


def test_german_grammar_on_record_pages(client, admin_user, every_record):
    """The wordings the issue found clumsy: "Löschen Kunde", "Ausgewählte Lieferant ändern",
    "Customer_tags object (1)", the history column "Ändern", "Staff-Account"."""
    from fortycrm.models import Location

    client.force_login(admin_user)
    change = client.get(reverse("admin:fortycrm_customer_change", args=[every_record.pk])).content.decode()
    assert "Kunde löschen" in change and "Löschen Kunde" not in change
    assert ">Änderung</th>" in change and ">Ändern</th>" not in change
    location = client.get(reverse("admin:fortycrm_location_change", args=[Location.objects.get().pk])).content.decode()
    assert "Ausgewählte" not in location and "Kunde ändern" in location
    delete = client.get(reverse("admin:fortycrm_customer_delete", args=[every_record.pk])).content.decode()
    assert "Schlagwörter von Kunde: Hausverwaltung Nord GmbH – Winterdienst" in delete
    from django.contrib.auth.models import Group

    group = client.get(reverse("admin:auth_group_change", args=[Group.objects.get(name="Büro").pk])).content.decode()
    assert "Kunden: anlegen" in group and "historical" not in group.lower()
    client.logout()
    refused = client.post(reverse("admin:login"), {"username": "admin", "password": "falsch"}).content.decode()
    assert "Staff" not in refused and "korrekt ein" in refused
