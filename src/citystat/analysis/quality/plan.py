"""Data-quality checks on reported measures (the performance plan and its spreadsheet export).

Checks and their rules:

- **format**: a percent measure's value or target above 1 (percents are stored as fractions, so
  1.1 is 110% and 583,809 is a dollar amount in a percent measure). Fails that period's value
  (a target above 1 fails the measure: every status judged against it is wrong).
- **validity**: an export cell that is not a number (quarantined by the plan import as "not a
  number") fails that measure's period when the export row is matched to a plan measure.
- **duplicates**: a (Measure ID, fiscal year) pair used by more than one export row: the export
  cannot say which measure its values belong to. Minor for each measure matched to such a row.
- **timeliness** (when the caller passes ``as_of``): the newest reported period ended more than
  the measure's cadence before ``as_of`` fails the measure and that period.

Everything here reads the warehouse only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import duckdb

from citystat.analysis.quality.grade import grade_measure
from citystat.analysis.quality.model import Finding, MeasureQuality
from citystat.analysis.quality.requests import CADENCE_DAYS
from citystat.analysis.series import read_fiscal_start_month, read_measure
from citystat.catalog.model import Grain
from citystat.engine.periods import label_period, next_period_start
from citystat.ingest.plan_values import fiscal_quarter_start

QUARTERS = {"q1": 1, "q2": 2, "q3": 3, "q4": 4}
NOT_A_NUMBER = "not a number"


@dataclass(frozen=True)
class PercentCell:
    """A percent measure's stored value (or target) above 1."""

    measure_id: str
    grain: str  # fiscal_quarter | fiscal_year | target
    period_start: dt.date | None
    label: str
    value: float


@dataclass(frozen=True)
class UnreadableCell:
    """An export cell that is not a number, as quarantined by the plan import."""

    source_row: int
    column_name: str
    raw_value: str
    measure_id: str | None  # the matched plan measure, if any
    fiscal_year: int | None
    period: str | None  # q1 .. q4 | annual | target


@dataclass(frozen=True)
class SharedCode:
    """A (Measure ID, fiscal year) pair that more than one export row uses."""

    measure_code: str
    fiscal_year: int
    source_rows: tuple[int, ...]
    measure_ids: tuple[str | None, ...]


@dataclass(frozen=True)
class PlanQuality:
    percent_above_one: tuple[PercentCell, ...]
    unreadable: tuple[UnreadableCell, ...]
    shared_codes: tuple[SharedCode, ...]


def find_percent_above_one(con: duckdb.DuckDBPyConnection) -> list[PercentCell]:
    """Reported percent values and targets above 1 (values in force and recorded targets)."""
    values = con.execute(
        "WITH u AS (SELECT measure_id, arg_max(json_extract_string(definition, '$.unit'), version) AS unit"
        " FROM measure_definitions WHERE kind = 'reported' GROUP BY 1)"
        " SELECT v.measure_id, v.grain, v.period_start, v.period_label, v.value"
        " FROM measure_values v JOIN u USING (measure_id)"
        " WHERE u.unit = 'percent' AND v.engine = 'reported' AND v.value > 1"
        " ORDER BY 1, 3, 2"
    ).fetchall()
    targets = con.execute(
        "WITH u AS (SELECT measure_id, arg_max(json_extract_string(definition, '$.unit'), version) AS unit"
        " FROM measure_definitions WHERE kind = 'reported' GROUP BY 1)"
        " SELECT t.measure_id, t.fiscal_year, t.value FROM measure_targets t"
        " JOIN u USING (measure_id) WHERE u.unit = 'percent' AND t.value > 1 ORDER BY 1, 2"
    ).fetchall()
    cells = [PercentCell(str(m), str(g), s, str(label), float(v)) for m, g, s, label, v in values]
    cells += [PercentCell(str(m), "target", None, f"FY{y} target", float(v)) for m, y, v in targets]
    return cells


def find_unreadable_cells(con: duckdb.DuckDBPyConnection) -> list[UnreadableCell]:
    rows = con.execute(
        "SELECT q.row_number, q.column_name, q.raw_value, r.measure_id, v.fiscal_year, v.period"
        " FROM quarantine q JOIN load_log l USING (load_id)"
        " LEFT JOIN plan_export_rows r ON r.source_row = q.row_number"
        " LEFT JOIN plan_export_values v ON v.source_row = q.row_number AND v.column_name = q.column_name"
        " WHERE l.kind = 'plan' AND l.detail = 'export' AND q.reason = ? AND q.action = 'flagged'"
        " ORDER BY 1, 2",
        [NOT_A_NUMBER],
    ).fetchall()
    return [UnreadableCell(int(n), str(c), str(raw), m, y, p) for n, c, raw, m, y, p in rows]


