"""Pieces the measure and area pages are built from: table cells, tables, links, and the words
for units, grains, layers, statuses and grades in the page's language.

Page models (:mod:`citystat.site.measure_page`, :mod:`citystat.site.area_page`) hold text that is
already formatted; templates only lay it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from citystat.charts import ChartTable
from citystat.charts.values import choose_digits, format_plain, format_value
from citystat.i18n import Lang, translate

# Catalogue and analysis text (measure names, definitions, check details) is written in English.
SOURCE_LANG: Lang = "en"

GRAIN_NAMES = {
    "day": "Daily",
    "week": "Weekly",
    "month": "Monthly",
    "quarter": "Quarterly",
    "fiscal_quarter": "Quarterly (fiscal year)",
    "fiscal_year": "Yearly (fiscal year)",
}
LAYER_NAMES = {
    "neighborhood": ("Neighbourhood", "Neighbourhoods"),
    "csa": ("Community statistical area", "Community statistical areas"),
    "council_district": ("Council district", "Council districts"),
    "police_district": ("Police district", "Police districts"),
    "tract": ("Census tract", "Census tracts"),
}
# Target status (after the quality label) -> (words, cs-tag modifier).
STATUS_WORDS = {  # the same words as the other pages (citystat.web.words)
    "met": ("Met target", "met"),
    "on target": ("On target", "met"),
    "near": ("Near target", "near"),
    "missed": ("Missed target", "missed"),
    "off target": ("Off target", "missed"),
    "data issue": ("Data issue", "issue"),
    "no target": ("No target", "none"),
    "not enough data": ("Not enough data", "none"),
    "not judged": ("Not judged", "none"),
}
GRADE_WORDS = {
    "A": "Grade A: every check passes",
    "B": "Grade B: a minor issue that does not make the value wrong",
    "C": "Grade C: a check fails, so the value is a data issue, not a performance result",
}

# What a grade means, said after "Grade A" in the latest result.
GRADE_MEANINGS = {
    "A": "Every check passes.",
    "B": "A minor issue that does not make the value wrong.",
    "C": "A check fails: this value is a data issue, not a performance result.",
}


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None
    tag: str | None = None  # cs-tag modifier (met, near, missed, issue, none)
    lang: Lang | None = None  # set when the text is not in the page's language


@dataclass(frozen=True)
class Table:
    """A data table: the first cell of each row is its header (``th scope="row"``)."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric: tuple[bool, ...]  # per column: right-aligned figures


@dataclass(frozen=True)
class Link:
    text: str
    href: str
    current: bool = False


def link_area(layer: str, area_id: str) -> str:
    """The address of an area's page. Ids may hold slashes and spaces (Baltimore's neighbourhood
    "Bridgeview/Greenlawn"): they are percent-encoded, and the route takes the rest of the path."""
    return f"/areas/{quote(layer, safe='')}/{quote(area_id, safe='')}"


def mark_source(lang: Lang) -> Lang | None:
    """The ``lang`` attribute for catalogue text on a page in ``lang`` (None: same language)."""
    return None if lang == SOURCE_LANG else SOURCE_LANG


def convert_chart_table(table: ChartTable) -> Table:
    """A chart's own table (period or name, then figures) as a page table."""
    return Table(
        table.caption,
        table.columns,
        tuple(tuple(Cell(text) for text in row) for row in table.rows),
        tuple(i > 0 for i in range(len(table.columns))),
    )


def format_figure(lang: Lang, value: float | None, unit: str, digits: int) -> str:
    """A value in a table cell (percent sign, currency symbol; "No data" for None)."""
    return translate(lang, "No data") if value is None else format_plain(lang, value, unit, digits)


def format_words(lang: Lang, value: float, unit: str, values: Sequence[float | None] = ()) -> str:
    """A value as a sentence says it (``82%``, ``3.5 days``), with the decimals ``values`` need."""
    return format_value(lang, value, unit, choose_digits(unit, [value, *values]))


def name_grain(lang: Lang, grain: str) -> str:
    return translate(lang, GRAIN_NAMES.get(grain, grain))


def name_layer(lang: Lang, layer: str, *, plural: bool = False) -> str:
    one, many = LAYER_NAMES.get(layer, (layer, layer))
    return translate(lang, many if plural else one)


def describe_status(lang: Lang, status: str) -> Cell:
    words, tag = STATUS_WORDS.get(status, (status, "none"))
    return Cell(translate(lang, words), tag=tag)


def describe_grade(lang: Lang, grade: str) -> str:
    return translate(lang, GRADE_WORDS.get(grade, grade))


def explain_grade(lang: Lang, grade: str) -> str:
    return translate(lang, GRADE_MEANINGS.get(grade, grade))
