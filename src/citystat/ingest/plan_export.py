"""Import the plan's spreadsheet export (the raw, hand-typed form) for reconciliation.

The export ("Performance Plan Data", one row per measure and planning cycle) is kept apart from
the reported measures: its rows go to ``plan_export_rows`` with their labels normalised and the plan
measure they match, and its numbers to ``plan_export_values``, read by the rules in plan_values.
``plan_export_resolved`` gives one value per measure, fiscal year and period, and the load's notes
say how well the export agrees with the plan's normalised tables.

Rules, each leaving a quarantine row with file, row, column, raw text and reason:

- a row without a Measure ID, or whose planning cycle cannot be read, is rejected;
- two rows with the same Measure ID, planning cycle, agency and title are one measure twice: the
  most recently modified is kept, the other rejected. Rows that share a Measure ID but are
  different measures (the usual case in the city's export) are all kept and flagged, since the ID
  cannot identify them; they are matched by agency and title like every row;
- rows are matched to plan measures by agency and normalised title, then, within the agency, by a
  title at least ``title_match_threshold`` similar when exactly one measure is that close. A title
  that fits several measures is flagged and left unmatched;
- labels go through the layout's tables; an unknown label is kept normalised and flagged.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from citystat.catalog.text import clean_text, could_be_similar, title_key, title_similarity
from citystat.errors import IngestError
from citystat.ingest.files import CsvRow, describe_file, printable, read_csv
from citystat.ingest.loadlog import (
    LoadResult,
    QuarantineRow,
    find_previous_load,
    next_load_id,
    record_load,
    record_quarantine,
)
from citystat.ingest.plan_layout import ExportLayout, layout_for
from citystat.ingest.plan_store import replace_table
from citystat.ingest.plan_values import RESCALED, parse_export_value, reason_key
from citystat.profiles import CityProfile
from citystat.warehouse.city import resolve_profile
from citystat.warehouse.connection import transaction

DEFAULT_MAX_FIELD_CHARS = 65_536
NO_ID = "no Measure ID"
SHARED_ID = "Measure ID shared with another measure in this planning cycle"
ROW_SCHEMA = pa.schema(
    [
        ("source_row", pa.int64()),
        ("line_number", pa.int64()),
        ("measure_code", pa.string()),
        ("planning_cycle", pa.int32()),
        ("title", pa.string()),
        ("agency_id", pa.string()),
        ("agency_name", pa.string()),
        ("service_id", pa.string()),
        ("measure_type", pa.string()),
        ("direction", pa.string()),
        ("unit", pa.string()),
        ("interval_label", pa.string()),
        ("equity", pa.bool_()),
        ("deprecated", pa.bool_()),
        ("status", pa.string()),
        ("measure_request", pa.string()),
        ("formula", pa.string()),
        ("data_source", pa.string()),
        ("modified_at", pa.timestamp("us")),
        ("shared_code", pa.bool_()),
        ("measure_id", pa.string()),
        ("match_method", pa.string()),
        ("match_score", pa.float64()),
        ("load_id", pa.int64()),
    ]
)
VALUE_SCHEMA = pa.schema(
    [
        ("source_row", pa.int64()),
        ("column_name", pa.string()),
        ("fiscal_year", pa.int32()),
        ("period", pa.string()),
        ("raw_value", pa.string()),
        ("value", pa.float64()),
        ("rescaled", pa.bool_()),
        ("load_id", pa.int64()),
    ]
)
# Label fields: export field -> (label table, plan_export_rows column).
LABEL_FIELDS = {
    "measure_type": ("measure_type", "measure_type"),
    "direction": ("direction", "direction"),
    "unit": ("unit", "unit"),
    "interval": ("interval", "interval_label"),
    "status": ("status", "status"),
    "measure_request": ("measure_request", "measure_request"),
}
FLAG_FIELDS = {"equity": "equity", "deprecated": "deprecated"}


@dataclass
class ExportRow:
    """One export row, read and normalised."""

    row: int
    line: int
    code: str
    fields: dict[str, Any]
    values: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ExportRead:
    rows: list[ExportRow] = field(default_factory=list)
    problems: list[QuarantineRow] = field(default_factory=list)
    rows_read: int = 0


@dataclass(frozen=True)
class Candidate:
    measure_id: str
    key: str


@dataclass
class Comparison:
    """How the export's resolved values compare with the plan's normalised values."""

    compared: int = 0
    equal: int = 0
    different: int = 0
    missing_in_plan: int = 0
    cycle_conflicts: int = 0  # (measure, year, period) whose FY26 and FY27 rows disagree


def resolve_columns(layout: ExportLayout, header: list[str], path: Path) -> dict[str, str]:
    """Export field -> header column; a required column that is missing is an error naming it."""
    names = {h.strip(): h for h in header}
    missing = [
        layout.columns[f]
        for f in ("measure_code", "title", "agency", "cycle", "unit")
        if layout.columns[f] not in names
    ]
    if missing:
        raise IngestError(f"{path}: not a performance-plan export; missing column(s) {', '.join(missing)}")
    return {f: names[c] for f, c in layout.columns.items() if c in names}


def flag(row: CsvRow, code: str | None, column: str, raw: str | None, reason: str) -> QuarantineRow:
    return QuarantineRow(row.row_number, row.line_number, code, column, raw, reason, "flagged")


def reject(row: CsvRow, code: str | None, column: str, raw: str | None, reason: str) -> QuarantineRow:
    return QuarantineRow(row.row_number, row.line_number, code, column, raw, reason, "rejected")


def read_labels(
    layout: ExportLayout, cells: dict[str, str], columns: dict[str, str], row: CsvRow, code: str
) -> tuple[dict[str, Any], list[QuarantineRow]]:
    """Normalised labels of one row, and a flag for each spelling the layout does not know."""
    fields: dict[str, Any] = {}
    problems: list[QuarantineRow] = []
    for name, (table, target) in LABEL_FIELDS.items():
        raw = cells.get(columns.get(name, ""), "")
        value, known = layout.label(table).lookup(raw)
        fields[target] = value
        if value and not known:
            problems.append(flag(row, code, columns[name], raw, f"unknown {table} label"))
    for name, target in FLAG_FIELDS.items():
        raw = cells.get(columns.get(name, ""), "")
        value, known = layout.label("yes_no").lookup(raw)
        fields[target] = None if not value else value == "yes"
        if value and not known:
            problems.append(flag(row, code, columns[name], raw, "unknown yes_no label"))
            fields[target] = None
    fields["deprecated"] = bool(fields["deprecated"])
    return fields, problems


def read_modified(
    layout: ExportLayout, raw: str, row: CsvRow, code: str, column: str
) -> tuple[dt.datetime | None, list[QuarantineRow]]:
    if not raw.strip():
        return None, []
    try:
        return dt.datetime.strptime(raw.strip(), layout.modified_format), []
    except ValueError:
        return None, [flag(row, code, column, raw, "modified time not understood")]


def read_values(
    value_columns: dict[str, tuple[int, str]], cells: dict[str, str], unit: str, row: CsvRow, code: str
) -> tuple[list[dict[str, Any]], list[QuarantineRow]]:
    values: list[dict[str, Any]] = []
    problems: list[QuarantineRow] = []
    for column, (fiscal_year, period) in value_columns.items():
        raw = cells[column]
        parsed = parse_export_value(raw, unit)
        if parsed is None:
            continue
        if parsed.problem is not None:
            problems.append(flag(row, code, column, raw, parsed.problem))
        values.append(
            {
                "source_row": row.row_number,
                "column_name": column,
                "fiscal_year": fiscal_year,
                "period": period,
                "raw_value": raw,
                "value": parsed.value,
                "rescaled": parsed.rescaled,
            }
        )
    return values, problems


def read_export_row(
    layout: ExportLayout,
    columns: dict[str, str],
    value_columns: dict[str, tuple[int, str]],
    header: list[str],
    row: CsvRow,
) -> tuple[ExportRow | None, list[QuarantineRow]]:
    """One export row normalised, or None (rejected) when it cannot identify a measure."""
    cells = dict(zip(header, row.fields, strict=True))
    code = clean_text(cells[columns["measure_code"]])
    title = clean_text(cells[columns["title"]])
    if not code:
        return None, [reject(row, None, columns["measure_code"], title, NO_ID)]
    cycle = layout.cycle_year(cells[columns["cycle"]])
    if cycle is None:
        raw = cells[columns["cycle"]]
        return None, [reject(row, code, columns["cycle"], raw, "planning cycle not understood")]
    if not title:
        return None, [reject(row, code, columns["title"], "", "no measure title")]
    fields, problems = read_labels(layout, cells, columns, row, code)
    modified_column = columns.get("modified", "")
    modified, more = read_modified(layout, cells.get(modified_column, ""), row, code, modified_column)
    problems += more
    fields.update(
        measure_code=code,
        planning_cycle=cycle,
        title=title,
        agency_id=layout.code_of(cells[columns["agency"]]) or None,
        agency_name=clean_text(cells.get(columns.get("agency_name", ""), "")) or None,
        service_id=layout.code_of(cells.get(columns.get("service", ""), "")) or None,
        formula=clean_text(cells.get(columns.get("formula", ""), "")) or None,
        data_source=clean_text(cells.get(columns.get("data_source", ""), "")) or None,
        modified_at=modified,
        shared_code=False,
    )
    values, more = read_values(value_columns, cells, fields["unit"], row, code)
    return ExportRow(row.row_number, row.line_number, code, fields, values), problems + more


def read_export(layout: ExportLayout, path: Path, max_field_chars: int) -> ExportRead:
    header, items = read_csv(path, max_field_chars=max_field_chars)
    columns = resolve_columns(layout, header, path)
    value_columns = layout.value_columns(header)
    if not value_columns:
        raise IngestError(
            f"{path}: no value columns (headers like 'FY 25 Q1', 'FY 24 Actual', 'FY 26 Target')"
        )
    read = ExportRead()
    for item in items:
        read.rows_read += 1
        if not isinstance(item, CsvRow):
            read.problems.append(
                QuarantineRow(
                    item.row_number, item.line_number, None, item.column, item.raw_value, item.reason
                )
            )
            continue
        row, problems = read_export_row(layout, columns, value_columns, header, item)
        read.problems += problems
        if row is not None:
            read.rows.append(row)
    settle_duplicates(read, columns["measure_code"])
    return read


def settle_duplicates(read: ExportRead, code_column: str) -> None:
    """Apply the duplicate rules (see the module docstring) to rows sharing a Measure ID and cycle."""
    groups: dict[tuple[str, int], list[ExportRow]] = defaultdict(list)
    for row in read.rows:
        groups[(row.code, row.fields["planning_cycle"])].append(row)
    dropped: set[int] = set()
    for rows in groups.values():
        if len(rows) < 2:
            continue
        same: dict[tuple[str | None, str], list[ExportRow]] = defaultdict(list)
        for row in rows:
            same[(row.fields["agency_id"], title_key(row.fields["title"]))].append(row)
        for copies in same.values():
            newest = max(copies, key=lambda r: (r.fields["modified_at"] or dt.datetime.min, r.row))
            for row in copies:
                if row is not newest:
                    dropped.add(row.row)
                    reason = f"duplicate of row {newest.row} (same Measure ID, cycle, agency and title; kept)"
                    read.problems.append(
                        QuarantineRow(row.row, row.line, row.code, code_column, row.code, reason, "rejected")
                    )
        if len(same) > 1:
            others = ", ".join(str(r.row) for r in rows)
            for row in rows:
                row.fields["shared_code"] = True
                reason = f"{SHARED_ID} (rows {others}): matched by agency and title"
                read.problems.append(
                    QuarantineRow(row.row, row.line, row.code, code_column, row.code, reason, "flagged")
                )
    read.rows = [row for row in read.rows if row.row not in dropped]


def read_candidates(con: duckdb.DuckDBPyConnection) -> dict[str, list[Candidate]]:
    """The plan's measures by agency, with their title keys (from the last plan import)."""
    by_agency: dict[str, list[Candidate]] = defaultdict(list)
    for measure_id, agency_id, title in con.execute(
        "SELECT measure_id, agency_id, title FROM plan_measures ORDER BY plan_measure_id"
    ).fetchall():
        by_agency[str(agency_id)].append(Candidate(str(measure_id), title_key(str(title))))
    return by_agency


