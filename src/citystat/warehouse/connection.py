"""Opening the warehouse: one place sets the session options every caller relies on."""

from __future__ import annotations

from pathlib import Path

import duckdb

from citystat.errors import WarehouseError
from citystat.warehouse.migrations import migrate


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file with citystat's session settings (UTC session zone, ordered inserts)."""
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"no warehouse at {path}; run 'citystat demo' or 'citystat ingest' first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc
    con.execute("SET TimeZone = 'UTC'")
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
