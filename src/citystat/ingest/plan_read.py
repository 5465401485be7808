"""Reading the performance plan's normalised tables: files, typed columns, clear errors.

Reference tables (agencies, services, pillars, goals, initiatives, links) are read strictly: a cell
that is not of its column's type stops the import with the file, row, line and column. The two
tables of measures and actuals quarantine a bad row instead and go on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from citystat.errors import IngestError
from citystat.ingest.files import CsvRow, FileInfo, read_csv
from citystat.ingest.loadlog import QuarantineRow
from citystat.ingest.plan_layout import OPTIONAL_FILES, PLAN_FILE_KEYS

ColumnType = Literal["str", "str?", "int", "int?", "bool?"]
Cell = str | int | bool | None

MEASURE_COLUMNS = (
    "measure_id",
    "agency_id",
    "title",
    "measure_type",
    "description",
    "data_source",
    "data_owner_role",
    "update_frequency",
    "formula",
    "desired_direction",
    "format_type",
    "display_unit",
    "pillar_id",
    "pillar_goal_id",
    "is_city",
    "is_agency",
    "is_service",
    "approval_status",
)
ACTUAL_COLUMNS = (
    "measure_id",
    "fiscal_year",
    "q1_value",
    "q1_notes",
    "q2_value",
    "q2_notes",
    "q3_value",
    "q3_notes",
    "q4_value",
    "q4_notes",
    "annual_actual",
    "annual_actual_notes",
    "target_value",
    "target_value_notes",
)
VALUE_CELLS = ("q1_value", "q2_value", "q3_value", "q4_value", "annual_actual", "target_value")


@dataclass(frozen=True)
class Record:
    """One data row of a plan file: 1-based row number, physical line, cells by column."""

    path: Path
    row: int
    line: int
    cells: dict[str, str]

    def where(self, column: str | None = None) -> str:
        spot = f"{self.path}: row {self.row} (line {self.line})"
        return spot + (f", column {column!r}" if column else "")

    def text(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass(frozen=True)
class TableSpec:
    """A reference file and the warehouse table it fills, with typed columns (key columns first)."""

    name: str
    table: str
    columns: tuple[tuple[str, ColumnType], ...]
    key: tuple[str, ...]


REFERENCE_TABLES = (
    TableSpec(
        "agencies",
        "plan_agencies",
        (
            ("agency_id", "str"),
            ("agency_name", "str"),
            ("public_name", "str?"),
            ("deputy_mayor_pillar", "str?"),
            ("submit_plan", "bool?"),
            ("is_quasi", "bool?"),
            ("active", "bool?"),
        ),
        ("agency_id",),
    ),
    TableSpec(
        "services",
        "plan_services",
        (
            ("service_id", "str"),
            ("service_name", "str"),
            ("agency_id", "str?"),
            ("service_type", "str?"),
            ("pillar_id", "int?"),
            ("pillar_name", "str?"),
            ("active", "bool?"),
        ),
        ("service_id",),
    ),
    TableSpec(
        "pillars",
        "plan_pillars",
        (
            ("pillar_id", "int"),
            ("pillar_name", "str"),
            ("pillar_lead", "str?"),
            ("summary", "str?"),
            ("overview", "str?"),
            ("sort_order", "int?"),
        ),
        ("pillar_id",),
    ),
    TableSpec(
        "pillar_goals",
        "plan_pillar_goals",
        (
            ("goal_code", "str"),
            ("pillar_id", "int"),
            ("goal_title", "str"),
            ("goal_lead", "str?"),
            ("sort_order", "int?"),
        ),
        ("goal_code",),
    ),
    TableSpec(
        "initiatives",
        "plan_initiatives",
        (("goal_code", "str"), ("sort_order", "int"), ("initiative_title", "str")),
        ("goal_code", "sort_order"),
    ),
    TableSpec(
        "agency_goals",
        "plan_agency_goals",
        (("agency_goal_id", "int"), ("plan_id", "int?"), ("title", "str"), ("sort_order", "int?")),
        ("agency_goal_id",),
    ),
    TableSpec(
        "entities",
        "plan_entities",
        (
            ("entity_id", "int"),
            ("parent_agency_id", "str?"),
            ("public_name", "str"),
            ("entity_type", "str?"),
            ("has_own_plan", "bool?"),
            ("active", "bool?"),
        ),
        ("entity_id",),
    ),
    TableSpec(
        "entity_services",
        "plan_entity_services",
        (
            ("pes_id", "int"),
            ("entity_id", "int"),
            ("service_id", "str"),
            ("service_name", "str?"),
            ("is_primary", "bool?"),
        ),
        ("pes_id",),
    ),
    TableSpec(
        "service_links",
        "plan_measure_services",
        (("link_id", "int"), ("plan_measure_id", "int"), ("service_id", "str")),
        ("link_id",),
    ),
    TableSpec(
        "goal_links",
        "plan_measure_goals",
        (("link_id", "int"), ("plan_measure_id", "int"), ("agency_goal_id", "int")),
        ("link_id",),
    ),
)
# Link files name the measure 'measure_id'; the warehouse calls the plan's id 'plan_measure_id'.
SOURCE_COLUMN = {"plan_measure_id": "measure_id"}


def locate_plan_files(folder: Path, names: dict[str, str]) -> dict[str, Path]:
    """The plan's files in ``folder`` (``names``: file key -> file name, from the layout); a missing
    required file is an error naming it."""
    if not folder.is_dir():
        raise IngestError(f"{folder}: not a folder (give the folder that holds {names['measures']})")
    found = {key: folder / names[key] for key in PLAN_FILE_KEYS if (folder / names[key]).is_file()}
    missing = [names[key] for key in PLAN_FILE_KEYS if key not in found and key not in OPTIONAL_FILES]
    if missing:
        raise IngestError(f"{folder}: not a performance-plan folder; missing {', '.join(missing)}")
    return found


def describe_folder(folder: Path, files: dict[str, Path]) -> FileInfo:
    """One hash over the names and bytes of the plan's files: the same folder twice is recognised."""
    digest = hashlib.sha256()
    size = 0
    for name in sorted(files):
        data = files[name].read_bytes()
        digest.update(files[name].name.encode() + b"\0" + hashlib.sha256(data).digest())
        size += len(data)
    return FileInfo(folder, digest.hexdigest(), size)


