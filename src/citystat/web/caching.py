"""Answers kept per warehouse revision: strong ETags, 304s and a response cache in front of the app.

An answer of the JSON API or of a public dashboard page depends only on the warehouse revision and
the request: its path and query and, for a page, its language. Such answers are *kept*:

* a route opts in with :class:`KeptRoute` (the API's routers and the dashboard pages' routers use
  it as their route class); a successful answer then leaves the route marked with an internal
  header (``KEEP_HEADER``), which never reaches the client;
* :class:`ResponseCacheMiddleware`, the outermost layer of the app, stores the marked answers
  (bounded in entries and bytes, emptied when the revision changes) and gives them a strong ETag,
  a hash of citystat's version, the revision and the request key;
* an answer is not kept when the reader had to serve an older build or could not read the
  warehouse while making it (a load holding the file), nor when the revision changed meanwhile;
* a repeated GET costs two ``stat`` calls and a dictionary lookup: it is answered from memory
  before routing, so it never reaches a view nor the thread pool; a client sending the ETag back in
  ``If-None-Match`` gets ``304 Not Modified`` with no body.

Everything else (the request forms, the status pages, staff pages, Open311, static files) is not
marked and passes through untouched: those read the request store, which has no revision here.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citystat import __version__
from citystat.site.reader import WarehouseReader, track_degraded
from citystat.web.lang import pick_lang_from

MAX_AGE = 60
CACHE_CONTROL = f"public, max-age={MAX_AGE}"
KEEP_HEADER = "x-citystat-keep"
MAX_ENTRIES = 4096
MAX_BYTES = 256 * 1024 * 1024  # every kept body together
MAX_BODY = 8 * 1024 * 1024  # a larger answer is served, not kept
LANGUAGE_FREE_PREFIXES = ("/api/",)  # answers that are the same in every language


@dataclass(frozen=True)
class Kept:
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]  # as sent, without the ETag


class ResponseCache:
    """Answers by request key for one revision, least recently used dropped first.

    Used from the event loop only (the middleware is a coroutine), so it takes no lock."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.revision: str | None = None
        self.entries: OrderedDict[str, Kept] = OrderedDict()
        self.size = 0
        self.hits = 0
        self.misses = 0

    def get(self, revision: str, key: str) -> Kept | None:
        if revision != self.revision:
            self.clear(revision)
        kept = self.entries.get(key)
        if kept is None:
            self.misses += 1
            return None
        self.entries.move_to_end(key)
        self.hits += 1
        return kept

    def put(self, revision: str, key: str, kept: Kept) -> None:
        """Keep ``kept`` if ``revision`` is still the one the cache holds (never roll it back)."""
        if self.revision is None:
            self.clear(revision)
        if revision != self.revision or len(kept.body) > MAX_BODY or key in self.entries:
            return
        self.entries[key] = kept
        self.size += len(kept.body)
        while self.entries and (len(self.entries) > self.max_entries or self.size > self.max_bytes):
            _, dropped = self.entries.popitem(last=False)
            self.size -= len(dropped.body)

    def clear(self, revision: str | None = None) -> None:
        self.revision = revision
        self.entries.clear()
        self.size = 0


