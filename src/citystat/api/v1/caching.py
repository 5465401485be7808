"""HTTP caching of the API: strong ETags, 304s and a small response cache per warehouse revision.

Every successful answer depends only on the warehouse revision and the request (path and query),
so its ETag is a hash of the two: a client sending it back in ``If-None-Match`` gets ``304 Not
Modified`` with no body, and proxies may keep an answer for ``MAX_AGE`` seconds. The bodies of
recent answers are kept (``ResponseCache``, bounded in entries and bytes, emptied when the
revision changes), so a repeated call costs two ``stat`` calls and a dictionary lookup: it never
reaches the view nor the thread pool.

:class:`CachedRoute` is the router's route class: the caching wraps every API operation.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from citystat.site import WarehouseReader

MAX_AGE = 60
CACHE_CONTROL = f"public, max-age={MAX_AGE}"
MAX_ENTRIES = 2048
MAX_BYTES = 128 * 1024 * 1024  # every kept body together
MAX_BODY = 8 * 1024 * 1024  # a larger answer is served, not kept
KEPT_HEADERS = ("content-type", "content-disposition")


@dataclass(frozen=True)
class Kept:
    body: bytes
    headers: tuple[tuple[str, str], ...]


class ResponseCache:
    """Answers by request key for one revision, least recently used dropped first.

    Used from the event loop only (the route wrapper is a coroutine), so it takes no lock."""

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
        if revision != self.revision:
            self.clear(revision)
        if len(kept.body) > MAX_BODY or key in self.entries:
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
    """A strong entity tag for the answer to ``key`` at ``revision``."""
    digest = hashlib.sha256(f"{revision}\n{key}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def matches_etag(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, as RFC 9110 asks)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = (t.strip() for t in if_none_match.split(","))
    return any(t.removeprefix("W/") == etag for t in tags)


def request_key(request: Request) -> str:
    query = request.url.query
    return request.url.path + ("?" + query if query else "")


def get_cache(request: Request) -> ResponseCache:
    state = request.app.state
    cache: ResponseCache | None = getattr(state, "api_cache", None)
    if cache is None:
        cache = ResponseCache()
        state.api_cache = cache
    return cache


def not_modified(etag: str) -> Response:
    return Response(status_code=304, headers={"etag": etag, "cache-control": CACHE_CONTROL})


def replay(kept: Kept, etag: str) -> Response:
    headers = dict(kept.headers)
    headers.update({"etag": etag, "cache-control": CACHE_CONTROL})
    return Response(content=kept.body, status_code=200, headers=headers)


def keep(response: Response) -> Kept:
    headers = tuple((name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers)
    return Kept(bytes(response.body), headers)


class CachedRoute(APIRoute):
    """An API route whose successful answers carry an ETag and are kept per revision."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            reader: WarehouseReader = request.app.state.reader
            revision = reader.revision().tag
            key = request_key(request)
            etag = make_etag(revision, key)
            cache = get_cache(request)
            kept = cache.get(revision, key)
            if kept is None:
                response = await handler(request)
                if response.status_code != 200:
                    return response
                kept = keep(response)
                cache.put(revision, key, kept)
            if matches_etag(request.headers.get("if-none-match"), etag):
                return not_modified(etag)
            return replay(kept, etag)

        return handle
