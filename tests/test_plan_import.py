"""The performance plan import on Baltimore's real plan, checked against independent reads.

Expected numbers come from DuckDB's own read_csv of the raw files (or Python's csv module) in the
test, and from PROVENANCE.md where it states them; never from citystat's import code.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from citystat.engine.query import query_series
from citystat.errors import IngestError
from citystat.ingest.plan import ingest_plan
from citystat.ingest.plan_export import ingest_plan_export
from citystat.ingest.plan_values import fiscal_quarter_start, parse_export_value, read_number
from citystat.profiles import CityProfile, load_profile
from citystat.warehouse import open_warehouse
from tests.conftest import REAL, need_real_data

PLAN = REAL / "baltimore-performance-measures"
EXPORT = PLAN / "performance_data_export.csv"
MEASURE_TABLES = ("measure_definitions", "measure_values", "measure_targets", "audit_log")
PLAN_TABLES = ("plan_measures", "plan_actuals", "plan_agencies", "plan_services", "plan_pillars")
VALUE_COLUMN = re.compile(r"^FY \d\d (Actual|Target|Q[1-4])$")


@pytest.fixture(scope="module")
def profile() -> CityProfile:
    return load_profile("baltimore")


@pytest.fixture(scope="module")
def plan_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The real plan and its export imported once into a fresh warehouse."""
    need_real_data()
    con = open_warehouse(tmp_path_factory.mktemp("plan") / "plan.duckdb")
    ingest_plan(con, PLAN, profile=load_profile("baltimore"))
    ingest_plan_export(con, EXPORT, profile=load_profile("baltimore"))
    yield con
    con.close()


@pytest.fixture(scope="module")
def raw() -> Iterator[duckdb.DuckDBPyConnection]:
    """The raw CSVs read by DuckDB itself, independently of citystat."""
    need_real_data()
    con = duckdb.connect()
    for name in ("measures", "measure_actuals"):
        con.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, all_varchar = true, header = true)",
            [str(PLAN / f"{name}.csv")],
        )
    yield con
    con.close()


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> object:
    row = con.execute(sql, params or []).fetchone()
    assert row is not None
    return row[0]


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    tables = (
        *MEASURE_TABLES,
        *PLAN_TABLES,
        "load_log",
        "quarantine",
        "plan_export_rows",
        "plan_export_values",
    )
    return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}


def copy_plan(tmp_path: Path) -> Path:
    """A working copy of the plan's tables (outside the repository) that a test may edit."""
    folder = tmp_path / "plan"
    folder.mkdir()
    for path in PLAN.glob("*.csv"):
        if path.name != EXPORT.name:
            shutil.copy(path, folder / path.name)
    return folder


def edit_csv(path: Path, match: dict[str, str], changes: dict[str, str]) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    hits = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(hits) == 1, (match, len(hits))
    hits[0].update(changes)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


# --- the normalised tables -------------------------------------------------------------------


def test_every_plan_measure_is_a_reported_measure(plan_db, raw) -> None:
    expected = {f"plan-{r[0]}" for r in raw.execute("SELECT measure_id FROM measures").fetchall()}
    assert len(expected) == 701  # PROVENANCE.md
    stored = plan_db.execute("SELECT measure_id, version, kind FROM measure_definitions").fetchall()
    assert {m for m, _, _ in stored} == expected
    assert {(v, k) for _, v, k in stored} == {(1, "reported")}
    origin = one(plan_db, "SELECT DISTINCT origin FROM measure_definitions")
    assert origin == str(PLAN / "measures.csv")


