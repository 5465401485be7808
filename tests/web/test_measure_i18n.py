"""Every piece of text the measure and area pages show has a Spanish entry: the ``t("...")`` and
``translate(lang, "...")`` literals of their templates and page-model modules, and every phrase of
their word tables; placeholders survive translation."""

from __future__ import annotations

import re
from pathlib import Path

from citystat.i18n import read_catalogue
from citystat.site import area_page, measure_page, page_parts

SRC = Path(__file__).resolve().parents[2] / "src" / "citystat"
FILES = [
    *(SRC / "web" / "templates" / name for name in ("measure.html", "areas.html", "layer.html", "area.html")),
    SRC / "web" / "templates" / "parts" / "tables.html",
    SRC / "site" / "measure_page.py",
    SRC / "site" / "area_page.py",
    SRC / "site" / "page_parts.py",
]
# A literal, possibly split over several adjacent string literals (Python's implicit joining).
LITERAL = re.compile(r"""\b(?:t|translate)\(\s*(?:lang\s*,\s*)?((?:(["'])(?:(?!\2).)*\2\s*)+)[,)]""", re.S)
PIECE = re.compile(r"""(["'])((?:(?!\1).)*)\1""")


def list_texts() -> set[str]:
    found = set()
    for path in FILES:
        for match in LITERAL.finditer(path.read_text(encoding="utf-8")):
            found.add("".join(piece[1] for piece in PIECE.findall(match.group(1))))
    for table in (
        page_parts.GRAIN_NAMES,
        page_parts.GRADE_WORDS,
        page_parts.GRADE_MEANINGS,
        measure_page.CHECK_NAMES,
        measure_page.DIRECTION_WORDS,
        measure_page.PROCESS_NAMES,
        area_page.LAYER_ABOUT,
    ):
        found |= set(table.values())
    for pairs in (page_parts.STATUS_WORDS, measure_page.SEVERITY_WORDS, area_page.DEMOGRAPHICS):
        found |= {words for words, _ in pairs.values()}
    found |= {name for pair in page_parts.LAYER_NAMES.values() for name in pair}
    found |= {*measure_page.POINT_COLUMNS, *measure_page.VERSION_COLUMNS, *area_page.AREA_COLUMNS}
    return found


def test_the_scan_finds_split_and_plain_literals() -> None:
    texts = list_texts()
    assert "Latest result" in texts  # a template
    assert "{name}: every period" in texts  # Python
    assert (
        "Across {count} {layers} the Gini index is {gini} (0 would mean every area gets the same;"
        " the closer to 1, the more unequal)." in texts
    )  # split over two literals
    assert "Community statistical areas" in texts  # a word table
    assert len(texts) > 150


def test_every_text_has_spanish_with_the_same_placeholders() -> None:
    spanish = read_catalogue("es")
    missing = sorted(t for t in list_texts() if t not in spanish)
    assert missing == []
    for text in list_texts():
        assert set(re.findall(r"{(\w+)}", spanish[text])) == set(re.findall(r"{(\w+)}", text)), text