def read_records(
    path: Path, required: Iterable[str], *, max_field_chars: int, strict: bool
) -> tuple[list[Record], list[QuarantineRow]]:
    """Rows of ``path`` as records. A missing column is an error; a structurally broken row is an
    error when ``strict``, otherwise a quarantined row."""
    header, rows = read_csv(path, max_field_chars=max_field_chars)
    names = [h.strip() for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise IngestError(
            f"{path}: missing column(s) {', '.join(missing)}; the header has {', '.join(names)}"
        )
    records: list[Record] = []
    problems: list[QuarantineRow] = []
    for item in rows:
        if isinstance(item, CsvRow):
            records.append(
                Record(path, item.row_number, item.line_number, dict(zip(names, item.fields, strict=True)))
            )
            continue
        if strict:
            raise IngestError(f"{path}: row {item.row_number} (line {item.line_number}): {item.reason}")
        problems.append(
            QuarantineRow(item.row_number, item.line_number, None, item.column, item.raw_value, item.reason)
        )
    return records, problems


def convert(record: Record, column: str, kind: ColumnType) -> Cell:
    """One cell as its column's type; the error names file, row, line and column."""
    raw = record.text(column).strip()
    if not raw:
        if kind.endswith("?"):
            return None
        raise IngestError(f"{record.where(column)}: empty, but a value is required")
    if kind.startswith("str"):
        return raw
    if kind.startswith("int"):
        if raw.lstrip("-").isdigit():
            return int(raw)
        raise IngestError(f"{record.where(column)}: {raw!r} is not a whole number")
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise IngestError(f"{record.where(column)}: {raw!r} is not true or false")


def read_reference(spec: TableSpec, path: Path, *, max_field_chars: int) -> list[dict[str, Cell]]:
    """A reference table, typed; duplicate keys are an error naming both rows."""
    sources = [SOURCE_COLUMN.get(column, column) for column, _ in spec.columns]
    records, _ = read_records(path, sources, max_field_chars=max_field_chars, strict=True)
    rows: list[dict[str, Cell]] = []
    seen: dict[tuple[Cell, ...], int] = {}
    for record in records:
        row = {
            column: convert(record, SOURCE_COLUMN.get(column, column), kind) for column, kind in spec.columns
        }
        key = tuple(row[k] for k in spec.key)
        if key in seen:
            raise IngestError(
                f"{record.where(SOURCE_COLUMN.get(spec.key[0], spec.key[0]))}: duplicate key "
                f"{', '.join(map(str, key))} (first in row {seen[key]})"
            )
        seen[key] = record.row
        rows.append(row)
    return rows
