"""Record measure definitions as versioned series; a changed definition needs a new version.

History is never rewritten: if the parts of a measure that define its numbers change while the
version number stays the same, recording fails with a clear message instead of silently
re-basing the series.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from citystat.catalog.load import CatalogError
from citystat.catalog.model import Measure
from citystat.warehouse.audit import record_audit


@dataclass(frozen=True)
class StoredDefinition:
    version: int
    definition_hash: str
    effective_from: dt.date | None


def latest_definition(con: duckdb.DuckDBPyConnection, measure_id: str) -> StoredDefinition | None:
    row = con.execute(
        "SELECT version, definition_hash, effective_from FROM measure_definitions"
        " WHERE measure_id = ? ORDER BY version DESC LIMIT 1",
        [measure_id],
    ).fetchone()
    return StoredDefinition(int(row[0]), str(row[1]), row[2]) if row else None


def record_definition(con: duckdb.DuckDBPyConnection, measure: Measure, origin: str, actor: str) -> str:
    """Store ``measure`` if new or re-versioned; return 'new', 'redefined' or 'unchanged'.

    Call inside a transaction. Raises :class:`CatalogError` when the definition changed without a
    new version, or when the catalog holds an older version than the warehouse.
    """
    stored = latest_definition(con, measure.id)
    digest = measure.definition_hash()
    if stored is not None:
        if measure.version == stored.version:
            if digest != stored.definition_hash:
                raise CatalogError(
                    f"measure {measure.id!r} changed how it is computed but is still version "
                    f"{measure.version}: give it version {measure.version + 1} and an effective_from "
                    "date so the old series is kept"
                )
            return "unchanged"
        if measure.version < stored.version:
            raise CatalogError(
                f"measure {measure.id!r} is version {measure.version} in the catalog but version "
                f"{stored.version} is already recorded; versions only go up"
            )
        if measure.effective_from is None:
            raise CatalogError(
                f"measure {measure.id!r} version {measure.version} needs an effective_from date "
                "(the first day the new definition applies)"
            )
    con.execute(
        "INSERT INTO measure_definitions (measure_id, version, kind, title, effective_from,"
        " definition_hash, definition, origin, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            measure.id,
            measure.version,
            measure.kind,
            measure.title,
            measure.effective_from,
            digest,
            measure.model_dump_json(),
            origin,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
        ],
    )
    before = None if stored is None else {"version": stored.version, "hash": stored.definition_hash}
    record_audit(
        con,
        actor=actor,
        action="define" if stored is None else "redefine",
        entity="measure",
        entity_id=measure.id,
        before=before,
        after={"version": measure.version, "hash": digest, "effective_from": measure.effective_from},
    )
    return "new" if stored is None else "redefined"


def record_targets(con: duckdb.DuckDBPyConnection, measure: Measure, origin: str, actor: str) -> int:
    """Store the catalog's targets for ``measure``; every change is audited. Returns rows changed."""
    stored = dict(
        con.execute(
            "SELECT fiscal_year, value FROM measure_targets WHERE measure_id = ?", [measure.id]
        ).fetchall()
    )
    changed = 0
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for fiscal_year, value in sorted(measure.targets.items()):
        old = stored.get(fiscal_year)
        if old is not None and float(old) == float(value):
            continue
        con.execute(
            "INSERT INTO measure_targets (measure_id, fiscal_year, value, note, origin, recorded_at)"
            " VALUES (?, ?, ?, NULL, ?, ?) ON CONFLICT (measure_id, fiscal_year)"
            " DO UPDATE SET value = excluded.value, origin = excluded.origin,"
            " recorded_at = excluded.recorded_at",
            [measure.id, fiscal_year, value, origin, now],
        )
        record_audit(
            con,
            actor=actor,
            action="set_target",
            entity="target",
            entity_id=f"{measure.id}/FY{fiscal_year}",
            before=None if old is None else float(old),
            after=float(value),
        )
        changed += 1
    return changed
