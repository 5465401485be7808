"""Abuse limits: bounded request bodies and per-client rate limits.

- :class:`BodyLimit` (ASGI middleware) refuses a body longer than the limit with 413, whether the
  client declared its length or streams it; uploads (the request forms' photo step) get a larger limit.
- :class:`RateLimiter` counts requests per key (an IP address, an API key) in a sliding one-minute
  window; the caller answers 429 with ``Retry-After`` when it says no.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

WINDOW_SECONDS = 60.0


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Refuse request bodies above ``limit`` bytes (``upload_limit`` under ``upload_prefixes``)."""

    def __init__(
        self, app: ASGIApp, *, limit: int, upload_limit: int, upload_prefixes: tuple[str, ...]
    ) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit
        self.upload_prefixes = upload_prefixes

    def limit_for(self, path: str) -> int:
        return self.upload_limit if path.startswith(self.upload_prefixes) else self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await refuse(send, limit)
                return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await refuse(send, limit)


async def refuse(send: Send, limit: int) -> None:
    body = json.dumps(
        [{"code": 413, "description": f"the request body is larger than {limit:,} bytes"}]
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json; charset=utf-8"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """At most ``per_minute`` events per key in any sliding minute (thread-safe, in memory)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float | None:
        """None when allowed (and counted); otherwise the seconds until the next event is allowed."""
        now = self.clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and now - events[0] >= WINDOW_SECONDS:
                events.popleft()
            if len(events) >= self.per_minute:
                return max(0.0, WINDOW_SECONDS - (now - events[0]))
            events.append(now)
            if len(self._events) > 100_000:  # forget idle clients
                for idle in [k for k, v in self._events.items() if not v or now - v[-1] >= WINDOW_SECONDS]:
                    del self._events[idle]
            return None
