"""Which language a page is shown in, chosen without JavaScript.

Order: ``?lang=`` in the address (the language switch's links), then the ``lang`` cookie that such a
link sets, then the browser's ``Accept-Language``, then English.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from starlette.datastructures import QueryParams
from starlette.requests import cookie_parser

from citystat.i18n import LANG_NAMES, LANGS, Lang, parse_lang

COOKIE = "lang"


def read_accept_language(header: str | None) -> Lang | None:
    """The first supported language of an ``Accept-Language`` header, by quality."""
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        code, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        choices.append((-quality, index, code.strip().lower()[:2]))
    for negative_quality, _, code in sorted(choices):
        if negative_quality < 0 and code in LANGS:
            return parse_lang(code)
    return None


def pick_lang(request: Request) -> Lang:
    """The language for this request (see the module's order)."""
    headers = request.headers
    return pick_lang_from(request.url.query, headers.get("cookie"), headers.get("accept-language"))


def pick_lang_from(query: str, cookie_header: str | None, accept_language: str | None) -> Lang:
    """:func:`pick_lang` from the raw query string and headers (for code that runs before routing)."""
    asked = QueryParams(query).get("lang") if "lang" in query else None
    if asked and asked[:2].lower() in LANGS:
        return parse_lang(asked)
    cookie = cookie_parser(cookie_header).get(COOKIE) if cookie_header else None
    if cookie and cookie in LANGS:
        return parse_lang(cookie)
    return read_accept_language(accept_language) or "en"


def link_in(request: Request, lang: Lang) -> str:
    """This page's address in another language (a plain link: the switch needs no script)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", lang))
    return f"{request.url.path}?{urlencode(params)}"


def list_switch_links(request: Request, current: Lang) -> list[tuple[Lang, str, str]]:
    """(code, name in its own language, address) for every language other than ``current``."""
    return [(lang, LANG_NAMES[lang], link_in(request, lang)) for lang in LANGS if lang != current]


def link_to_page(request: Request, page: int) -> str:
    """This address on another page of a long list (page 1 has no ``page`` parameter)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    if page > 1:
        params.append(("page", str(page)))
    return f"{request.url.path}?{urlencode(params)}" if params else request.url.path
