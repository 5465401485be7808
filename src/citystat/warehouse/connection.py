"""Opening the warehouse: one place sets the session options every caller relies on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from citystat.errors import WarehouseError
from citystat.warehouse.migrations import migrate

DEFAULT_MEMORY_LIMIT = "3GB"
LOCK_WAIT_SECONDS = 60.0
LOCK_CONFLICT = "Could not set lock on file"  # DuckDB's message when another process has the file


def connect(
    path: Path | str,
    *,
    read_only: bool = False,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    lock_wait: float = LOCK_WAIT_SECONDS,
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file with citystat's session settings.

    The session time zone is UTC (timestamps are stored as local wall-clock values, so nothing
    depends on the machine's zone); memory is capped so large loads spill to disk instead of
    growing without bound; queries that need an order say so with ORDER BY.

    A writer waits up to ``lock_wait`` seconds for the file's lock: DuckDB lets one process write
    only while no other has the file open, and ``citystat serve`` opens it read-only for a few
    seconds whenever it builds pages for a new revision. A reader never waits (the server shows
    its last good build instead).
    """
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"no warehouse at {path}; run 'citystat demo' or 'citystat ingest' first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_wait
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            locked = LOCK_CONFLICT in str(exc)
            if read_only or not locked or time.monotonic() + delay > deadline:
                waited = (
                    f" (waited {lock_wait:g} s for another process to close it)"
                    if locked and not read_only
                    else ""
                )
                raise WarehouseError(f"cannot open warehouse {path}{waited}: {exc}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET preserve_insertion_order = false")
    return con


def open_warehouse(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a warehouse and bring its schema up to date."""
    con = connect(path)
    migrate(con)
    return con


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return str(row[0]) if row else None


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: COMMIT when the block finishes, ROLLBACK on any error or interrupt."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