def match_row(
    row: ExportRow, candidates: dict[str, list[Candidate]], threshold: float
) -> tuple[str | None, str, float | None, list[str]]:
    """(measure id, method, score, all ids that fit) for one export row."""
    key = title_key(row.fields["title"])
    pool = candidates.get(row.fields["agency_id"] or "", [])
    exact = [c.measure_id for c in pool if c.key == key]
    if len(exact) == 1:
        return exact[0], "agency+title", 1.0, exact
    if exact:
        return None, "ambiguous", 1.0, exact
    words = key.split()
    scored = [
        (title_similarity(c.key, key), c.measure_id)
        for c in pool
        if could_be_similar(c.key.split(), words, threshold)
    ]
    close = [(score, measure_id) for score, measure_id in scored if score >= threshold]
    if len(close) == 1:
        return close[0][1], "agency+similar title", close[0][0], [close[0][1]]
    if close:
        return None, "ambiguous", max(score for score, _ in close), [m for _, m in close]
    return None, "none", None, []


def match_rows(
    read: ExportRead, candidates: dict[str, list[Candidate]], threshold: float, title: str
) -> None:
    for row in read.rows:
        measure_id, method, score, fits = match_row(row, candidates, threshold)
        row.fields.update(measure_id=measure_id, match_method=method, match_score=score)
        if method == "ambiguous":
            reason = f"title fits {len(fits)} plan measures of the agency ({', '.join(fits)}): not matched"
            read.problems.append(
                QuarantineRow(row.row, row.line, row.code, title, row.fields["title"], reason, "flagged")
            )


