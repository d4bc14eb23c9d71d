"""django-unfold settings for the desk. The host project imports ``UNFOLD`` from here."""

from __future__ import annotations

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _


def _perm(codename: str):
    return lambda request: request.user.has_perm(codename)


def _item(title, icon: str, url_name: str, perm: str) -> dict:
    return {"title": title, "icon": icon, "link": reverse_lazy(url_name), "permission": _perm(perm)}


# Other modules of the app append to these groups (see NAVIGATION_CUSTOMERS / _SETTINGS).
NAVIGATION_CUSTOMERS = [
    {"title": _("Start page"), "icon": "home", "link": reverse_lazy("admin:index")},
    _item(_("Customers"), "groups", "admin:fortycrm_customer_changelist", "fortycrm.view_customer"),
    _item(_("Contacts"), "contacts", "admin:fortycrm_contact_changelist", "fortycrm.view_contact"),
]
NAVIGATION_CUSTOMERS += [
    _item(_("Locations"), "location_city", "admin:fortycrm_location_changelist", "fortycrm.view_location"),
    _item(_("Suppliers"), "engineering", "admin:fortycrm_supplier_changelist", "fortycrm.view_supplier"),
    _item(_("Assignments"), "badge", "admin:fortycrm_assignment_changelist", "fortycrm.view_assignment"),
    _item(_("Meters"), "speed", "admin:fortycrm_meter_changelist", "fortycrm.view_meter"),
    _item(_("Meter readings"), "electric_meter", "admin:fortycrm_meterreading_changelist", "fortycrm.view_meterreading"),
    _item(_("Orders"), "assignment", "admin:fortycrm_order_changelist", "fortycrm.view_order"),
    _item(_("Invoices"), "receipt_long", "admin:fortycrm_invoice_changelist", "fortycrm.view_invoice"),
    _item(_("Billing run"), "event_repeat", "admin:fortycrm_invoice_billing_run", "fortycrm.add_invoice"),
    _item(_("Revenue"), "euro", "admin:fortycrm_invoice_revenue", "fortycrm.view_invoice"),
]
NAVIGATION_CUSTOMERS += [  # R-PAY-1
    _item(_("Cost bearers"), "health_and_safety", "admin:fortycrm_costbearer_changelist", "fortycrm.view_costbearer"),
]
NAVIGATION_SETTINGS = [
    _item(_("Customer statuses"), "label", "admin:fortycrm_customerstatus_changelist", "fortycrm.view_customerstatus"),
    _item(_("Tags"), "sell", "admin:fortycrm_tag_changelist", "fortycrm.view_tag"),
    _item(_("Site settings"), "settings", "admin:fortycrm_sitesettings_changelist", "fortycrm.change_sitesettings"),
    # R-PAY-2
    _item(_("Customer settings"), "tune", "admin:fortycrm_customerdefaults_changelist", "fortycrm.view_customerdefaults"),
    _item(_("Letterheads"), "description", "admin:fortycrm_letterhead_changelist", "fortycrm.view_letterhead"),
    _item(_("Users"), "person", "admin:auth_user_changelist", "auth.view_user"),
    _item(_("Groups"), "group", "admin:auth_group_changelist", "auth.view_group"),
    _item(_("Data import"), "upload_file", "admin:fortycrm_importlog_changelist", "fortycrm.view_importlog"),
]

NAVIGATION_SETTINGS.append(_item(_("Website forms"), "web", "admin:fortycrm_webform_changelist", "fortycrm.view_webform"))
NAVIGATION_SETTINGS.append(_item(_("Custom fields"), "tune", "admin:fortycrm_customfield_changelist", "fortycrm.change_customfield"))
NAVIGATION_SETTINGS.append(
    _item(_("Standard fields"), "rule", "admin:fortycrm_standardfieldrule_changelist", "fortycrm.change_standardfieldrule")
)
NAVIGATION_SETTINGS.append(_item(_("API keys"), "key", "admin:fortycrm_apikey_changelist", "fortycrm.view_apikey"))
NAVIGATION_SETTINGS.append(
    {**_item(_("Webhooks"), "webhook", "admin:fortycrm_webhooksubscription_changelist", "fortycrm.view_webhooksubscription"),
     "badge": "fortycrm.admin.webhooks.paused_badge"}
)

UNFOLD = {
    "SITE_TITLE": "fortycrm",
    "SITE_HEADER": "fortycrm",
    "SITE_SYMBOL": "handshake",
    "SHOW_LANGUAGES": True,
    "SHOW_VIEW_ON_SITE": False,
    "DASHBOARD_CALLBACK": "fortycrm.admin.dashboard.dashboard_callback",
    "STYLES": [],
    "SCRIPTS": [],
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": True,
        "navigation": [
            {"title": _("Customer management"), "separator": False, "items": NAVIGATION_CUSTOMERS},
            {"title": _("Settings"), "separator": True, "collapsible": True, "items": NAVIGATION_SETTINGS},
        ],
    },
}
