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
    con.register(SCAN_VIEW, values)
    con.register(LABEL_VIEW, period_labels)
    written = 0
    try:
        for index, measure in enumerate(measures):
            delete = (
                "DELETE FROM measure_values WHERE measure_id = ? AND version = ? AND grain = ?"
                " AND dimension = ?"
            )
            params: list[object] = [measure.id, measure.version, scan.grain, scan.dimension]
            if periods is not None:
                delete += " AND list_contains(?, period_start)"
                params.append(list(periods))
            con.execute(delete, params)
            keep_empty = measure.computation is not None and measure.computation.aggregate == "count"
            row = con.execute(
                f"""
                INSERT INTO measure_values
                SELECT ?, ?, ?, v.period_start::DATE, l.label, ?, v.dimension_value,
                       v.m{index}_value, v.m{index}_num, v.m{index}_den, NULL, ?, ?,
                       CASE WHEN v.load_min = v.load_max THEN v.load_min::VARCHAR
                            ELSE v.load_min::VARCHAR || '-' || v.load_max::VARCHAR END,
                       ?
                FROM {SCAN_VIEW} v JOIN {LABEL_VIEW} l ON l.period_start = v.period_start::DATE
                WHERE (? OR coalesce(v.m{index}_den, 0) > 0)
                  AND (?::DATE IS NULL OR v.period_start::DATE >= ?::DATE)
                """,
                [
                    measure.id,
                    measure.version,
                    scan.grain,
                    scan.dimension,
                    engine,
                    catalog_version,
                    computed_at,
                    keep_empty,
                    measure.effective_from,
                    measure.effective_from,
                ],
            ).fetchone()
            written += int(row[0]) if row else 0
    finally:
        con.unregister(SCAN_VIEW)
        con.unregister(LABEL_VIEW)
    return written
