"""django-unfold settings for the desk. The host project imports ``UNFOLD`` from here."""

from __future__ import annotations

from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fortycrm.urlcache import reverse_once_lazy


def _perm(codename: str):
    return lambda request: request.user.has_perm(codename)


#: keys unfold's sidebar template asks of every item and group. A key missing from the dict makes
#: Django's template engine list the dict's attributes (``dir()``) and raise and catch two
#: exceptions, ~20 µs a lookup: about 60 lookups, 1–2 ms, on every desk page (issue 13). Given
#: here with the value unfold would take for a missing key (no badge, the plain link, not collapsible).
ITEM_DEFAULTS = {"badge": None, "badge_style": None, "badge_variant": None, "link_callback": None}
GROUP_DEFAULTS = {"badge": None, "collapsible": False}


def _item(title, icon: str, url_name: str, perm: str) -> dict:
    return {**ITEM_DEFAULTS, "title": title, "icon": icon, "link": reverse_once_lazy(url_name), "permission": _perm(perm)}


# Other modules of the app append to these groups (see NAVIGATION_CUSTOMERS / _SETTINGS).
NAVIGATION_CUSTOMERS = [
    {**ITEM_DEFAULTS, "title": _("Start page"), "icon": "home", "link": reverse_once_lazy("admin:index")},
    _item(_("Customers"), "groups", "admin:fortycrm_customer_changelist", "fortycrm.view_customer"),
    _item(_("Contacts"), "contacts", "admin:fortycrm_contact_changelist", "fortycrm.view_contact"),
    _item(_("Locations"), "location_city", "admin:fortycrm_location_changelist", "fortycrm.view_location"),
    _item(_("Suppliers"), "engineering", "admin:fortycrm_supplier_changelist", "fortycrm.view_supplier"),
    _item(_("Assignments"), "badge", "admin:fortycrm_assignment_changelist", "fortycrm.view_assignment"),
    _item(_("Meters"), "speed", "admin:fortycrm_meter_changelist", "fortycrm.view_meter"),
    _item(_("Meter readings"), "electric_meter", "admin:fortycrm_meterreading_changelist", "fortycrm.view_meterreading"),
    _item(_("Orders"), "assignment", "admin:fortycrm_order_changelist", "fortycrm.view_order"),
    _item(_("Invoices"), "receipt_long", "admin:fortycrm_invoice_changelist", "fortycrm.view_invoice"),
    _item(_("Billing run"), "event_repeat", "admin:fortycrm_invoice_billing_run", "fortycrm.add_invoice"),
    _item(_("Revenue"), "euro", "admin:fortycrm_invoice_revenue", "fortycrm.view_invoice"),
    # daily work, so in this group (reachable without scrolling at 900 px, issue 12)
    _item(_("Data import"), "upload_file", "admin:fortycrm_importlog_changelist", "fortycrm.view_importlog"),
    # R-PAY-1
    _item(_("Cost bearers"), "health_and_safety", "admin:fortycrm_costbearer_changelist", "fortycrm.view_costbearer"),
]
# Settings: only what the user may change (office roles only view statuses, site and customer
# settings and letterheads, so they do not see them here; issue 12, item 4). API keys near the
# top, so they are reachable without scrolling.
NAVIGATION_SETTINGS = [
    _item(_("Tags"), "sell", "admin:fortycrm_tag_changelist", "fortycrm.change_tag"),
    _item(_("API keys"), "key", "admin:fortycrm_apikey_changelist", "fortycrm.view_apikey"),
    {**_item(_("Webhooks"), "webhook", "admin:fortycrm_webhooksubscription_changelist", "fortycrm.view_webhooksubscription"),
     "badge": "fortycrm.admin.webhooks.paused_badge"},
    _item(_("Staff"), "person", "admin:fortycrm_staffmember_changelist", "fortycrm.change_staffmember"),
    _item(_("Groups"), "group", "admin:auth_group_changelist", "auth.change_group"),
    _item(_("Customer statuses"), "label", "admin:fortycrm_customerstatus_changelist", "fortycrm.change_customerstatus"),
    # "Einstellungen" is the group's title; the item has its own name
    _item(pgettext_lazy("menu", "Site settings"), "settings", "admin:fortycrm_sitesettings_changelist", "fortycrm.change_sitesettings"),
    # R-PAY-2
    _item(_("Customer settings"), "tune", "admin:fortycrm_customerdefaults_changelist", "fortycrm.change_customerdefaults"),
    _item(_("Price list"), "price_change", "admin:fortycrm_serviceprice_changelist", "fortycrm.change_serviceprice"),
    _item(_("Letterheads"), "description", "admin:fortycrm_letterhead_changelist", "fortycrm.change_letterhead"),
    _item(_("Website forms"), "web", "admin:fortycrm_webform_changelist", "fortycrm.change_webform"),
    _item(_("Custom fields"), "tune", "admin:fortycrm_customfield_changelist", "fortycrm.change_customfield"),
    _item(_("Standard fields"), "rule", "admin:fortycrm_standardfieldrule_changelist", "fortycrm.change_standardfieldrule"),
]


def all_applications_shown(request) -> bool:
    """ "Alle Anwendungen" (every model, library pages too) only for Administration (issue 12, item 4)."""
    return request.user.is_superuser or request.user.has_perm("auth.change_user")


UNFOLD = {
    "SITE_TITLE": "fortycrm",
    "SITE_HEADER": "fortycrm",
    "SITE_SYMBOL": "handshake",
    "SHOW_LANGUAGES": True,
    "SHOW_VIEW_ON_SITE": False,
    "DASHBOARD_CALLBACK": "fortycrm.admin.dashboard.dashboard_callback",
    "STYLES": [lambda request: static("fortycrm/desk.css")],  # list layout, filter chips, phone screens
    "SCRIPTS": [],
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": all_applications_shown,
        "navigation": [
            {**GROUP_DEFAULTS, "title": _("Customer management"), "separator": False, "items": NAVIGATION_CUSTOMERS},
            {**GROUP_DEFAULTS, "title": _("Settings"), "separator": True, "collapsible": True, "items": NAVIGATION_SETTINGS},
        ],
    },
}
