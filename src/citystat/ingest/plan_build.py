"""Turn the plan's measure and actual rows into catalog measures, reported values and targets.

Every plan measure becomes a *reported* :class:`~citystat.catalog.model.Measure` with id
``plan-<measure_id>`` (the plan's own number, prefixed so it can never collide with a catalog id).
Its labels are normalised through the layout's vocabularies; a label the layout does not know is
kept out of the definition and flagged.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from citystat.catalog.model import ActionPlanLink, Measure, Process
from citystat.catalog.text import clean_text
from citystat.errors import IngestError
from citystat.ingest.loadlog import QuarantineRow
from citystat.ingest.plan_layout import PlanLayout, Vocabulary
from citystat.ingest.plan_read import ACTUAL_COLUMNS, MEASURE_COLUMNS, Cell, ColumnType, Record, convert
from citystat.ingest.plan_values import (
    NOT_A_NUMBER,
    PERCENT_ABOVE_1,
    clean_note,
    fiscal_label,
    fiscal_quarter_start,
    fiscal_year_start,
    read_number,
)

ID_PREFIX = "plan-"
QUARTERS = (
    (1, "q1_value", "q1_notes"),
    (2, "q2_value", "q2_notes"),
    (3, "q3_value", "q3_notes"),
    (4, "q4_value", "q4_notes"),
)
MEASURE_TYPES: dict[str, ColumnType] = {
    "pillar_id": "int?",
    "pillar_goal_id": "int?",
    "is_city": "bool?",
    "is_agency": "bool?",
    "is_service": "bool?",
}
NO_FORMAT = "no format given: unit left as 'number'"


def plan_measure_id(plan_id: int) -> str:
    """The citystat id of plan measure ``plan_id`` ('plan-1')."""
    return f"{ID_PREFIX}{plan_id}"


@dataclass(frozen=True)
class PlanMeasure:
    plan_id: int
    measure: Measure
    row: dict[str, Cell]  # one plan_measures row


@dataclass(frozen=True)
class ReportedValue:
    measure_id: str
    grain: str  # fiscal_quarter | fiscal_year
    period_start: dt.date
    period_label: str
    value: float
    note: str | None


@dataclass(frozen=True)
class ReportedTarget:
    measure_id: str
    fiscal_year: int
    value: float
    note: str | None


@dataclass
class Problems:
    """Quarantine rows by source file."""

    by_file: dict[Path, list[QuarantineRow]] = field(default_factory=lambda: defaultdict(list))

    def add(
        self,
        record: Record,
        column: str | None,
        raw: str | None,
        reason: str,
        *,
        action: str,
        key: str | None = None,
    ) -> None:
        self.by_file[record.path].append(
            QuarantineRow(record.row, record.line, key, column, raw, reason, action)
        )

    def extend(self, path: Path, rows: Sequence[QuarantineRow]) -> None:
        self.by_file[path].extend(rows)

    def rows(self, action: str) -> list[QuarantineRow]:
        return [row for rows in self.by_file.values() for row in rows if row.action == action]


@dataclass
class ActualsOut:
    """What the actuals table yields."""

    rows: list[dict[str, Cell | float]] = field(default_factory=list)  # plan_actuals rows
    values: list[ReportedValue] = field(default_factory=list)
    targets: list[ReportedTarget] = field(default_factory=list)
    notes_without_value: Counter[str] = field(default_factory=Counter)  # column -> count


def try_convert(record: Record, column: str, kind: ColumnType) -> tuple[Cell, str | None]:
    try:
        return convert(record, column, kind), None
    except IngestError as exc:
        return None, str(exc).split(": ", 2)[-1]


def read_plan_id(record: Record, problems: Problems, seen: dict[int, int]) -> int | None:
    """The row's measure id, or None (quarantined) when missing, not a number or repeated."""
    raw = record.text("measure_id")
    plan_id, error = try_convert(record, "measure_id", "int")
    if error is not None or not isinstance(plan_id, int):
        problems.add(record, "measure_id", raw, f"bad measure id: {error}", action="rejected")
        return None
    if plan_id in seen:
        reason = f"duplicate measure id (first in row {seen[plan_id]})"
        problems.add(record, "measure_id", raw, reason, action="rejected", key=raw)
        return None
    return plan_id