def compare_with_plan(con: duckdb.DuckDBPyConnection) -> Comparison:
    """Count resolved export values equal to, different from, or missing in the plan's tables."""
    row = con.execute(
        """
        WITH stored AS (
            SELECT measure_id, period_label AS label, value FROM measure_values
            WHERE engine = 'reported' AND dimension = ''
            QUALIFY version = max(version) OVER (PARTITION BY measure_id)
            UNION ALL
            SELECT measure_id, 'target FY' || fiscal_year, value FROM measure_targets
        ), export AS (
            SELECT measure_id, value,
                   CASE period WHEN 'annual' THEN 'FY' || fiscal_year
                               WHEN 'target' THEN 'target FY' || fiscal_year
                               ELSE 'FY' || fiscal_year || ' Q' || right(period, 1) END AS label
            FROM plan_export_resolved
        )
        SELECT count(*),
               count(*) FILTER (WHERE s.value IS NOT NULL
                                AND abs(e.value - s.value) <= 1e-9 * greatest(1, abs(s.value))),
               count(*) FILTER (WHERE s.value IS NOT NULL
                                AND abs(e.value - s.value) > 1e-9 * greatest(1, abs(s.value))),
               count(*) FILTER (WHERE s.value IS NULL)
        FROM export e LEFT JOIN stored s USING (measure_id, label)
        """
    ).fetchone()
    conflicts = con.execute(
        """
        SELECT count(*) FROM (
            SELECT r.measure_id, v.fiscal_year, v.period FROM plan_export_values v
            JOIN plan_export_rows r USING (source_row)
            WHERE r.measure_id IS NOT NULL AND v.value IS NOT NULL
            GROUP BY ALL HAVING max(v.value) - min(v.value) > 1e-9 * greatest(1, abs(max(v.value)))
        )
        """
    ).fetchone()
    assert row is not None and conflicts is not None
    compared, equal, different, missing = (int(x) for x in row)
    return Comparison(compared, equal, different, missing, int(conflicts[0]))


