"""Measures as the warehouse holds them: the version in force, with targets from measure_targets."""

from __future__ import annotations

import json
from collections import defaultdict

import duckdb

from citystat.catalog.lint import StoredValue
from citystat.catalog.model import Measure


def read_stored_measures(con: duckdb.DuckDBPyConnection, kind: str = "reported") -> list[Measure]:
    """The newest recorded version of every measure of ``kind``, its targets filled in."""
    rows = con.execute(
        "SELECT measure_id, definition FROM measure_definitions WHERE kind = ?"
        " QUALIFY row_number() OVER (PARTITION BY measure_id ORDER BY version DESC) = 1"
        " ORDER BY measure_id",
        [kind],
    ).fetchall()
    targets: dict[str, dict[int, float]] = defaultdict(dict)
    for measure_id, fiscal_year, value in con.execute(
        "SELECT measure_id, fiscal_year, value FROM measure_targets"
    ).fetchall():
        targets[str(measure_id)][int(fiscal_year)] = float(value)
    measures = []
    for measure_id, definition in rows:
        data = json.loads(definition)
        data["targets"] = targets.get(str(measure_id), {})
        measures.append(Measure.model_validate(data))
    return measures


def read_stored_values(con: duckdb.DuckDBPyConnection, measure_ids: list[str]) -> list[StoredValue]:
    """Citywide values of the version in force of ``measure_ids``."""
    rows = con.execute(
        "SELECT measure_id, period_label, value FROM measure_values"
        " WHERE list_contains(?, measure_id) AND dimension = '' AND value IS NOT NULL"
        " QUALIFY version = max(version) OVER (PARTITION BY measure_id)"
        " ORDER BY measure_id, period_start, grain",
        [measure_ids],
    ).fetchall()
    return [StoredValue(str(m), str(label), float(v)) for m, label, v in rows]
