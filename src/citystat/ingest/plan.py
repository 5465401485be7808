"""Import a city's performance plan (measures, actuals, targets, Action Plan) into the warehouse.

``ingest_plan(con, folder)`` reads the plan's normalised tables and, in one transaction:

1. replaces the reference tables (agencies, budget services, Action Plan pillars, goals and
   initiatives, agency goals, measure links) and the plan's measures and actuals as published;
2. records every plan measure as a *reported* measure ``plan-<measure_id>`` in
   ``measure_definitions`` (a new version when its definition hash changes);
3. stores quarterly and annual actuals in ``measure_values`` (engine ``reported``, grains
   ``fiscal_quarter`` and ``fiscal_year``, the agency's note in ``note``) and targets in
   ``measure_targets``; every change is audited (see plan_store).

Decisions, with their record:

- Percents are stored as fractions 0-1, as the plan publishes them. A percent measure's value above
  1 is kept as published and flagged in the quarantine table; it is never silently rescaled.
- A measure without a format keeps unit 'number' and is flagged.
- The plan's ``pillar_goal_id`` is an id in the planning app's goal table, which the published goal
  list (codes 1.1-6.4) does not carry; it is kept in plan_measures, and measures are linked to
  their pillar only.
- A note without a number stays in plan_actuals (counted in the load's notes).
- Plan measures have cadence 'quarterly' (the plan reports quarters and years; the agency's own
  update frequency, free text, stays in plan_measures).
- Measures the plan no longer lists are kept as they were (the load's notes count them).
- Quarantine rows name the file, row, line and column; ``request_id`` holds the plan's measure id.

The same folder twice changes nothing (the load log recognises the bytes); a failure or interrupt
at any step leaves the warehouse as it was.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pyarrow as pa

from citystat.ingest.files import ProgressFn, printable
from citystat.ingest.loadlog import (
    LoadResult,
    QuarantineRow,
    find_previous_load,
    next_load_id,
    record_load,
    record_quarantine,
)
from citystat.ingest.plan_build import (
    ID_PREFIX,
    ActualsOut,
    PlanMeasure,
    Problems,
    build_actuals,
    build_measures,
)
from citystat.ingest.plan_layout import layout_for
from citystat.ingest.plan_read import (
    ACTUAL_COLUMNS,
    MEASURE_COLUMNS,
    REFERENCE_TABLES,
    Cell,
    TableSpec,
    describe_folder,
    locate_plan_files,
    read_records,
    read_reference,
)
from citystat.ingest.plan_store import (
    ACTOR,
    AuditBatch,
    Changes,
    replace_table,
    store_definitions,
    store_targets,
    store_values,
)
from citystat.ingest.plan_values import reason_key
from citystat.profiles import CityProfile
from citystat.warehouse.city import resolve_profile
from citystat.warehouse.connection import transaction

DEFAULT_MAX_FIELD_CHARS = 65_536
STEPS = ("reference tables", "definitions", "values", "targets", "load log")
ARROW_TYPES = {"str": pa.string(), "int": pa.int32(), "bool": pa.bool_()}
MEASURE_SCHEMA = pa.schema(
    [
        ("plan_measure_id", pa.int32()),
        ("measure_id", pa.string()),
        *[
            (c, pa.int32() if c in ("pillar_id", "pillar_goal_id") else pa.string())
            for c in MEASURE_COLUMNS[1:]
            if not c.startswith("is_")
        ],
        ("is_city", pa.bool_()),
        ("is_agency", pa.bool_()),
        ("is_service", pa.bool_()),
        ("details_json", pa.string()),
        ("source_row", pa.int64()),
        ("load_id", pa.int64()),
    ]
)
ACTUAL_SCHEMA = pa.schema(
    [
        ("plan_measure_id", pa.int32()),
        ("fiscal_year", pa.int32()),
        *[(c, pa.string() if c.endswith("notes") else pa.float64()) for c in ACTUAL_COLUMNS[2:]],
        ("source_row", pa.int64()),
        ("load_id", pa.int64()),
    ]
)


StepFn = Callable[[], None]


def reference_schema(spec: TableSpec) -> pa.Schema:
    fields = [(column, ARROW_TYPES[kind.rstrip("?")]) for column, kind in spec.columns]
    return pa.schema([*fields, ("load_id", pa.int64())])


def clip(row: QuarantineRow, limit: int) -> QuarantineRow:
    return replace(row, raw_value=printable(row.raw_value, limit))


@dataclass
class PlanRead:
    """Everything read from the plan folder, before anything is written."""

    reference: dict[str, list[dict[str, Cell]]]
    measures: list[PlanMeasure]
    actuals: ActualsOut
    problems: Problems
    rows_read: int


def read_plan(files: dict[str, Path], profile: CityProfile, max_field_chars: int) -> PlanRead:
    """Read and check every file of the plan; nothing is written yet."""
    layout = layout_for(profile)
    problems = Problems()
    reference = {
        spec.name: read_reference(spec, files[spec.name], max_field_chars=max_field_chars)
        for spec in REFERENCE_TABLES
        if spec.name in files
    }
    agencies = {str(r["agency_id"]): str(r["agency_name"]) for r in reference["agencies"]}
    links: dict[int, list[str]] = defaultdict(list)
    for link in reference["service_links"]:
        links[int(str(link["plan_measure_id"]))].append(str(link["service_id"]))
    measure_records, bad_measures = read_records(
        files["measures"], MEASURE_COLUMNS, max_field_chars=max_field_chars, strict=False
    )
    problems.extend(files["measures"], bad_measures)
    measures = build_measures(measure_records, layout, agencies, links, problems)
    actual_records, bad_actuals = read_records(
        files["actuals"], ACTUAL_COLUMNS, max_field_chars=max_field_chars, strict=False
    )
    problems.extend(files["actuals"], bad_actuals)
    by_plan_id = {m.plan_id: m.measure for m in measures}
    actuals = build_actuals(actual_records, by_plan_id, profile.fiscal_year_start_month, problems)
    rows_read = len(measure_records) + len(bad_measures) + len(actual_records) + len(bad_actuals)
    return PlanRead(reference, measures, actuals, problems, rows_read)


def write_reference(con: duckdb.DuckDBPyConnection, plan: PlanRead, load_id: int) -> None:
    """Replace the reference tables and the plan's measures and actuals as published."""
    for spec in REFERENCE_TABLES:
        rows = [{**row, "load_id": load_id} for row in plan.reference.get(spec.name, [])]
        replace_table(con, spec.table, rows, reference_schema(spec))
    measures = [{**m.row, "load_id": load_id} for m in plan.measures]
    replace_table(con, "plan_measures", measures, MEASURE_SCHEMA)
    actuals = [{**row, "load_id": load_id} for row in plan.actuals.rows]
    replace_table(con, "plan_actuals", actuals, ACTUAL_SCHEMA)


