"""The audit log: every change to a measure definition, target or value is recorded here."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb


def record_audit(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: Any = None,
    after: Any = None,
) -> None:
    """Append one audit row (call inside the transaction that makes the change)."""
    con.execute(
        "INSERT INTO audit_log (recorded_at, actor, action, entity, entity_id, before, after)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
            actor,
            action,
            entity,
            entity_id,
            None if before is None else json.dumps(before, default=str, sort_keys=True),
            None if after is None else json.dumps(after, default=str, sort_keys=True),
        ],
    )


def list_audit(con: duckdb.DuckDBPyConnection, entity_id: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT * FROM audit_log"
    params: list[Any] = []
    if entity_id is not None:
        sql += " WHERE entity_id = ?"
        params.append(entity_id)
    cursor = con.execute(sql + " ORDER BY audit_id", params)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
