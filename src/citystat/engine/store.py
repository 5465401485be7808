"""Write one scan's results into ``measure_values`` (long form, one row per measure and group)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import duckdb
import pyarrow as pa

from citystat.catalog.model import Grain, Measure
from citystat.engine.compile import Scan
from citystat.engine.periods import as_date

SCAN_VIEW = "_scan_values"
LABEL_VIEW = "_period_labels"
MEASURE_VIEW = "_scan_measures"
PER_MEASURE = ("value", "num", "den")


def stack_measures(values: pa.Table, count: int) -> pa.Table:
    """The scan's wide result (``m{i}_value/num/den`` per measure) as one long table with an
    ``idx`` column naming the measure, so all measures are written by one statement."""
    shared = {
        name: values.column(name) for name in ("period_start", "dimension_value", "load_min", "load_max")
    }
    parts = []
    for index in range(count):
        columns = {"idx": pa.array([index] * values.num_rows, pa.int32()), **shared}
        columns.update({part: values.column(f"m{index}_{part}").cast(pa.float64()) for part in PER_MEASURE})
        parts.append(pa.table(columns))
    return pa.concat_tables(parts)


def write_scan_values(
    con: duckdb.DuckDBPyConnection,
    scan: Scan,
    measures: Sequence[Measure],
    values: pa.Table,
    periods: Sequence[dt.date] | None,
    labels: Callable[[dt.date, Grain], str],
    provenance: tuple[str, str, dt.datetime],
) -> int:
    """Replace the stored values of ``measures`` for the scan's grain/dimension (all periods, or
    just ``periods``) with ``values``; return rows written. Call inside a transaction.

    Groups where a ratio or statistic had no rows are not stored (there is nothing to say);
    counts of zero are stored. A version with an ``effective_from`` date starts there.
    """
    engine, catalog_version, computed_at = provenance
    starts = sorted({as_date(v) for v in values.column("period_start").to_pylist()})
    period_labels = pa.table(
        {"period_start": pa.array(starts, pa.date32()), "label": [labels(s, scan.grain) for s in starts]}
    )
    scan_measures = pa.table(
        {
            "idx": pa.array(range(len(measures)), pa.int32()),
            "measure_id": [m.id for m in measures],
            "version": pa.array([m.version for m in measures], pa.int32()),
            "keep_empty": [
                m.computation is not None and m.computation.aggregate == "count" for m in measures
            ],
            "effective_from": pa.array([m.effective_from for m in measures], pa.date32()),
        }
    )
    con.register(SCAN_VIEW, stack_measures(values, len(measures)))
    con.register(LABEL_VIEW, period_labels)
    con.register(MEASURE_VIEW, scan_measures)
    try:
        delete = (
            f"DELETE FROM measure_values USING {MEASURE_VIEW} m"
            " WHERE measure_values.measure_id = m.measure_id AND measure_values.version = m.version"
            " AND measure_values.grain = ? AND measure_values.dimension = ?"
        )
        params: list[object] = [scan.grain, scan.dimension]
        if periods is not None:
            delete += " AND list_contains(?, measure_values.period_start)"
            params.append(list(periods))
        con.execute(delete, params)
        row = con.execute(
            f"""
            INSERT INTO measure_values
            SELECT m.measure_id, m.version, ?, v.period_start::DATE, l.label, ?, v.dimension_value,
                   v.value, v.num, v.den, NULL, ?, ?,
                   CASE WHEN v.load_min = v.load_max THEN v.load_min::VARCHAR
                        ELSE v.load_min::VARCHAR || '-' || v.load_max::VARCHAR END,
                   ?
            FROM {SCAN_VIEW} v
            JOIN {MEASURE_VIEW} m ON m.idx = v.idx
            JOIN {LABEL_VIEW} l ON l.period_start = v.period_start::DATE
            WHERE (m.keep_empty OR coalesce(v.den, 0) > 0)
              AND (m.effective_from IS NULL OR v.period_start::DATE >= m.effective_from)
            """,
            [scan.grain, scan.dimension, engine, catalog_version, computed_at],
        ).fetchone()
    finally:
        con.unregister(SCAN_VIEW)
        con.unregister(LABEL_VIEW)
        con.unregister(MEASURE_VIEW)
    return int(row[0]) if row else 0
