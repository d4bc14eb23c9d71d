"""Tag names: one place for their length, normalisation and parsing.

Used by the tag model, the tag service, the desk form, the API serializers and the import
parser, so a tag is the same tag everywhere (unique regardless of case and spacing).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

TAG_NAME_MAX_LENGTH = 60
MAX_TAGS_PER_REQUEST = 100


def tag_clean(name: str) -> str:
    """The name as stored: runs of whitespace collapsed to one space, no outer spaces."""
    return " ".join(str(name or "").split())


def tag_normalize(name: str) -> str:
    """The key that makes tag names unique: cleaned and case-folded."""
    return tag_clean(name).casefold()


def tag_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a tag name, or None."""
    if type(name) is str and len(name) <= TAG_NAME_MAX_LENGTH:
        return None  # cleaning never makes a name longer
    clean = tag_clean(name)
    if len(clean) > TAG_NAME_MAX_LENGTH:
        return _("The tag “%(name)s…” is longer than %(max)d characters. Shorten it.") % {"name": clean[:30], "max": TAG_NAME_MAX_LENGTH}
    return None


def parse_tag_names(text: str) -> list[str]:
    """Split a comma separated tag input, dropping empties and case-insensitive repeats."""
    seen: set[str] = set()
    names: list[str] = []
    for raw in (text or "").split(","):
        name = " ".join(raw.split())  # tag_clean
        key = name.casefold()  # tag_normalize of a cleaned name
        if name and key not in seen:
            seen.add(key)
            names.append(name)
    return names