def find_shared_codes(con: duckdb.DuckDBPyConnection) -> list[SharedCode]:
    rows = con.execute(
        "SELECT measure_code, planning_cycle, list(source_row ORDER BY source_row),"
        " list(measure_id ORDER BY source_row) FROM plan_export_rows"
        " GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 1, 2"
    ).fetchall()
    return [SharedCode(str(c), int(y), tuple(rs), tuple(ms)) for c, y, rs, ms in rows]


def check_plan(con: duckdb.DuckDBPyConnection) -> PlanQuality:
    """Every format, readability and duplicate problem of the imported plan and export."""
    return PlanQuality(
        percent_above_one=tuple(find_percent_above_one(con)),
        unreadable=tuple(find_unreadable_cells(con)),
        shared_codes=tuple(find_shared_codes(con)),
    )


def cell_start(
    fiscal_year: int, period: str, grain: Grain, fiscal_start_month: int
) -> tuple[dt.date, str] | None:
    """Where an export cell lands at ``grain`` (quarters at fiscal_quarter, years at fiscal_year)."""
    if grain == "fiscal_quarter" and period in QUARTERS:
        start = fiscal_quarter_start(fiscal_year, QUARTERS[period], fiscal_start_month)
    elif grain == "fiscal_year" and period in ("annual", "target"):
        start = fiscal_quarter_start(fiscal_year, 1, fiscal_start_month)
    else:
        return None
    return start, label_period(start, grain, fiscal_start_month)


def check_reported_measure(
    con: duckdb.DuckDBPyConnection,
    measure_id: str,
    *,
    grain: Grain = "fiscal_year",
    plan: PlanQuality | None = None,
    as_of: dt.date | None = None,
) -> MeasureQuality:
    """Grade a reported measure's values at ``grain`` (fiscal_quarter or fiscal_year); with
    ``as_of``, also whether its newest value is recent enough for its cadence."""
    plan = plan or check_plan(con)
    fiscal_start_month = read_fiscal_start_month(con)
    labels: dict[dt.date, str] = {}
    findings: list[Finding] = []
    for cell in plan.percent_above_one:
        if cell.measure_id != measure_id:
            continue
        detail = f"percent measure {cell.label}: {cell.value:g} is above 1 (100%)"
        if cell.grain == "target":
            findings.append(Finding("format", "percent above 1", "fail", 1, None, detail))
        elif cell.grain == grain and cell.period_start is not None:
            labels[cell.period_start] = cell.label
            findings.append(Finding("format", "percent above 1", "fail", 1, None, detail, cell.period_start))
    unreadable: dict[tuple[dt.date, str], list[str]] = defaultdict(list)
    for item in plan.unreadable:
        if item.measure_id != measure_id or item.fiscal_year is None or item.period is None:
            continue
        placed = cell_start(item.fiscal_year, item.period, grain, fiscal_start_month)
        if placed is not None:
            unreadable[placed].append(f"{item.column_name} = {item.raw_value!r}")
    for (start, label), cells in sorted(unreadable.items()):
        labels[start] = label
        detail = f"export cell(s) not a number: {'; '.join(cells)}"
        findings.append(Finding("validity", NOT_A_NUMBER, "fail", len(cells), None, detail, start))
    for shared in plan.shared_codes:
        if measure_id in shared.measure_ids:
            detail = (
                f"export Measure ID {shared.measure_code} is used by {len(shared.source_rows)} rows"
                f" in FY{shared.fiscal_year} (rows {', '.join(map(str, shared.source_rows))})"
            )
            findings.append(
                Finding("duplicates", "shared export code", "minor", len(shared.source_rows), None, detail)
            )
    if as_of is not None:
        findings += check_reported_timeliness(con, measure_id, grain, as_of, labels)
    return grade_measure(measure_id, grain, findings, labels)


def check_reported_timeliness(
    con: duckdb.DuckDBPyConnection,
    measure_id: str,
    grain: Grain,
    as_of: dt.date,
    labels: dict[dt.date, str],
) -> list[Finding]:
    row = con.execute(
        "SELECT max(period_start) FROM measure_values"
        " WHERE measure_id = ? AND grain = ? AND value IS NOT NULL",
        [measure_id, grain],
    ).fetchone()
    newest = row[0] if row else None
    cadence = read_measure(con, measure_id).cadence
    limit = CADENCE_DAYS[cadence]
    if newest is None:
        return [Finding("timeliness", "no data", "fail", 0, None, f"no {grain} values reported")]
    end = next_period_start(newest, grain)
    age = (as_of - end).days
    label = label_period(newest, grain, read_fiscal_start_month(con))
    if age <= limit:
        detail = f"newest value {label} ended {age} day(s) before {as_of.isoformat()}"
        return [Finding("timeliness", "current", "pass", age, None, detail)]
    labels[newest] = label
    detail = (
        f"newest value {label} ended {age} days before {as_of.isoformat()};"
        f" a {cadence} measure needs a value within {limit} days"
    )
    return [
        Finding("timeliness", "stale data", "fail", age, None, detail),
        Finding("timeliness", "stale data", "fail", age, None, detail, newest),
    ]
