"""The load log and the quarantine table: what every load did, and every row it refused."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from citystat.ingest.files import FileInfo


@dataclass(frozen=True)
class QuarantineRow:
    row_number: int | None
    line_number: int | None
    request_id: str | None
    column: str | None
    raw_value: str | None
    reason: str
    action: str = "rejected"  # rejected | flagged


@dataclass
class LoadResult:
    """What one load did. ``skipped`` means the same bytes were loaded before and nothing changed."""

    kind: str
    source: str
    format: str
    detail: str = ""
    load_id: int | None = None
    skipped_as_load: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_stale: int = 0
    rows_quarantined: int = 0
    rows_flagged: int = 0
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    flagged_by_reason: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> bool:
        return self.skipped_as_load is not None

    def summary(self) -> dict[str, Any]:
        return {
            "rejected_by_reason": dict(sorted(self.rejected_by_reason.items())),
            "flagged_by_reason": dict(sorted(self.flagged_by_reason.items())),
            "notes": self.notes,
        }


def find_previous_load(con: duckdb.DuckDBPyConnection, kind: str, sha256: str, detail: str) -> int | None:
    """Return the id of an earlier load of the same bytes (same kind and detail), if any."""
    row = con.execute(
        "SELECT max(load_id) FROM load_log WHERE kind = ? AND source_sha256 = ? AND detail = ?",
        [kind, sha256, detail],
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT nextval('load_id_seq')").fetchone()
    assert row is not None
    return int(row[0])


def record_load(
    con: duckdb.DuckDBPyConnection, result: LoadResult, info: FileInfo, started_at: datetime
) -> None:
    """Write the load-log row (inside the caller's transaction)."""
    con.execute(
        "INSERT INTO load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, current_localtimestamp(),"
        " ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.load_id,
            result.kind,
            result.source,
            info.sha256,
            info.size,
            result.format,
            result.detail,
            started_at,
            result.rows_read,
            result.rows_loaded,
            result.rows_updated,
            result.rows_unchanged,
            result.rows_stale,
            result.rows_quarantined,
            result.rows_flagged,
            json.dumps(result.summary(), sort_keys=True),
        ],
    )


def record_quarantine(
    con: duckdb.DuckDBPyConnection, load_id: int, source: str, rows: list[QuarantineRow]
) -> None:
    """Insert quarantine rows in one batch (inside the caller's transaction)."""
    if not rows:
        return
    table = pa.table(
        {
            "load_id": pa.array([load_id] * len(rows), pa.int64()),
            "source": pa.array([source] * len(rows), pa.string()),
            "row_number": pa.array([r.row_number for r in rows], pa.int64()),
            "line_number": pa.array([r.line_number for r in rows], pa.int64()),
            "request_id": pa.array([r.request_id for r in rows], pa.string()),
            "column_name": pa.array([r.column for r in rows], pa.string()),
            "raw_value": pa.array([r.raw_value for r in rows], pa.string()),
            "reason": pa.array([r.reason for r in rows], pa.string()),
            "action": pa.array([r.action for r in rows], pa.string()),
        }
    )
    con.register("_quarantine_batch", table)
    try:
        con.execute("INSERT INTO quarantine SELECT * FROM _quarantine_batch")
    finally:
        con.unregister("_quarantine_batch")


def clear_quarantine(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Drop what earlier loads of ``source`` listed, before a load that replaces them records its own."""
    con.execute("DELETE FROM quarantine WHERE source = ?", [source])


def list_loads(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[dict[str, Any]]:
    """The most recent loads, newest first."""
    cursor = con.execute(
        "SELECT load_id, kind, source, format, detail, started_at, finished_at, rows_read, rows_loaded,"
        " rows_updated, rows_unchanged, rows_stale, rows_quarantined, rows_flagged"
        " FROM load_log ORDER BY load_id DESC LIMIT ?",
        [limit],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