def make_etag(revision: str, key: str) -> str:
    """A strong entity tag for the answer to ``key`` at ``revision`` (and this version of citystat,
    whose pages change with it)."""
    digest = hashlib.sha256(f"{__version__}\n{revision}\n{key}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def matches_etag(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, as RFC 9110 asks)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = (t.strip() for t in if_none_match.split(","))
    return any(t.removeprefix("W/") == etag for t in tags)


def make_key(scope: Scope, headers: Headers) -> str:
    """What an answer depends on besides the revision: path and query, and a page's language."""
    query = scope.get("query_string", b"").decode("latin-1")
    path: str = scope["path"]
    raw = scope.get("raw_path")  # as sent, still %-encoded: an id holding "?" is not a query
    key = (raw.decode("latin-1") if raw else path) + ("?" + query if query else "")
    if path.startswith(LANGUAGE_FREE_PREFIXES):
        return key
    return f"{key}#{pick_lang_from(query, headers.get('cookie'), headers.get('accept-language'))}"


class KeptRoute(APIRoute):
    """A route whose successful answers depend only on the warehouse revision and the request:
    they are marked for :class:`ResponseCacheMiddleware` and may be kept by proxies for a minute."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            with track_degraded() as degraded:
                response = await handler(request)
            if response.status_code == 200 and request.method == "GET" and not degraded:
                response.headers[KEEP_HEADER] = "1"
                response.headers["cache-control"] = CACHE_CONTROL
            return response

        return handle


# What a 304 repeats of the answer it stands for (RFC 9110, 15.4.5).
NOT_MODIFIED_HEADERS = (b"cache-control", b"vary", b"content-location", b"expires")


def not_modified(etag: str, headers: tuple[tuple[bytes, bytes], ...]) -> Message:
    kept = [(n, v) for n, v in headers if n in NOT_MODIFIED_HEADERS]
    return {"type": "http.response.start", "status": 304, "headers": [*kept, (b"etag", etag.encode())]}


class ResponseCacheMiddleware:
    """Serves kept answers from memory and keeps the answers :class:`KeptRoute` marks (see module).

    The reader and the cache are the app's (``app.state.reader``, ``app.state.response_cache``),
    looked up on each request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        reader: WarehouseReader = state.reader
        cache: ResponseCache = state.response_cache
        try:
            revision = reader.revision().tag
        except Exception:  # the app answers (its error handlers say what went wrong)
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = make_key(scope, headers)
        etag = make_etag(revision, key)
        fresh = matches_etag(headers.get("if-none-match"), etag)
        kept = cache.get(revision, key)
        if kept is not None:
            await self.answer(send, kept, etag, fresh)
            return
        keeper = Keeper(send, cache, reader, revision, key, etag, fresh)
        await self.app(scope, receive, keeper.send)

    @staticmethod
    async def answer(send: Send, kept: Kept, etag: str | None, fresh: bool) -> None:
        """Send ``kept`` (with its ETag, or none), or a 304 when the client has it already."""
        if fresh and etag is not None:
            await send(not_modified(etag, kept.headers))
            await send({"type": "http.response.body", "body": b""})
            return
        headers = list(kept.headers) if etag is None else [*kept.headers, (b"etag", etag.encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": kept.body})


class Keeper:
    """The ``send`` of one missed request: passes an unmarked answer through, collects a marked one,
    keeps it, then sends it with its ETag (or a 304)."""

    def __init__(
        self,
        send: Send,
        cache: ResponseCache,
        reader: WarehouseReader,
        revision: str,
        key: str,
        etag: str,
        fresh: bool,
    ) -> None:
        self.downstream = send
        self.cache = cache
        self.reader = reader
        self.revision = revision
        self.key = key
        self.etag = etag
        self.fresh = fresh
        self.headers: tuple[tuple[bytes, bytes], ...] | None = None  # set once a marked answer starts
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            raw: list[tuple[bytes, bytes]] = list(message.get("headers", []))
            marked = any(name == KEEP_HEADER.encode() for name, _ in raw)
            if not marked or message["status"] != 200:
                await self.downstream(message)
                return
            self.headers = tuple((n, v) for n, v in raw if n != KEEP_HEADER.encode())
            return
        if message["type"] != "http.response.body" or self.headers is None:
            await self.downstream(message)
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        kept = Kept(b"".join(self.chunks), self.headers)
        if self.reader.revision().tag != self.revision:  # a load ended meanwhile: not this revision's
            await ResponseCacheMiddleware.answer(self.downstream, kept, None, False)
            return
        self.cache.put(self.revision, self.key, kept)
        await ResponseCacheMiddleware.answer(self.downstream, kept, self.etag, self.fresh)