def summarise(
    result: LoadResult, plan: PlanRead, definitions: Changes, values: Changes, targets: Changes
) -> None:
    """Fill the load's counts and notes."""
    rejected = plan.problems.rows("rejected")
    flagged = plan.problems.rows("flagged")
    result.rows_read = plan.rows_read
    result.rows_loaded = definitions.new + values.new + targets.new
    result.rows_updated = definitions.changed + definitions.redefined + values.changed + targets.changed
    result.rows_unchanged = definitions.unchanged + values.unchanged + targets.unchanged
    result.rows_quarantined = len(rejected)
    result.rows_flagged = len({(r.row_number, r.request_id, r.column) for r in flagged})
    result.rejected_by_reason.update(reason_key(r.reason) for r in rejected)
    result.flagged_by_reason.update(reason_key(r.reason) for r in flagged)
    grains = Counter(v.grain for v in plan.actuals.values)
    result.notes.append(definitions.describe("measures"))
    result.notes.append(
        values.describe("values")
        + f" ({grains['fiscal_quarter']:,} quarterly, {grains['fiscal_year']:,} annual in this plan)"
    )
    result.notes.append(targets.describe("targets"))
    if plan.actuals.notes_without_value:
        counts = ", ".join(f"{c} {n}" for c, n in sorted(plan.actuals.notes_without_value.items()))
        result.notes.append(f"notes without a number, kept in plan_actuals only: {counts}")
    sizes = ", ".join(f"{len(rows):,} {name}" for name, rows in plan.reference.items())
    result.notes.append(f"reference rows: {sizes}")


def note_absent_measures(con: duckdb.DuckDBPyConnection, result: LoadResult, present: list[str]) -> None:
    """Plan measures recorded by earlier imports but missing from this one are kept, and said so."""
    row = con.execute(
        "SELECT count(DISTINCT measure_id) FROM measure_definitions"
        " WHERE kind = 'reported' AND starts_with(measure_id, ?) AND NOT list_contains(?, measure_id)",
        [ID_PREFIX, present],
    ).fetchone()
    absent = int(row[0]) if row else 0
    if absent:
        result.notes.append(
            f"{absent:,} plan measure(s) from earlier imports are not in this plan; kept as they were"
        )


def ingest_plan(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    *,
    profile: CityProfile | None = None,
    force: bool = False,
    max_field_chars: int = DEFAULT_MAX_FIELD_CHARS,
    value_chars: int = 500,
    progress: ProgressFn | None = None,
) -> LoadResult:
    """Import the plan in ``folder`` atomically; see the module docstring for what goes where.

    ``profile`` defaults to the city the warehouse holds (its layout names the plan's files).

    ``progress(done, total)`` is called after each step (reference tables, definitions, values,
    targets, load log); an exception it raises, like any other, rolls the whole import back.
    """
    profile = profile or resolve_profile(con, None)
    layout = layout_for(profile)
    files = locate_plan_files(folder, layout.files)
    info = describe_folder(folder, files)
    result = LoadResult(kind="plan", source=str(folder), format=layout.name, detail="tables")
    previous = find_previous_load(con, "plan", info.sha256, result.detail)
    if previous is not None and not force:
        result.skipped_as_load = previous
        result.notes.append(f"same plan files already loaded as load {previous}; nothing changed")
        return result
    plan = read_plan(files, profile, max_field_chars)
    started = dt.datetime.now()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    step = stepper(progress)
    audit = AuditBatch()
    measures = [m.measure for m in plan.measures]
    with transaction(con):
        load_id = next_load_id(con)
        result.load_id = load_id
        write_reference(con, plan, load_id)
        step()
        versions, definitions = store_definitions(con, measures, str(files["measures"]), audit, now)
        step()
        values = store_values(con, plan.actuals.values, versions, load_id, audit, now)
        step()
        origin = str(files["actuals"])
        targets = store_targets(con, plan.actuals.targets, list(versions), origin, audit, now)
        step()
        audit.write(con, ACTOR, now)
        summarise(result, plan, definitions, values, targets)
        note_absent_measures(con, result, list(versions))
        for path, rows in plan.problems.by_file.items():
            record_quarantine(con, load_id, str(path), [clip(row, value_chars) for row in rows])
        record_load(con, result, info, started)
        step()
    return result


def stepper(progress: ProgressFn | None) -> StepFn:
    """A function that reports one more finished step each time it is called."""
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(STEPS))

    return step
