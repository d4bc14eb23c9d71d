"""The desk: Django admin themed with django-unfold."""

from django.contrib import admin as _admin  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from fortycrm.admin.numbers import use_in_desk as _decimals_in_desk  # noqa: E402

_decimals_in_desk()  # before the ModelAdmins are created: they copy unfold's field overrides

from fortycrm.admin import (  # noqa: E402,F401
    apikeys,
    billing,
    contacts,
    customers,
    fields,
    import_views,
    jobs,
    locations,
    meters,
    payers,
    site_settings,
    staff,
    statuses,
    tags,
    webforms,
    webhooks,
)
from fortycrm.admin.filter_chips import filter_chips_everywhere  # noqa: E402
from fortycrm.admin.site import desk_site_setup  # noqa: E402

desk_site_setup(_admin.site)
filter_chips_everywhere(_admin.site)

_admin.site.index_template = "fortycrm/admin/index.html"
_admin.site.site_title = "fortycrm"
_admin.site.site_header = "fortycrm"
_admin.site.index_title = _("Start page")
