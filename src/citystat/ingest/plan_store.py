"""Write the plan into the warehouse: definitions, values and targets diffed against what is stored.

Every insert, change and removal of a definition, value or target writes an audit row (before and
after as JSON); an import that changes nothing writes nothing. History is never rewritten:

- a definition whose hash changes (unit, direction, formula, kind) gets a new version; the old
  version's row and values stay as they were, and the new version re-states the plan's values;
- a change that leaves the hash alone (title wording, owner, links) updates the current version's
  row in place, and the audit row keeps what it said before;
- values and targets are compared with the current version's; a value the plan no longer holds is
  removed (audited), since the plan is the source of record for its measures.

Table and column names in SQL come from the fixed lists in this module; every value is bound.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from citystat.catalog.model import Measure
from citystat.ingest.plan_build import ReportedTarget, ReportedValue

ACTOR = "citystat ingest plan"
BATCH = "_plan_batch"
ValueKey = tuple[str, int, str, dt.date]


@dataclass
class Changes:
    """How many rows of one kind were new, changed, unchanged, removed (and redefined)."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    redefined: int = 0

    def describe(self, what: str) -> str:
        parts = [f"{self.new:,} new", f"{self.changed:,} changed", f"{self.unchanged:,} unchanged"]
        if self.redefined:
            parts.insert(1, f"{self.redefined:,} redefined (new version)")
        if self.removed:
            parts.append(f"{self.removed:,} removed")
        return f"{what}: " + ", ".join(parts)


@dataclass
class AuditBatch:
    """Audit rows collected during an import, written in one batch inside its transaction."""

    rows: list[tuple[str, str, str, str | None, str | None]] = field(default_factory=list)

    def add(self, action: str, entity: str, entity_id: str, before: Any, after: Any) -> None:
        self.rows.append((action, entity, entity_id, as_json(before), as_json(after)))

    def write(self, con: duckdb.DuckDBPyConnection, actor: str, at: dt.datetime) -> None:
        if not self.rows:
            return
        table = pa.table(
            {
                "recorded_at": pa.array([at] * len(self.rows), pa.timestamp("us")),
                "actor": [actor] * len(self.rows),
                "action": [r[0] for r in self.rows],
                "entity": [r[1] for r in self.rows],
                "entity_id": [r[2] for r in self.rows],
                "before": pa.array([r[3] for r in self.rows], pa.string()),
                "after": pa.array([r[4] for r in self.rows], pa.string()),
            }
        )
        insert_table(con, "audit_log", table)


def as_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str, sort_keys=True, ensure_ascii=False)


def insert_table(con: duckdb.DuckDBPyConnection, table_name: str, batch: pa.Table) -> None:
    """INSERT the batch's columns, by name, into ``table_name`` (a name from this package's code)."""
    columns = ", ".join(batch.column_names)
    con.register(BATCH, batch)
    try:
        con.execute(f"INSERT INTO {table_name} ({columns}) SELECT {columns} FROM {BATCH}")  # noqa: S608
    finally:
        con.unregister(BATCH)


def replace_table(
    con: duckdb.DuckDBPyConnection, table_name: str, rows: Sequence[dict[str, Any]], schema: pa.Schema
) -> None:
    """Empty ``table_name`` and fill it with ``rows`` (inside the caller's transaction)."""
    con.execute(f"DELETE FROM {table_name}")  # noqa: S608
    if rows:
        insert_table(con, table_name, pa.Table.from_pylist(list(rows), schema=schema))


def definition_json(measure: Measure) -> dict[str, Any]:
    """The stored definition: the whole measure except its targets (kept in measure_targets)."""
    data: dict[str, Any] = json.loads(measure.model_dump_json(exclude={"targets"}))
    return data


def read_latest_definitions(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str]
) -> dict[str, tuple[int, str, dict[str, Any]]]:
    rows = con.execute(
        "SELECT measure_id, version, definition_hash, definition FROM measure_definitions"
        " WHERE list_contains(?, measure_id)"
        " QUALIFY row_number() OVER (PARTITION BY measure_id ORDER BY version DESC) = 1",
        [list(ids)],
    ).fetchall()
    return {str(m): (int(v), str(h), json.loads(d)) for m, v, h, d in rows}


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(before) | set(after) if k != "version" and before.get(k) != after.get(k))


