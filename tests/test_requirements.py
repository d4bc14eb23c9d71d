"""Every requirement id cited in the code, the tests or the README is defined in docs/requirements.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "docs" / "requirements.md"
BINARY = {".mo", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".xlsx", ".xls", ".pyc", ".woff", ".woff2", ".ttf", ".sqlite3"}
# R-CUS (a group), R-CUS-5, and the short form R-CUS-5/7 (= R-CUS-5 and R-CUS-7)
CITATION = re.compile(r"\bR-([A-Z]+)(?:-(\d+(?:/\d+)*))?\b")
DEFINITION = re.compile(r"^(?:## R-([A-Z]+) |- \*\*R-([A-Z]+-\d+)\*\*)", re.MULTILINE)


def cited_ids(text: str) -> set[str]:
    ids = set()
    for group, numbers in CITATION.findall(text):
        ids.add(f"R-{group}")
        ids.update(f"R-{group}-{n}" for n in numbers.split("/") if numbers)
    return ids


def defined_ids() -> set[str]:
    return {f"R-{group or item}" for group, item in DEFINITION.findall(REQUIREMENTS.read_text(encoding="utf-8"))}


def sources() -> list[Path]:
    files = [ROOT / "README.md"]
    for folder in ("apps", "tests", "config", "benchmarks", "bin"):
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix.lower() not in BINARY and "__pycache__" not in p.parts]
    return files


def test_the_parser_reads_citations_and_definitions():
    assert cited_ids("(R-CUS-5/7, R-NUM) YEAR-MO-DA R-IMP-2") == {"R-CUS", "R-CUS-5", "R-CUS-7", "R-NUM", "R-IMP", "R-IMP-2"}
    defined = defined_ids()
    assert {"R-CUS", "R-CUS-1", "R-CUS-7", "R-STA-6", "R-EINV-1"} <= defined
    assert not any(i.endswith("-0") for i in defined)


def test_every_cited_requirement_id_is_defined():
    defined = defined_ids()
    missing: dict[str, list[str]] = {}
    for path in sources():
        text = path.read_text(encoding="utf-8", errors="ignore")
        for rid in sorted(cited_ids(text) - defined):
            missing.setdefault(rid, []).append(str(path.relative_to(ROOT)))
    assert missing == {}, f"cited but not defined in docs/requirements.md: {missing}"
    assert len(defined) > 60
