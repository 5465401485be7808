"""Interface text in English and Spanish, and numbers and dates in each language's style.

English text is the message id: ``translate("es", "Open requests")`` looks the text up in the
Spanish catalogue (every ``*.yaml`` under ``i18n/es/``: one file per layer, e.g. ``web.yaml``,
``charts.yaml``, each a mapping from English text to Spanish). A missing entry falls back to the
English text, and ``test_i18n`` checks that none is missing. Placeholders use ``str.format``
names: ``translate("es", "{count} requests", count=3)``.

Catalogue text (measure names and definitions) stays in the language it was written in.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal, get_args

import yaml
from babel.core import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton
from babel.numbers import NumberPattern, parse_pattern

Lang = Literal["en", "es"]
LANGS: tuple[Lang, ...] = get_args(Lang)
DEFAULT_LANG: Lang = "en"
LANG_NAMES: dict[Lang, str] = {"en": "English", "es": "Español"}

CATALOGUES = Path(__file__).parent


def parse_lang(value: str | None) -> Lang:
    """A supported language code from user input (``es-MX`` → ``es``); the default otherwise."""
    code = (value or "").strip().lower()[:2]
    for lang in LANGS:
        if code == lang:
            return lang
    return DEFAULT_LANG


@cache
def read_catalogue(lang: Lang) -> dict[str, str]:
    """English text → text in ``lang``, merged from every YAML file of the language's folder."""
    merged: dict[str, str] = {}
    folder = CATALOGUES / lang
    if not folder.is_dir():
        return merged
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping of English text to translations")
        for key, value in data.items():
            if key in merged and merged[key] != value:
                raise ValueError(f"{path}: {key!r} is translated differently in another file")
            merged[str(key)] = str(value)
    return merged


def translate(lang: Lang, text: str, /, **values: object) -> str:
    """``text`` in ``lang`` (English text is the id), with ``values`` filled in."""
    found = text if lang == "en" else read_catalogue(lang).get(text, text)
    return found.format(**values) if values else found


@cache
def read_locale(lang: Lang) -> Locale:
    return Locale.parse(lang)


@cache
def read_pattern(digits: int, percent: bool) -> NumberPattern:
    """The babel pattern of a number with ``digits`` decimals (as a percentage), parsed once."""
    return parse_pattern("#,##0" + ("." + "0" * digits if digits else "") + ("%" if percent else ""))


def format_number(lang: Lang, value: float, digits: int = 0) -> str:
    """1,234.5 in English, 1.234,5 in Spanish (never "-0")."""
    return write_number(lang, value + 0.0, digits, False)  # -0.0 + 0.0 is 0.0


def format_share(lang: Lang, share: float, digits: int = 0) -> str:
    """A share (0.823) as a percentage: 82% (0.8% → 0,8% in Spanish)."""
    return write_number(lang, share + 0.0, digits, True)


@lru_cache(maxsize=65_536)
def write_number(lang: Lang, value: float, digits: int, percent: bool) -> str:
    """babel's format_decimal and format_percent without parsing the locale and the pattern on
    each call (a page formats hundreds of numbers: about twice as fast, the same text), and each
    repeated value (a chart's point, its title, its table cell) formatted once."""
    return str(read_pattern(digits, percent).apply(value, read_locale(lang)))


def format_day(lang: Lang, day: dt.date) -> str:
    """March 1, 2024 / 1 de marzo de 2024."""
    return str(babel_format_date(day, format="long", locale=lang))


# Period labels as the engine writes them (citystat.engine.periods.label_period).
MONTH_LABEL = re.compile(r"(\d{4})-(\d{2})")
WEEK_LABEL = re.compile(r"(\d{4})-W(\d{2})")
DAY_LABEL = re.compile(r"\d{4}-\d{2}-\d{2}")


@lru_cache(maxsize=8192)  # babel takes about 0.15 ms a call; a weekly chart names hundreds
def name_period(lang: Lang, label: str, *, short: bool = False) -> str:
    """A period label in words: 2026-06 → June 2026 (junio de 2026), 2026-W23 → Week of June 1, 2026
    (Semana del 1 de junio de 2026), 2026-06-01 → June 1, 2026. ``short`` for a chart's axis:
    Jun 2026, Jun 1, 2026. Quarters and fiscal years (2026 Q2, FY2026 Q4, FY2026) stay as they are."""
    if match := MONTH_LABEL.fullmatch(label):
        month = dt.date(int(match[1]), int(match[2]), 1)
        return str(format_skeleton("yMMM" if short else "yMMMM", month, locale=lang))
    if match := WEEK_LABEL.fullmatch(label):
        monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        day = str(format_skeleton("yMMMd", monday, locale=lang)) if short else format_day(lang, monday)
        return day if short else translate(lang, "Week of {day}", day=day)
    if DAY_LABEL.fullmatch(label):
        day_of = dt.date.fromisoformat(label)
        return str(format_skeleton("yMMMd", day_of, locale=lang)) if short else format_day(lang, day_of)
    return label