def test_values_by_grain_match_the_non_null_cells(plan_db, raw) -> None:
    counts = raw.execute(
        "SELECT count(q1_value), count(q2_value), count(q3_value), count(q4_value), count(annual_actual),"
        " count(target_value), count(*) FROM measure_actuals"
    ).fetchone()
    assert counts == (990, 974, 926, 467, 2201, 1961, 3239)  # PROVENANCE.md
    by_grain = dict(
        plan_db.execute(
            "SELECT grain, count(*) FROM measure_values WHERE engine = 'reported' GROUP BY grain"
        ).fetchall()
    )
    assert by_grain == {"fiscal_quarter": 990 + 974 + 926 + 467, "fiscal_year": 2201}
    assert one(plan_db, "SELECT count(*) FROM measure_values WHERE value IS NULL") == 0
    assert one(plan_db, "SELECT count(*) FROM measure_targets") == 1961
    assert one(plan_db, "SELECT count(*) FROM plan_actuals") == 3239
    quarters = dict(
        plan_db.execute(
            "SELECT right(period_label, 2), count(*) FROM measure_values WHERE grain = 'fiscal_quarter'"
            " GROUP BY ALL"
        ).fetchall()
    )
    assert quarters == {"Q1": 990, "Q2": 974, "Q3": 926, "Q4": 467}


