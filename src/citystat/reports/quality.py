"""The data-quality report: every loaded file and every measure graded, with the checks behind each
grade. ``citystat quality`` prints it; ``as_dict`` gives the same as plain JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from citystat.analysis.quality import (
    MeasureQuality,
    PlanQuality,
    SourceQuality,
    check_measures,
    check_plan,
    check_reported_measure,
    check_sources,
)
from citystat.analysis.series import read_measure
from citystat.catalog.model import Grain
from citystat.engine.query import QueryError


@dataclass(frozen=True)
class QualityReport:
    as_of: dt.date
    grain: Grain | None  # None: each measure at its cadence's grain
    sources: tuple[SourceQuality, ...]
    measures: tuple[MeasureQuality, ...]
    plan: PlanQuality | None  # when a performance plan is imported

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "grain": self.grain,
            "sources": [dataclasses.asdict(s) for s in self.sources],
            "measures": [dataclasses.asdict(m) for m in self.measures],
            "plan": None if self.plan is None else summarize_plan(self.plan),
        }


def summarize_plan(plan: PlanQuality) -> dict[str, int]:
    return {
        "percent_above_one": len(plan.percent_above_one),
        "unreadable_cells": len(plan.unreadable),
        "shared_codes": len(plan.shared_codes),
    }


def list_recorded_measures(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(measure id, kind) of every measure recorded in the warehouse, newest definition."""
    rows = con.execute(
        "SELECT measure_id, arg_max(kind, version) FROM measure_definitions GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return [(str(i), str(k)) for i, k in rows]


def has_plan(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT count(*) FROM measure_definitions WHERE kind = 'reported'").fetchone()
    return bool(row and row[0])


def build_quality_report(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: dt.date,
    measure_ids: list[str] | None = None,
    grain: Grain | None = None,
) -> QualityReport:
    """Grade the loaded files and the measures (``measure_ids``: these only; default all)."""
    recorded = dict(list_recorded_measures(con))
    wanted = measure_ids if measure_ids is not None else list(recorded)
    unknown = [m for m in wanted if m not in recorded]
    if unknown:
        read_measure(con, unknown[0])  # raises the standard "no measure ..." error
        raise QueryError(f"no measure {unknown[0]!r} in the warehouse")
    computed = [m for m in wanted if recorded[m] == "computed"]
    reported = [m for m in wanted if recorded[m] == "reported"]
    graded = check_measures(con, computed, as_of=as_of, grain=grain) if computed else {}
    plan = check_plan(con) if has_plan(con) else None
    for measure_id in reported:
        graded[measure_id] = check_reported_measure(
            con, measure_id, grain=grain or "fiscal_year", plan=plan, as_of=as_of
        )
    return QualityReport(
        as_of=as_of,
        grain=grain,
        sources=check_sources(con),
        measures=tuple(graded[m] for m in wanted),
        plan=plan,
    )