def store_definitions(
    con: duckdb.DuckDBPyConnection,
    measures: Sequence[Measure],
    origin: str,
    audit: AuditBatch,
    now: dt.datetime,
) -> tuple[dict[str, int], Changes]:
    """Record each measure (new, redefined, updated or unchanged); return the version in force."""
    stored = read_latest_definitions(con, [m.id for m in measures])
    versions: dict[str, int] = {}
    changes = Changes()
    inserts: list[dict[str, Any]] = []
    for measure in measures:
        digest = measure.definition_hash()
        old = stored.get(measure.id)
        if old is None:
            versions[measure.id] = 1
            inserts.append(definition_row(measure, 1, digest, origin, now))
            audit.add("define", "measure", measure.id, None, {"version": 1, "hash": digest})
            changes.new += 1
            continue
        version, old_hash, old_definition = old
        new_definition = definition_json(measure.model_copy(update={"version": version}))
        fields = changed_fields(old_definition, new_definition)
        if old_hash != digest:
            versions[measure.id] = version + 1
            inserts.append(definition_row(measure, version + 1, digest, origin, now))
            audit.add(
                "redefine",
                "measure",
                measure.id,
                {"version": version, "hash": old_hash, **{k: old_definition.get(k) for k in fields}},
                {"version": version + 1, "hash": digest, **{k: new_definition.get(k) for k in fields}},
            )
            changes.redefined += 1
            continue
        versions[measure.id] = version
        if not fields:
            changes.unchanged += 1
            continue
        con.execute(
            "UPDATE measure_definitions SET title = ?, definition = ?, origin = ?, recorded_at = ?"
            " WHERE measure_id = ? AND version = ?",
            [measure.title, json.dumps(new_definition), origin, now, measure.id, version],
        )
        audit.add(
            "update",
            "measure",
            measure.id,
            {"version": version, **{k: old_definition.get(k) for k in fields}},
            {"version": version, **{k: new_definition.get(k) for k in fields}},
        )
        changes.changed += 1
    if inserts:
        insert_table(con, "measure_definitions", pa.Table.from_pylist(inserts, schema=DEFINITION_SCHEMA))
    return versions, changes


DEFINITION_SCHEMA = pa.schema(
    [
        ("measure_id", pa.string()),
        ("version", pa.int32()),
        ("kind", pa.string()),
        ("title", pa.string()),
        ("effective_from", pa.date32()),
        ("definition_hash", pa.string()),
        ("definition", pa.string()),
        ("origin", pa.string()),
        ("recorded_at", pa.timestamp("us")),
    ]
)
VALUE_SCHEMA = pa.schema(
    [
        ("measure_id", pa.string()),
        ("version", pa.int32()),
        ("grain", pa.string()),
        ("period_start", pa.date32()),
        ("period_label", pa.string()),
        ("dimension", pa.string()),
        ("dimension_value", pa.string()),
        ("value", pa.float64()),
        ("note", pa.string()),
        ("engine", pa.string()),
        ("catalog_version", pa.string()),
        ("load_ids", pa.string()),
        ("computed_at", pa.timestamp("us")),
    ]
)
TARGET_SCHEMA = pa.schema(
    [
        ("measure_id", pa.string()),
        ("fiscal_year", pa.int32()),
        ("value", pa.float64()),
        ("note", pa.string()),
        ("origin", pa.string()),
        ("recorded_at", pa.timestamp("us")),
    ]
)


def definition_row(
    measure: Measure, version: int, digest: str, origin: str, now: dt.datetime
) -> dict[str, Any]:
    return {
        "measure_id": measure.id,
        "version": version,
        "kind": measure.kind,
        "title": measure.title,
        "effective_from": None,  # the plan re-states the whole series under each version
        "definition_hash": digest,
        "definition": json.dumps(definition_json(measure.model_copy(update={"version": version}))),
        "origin": origin,
        "recorded_at": now,
    }


def value_entity(key: ValueKey, label: str) -> str:
    measure_id, version, _grain, _start = key
    return f"{measure_id}/v{version}/{label}"