def test_every_value_sits_in_its_baltimore_fiscal_period(plan_db, raw) -> None:
    """Recompute each value's period from the raw file with date arithmetic written here."""
    raw_values = raw.execute(
        """
        SELECT 'plan-' || measure_id, fy, q, v FROM (
            SELECT measure_id, fiscal_year::INT AS fy,
                   unnest([1, 2, 3, 4, 0]) AS q,
                   unnest([q1_value, q2_value, q3_value, q4_value, annual_actual])::DOUBLE AS v
            FROM measure_actuals) WHERE v IS NOT NULL
        """
    ).fetchall()
    expected = set()
    for measure_id, fy, quarter, value in raw_values:
        year_start = dt.date(fy - 1, 7, 1)  # Baltimore: FY2021 runs July 2020 - June 2021
        if quarter == 0:
            expected.add((measure_id, "fiscal_year", year_start, f"FY{fy}", value))
        else:
            month = 7 + 3 * (quarter - 1)
            start = dt.date(fy - 1 + (month - 1) // 12, (month - 1) % 12 + 1, 1)
            expected.add((measure_id, "fiscal_quarter", start, f"FY{fy} Q{quarter}", value))
    stored = set(
        plan_db.execute(
            "SELECT measure_id, grain, period_start, period_label, value FROM measure_values"
            " WHERE dimension = '' AND dimension_value = '' AND engine = 'reported'"
        ).fetchall()
    )
    assert stored == expected
    assert fiscal_quarter_start(2021, 1, 7) == dt.date(2020, 7, 1)
    assert fiscal_quarter_start(2021, 3, 7) == dt.date(2021, 1, 1)


def test_measure_1_from_the_normalised_tables(plan_db) -> None:
    annual = plan_db.execute(
        "SELECT period_label, value FROM measure_values WHERE measure_id = 'plan-1'"
        " AND grain = 'fiscal_year' ORDER BY period_start"
    ).fetchall()
    assert annual == [
        ("FY2021", 330000.0),
        ("FY2022", 323000.0),
        ("FY2023", 252000.0),
        ("FY2024", 210000.0),
        ("FY2025", 187200.0),
    ]
    assert one(
        plan_db, "SELECT value FROM measure_targets WHERE measure_id = 'plan-1' AND fiscal_year = 2026"
    ) == (210000.0)
    definition = json.loads(
        str(one(plan_db, "SELECT definition FROM measure_definitions WHERE measure_id = 'plan-1'"))
    )
    assert definition["title"] == "# of Calls Requiring Assistance"
    assert (definition["agency"], definition["unit"], definition["direction"]) == ("Finance", "count", "down")
    assert (definition["measure_type"], definition["budget_services"]) == ("efficiency", ["SRV0148"])
    assert "targets" not in definition  # targets live in measure_targets
    note = one(
        plan_db, "SELECT note FROM measure_values WHERE measure_id = 'plan-1' AND period_label = 'FY2025 Q4'"
    )
    assert str(note).startswith("Calls requiring assistance peak at the beginning of the fourth quarter")


def test_labels_are_normalised(plan_db, raw) -> None:
    def stored(field: str) -> dict[str, int]:
        rows = plan_db.execute(
            f"SELECT json_extract_string(definition, '$.{field}') AS v, count(*) FROM measure_definitions GROUP BY v"
        ).fetchall()
        return {str(v): n for v, n in rows}

    def published(column: str) -> dict[str, int]:
        return dict(raw.execute(f"SELECT {column}, count(*) FROM measures GROUP BY ALL").fetchall())

    types = published("measure_type")
    assert stored("measure_type") == {k.lower(): v for k, v in types.items()}
    directions = published("desired_direction")
    assert stored("direction") == {
        "up": directions["Increase"],
        "down": directions["Decrease"],
        "maintain": directions["Maintain"],
        "none": directions["Not Applicable"],
    }
    formats = published("format_type")
    assert stored("unit") == {
        "count": formats["Count"],
        "percent": formats["Percent"],
        "currency": formats["Currency"],
        "number": formats["N/A"],
    }
    reasons = dict(
        plan_db.execute(
            "SELECT reason, count(*) FROM quarantine WHERE source LIKE '%measures.csv' GROUP BY ALL"
        ).fetchall()
    )
    assert reasons == {"no format given: unit left as 'number'": formats["N/A"]}


def test_pillars_and_processes(plan_db, raw) -> None:
    no_pillar = one(raw, "SELECT count(*) FROM measures WHERE pillar_id IS NULL")
    assert no_pillar == 667  # PROVENANCE.md
    linked = one(
        plan_db,
        "SELECT count(*) FROM measure_definitions"
        " WHERE json_extract_string(definition, '$.action_plan.pillar') IS NOT NULL",
    )
    assert linked == 701 - 667
    assert one(plan_db, "SELECT count(*) FROM plan_pillars") == 6
    assert one(plan_db, "SELECT count(*) FROM plan_pillar_goals") == 23
    assert one(plan_db, "SELECT count(*) FROM plan_initiatives") == 65
    assert one(plan_db, "SELECT count(*) FROM plan_measure_services") == 696


def test_percent_values_above_one_are_flagged_not_rescaled(plan_db, raw) -> None:
    cells = raw.execute(
        """
        SELECT measure_id, name, v FROM (
            SELECT a.measure_id,
                   unnest(['q1_value', 'q2_value', 'q3_value', 'q4_value', 'annual_actual', 'target_value']) AS name,
                   unnest([q1_value, q2_value, q3_value, q4_value, annual_actual, target_value]) AS v
            FROM measure_actuals a JOIN measures m USING (measure_id) WHERE m.format_type = 'Percent')
        WHERE v::DOUBLE > 1
        """
    ).fetchall()
    assert len(cells) == 7
    flagged = plan_db.execute(
        "SELECT request_id, column_name, raw_value FROM quarantine"
        " WHERE reason LIKE 'percent measure value above 1%' AND action = 'flagged'"
    ).fetchall()
    assert sorted(flagged) == sorted(cells)
    assert one(
        plan_db, "SELECT value FROM measure_values WHERE measure_id = 'plan-548' AND period_label = 'FY2023'"
    ) == (1.1)


def test_same_folder_twice_changes_nothing(tmp_path, profile) -> None:
    need_real_data()
    con = open_warehouse(tmp_path / "twice.duckdb")
    first = ingest_plan(con, PLAN)  # the profile defaults to the warehouse's city (Baltimore)
    assert (first.rows_loaded, first.rows_updated, first.rows_quarantined) == (701 + 5558 + 1961, 0, 0)
    before = snapshot(con)
    again = ingest_plan(con, PLAN, profile=profile)
    assert again.skipped and snapshot(con) == before
    forced = ingest_plan(con, PLAN, profile=profile, force=True)
    assert (forced.rows_loaded, forced.rows_updated, forced.rows_unchanged) == (0, 0, 701 + 5558 + 1961)
    after = snapshot(con)
    for table in MEASURE_TABLES:
        assert after[table] == before[table], table
    con.close()


def test_a_changed_value_and_target_are_audited(tmp_path, profile) -> None:
    need_real_data()
    con = open_warehouse(tmp_path / "change.duckdb")
    ingest_plan(con, PLAN, profile=profile)
    folder = copy_plan(tmp_path)
    edit_csv(
        folder / "measure_actuals.csv",
        {"measure_id": "1", "fiscal_year": "2025"},
        {"annual_actual": "187300", "q2_value": "", "target_value": "251000"},
    )
    audits_before = one(con, "SELECT count(*) FROM audit_log")
    result = ingest_plan(con, folder, profile=profile)
    assert (result.rows_loaded, result.rows_updated) == (0, 2)
    assert "values: 0 new, 1 changed, 5,556 unchanged, 1 removed" in result.notes[1]
    changes = con.execute(
        "SELECT action, entity_id, before, after FROM audit_log WHERE audit_id > ? ORDER BY entity_id",
        [audits_before],
    ).fetchall()
    assert [(a, e) for a, e, _, _ in changes] == [
        ("set_target", "plan-1/FY2025"),
        ("set_value", "plan-1/v1/FY2025"),
        ("remove_value", "plan-1/v1/FY2025 Q2"),
    ]
    target, value, removed = changes
    assert json.loads(target[2])["value"] == 250000.0 and json.loads(target[3])["value"] == 251000.0
    assert json.loads(value[2])["value"] == 187200.0 and json.loads(value[3])["value"] == 187300.0
    assert json.loads(removed[2])["value"] == 40478.0 and removed[3] is None
    assert one(
        con, "SELECT value FROM measure_values WHERE measure_id = 'plan-1' AND period_label = 'FY2025'"
    ) == (187300.0)
    con.close()


def test_a_changed_definition_gets_a_new_version(tmp_path, profile) -> None:
    need_real_data()
    con = open_warehouse(tmp_path / "redefine.duckdb")
    ingest_plan(con, PLAN, profile=profile)
    v1_values = con.execute(
        "SELECT period_label, value FROM measure_values WHERE measure_id = 'plan-1' ORDER BY ALL"
    ).fetchall()
    folder = copy_plan(tmp_path)
    edit_csv(folder / "measures.csv", {"measure_id": "1"}, {"desired_direction": "Increase"})
    edit_csv(folder / "measures.csv", {"measure_id": "2"}, {"title": "% of service requests closed on time"})
    result = ingest_plan(con, folder, profile=profile)
    assert result.notes[0] == "measures: 0 new, 1 redefined (new version), 1 changed, 699 unchanged"
    versions = con.execute(
        "SELECT version, json_extract_string(definition, '$.direction') FROM measure_definitions"
        " WHERE measure_id = 'plan-1' ORDER BY version"
    ).fetchall()
    assert versions == [(1, "down"), (2, "up")]  # history kept
    for version in (1, 2):
        rows = con.execute(
            "SELECT period_label, value FROM measure_values WHERE measure_id = 'plan-1' AND version = ? ORDER BY ALL",
            [version],
        ).fetchall()
        assert rows == v1_values
    redefine = con.execute(
        "SELECT before, after FROM audit_log WHERE action = 'redefine' AND entity_id = 'plan-1'"
    ).fetchone()
    assert redefine is not None
    assert json.loads(redefine[0])["direction"] == "down" and json.loads(redefine[1])["direction"] == "up"
    series = query_series(con, "plan-1", grain="fiscal_year")  # the engine's reader shows the new version
    assert [(r["period_label"], r["value"], r["version"]) for r in series.rows] == [
        (label, value, 2) for label, value in v1_values if " Q" not in label
    ]
    assert [b.version for b in series.breaks] == [2]
    update = con.execute(
        "SELECT before, after FROM audit_log WHERE action = 'update' AND entity_id = 'plan-2'"
    ).fetchone()
    assert update is not None and json.loads(update[1])["title"] == "% of service requests closed on time"
    assert one(con, "SELECT count(*) FROM measure_definitions WHERE measure_id = 'plan-2'") == 1
    con.close()


def test_an_interrupted_import_leaves_the_warehouse_as_it_was(tmp_path, profile) -> None:
    need_real_data()
    con = open_warehouse(tmp_path / "interrupt.duckdb")
    ingest_plan(con, PLAN, profile=profile)
    before = snapshot(con)
    folder = copy_plan(tmp_path)
    edit_csv(
        folder / "measure_actuals.csv", {"measure_id": "1", "fiscal_year": "2025"}, {"annual_actual": "1"}
    )
    edit_csv(folder / "measures.csv", {"measure_id": "3"}, {"desired_direction": "Increase"})

    def interrupt_after_values(done: int, total: int) -> None:
        if done == 3:  # reference tables, definitions and values written, inside the transaction
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_plan(con, folder, profile=profile, progress=interrupt_after_values)
    assert snapshot(con) == before
    finished = ingest_plan(con, folder, profile=profile)  # and the same import then completes
    assert finished.rows_updated == 2
    con.close()


def test_a_bad_reference_file_is_refused_naming_file_row_and_column(tmp_path, profile) -> None:
    need_real_data()
    con = open_warehouse(tmp_path / "bad.duckdb")
    ingest_plan(con, PLAN, profile=profile)
    before = snapshot(con)
    folder = copy_plan(tmp_path)
    edit_csv(folder / "map2026_pillar.csv", {"pillar_id": "3"}, {"pillar_id": "three"})
    with pytest.raises(IngestError) as error:
        ingest_plan(con, folder, profile=profile)
    assert str(error.value) == (
        f"{folder / 'map2026_pillar.csv'}: row 3 (line 4), column 'pillar_id': 'three' is not a whole number"
    )
    (folder / "measure_actuals.csv").unlink()
    with pytest.raises(IngestError, match=r"not a performance-plan folder; missing measure_actuals\.csv"):
        ingest_plan(con, folder, profile=profile)
    assert snapshot(con) == before
    con.close()


def test_bad_rows_are_quarantined_and_the_rest_loads(tmp_path, profile) -> None:
    need_real_data()
    con = open_warehouse(tmp_path / "rows.duckdb")
    folder = copy_plan(tmp_path)
    edit_csv(folder / "measures.csv", {"measure_id": "5"}, {"desired_direction": "Upwards"})
    edit_csv(folder / "measures.csv", {"measure_id": "6"}, {"measure_id": "six"})
    edit_csv(
        folder / "measure_actuals.csv", {"measure_id": "1", "fiscal_year": "2021"}, {"annual_actual": "lots"}
    )
    result = ingest_plan(con, folder, profile=profile)
    problems = con.execute(
        "SELECT regexp_replace(source, '^.*/', ''), row_number, request_id, column_name, raw_value, reason, action"
        " FROM quarantine WHERE reason NOT LIKE 'no format%' AND reason NOT LIKE 'percent measure%'"
        " ORDER BY ALL"
    ).fetchall()
    actual_rows = one(con, "SELECT count(*) FROM plan_actuals")
    with (PLAN / "measure_actuals.csv").open(newline="", encoding="utf-8") as handle:
        years_of_6 = sum(1 for r in csv.DictReader(handle) if r["measure_id"] == "6")
    assert problems[:1] == [
        ("measure_actuals.csv", 1, "1", "annual_actual", "lots", "not a number", "flagged")
    ]
    assert (
        "measures.csv",
        5,
        "5",
        "desired_direction",
        "Upwards",
        "unknown desired_direction label: left out of the definition",
        "flagged",
    ) in problems
    assert (
        "measures.csv",
        6,
        None,
        "measure_id",
        "six",
        "bad measure id: 'six' is not a whole number",
        "rejected",
    ) in problems
    orphan = [p for p in problems if p[5].startswith("measure not in measures.csv")]
    assert len(orphan) == years_of_6 and {p[2] for p in orphan} == {"6"}
    assert result.rows_quarantined == 1 + years_of_6 and actual_rows == 3239 - years_of_6
    direction = one(
        con,
        "SELECT json_extract_string(definition, '$.direction') FROM measure_definitions WHERE measure_id = 'plan-5'",
    )
    assert direction == "none"
    assert (
        one(
            con, "SELECT count(*) FROM measure_values WHERE measure_id = 'plan-1' AND period_label = 'FY2021'"
        )
        == 0
    )
    con.close()


# --- the messy export ------------------------------------------------------------------------


def export_rows() -> list[dict[str, str]]:
    with EXPORT.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def plain_number(text: str) -> float | None:
    """An independent, deliberately simple reading: strip, drop '$', ',' and '%', then float()."""
    cleaned = text.replace("\xa0", " ").strip()
    if not cleaned:
        return None
    try:
        return float(cleaned.replace("$", "").replace(",", "").replace("%", "").strip())
    except ValueError:
        return float("nan")


def test_export_rows_without_a_measure_id_are_rejected(plan_db) -> None:
    need_real_data()
    rows = export_rows()
    assert len(rows) == 1465 and len(rows[0]) == 43  # PROVENANCE.md
    no_id = [i for i, r in enumerate(rows, start=1) if not r["Measure ID"].strip()]
    assert len(no_id) == 12
    rejected = plan_db.execute(
        "SELECT row_number, reason FROM quarantine WHERE source = ? AND action = 'rejected' ORDER BY 1",
        [str(EXPORT)],
    ).fetchall()
    assert rejected == [(i, "no Measure ID") for i in no_id]
    assert one(plan_db, "SELECT count(*) FROM plan_export_rows") == 1465 - 12


def test_export_words_are_quarantined_with_their_text(plan_db) -> None:
    rows = [r for r in export_rows() if r["Measure ID"].strip()]
    columns = [c for c in rows[0] if VALUE_COLUMN.match(c)]
    words = sorted(
        (i, c, r[c])
        for i, r in enumerate(export_rows(), start=1)
        if r["Measure ID"].strip()
        for c in columns
        if (n := plain_number(r[c])) is not None and n != n
    )
    assert len(words) == 149
    assert {"No Data", "N/A (New KPI)", "New for Fiscal 25", "6500-7000"} <= {w for _, _, w in words}
    stored = plan_db.execute(
        "SELECT row_number, column_name, raw_value FROM quarantine WHERE source = ? AND reason = 'not a number'"
        " AND action = 'flagged' ORDER BY ALL",
        [str(EXPORT)],
    ).fetchall()
    assert stored == words
    cleared = one(plan_db, "SELECT count(*) FROM plan_export_values WHERE value IS NULL")
    assert cleared == 149


def test_export_numbers_are_read_as_the_city_wrote_them() -> None:
    assert read_number("$5,890,000 ") == (5890000.0, False)
    assert read_number("330,000") == (330000.0, False)
    assert read_number("\xa038610") == (38610.0, False)
    assert read_number("1.15977e+007") == (11597700.0, False)
    assert read_number(".75") == (0.75, False)
    assert read_number("1,5") is None and read_number("No Data") is None and read_number("-") is None
    assert parse_export_value("75%", "percent") == parse_export_value("0.75", "percent")
    assert parse_export_value("75%", "percent").value == 0.75  # type: ignore[union-attr]
    rescaled = parse_export_value("85", "percent")
    assert rescaled is not None and rescaled.value == 0.85 and rescaled.rescaled
    kept = parse_export_value("583809", "percent")
    assert kept is not None and kept.value == 583809 and kept.problem and not kept.rescaled
    assert parse_export_value("85", "count").value == 85  # type: ignore[union-attr]
    assert parse_export_value(" \xa0", "count") is None


def test_export_percent_rescaling_is_counted(plan_db) -> None:
    """Bare numbers in (1, 100] on rows labelled percent: counted here with csv and float()."""
    expected = 0
    for row in export_rows():
        if not row["Measure ID"].strip() or row["Percent or Count"].strip().lower() != "percent":
            continue
        for column, text in row.items():
            number = plain_number(text) if VALUE_COLUMN.match(column) else None
            if number is not None and "%" not in text and 1 < abs(number) <= 100:
                expected += 1
    assert expected == 843
    stored = one(plan_db, "SELECT count(*) FROM plan_export_values WHERE rescaled")
    assert stored == expected
    assert (
        one(plan_db, "SELECT count(*) FROM quarantine WHERE reason LIKE 'percent written on a 0-100%'")
        == expected
    )


def test_measure_1_from_the_export(plan_db) -> None:
    cells = [r for r in export_rows() if r["Performance Measure"] == "# of Calls Requiring Assistance"]
    assert [r["FY 21 Actual"] for r in cells] == ["330,000", "330,000"]  # text with separators
    resolved = dict(
        ((fy, period), value)
        for fy, period, value in plan_db.execute(
            "SELECT fiscal_year, period, value FROM plan_export_resolved WHERE measure_id = 'plan-1'"
        ).fetchall()
    )
    assert [resolved[(fy, "annual")] for fy in range(2021, 2026)] == [330000, 323000, 252000, 210000, 187200]
    assert resolved[(2026, "target")] == 210000
    methods = plan_db.execute(
        "SELECT DISTINCT match_method FROM plan_export_rows WHERE measure_id = 'plan-1'"
    ).fetchall()
    assert methods == [("agency+title",)]


def test_export_duplicate_ids_are_different_measures_kept_and_flagged(plan_db) -> None:
    pairs: dict[tuple[str, str], list[int]] = {}
    for i, row in enumerate(export_rows(), start=1):
        if row["Measure ID"].strip():
            pairs.setdefault((row["Measure ID"].strip(), row["Fiscal Year"]), []).append(i)
    duplicated = {k: v for k, v in pairs.items() if len(v) > 1}
    assert len(duplicated) == 24 and sum(len(v) for v in duplicated.values()) == 48
    flagged = {
        r[0]
        for r in plan_db.execute(
            "SELECT row_number FROM quarantine WHERE source = ? AND reason LIKE 'Measure ID shared%'",
            [str(EXPORT)],
        ).fetchall()
    }
    assert flagged == {i for rows in duplicated.values() for i in rows}
    shared = one(plan_db, "SELECT count(*) FROM plan_export_rows WHERE shared_code")
    assert shared == 48


def test_export_match_rate(plan_db, raw) -> None:
    """Every row a naive exact match (same agency, same case-folded title) finds is matched the
    same way; the remaining matches are typo-level (checked by hand) and reported."""
    titles: dict[tuple[str, str], list[str]] = {}
    for measure_id, agency, title in raw.execute(
        "SELECT measure_id, agency_id, title FROM measures"
    ).fetchall():
        key = (agency, " ".join(title.split()).casefold())
        titles.setdefault(key, []).append(f"plan-{measure_id}")
    naive = {}
    for i, row in enumerate(export_rows(), start=1):
        key = (row["Agency ID"].split(" ")[0], " ".join(row["Performance Measure"].split()).casefold())
        if row["Measure ID"].strip() and len(titles.get(key, [])) == 1:
            naive[i] = titles[key][0]
    assert len(naive) == 1291
    matched = dict(
        plan_db.execute(
            "SELECT source_row, measure_id FROM plan_export_rows WHERE measure_id IS NOT NULL"
        ).fetchall()
    )
    assert {i: matched.get(i) for i in naive} == naive
    methods = dict(
        plan_db.execute("SELECT match_method, count(*) FROM plan_export_rows GROUP BY ALL").fetchall()
    )
    assert methods == {"agency+title": 1300, "agency+similar title": 17, "ambiguous": 6, "none": 130}
    similar = dict(
        plan_db.execute(
            "SELECT source_row, measure_id FROM plan_export_rows WHERE match_method = 'agency+similar title'"
        ).fetchall()
    )
    assert 995 not in similar  # '% of Black artists featured...' is not the Latinx measure
    assert similar[60] == "plan-9"  # 'solications' -> 'solicitations'
    covered = one(plan_db, "SELECT count(DISTINCT measure_id) FROM plan_export_rows")
    assert covered == 679


def test_export_reconciliation_is_reported(plan_db) -> None:
    notes = json.loads(
        str(
            one(
                plan_db,
                "SELECT summary_json FROM load_log WHERE detail = 'export' ORDER BY load_id DESC LIMIT 1",
            )
        )
    )["notes"]
    assert "matched 1,317 of 1,453 rows (90.6%) to plan measures" in notes[0]
    assert "plan measures found in the export: 679 of 701" in notes
    # Measure 590 ('# of Small Cell applications processed') has no row in measure_actuals.csv at all,
    # but the export gives FY22 = 199 (FY26 cycle) and 292 (FY27 cycle): the newer cycle wins.
    rows = {r[0]: r[1] for r in export_rows_for("# of Small Cell applications processed")}
    assert rows == {"FY26": "199", "FY27": "292"}
    value = one(
        plan_db,
        "SELECT value FROM plan_export_resolved WHERE measure_id = 'plan-590' AND fiscal_year = 2022 AND period = 'annual'",
    )
    assert value == 292


def export_rows_for(title: str) -> list[tuple[str, str]]:
    return [
        (r["Fiscal Year"], r["FY 22 Actual"])
        for r in export_rows()
        if r["Performance Measure"].strip() == title
    ]


def test_export_twice_changes_nothing(tmp_path, profile) -> None:
    need_real_data()
    con = open_warehouse(tmp_path / "export.duckdb")
    ingest_plan(con, PLAN, profile=profile)
    ingest_plan_export(con, EXPORT)
    before = snapshot(con)
    again = ingest_plan_export(con, EXPORT, profile=profile)
    assert again.skipped and snapshot(con) == before
    forced = ingest_plan_export(con, EXPORT, profile=profile, force=True)
    assert forced.rows_loaded == 1453
    after = snapshot(con)
    for table in (*MEASURE_TABLES, "plan_export_values"):
        if table == "plan_export_values":
            assert [r[:-1] for r in after[table]] == [r[:-1] for r in before[table]]  # all but load_id
        else:
            assert after[table] == before[table]
    con.close()


def test_not_an_export_is_refused(tmp_path, profile) -> None:
    need_real_data()
    con = open_warehouse(tmp_path / "notexport.duckdb")
    with pytest.raises(
        IngestError, match=r"measures\.csv: not a performance-plan export; missing column\(s\) Measure ID"
    ):
        ingest_plan_export(con, PLAN / "measures.csv", profile=profile)
    con.close()


def test_a_measure_missing_from_a_later_plan_is_kept(tmp_path, profile) -> None:
    need_real_data()
    con = open_warehouse(tmp_path / "absent.duckdb")
    ingest_plan(con, PLAN, profile=profile)
    values_of_6 = one(con, "SELECT count(*) FROM measure_values WHERE measure_id = 'plan-6'")
    folder = copy_plan(tmp_path)
    edit_csv(folder / "measures.csv", {"measure_id": "6"}, {"measure_id": "six"})
    result = ingest_plan(con, folder, profile=profile)
    assert "1 plan measure(s) from earlier imports are not in this plan; kept as they were" in result.notes
    assert one(con, "SELECT count(*) FROM measure_values WHERE measure_id = 'plan-6'") == values_of_6
    assert one(con, "SELECT count(*) FROM measure_definitions WHERE measure_id = 'plan-6'") == 1
    con.close()