def measure_row(record: Record, plan_id: int, problems: Problems) -> dict[str, Cell] | None:
    """The plan_measures row: the published columns, a few typed, the rest kept as JSON."""
    row: dict[str, Cell] = {"plan_measure_id": plan_id, "measure_id": plan_measure_id(plan_id)}
    for column in MEASURE_COLUMNS[1:]:
        kind = MEASURE_TYPES.get(column, "str?")
        value, error = try_convert(record, column, kind)
        if error is not None:
            problems.add(record, column, record.text(column), error, action="rejected", key=str(plan_id))
            return None
        row[column] = value
    if not row["agency_id"] or not row["title"]:
        column = "agency_id" if not row["agency_id"] else "title"
        problems.add(record, column, "", f"no {column}", action="rejected", key=str(plan_id))
        return None
    others = {k: v for k, v in record.cells.items() if k not in MEASURE_COLUMNS}
    row["details_json"] = json.dumps(others, ensure_ascii=False, sort_keys=True)
    row["source_row"] = record.row
    return row


def label_of(
    vocabulary: Vocabulary, record: Record, column: str, problems: Problems, key: str
) -> tuple[str, bool]:
    value, known = vocabulary.lookup(record.text(column))
    if not known:
        reason = f"unknown {column} label: left out of the definition"
        problems.add(record, column, record.text(column), reason, action="flagged", key=key)
    return value, known


def processes_of(row: dict[str, Cell], services: list[str]) -> list[Process]:
    """Budget book: a service measure or one linked to a budget service. Action Plan: linked to a
    pillar. The plan does not say which measures CitiStat reviews."""
    processes: list[Process] = []
    if row["is_service"] or services:
        processes.append("budget_book")
    if row["pillar_id"] is not None:
        processes.append("action_plan")
    return processes


def build_measure(
    record: Record,
    row: dict[str, Cell],
    layout: PlanLayout,
    agencies: dict[str, str],
    services: list[str],
    problems: Problems,
) -> Measure | None:
    key = str(row["plan_measure_id"])
    measure_type, type_known = label_of(layout.measure_types, record, "measure_type", problems, key)
    direction, direction_known = label_of(layout.directions, record, "desired_direction", problems, key)
    unit, unit_known = label_of(layout.units, record, "format_type", problems, key)
    if unit_known and unit == "number":
        problems.add(record, "format_type", record.text("format_type"), NO_FORMAT, action="flagged", key=key)
    pillar = row["pillar_id"]
    agency_id = str(row["agency_id"])
    try:
        return Measure.model_validate(
            {
                "id": row["measure_id"],
                "title": clean_text(str(row["title"])),
                "definition": (row["description"] or ""),
                "kind": "reported",
                "agency": agencies.get(agency_id, agency_id),
                "budget_services": services,
                "measure_type": measure_type if type_known else None,
                "unit": unit if unit_known else "number",
                "format": row["display_unit"] or "",
                "direction": direction if direction_known else "none",
                "cadence": "quarterly",
                "formula": row["formula"] or "",
                "data_source": row["data_source"] or "",
                "owner_role": row["data_owner_role"] or "",
                "processes": processes_of(row, services),
                "action_plan": None if pillar is None else ActionPlanLink(pillar=str(pillar)),
            }
        )
    except ValidationError as exc:
        reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        problems.add(record, None, None, f"not a valid measure: {reason}", action="rejected", key=key)
        return None


def build_measures(
    records: Sequence[Record],
    layout: PlanLayout,
    agencies: dict[str, str],
    service_links: dict[int, list[str]],
    problems: Problems,
) -> list[PlanMeasure]:
    """One :class:`PlanMeasure` per good row of measures.csv."""
    seen: dict[int, int] = {}
    built: list[PlanMeasure] = []
    for record in records:
        plan_id = read_plan_id(record, problems, seen)
        if plan_id is None:
            continue
        seen[plan_id] = record.row
        row = measure_row(record, plan_id, problems)
        if row is None:
            continue
        services = sorted(set(service_links.get(plan_id, [])))
        measure = build_measure(record, row, layout, agencies, services, problems)
        if measure is not None:
            built.append(PlanMeasure(plan_id, measure, row))
    return built


def read_cell(record: Record, column: str, problems: Problems, key: str) -> float | None:
    raw = record.text(column)
    if not raw.strip():
        return None
    read = read_number(raw)
    if read is None:
        problems.add(record, column, raw, NOT_A_NUMBER, action="flagged", key=key)
        return None
    number, percent_sign = read
    return number / 100 if percent_sign else number


