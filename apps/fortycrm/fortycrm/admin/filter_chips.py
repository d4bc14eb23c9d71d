"""Active filters named above every desk list: "Schlagwort: Winterdienst ×" (issue 12, item 8).

Each chip names one active filter (or the search) and links to the same list without it.
``filter_chips_everywhere`` puts the chips above the changelist of every ModelAdmin of a site
(unfold's ``list_before_template``), including those registered by other apps; the chips
themselves are made by ``fortycrm.templatetags.fortycrm_desk``.
"""

from __future__ import annotations

import types

CHIPS_TEMPLATE = "fortycrm/admin/includes/filter_chips.html"


def filter_chips_everywhere(site) -> None:
    """Show the chips above every list of ``site`` (set when the site's URLs are built, so
    ModelAdmins registered later by other apps get them too). A ModelAdmin that already has
    its own ``list_before_template`` keeps it and includes ``CHIPS_TEMPLATE`` there itself."""
    original = site.get_urls

    def get_urls(self):
        for model_admin in self._registry.values():
            if getattr(model_admin, "list_before_template", None) is None:
                model_admin.list_before_template = CHIPS_TEMPLATE
        return original()

    site.get_urls = types.MethodType(get_urls, site)
