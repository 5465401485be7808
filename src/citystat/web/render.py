"""Page rendering: one Jinja environment, the language helpers every template uses.

Views are thin: they call :mod:`citystat.site` for data and :func:`render_page` for HTML. Templates
get ``t`` (translate into the page's language), ``number``, ``share``, ``day``, ``period`` (a period
label in words), ``lang``, and for
the site's codes ``words(table, code)`` (e.g. ``words("status", "met")``), ``tag(status)`` (the
status tag's modifier) and ``value(amount, unit)`` (see :mod:`citystat.web.words`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from citystat import __version__
from citystat.errors import WarehouseError
from citystat.i18n import Lang, format_day, format_number, format_share, name_period, translate
from citystat.site.about import CityInfo, get_city_info
from citystat.web.lang import COOKIE, link_to_page, list_switch_links, pick_lang
from citystat.web.words import WORDS_BY_NAME, name_month, say, tag_status, write_value

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.autoescape = True
TEMPLATES.env.trim_blocks = True
TEMPLATES.env.lstrip_blocks = True

# Pages change when the warehouse does; browsers and proxies may reuse them for a minute.
PAGE_CACHE = "public, max-age=60"


def read_city(request: Request) -> CityInfo | None:
    """The city the warehouse describes, or None when there is no warehouse yet."""
    try:
        return get_city_info(request.app.state.reader)
    except WarehouseError:
        return None


def bind_helpers(lang: Lang) -> dict[str, Any]:
    """The language-bound helpers a template calls."""

    def t(text: str, /, **values: object) -> str:
        return translate(lang, text, **values)

    def number(value: float | None, digits: int = 0) -> str:
        return "–" if value is None else format_number(lang, value, digits)

    def share(value: float | None, digits: int = 0) -> str:
        return "–" if value is None else format_share(lang, value, digits)

    def day(value: dt.date | None) -> str:
        return "–" if value is None else format_day(lang, value)

    def words(table: str, code: str) -> str:
        return say(lang, WORDS_BY_NAME[table], code)

    def value(amount: float | None, unit: str) -> str:
        return write_value(lang, amount, unit)

    def month(number: int) -> str:
        return name_month(lang, number)

    def period(label: str | None) -> str:
        return "–" if not label else name_period(lang, label)

    return {
        "t": t,
        "number": number,
        "share": share,
        "day": day,
        "lang": lang,
        "words": words,
        "tag": tag_status,
        "value": value,
        "month": month,
        "period": period,
    }


def render_page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` in the request's language; remember a language picked by link."""
    lang = pick_lang(request)
    values: dict[str, Any] = {
        **bind_helpers(lang),
        "switch_links": list_switch_links(request, lang),
        "page_link": lambda page: link_to_page(request, page),
        "version": __version__,
        "city": read_city(request),
        **(context or {}),
    }
    response = TEMPLATES.TemplateResponse(request, template, values, status_code=status_code)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language, Cookie"
    if status_code == 200:
        response.headers["Cache-Control"] = PAGE_CACHE
    if request.query_params.get("lang") == lang:
        response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response
