"""The German catalogue is complete and compiled (R-DSK-5)."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import fortycrm

LOCALE = Path(fortycrm.__file__).resolve().parent / "locale" / "de" / "LC_MESSAGES"


def _entries() -> list[dict]:
    """A small .po reader: msgid, msgid_plural, msgstr[...] and flags per entry."""
    entries, current, key = [], None, None
    for line in (LOCALE / "django.po").read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if current is not None:
                entries.append(current)
            current, key = None, None
            continue
        current = current if current is not None else {"flags": "", "msgctxt": None, "msgid": "", "msgid_plural": None, "msgstr": {}}
        if line.startswith("#,"):
            current["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            key = "msgctxt"
            current[key] = ast.literal_eval(line[len("msgctxt ") :])
        elif line.startswith("msgid_plural "):
            key = "msgid_plural"
            current[key] = ast.literal_eval(line[len("msgid_plural ") :])
        elif line.startswith("msgid "):
            key = "msgid"
            current[key] = ast.literal_eval(line[len("msgid ") :])
        elif line.startswith("msgstr"):
            index = line[line.index("[") + 1 : line.index("]")] if line.startswith("msgstr[") else "0"
            key = ("msgstr", index)
            current["msgstr"][index] = ast.literal_eval(line.split(" ", 1)[1])
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(key, tuple):
                current["msgstr"][key[1]] += value
            else:
                current[key] += value
    return [e for e in entries if e["msgid"]]


def test_every_message_has_a_german_translation():
    entries = _entries()
    assert len(entries) > 300
    missing = [e["msgid"] for e in entries if not all(e["msgstr"].values()) or not e["msgstr"]]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert missing == [] and fuzzy == []


def test_compiled_catalogue_matches_the_source():
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in _entries():
        context = entry["msgctxt"]
        if entry["msgid_plural"]:
            args = (entry["msgid"], entry["msgid_plural"], 1)
            got = compiled.npgettext(context, *args) if context else compiled.ngettext(*args)
        else:
            got = compiled.pgettext(context, entry["msgid"]) if context else compiled.gettext(entry["msgid"])
        if got != entry["msgstr"]["0"]:
            stale.append(entry["msgid"])
    assert stale == [], "run: cd apps/fortycrm/fortycrm && django-admin compilemessages"