def describe(result: LoadResult, read: ExportRead, con: duckdb.DuckDBPyConnection, plan_size: int) -> None:
    rejected = [p for p in read.problems if p.action == "rejected"]
    flagged = [p for p in read.problems if p.action == "flagged"]
    result.rows_read = read.rows_read
    result.rows_loaded = len(read.rows)
    result.rows_quarantined = len({p.row_number for p in rejected})
    result.rows_flagged = len({p.row_number for p in flagged})
    result.rejected_by_reason.update(reason_key(p.reason) for p in rejected)
    result.flagged_by_reason.update(reason_key(p.reason) for p in flagged)
    methods = Counter(row.fields["match_method"] for row in read.rows)
    unmatched = [r for r in read.rows if r.fields["measure_id"] is None]
    deprecated = sum(1 for r in unmatched if r.fields["deprecated"])
    covered = len({r.fields["measure_id"] for r in read.rows if r.fields["measure_id"]})
    matched = methods["agency+title"] + methods["agency+similar title"]
    share = matched / len(read.rows) if read.rows else 0.0
    result.notes.append(
        f"matched {matched:,} of {len(read.rows):,} rows ({share:.1%}) to plan measures: "
        f"{methods['agency+title']:,} by agency and title, {methods['agency+similar title']:,} by a "
        f"similar title; {methods['ambiguous']:,} ambiguous; {methods['none']:,} unmatched "
        f"({deprecated:,} of the unmatched marked deprecated)"
    )
    result.notes.append(f"plan measures found in the export: {covered:,} of {plan_size:,}")
    values = [v for r in read.rows for v in r.values]
    cleared = sum(1 for v in values if v["value"] is None)
    rescaled = sum(1 for v in values if v["rescaled"])
    result.notes.append(
        f"values: {len(values):,} cells read, {cleared:,} not numbers (cleared), {rescaled:,} percents "
        f"divided by 100 ({RESCALED.split(':')[0]})"
    )
    comparison = compare_with_plan(con)
    result.notes.append(
        f"against the plan's tables: {comparison.equal:,} of {comparison.compared:,} resolved values equal, "
        f"{comparison.different:,} different, {comparison.missing_in_plan:,} not in the plan's tables"
    )
    result.notes.append(
        f"{comparison.cycle_conflicts:,} (measure, year, period) values differ between planning cycles;"
        " the newest cycle's value is used"
    )


