"""Words the pages use for the site layer's codes (statuses, grades, search fields, load kinds),
and measure values written in a measure's unit.

Every phrase here is English text translated by :func:`citystat.i18n.translate`; a test holds each
to having a Spanish entry. Statuses are said in words first, with colour only as a second cue.
"""

from __future__ import annotations

from babel.dates import get_month_names

from citystat.charts.values import choose_digits, format_value
from citystat.i18n import Lang, translate

STATUS_WORDS: dict[str, str] = {
    "met": "Met target",
    "on target": "On target",
    "near": "Near target",
    "missed": "Missed target",
    "off target": "Off target",
    "data issue": "Data issue",
    "no target": "No target",
    "not enough data": "Not enough data",
    "not judged": "Not judged",
    "no value": "No value yet",
}
STATUS_TAGS: dict[str, str] = {
    "met": "met",
    "on target": "met",
    "near": "near",
    "missed": "missed",
    "off target": "missed",
    "data issue": "issue",
}
GRADE_WORDS: dict[str, str] = {
    "A": "A: passes every check",
    "B": "B: a check warns",
    "C": "C: a check fails",
}
CONTRIBUTION_WORDS: dict[str, str] = {
    "scored": "Scored",
    "too few": "Too few cases",
    "no target": "No target",
    "excluded": "Left out",
}
MATCH_WORDS: dict[str, str] = {
    "name": "name",
    "id": "id",
    "agency": "agency",
    "definition": "definition",
}
LOAD_KINDS: dict[str, str] = {
    "requests": "Service requests",
    "boundaries": "Boundaries",
    "demographics": "Demographics",
    "plan": "Performance plan",
}
QUARANTINE_ACTIONS: dict[str, str] = {
    "rejected": "Rejected (not loaded)",
    "flagged": "Flagged (loaded, marked)",
}
KIND_WORDS: dict[str, str] = {"computed": "Computed from 311 requests", "reported": "Reported by the agency"}

WORDS_BY_NAME: dict[str, dict[str, str]] = {
    "status": STATUS_WORDS,
    "grade": GRADE_WORDS,
    "contribution": CONTRIBUTION_WORDS,
    "match": MATCH_WORDS,
    "load": LOAD_KINDS,
    "action": QUARANTINE_ACTIONS,
    "kind": KIND_WORDS,
}


def say(lang: Lang, table: dict[str, str], code: str) -> str:
    """The words for ``code`` in ``lang`` (the code itself when the table has none)."""
    return translate(lang, table[code]) if code in table else code


def tag_status(status: str) -> str:
    """The ``cs-tag--`` modifier for a status: met, near, missed, issue or none."""
    return STATUS_TAGS.get(status, "none")


def write_value(lang: Lang, value: float | None, unit: str) -> str:
    """A measure's value in its unit (82%, 3.5 days, $1,234); a dash when there is none."""
    if value is None:
        return "–"
    return format_value(lang, value, unit, choose_digits(unit, [value], detailed=True))


def name_month(lang: Lang, month: int) -> str:
    """January / enero."""
    return str(get_month_names("wide", locale=lang)[month])


def list_phrases() -> list[str]:
    """Every phrase of every table here (the translation test checks each)."""
    return [text for table in WORDS_BY_NAME.values() for text in table.values()]
