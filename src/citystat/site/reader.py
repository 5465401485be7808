"""Read-only, cached access to the warehouse for the web app and the API.

The server never holds the warehouse open between builds: DuckDB lets one process write a file
only while no other process has it open, so a server holding a connection would block every
``citystat ingest`` or ``compute``. Instead the reader looks at the file's revision (size and
modification time of the file and its write-ahead log, one ``stat`` each) and, on a cache miss,
opens a read-only connection, builds what was asked for and closes it.

When the warehouse cannot be opened (a load is writing it) the last good result is served: the
site shows the numbers as of the previous revision rather than an error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from citystat.errors import WarehouseError
from citystat.warehouse import connect

T = TypeVar("T")

# Builds kept per revision; older revisions are dropped when a new one is first read.
MAX_CACHED_BUILDS = 4096

# Where the reader notes, for a caller that asked (track_degraded), that it served an older build
# or could not read the warehouse: a page built so must not be kept as the current revision's.
DEGRADED: ContextVar[list[str] | None] = ContextVar("citystat_reader_degraded", default=None)


def note_degraded(reason: str) -> None:
    found = DEGRADED.get()
    if found is not None:
        found.append(reason)


@contextmanager
def track_degraded() -> Iterator[list[str]]:
    """Collect why what is built in this context (and in threads handed a copy of it, as FastAPI's
    thread pool is) may not be the current revision's: empty when everything was up to date."""
    found: list[str] = []
    token = DEGRADED.set(found)
    try:
        yield found
    finally:
        DEGRADED.reset(token)


@dataclass(frozen=True)
class Revision:
    """What identifies a state of the warehouse file: (mtime_ns, size) of the file and its WAL."""

    file: tuple[int, int] | None
    wal: tuple[int, int] | None

    @property
    def exists(self) -> bool:
        return self.file is not None

    @property
    def tag(self) -> str:
        """A short stable text for ETags."""
        parts = [*(self.file or (0, 0)), *(self.wal or (0, 0))]
        return "-".join(format(p, "x") for p in parts)


def stat_pair(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size)


class WarehouseReader:
    """Opens the warehouse read-only when needed and caches builds per revision.

    ``cached(key, build)`` returns ``build(con)`` for the current revision, computing it at most
    once per revision and key (concurrent callers of the same key wait for the first).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._revision: Revision | None = None
        self._cache: dict[Hashable, Any] = {}
        self._stale: dict[Hashable, Any] = {}

    def revision(self) -> Revision:
        wal = self.path.with_name(self.path.name + ".wal")
        return Revision(stat_pair(self.path), stat_pair(wal))

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection, closed on exit (raises WarehouseError when there is none)."""
        con = connect(self.path, read_only=True)
        try:
            yield con
        finally:
            con.close()

    def is_cached(self, key: Hashable) -> bool:
        """Whether ``key`` is built for the current revision (a call of ``cached`` would not build)."""
        revision = self.revision()
        with self._lock:
            return revision == self._revision and key in self._cache

    def cached(self, key: Hashable, build: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        revision = self.revision()
        with self._lock:
            if revision != self._revision:
                self._stale = {**self._stale, **self._cache}
                self._cache = {}
                self._revision = revision
            if key in self._cache:
                return self._cache[key]  # type: ignore[no-any-return]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if self._revision == revision and key in self._cache:
                    return self._cache[key]  # type: ignore[no-any-return]
            try:
                with self.connect() as con:
                    value = build(con)
            except WarehouseError:
                if key in self._stale:  # being written by a load: serve the last good build
                    note_degraded("an older build")
                    return self._stale[key]  # type: ignore[no-any-return]
                note_degraded("the warehouse could not be read")
                raise
            with self._lock:
                if self._revision == revision:
                    if len(self._cache) >= MAX_CACHED_BUILDS:
                        self._cache.clear()
                    self._cache[key] = value
                    self._stale.pop(key, None)
            return value
