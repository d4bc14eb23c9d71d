from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fortycrm.models import Customer, SiteSettings, Tag
from fortycrm.tagnames import tag_clean, tag_name_problem, tag_normalize

TAG_PALETTE = ["#2563EB", "#16A34A", "#D97706", "#DC2626", "#7C3AED", "#0891B2", "#DB2777", "#4D7C0F", "#9333EA", "#0F766E"]


def tag_color_for(name: str) -> str:
    """A stable, readable colour for a new tag (white text on it stays legible)."""
    import zlib

    return TAG_PALETTE[zlib.crc32(tag_normalize(name).encode()) % len(TAG_PALETTE)]


def tags_resolve(names: Iterable[str], *, create: bool = True) -> list[Tag]:
    """Existing tags by name (any case); new ones are created when ``create`` is set."""
    wanted: dict[str, str] = {}
    for name in names:
        clean = tag_clean(name)
        if not clean:
            continue
        problem = tag_name_problem(clean)
        if problem:
            raise ValidationError({"tags": problem})
        wanted.setdefault(tag_normalize(clean), clean)
    if not wanted:
        return []
    existing = {t.normalized: t for t in Tag.objects.filter(normalized__in=list(wanted))}
    missing = [key for key in wanted if key not in existing]
    if missing and not create:
        raise ValidationError({"tags": _("Unknown tag(s): %(names)s.") % {"names": ", ".join(wanted[k] for k in missing)}})
    for key in missing:
        tag, _created = Tag.objects.get_or_create(normalized=key, defaults={"name": wanted[key], "color": tag_color_for(key)})
        existing[key] = tag
    return [existing[key] for key in wanted]


@transaction.atomic
def tag_merge(*, target: Tag, sources: Iterable[Tag]) -> int:
    """Move every customer of ``sources`` to ``target`` and delete the sources. Returns the count merged."""
    merged = 0
    for source in sources:
        if source.pk == target.pk:
            continue
        through = Customer.tags.through
        customer_ids = list(through.objects.filter(tag=source).values_list("customer_id", flat=True))
        target.customers.add(*customer_ids)
        for site in SiteSettings.objects.filter(intake_tags=source):
            site.intake_tags.add(target)
        source.delete()
        merged += 1
    return merged


def tag_save(*, tag: Tag) -> Tag:
    tag.full_clean()
    tag.save()
    return tag