def store_values(
    con: duckdb.DuckDBPyConnection,
    values: Sequence[ReportedValue],
    versions: dict[str, int],
    load_id: int,
    audit: AuditBatch,
    now: dt.datetime,
) -> Changes:
    """Bring the current version's reported values in line with the plan's."""
    wanted = {(v.measure_id, versions[v.measure_id], v.grain, v.period_start): v for v in values}
    current = con.execute(
        "SELECT v.measure_id, v.version, v.grain, v.period_start, v.period_label, v.value, v.note"
        " FROM measure_values v JOIN (SELECT unnest(?) AS measure_id, unnest(?) AS version) c"
        " USING (measure_id, version) WHERE v.engine = 'reported' AND v.dimension = ''",
        [list(versions), list(versions.values())],
    ).fetchall()
    stored = {
        (str(m), int(ver), str(g), start): (str(label), val, note)
        for m, ver, g, start, label, val, note in current
    }
    changes = Changes()
    writes: list[ReportedValue] = []
    deletes: list[ValueKey] = []
    for key, value in wanted.items():
        old = stored.get(key)
        after = {"value": value.value, "note": value.note}
        if old is None:
            changes.new += 1
            audit.add("set_value", "value", value_entity(key, value.period_label), None, after)
            writes.append(value)
        elif (old[1], old[2]) != (value.value, value.note):
            changes.changed += 1
            before = {"value": old[1], "note": old[2]}
            audit.add("set_value", "value", value_entity(key, value.period_label), before, after)
            writes.append(value)
            deletes.append(key)
        else:
            changes.unchanged += 1
    for key, (label, old_value, old_note) in stored.items():
        if key not in wanted:
            changes.removed += 1
            before = {"value": old_value, "note": old_note}
            audit.add("remove_value", "value", value_entity(key, label), before, None)
            deletes.append(key)
    delete_values(con, deletes)
    rows = [value_row(v, versions[v.measure_id], load_id, now) for v in writes]
    if rows:
        insert_table(con, "measure_values", pa.Table.from_pylist(rows, schema=VALUE_SCHEMA))
    return changes


def value_row(value: ReportedValue, version: int, load_id: int, now: dt.datetime) -> dict[str, Any]:
    return {
        "measure_id": value.measure_id,
        "version": version,
        "grain": value.grain,
        "period_start": value.period_start,
        "period_label": value.period_label,
        "dimension": "",
        "dimension_value": "",
        "value": value.value,
        "note": value.note,
        "engine": "reported",
        "catalog_version": str(load_id),
        "load_ids": str(load_id),
        "computed_at": now,
    }


def delete_values(con: duckdb.DuckDBPyConnection, keys: Iterable[ValueKey]) -> None:
    keys = list(keys)
    if not keys:
        return
    batch = pa.table(
        {
            "measure_id": [k[0] for k in keys],
            "version": pa.array([k[1] for k in keys], pa.int32()),
            "grain": [k[2] for k in keys],
            "period_start": pa.array([k[3] for k in keys], pa.date32()),
        }
    )
    con.register(BATCH, batch)
    try:
        con.execute(
            f"DELETE FROM measure_values v USING {BATCH} b WHERE v.measure_id = b.measure_id"  # noqa: S608
            " AND v.version = b.version AND v.grain = b.grain AND v.period_start = b.period_start"
            " AND v.dimension = '' AND v.dimension_value = '' AND v.engine = 'reported'"
        )
    finally:
        con.unregister(BATCH)


def store_targets(
    con: duckdb.DuckDBPyConnection,
    targets: Sequence[ReportedTarget],
    measure_ids: Sequence[str],
    origin: str,
    audit: AuditBatch,
    now: dt.datetime,
) -> Changes:
    """Bring the stored targets of ``measure_ids`` in line with the plan's."""
    wanted = {(t.measure_id, t.fiscal_year): t for t in targets}
    current = con.execute(
        "SELECT measure_id, fiscal_year, value, note FROM measure_targets WHERE list_contains(?, measure_id)",
        [list(measure_ids)],
    ).fetchall()
    stored = {(str(m), int(fy)): (float(v), n) for m, fy, v, n in current}
    changes = Changes()
    writes: list[ReportedTarget] = []
    deletes: list[tuple[str, int]] = []
    for key, target in wanted.items():
        old = stored.get(key)
        entity = f"{key[0]}/FY{key[1]}"
        after = {"value": target.value, "note": target.note}
        if old is None:
            changes.new += 1
            audit.add("set_target", "target", entity, None, after)
            writes.append(target)
        elif old != (target.value, target.note):
            changes.changed += 1
            audit.add("set_target", "target", entity, {"value": old[0], "note": old[1]}, after)
            writes.append(target)
            deletes.append(key)
        else:
            changes.unchanged += 1
    for key, (old_value, old_note) in stored.items():
        if key not in wanted:
            changes.removed += 1
            before = {"value": old_value, "note": old_note}
            audit.add("remove_target", "target", f"{key[0]}/FY{key[1]}", before, None)
            deletes.append(key)
    for measure_id, fiscal_year in deletes:
        con.execute(
            "DELETE FROM measure_targets WHERE measure_id = ? AND fiscal_year = ?", [measure_id, fiscal_year]
        )
    rows = [
        {
            "measure_id": t.measure_id,
            "fiscal_year": t.fiscal_year,
            "value": t.value,
            "note": t.note,
            "origin": origin,
            "recorded_at": now,
        }
        for t in writes
    ]
    if rows:
        insert_table(con, "measure_targets", pa.Table.from_pylist(rows, schema=TARGET_SCHEMA))
    return changes