def ingest_plan_export(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    profile: CityProfile | None = None,
    force: bool = False,
    max_field_chars: int = DEFAULT_MAX_FIELD_CHARS,
    value_chars: int = 500,
) -> LoadResult:
    """Load the spreadsheet export at ``path`` (replacing the previous export) in one transaction.

    Load the plan's tables first (``ingest_plan``) so rows can be matched to plan measures.
    ``profile`` defaults to the city the warehouse holds. Quarantine rows carry the export's
    Measure ID in ``request_id``.
    """
    profile = profile or resolve_profile(con, None)
    layout = layout_for(profile).export
    info = describe_file(path)
    result = LoadResult(kind="plan", source=str(path), format=layout_for(profile).name, detail="export")
    previous = find_previous_load(con, "plan", info.sha256, result.detail)
    if previous is not None and not force:
        result.skipped_as_load = previous
        result.notes.append(f"same export already loaded as load {previous}; nothing changed")
        return result
    read = read_export(layout, path, max_field_chars)
    candidates = read_candidates(con)
    plan_size = sum(len(c) for c in candidates.values())
    if not plan_size:
        result.notes.append("no plan measures in the warehouse: load the plan's tables first to match rows")
    match_rows(read, candidates, layout.title_match_threshold, layout.columns["title"])
    started = dt.datetime.now()
    with transaction(con):
        load_id = next_load_id(con)
        result.load_id = load_id
        rows = [
            {**r.fields, "source_row": r.row, "line_number": r.line, "load_id": load_id} for r in read.rows
        ]
        values = [{**v, "load_id": load_id} for r in read.rows for v in r.values]
        con.execute("DELETE FROM plan_export_values")
        replace_table(con, "plan_export_rows", rows, ROW_SCHEMA)
        replace_table(con, "plan_export_values", values, VALUE_SCHEMA)
        describe(result, read, con, plan_size)
        problems = [replace(p, raw_value=printable(p.raw_value, value_chars)) for p in read.problems]
        record_quarantine(con, load_id, str(path), sorted(problems, key=lambda p: p.row_number or 0))
        record_load(con, result, info, started)
    return result