def actual_row(record: Record, plan_id: int, fiscal_year: int, problems: Problems) -> dict[str, Cell | float]:
    """The plan_actuals row: numbers typed, notes verbatim."""
    row: dict[str, Cell | float] = {"plan_measure_id": plan_id, "fiscal_year": fiscal_year}
    for column in ACTUAL_COLUMNS[2:]:
        if column.endswith("notes"):
            row[column] = record.text(column) or None
        else:
            row[column] = read_cell(record, column, problems, str(plan_id))
    row["source_row"] = record.row
    return row


def check_percent(record: Record, row: dict[str, Cell | float], column: str, problems: Problems) -> None:
    value = row[column]
    if isinstance(value, float) and abs(value) > 1:
        key = str(row["plan_measure_id"])
        problems.add(record, column, record.text(column), PERCENT_ABOVE_1, action="flagged", key=key)


def note_of(row: dict[str, Cell | float], column: str) -> str | None:
    value = row[column]
    return clean_note(value) if isinstance(value, str) else None


def place_values(row: dict[str, Cell | float], measure_id: str, start_month: int, out: ActualsOut) -> None:
    """Quarterly, annual and target cells of one actuals row into values and targets.

    A note without a number stays in plan_actuals only (it is counted, not lost).
    """
    fiscal_year = int(str(row["fiscal_year"]))
    cells: list[tuple[str, str, int | None]] = [(v, n, q) for q, v, n in QUARTERS]
    cells.append(("annual_actual", "annual_actual_notes", None))
    for value_column, note_column, quarter in cells:
        value, note = row[value_column], note_of(row, note_column)
        if not isinstance(value, float):
            if note:
                out.notes_without_value[note_column] += 1
            continue
        if quarter is None:
            grain, start = "fiscal_year", fiscal_year_start(fiscal_year, start_month)
        else:
            grain, start = "fiscal_quarter", fiscal_quarter_start(fiscal_year, quarter, start_month)
        label = fiscal_label(fiscal_year, quarter)
        out.values.append(ReportedValue(measure_id, grain, start, label, value, note))
    target, note = row["target_value"], note_of(row, "target_value_notes")
    if isinstance(target, float):
        out.targets.append(ReportedTarget(measure_id, fiscal_year, target, note))
    elif note:
        out.notes_without_value["target_value_notes"] += 1


def build_actuals(
    records: Sequence[Record],
    measures: dict[int, Measure],
    start_month: int,
    problems: Problems,
) -> ActualsOut:
    """Values and targets of the measures that loaded; rows for other measures are quarantined."""
    out = ActualsOut()
    seen: dict[tuple[int, int], int] = {}
    for record in records:
        plan_id, error = try_convert(record, "measure_id", "int")
        fiscal_year, year_error = try_convert(record, "fiscal_year", "int")
        if not isinstance(plan_id, int) or error:
            problems.add(
                record, "measure_id", record.text("measure_id"), f"bad measure id: {error}", action="rejected"
            )
            continue
        if not isinstance(fiscal_year, int) or year_error or not 1900 < fiscal_year < 2200:
            reason = f"bad fiscal year: {year_error or 'out of range'}"
            problems.add(
                record, "fiscal_year", record.text("fiscal_year"), reason, action="rejected", key=str(plan_id)
            )
            continue
        measure = measures.get(plan_id)
        if measure is None:
            reason = "measure not in measures.csv (or quarantined there)"
            problems.add(record, "measure_id", str(plan_id), reason, action="rejected", key=str(plan_id))
            continue
        if (plan_id, fiscal_year) in seen:
            reason = f"duplicate (measure, fiscal year) (first in row {seen[(plan_id, fiscal_year)]})"
            problems.add(record, "fiscal_year", str(fiscal_year), reason, action="rejected", key=str(plan_id))
            continue
        seen[(plan_id, fiscal_year)] = record.row
        row = actual_row(record, plan_id, fiscal_year, problems)
        if measure.unit == "percent":
            for column in ("q1_value", "q2_value", "q3_value", "q4_value", "annual_actual", "target_value"):
                check_percent(record, row, column, problems)
        out.rows.append(row)
        place_values(row, measure.id, start_month, out)
    return out
