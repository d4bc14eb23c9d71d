"""Template tags of the desk."""

from __future__ import annotations

from django import template
from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR
from django.utils.translation import gettext as _

register = template.Library()


def active_filter_chips(cl) -> list[dict[str, str]]:
    """One chip per active filter of the changelist ``cl``: label, value and the URL without it."""
    chips = []
    all_label = _("All")
    for spec in getattr(cl, "filter_specs", ()):
        if not getattr(spec, "used_parameters", None):
            continue
        try:
            values = [str(c.get("display")) for c in spec.choices(cl) if c.get("selected") and str(c.get("display")) != all_label]
        except Exception:  # noqa: BLE001  (a library filter without usable choices: show the raw value)
            values = []
        if not values:
            values = [", ".join(v if isinstance(v, str) else ", ".join(map(str, v)) for v in spec.used_parameters.values())]
        chips.append({
            "label": str(spec.title),
            "value": ", ".join(values),
            "url": cl.get_query_string(new_params={PAGE_VAR: None}, remove=list(spec.expected_parameters())),
        })
    if getattr(cl, "query", ""):
        chips.append({"label": _("Search term"), "value": cl.query, "url": cl.get_query_string(new_params={PAGE_VAR: None, SEARCH_VAR: None})})
    return chips


def clear_all_url(cl) -> str:
    remove = [p for spec in getattr(cl, "filter_specs", ()) for p in spec.expected_parameters()]
    return cl.get_query_string(new_params={PAGE_VAR: None, SEARCH_VAR: None}, remove=remove)



@register.inclusion_tag("fortycrm/admin/includes/filter_chip_list.html")
def filter_chips(cl):
    chips = active_filter_chips(cl)
    return {"chips": chips, "clear_url": clear_all_url(cl) if len(chips) > 1 else ""}
