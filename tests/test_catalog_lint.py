"""Catalog review on Baltimore's real plan, with expected counts computed here from the raw files."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from citystat.catalog.lint import Finding, fiscal_year_of, lint_catalog, streamlining_report, target_coverage
from citystat.catalog.lint_plan import lint_plan_data
from citystat.catalog.load import builtin_catalog_dir, load_catalog
from citystat.catalog.model import Measure
from citystat.catalog.stored import read_stored_measures, read_stored_values
from citystat.catalog.text import title_key, title_similarity
from citystat.ingest.plan import ingest_plan
from citystat.ingest.plan_export import ingest_plan_export
from citystat.profiles import load_profile
from citystat.warehouse import open_warehouse
from tests.conftest import REAL, REPO, need_real_data

PLAN = REAL / "baltimore-performance-measures"
EXPORT = PLAN / "performance_data_export.csv"
YEAR = 2026  # the plan's current cycle: FY2026 targets set, FY2027 being planned
PLACEHOLDERS = {
    "",
    "n/a",
    "na",
    "n\\a",
    "none",
    "null",
    "tbd",
    "tbd.",
    "-",
    "not applicable",
    "pending",
    "unknown",
}


@pytest.fixture(scope="module")
def plan_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    need_real_data()
    con = open_warehouse(tmp_path_factory.mktemp("lint") / "lint.duckdb")
    ingest_plan(con, PLAN, profile=load_profile("baltimore"))
    ingest_plan_export(con, EXPORT, profile=load_profile("baltimore"))
    yield con
    con.close()


@pytest.fixture(scope="module")
def findings(plan_db) -> list[Finding]:
    measures = read_stored_measures(plan_db)
    values = read_stored_values(plan_db, [m.id for m in measures])
    return lint_catalog(measures, fiscal_year=YEAR, values=values)


@pytest.fixture(scope="module")
def published() -> tuple[list[dict[str, str]], list[dict[str, str]], dict[str, str]]:
    """measures.csv, measure_actuals.csv and agency names, read with the csv module."""
    need_real_data()

    def rows(name: str) -> list[dict[str, str]]:
        with (PLAN / name).open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    agencies = {r["agency_id"]: r["agency_name"] for r in rows("agency.csv")}
    return rows("measures.csv"), rows("measure_actuals.csv"), agencies


def ids_of(findings: list[Finding], check: str) -> set[str]:
    return {i for f in findings if f.check == check for i in f.measure_ids}


def targets_by_measure(actuals: list[dict[str, str]]) -> dict[str, set[int]]:
    years: dict[str, set[int]] = defaultdict(set)
    for row in actuals:
        if row["target_value"].strip():
            years[row["measure_id"]].add(int(row["fiscal_year"]))
    return years


def test_measures_without_a_pillar(findings, published) -> None:
    measures, _, _ = published
    expected = {f"plan-{m['measure_id']}" for m in measures if not m["pillar_id"]}
    assert len(expected) == 667  # PROVENANCE.md: 667 of 701
    assert ids_of(findings, "no-pillar") == expected
    finance = next(f for f in findings if f.check == "no-pillar" and f.agency == "Finance")
    total = sum(1 for m in measures if m["agency_id"] == "AGC2300")
    lacking = sum(1 for m in measures if m["agency_id"] == "AGC2300" and not m["pillar_id"])
    assert (
        finance.message
        == f"Finance: {lacking} of {total} measures are not linked to a Mayor's Action Plan pillar"
    )


def test_missing_targets(findings, published) -> None:
    measures, actuals, _ = published
    years = targets_by_measure(actuals)
    for year, check in ((YEAR, "missing-target"), (YEAR + 1, "missing-next-target")):
        expected = {f"plan-{m['measure_id']}" for m in measures if year not in years[m["measure_id"]]}
        assert ids_of(findings, check) == expected
    assert len(ids_of(findings, "missing-target")) == 186
    assert len(ids_of(findings, "missing-next-target")) == 187


def test_target_coverage_by_agency(plan_db, findings, published) -> None:
    measures, actuals, agencies = published
    years = targets_by_measure(actuals)
    totals: Counter[str] = Counter()
    covered: Counter[str] = Counter()
    for m in measures:
        totals[agencies[m["agency_id"]]] += 1
        covered[agencies[m["agency_id"]]] += YEAR in years[m["measure_id"]]
    coverage = target_coverage(read_stored_measures(plan_db), YEAR)
    assert [(c.agency, c.measures, c.with_target) for c in coverage] == [
        (a, totals[a], covered[a]) for a in sorted(totals)
    ]
    assert len(coverage) == 37  # PROVENANCE.md: 37 agencies
    partial = {f.agency for f in findings if f.check == "target-coverage"}
    assert partial == {a for a in totals if covered[a] < totals[a]}
    low = {f.agency for f in findings if f.check == "target-coverage" and f.severity == "warning"}
    assert low == {a for a in totals if covered[a] / totals[a] < 0.5}


def test_missing_or_contradictory_direction(findings, published) -> None:
    measures, actuals, _ = published
    years = targets_by_measure(actuals)
    expected = {
        f"plan-{m['measure_id']}"
        for m in measures
        if m["desired_direction"] == "Not Applicable"
        and (years[m["measure_id"]] or m["measure_type"] in ("Outcome", "Effectiveness"))
    }
    assert len(expected) == 65
    assert ids_of(findings, "direction") == expected


def test_percent_scales(findings, published) -> None:
    measures, actuals, _ = published
    percent = {m["measure_id"] for m in measures if m["format_type"] == "Percent"}
    value_columns = ("q1_value", "q2_value", "q3_value", "q4_value", "annual_actual")
    above = {
        f"plan-{a['measure_id']}"
        for a in actuals
        if a["measure_id"] in percent and any(a[c] and float(a[c]) > 1 for c in value_columns)
    }
    assert above == {"plan-290", "plan-548", "plan-665"}
    assert ids_of(findings, "value-scale") == above
    targets_out = {
        a["measure_id"]
        for a in actuals
        if a["measure_id"] in percent and a["target_value"] and float(a["target_value"]) > 1
    }
    assert ids_of(findings, "target-scale") == targets_out == set()


def test_duplicate_titles(findings, published) -> None:
    measures, _, _ = published
    by_agency: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_title: dict[str, set[str]] = defaultdict(set)
    for m in measures:
        title = " ".join(m["title"].split()).casefold()
        by_agency[(m["agency_id"], title)].append(f"plan-{m['measure_id']}")
        by_title[title].add(m["agency_id"])
    same_agency = [sorted(ids) for ids in by_agency.values() if len(ids) > 1]
    assert same_agency == [["plan-331", "plan-340", "plan-659"]]  # 'Annual Attendance', Art and Culture
    across = sorted(t for t, a in by_title.items() if len(a) > 1)
    assert across == ["# of victims served", "% of service requests closed on time"]
    duplicates = [f for f in findings if f.check == "duplicate-title"]
    assert sorted(sorted(f.measure_ids) for f in duplicates if f.severity == "warning") == same_agency
    assert len([f for f in duplicates if f.severity == "info"]) == len(across)
    similar = [sorted(f.measure_ids) for f in findings if f.check == "similar-title"]
    assert similar == [["plan-484", "plan-494"]]  # 'Cost of treatment per million gallons (MG)'


def test_incomplete_definitions(findings, published) -> None:
    measures, _, _ = published

    def empty(text: str) -> bool:
        return " ".join(text.split()).casefold() in PLACEHOLDERS

    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.casefold())

    expected = set()
    for m in measures:
        gaps = [c for c in ("description", "formula", "data_source", "data_owner_role") if empty(m[c])]
        if not empty(m["formula"]) and words(m["formula"]) == words(m["data_source"]):
            gaps.append("formula repeats the data source")
        if m["desired_direction"] == "Not Applicable":
            gaps.append("direction")
        if m["format_type"] == "N/A" and not m["display_unit"].strip():
            gaps.append("unit")
        if gaps:
            expected.add(f"plan-{m['measure_id']}")
    assert ids_of(findings, "incomplete-definition") == expected
    assert len(expected) == 229


def test_streamlining_report(plan_db, published) -> None:
    measures, _, _ = published
    links: set[str] = set()
    with (PLAN / "measure_service_link.csv").open(newline="", encoding="utf-8") as handle:
        links = {r["measure_id"] for r in csv.DictReader(handle)}
    budget = {m["measure_id"] for m in measures if m["is_service"] == "true" or m["measure_id"] in links}
    pillar = {m["measure_id"] for m in measures if m["pillar_id"]}
    report = streamlining_report(read_stored_measures(plan_db))
    assert report["measures"] == 701
    assert report.get("serve budget book", 0) == len(budget - pillar)
    assert report.get("serve budget book + Action Plan", 0) == len(budget & pillar)
    assert report.get("serve Action Plan", 0) == len(pillar - budget)
    assert report.get("serve none", 0) == 701 - len(budget | pillar)
    assert report["in a duplicate or near-duplicate title group"] == 3 + 2 + 2 + 2


def test_plan_data_checks(plan_db) -> None:
    need_real_data()
    with EXPORT.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    pairs = Counter((r["Measure ID"], r["Fiscal Year"]) for r in rows if r["Measure ID"].strip())
    plan_findings = lint_plan_data(plan_db)
    by_check = Counter(f.check for f in plan_findings)
    assert by_check["export-duplicate-id"] == sum(1 for n in pairs.values() if n > 1) == 24
    assert by_check["export-no-id"] == sum(1 for r in rows if not r["Measure ID"].strip()) == 12
    assert not [f for f in plan_findings if f.severity == "error"]  # every stored value has a definition
    unmatched = one_row(
        plan_db,
        "SELECT count(DISTINCT (r.agency_id, r.title)) FROM plan_export_rows r JOIN plan_export_values v"
        " USING (source_row) WHERE r.measure_id IS NULL AND v.value IS NOT NULL",
    )
    assert by_check["values-without-definition"] == unmatched
    missing = {f.measure_ids[0] for f in plan_findings if f.check == "export-value-missing"}
    assert "plan-590" in missing  # no row at all in measure_actuals.csv; the export has its numbers
    assert len(missing) == 158
    # A value stored for a version nobody defined is an error.
    plan_db.execute("BEGIN TRANSACTION")
    try:
        plan_db.execute(
            "INSERT INTO measure_values VALUES ('plan-9999', 1, 'fiscal_year', DATE '2024-07-01', 'FY2025', '', '',"
            " 5, NULL, NULL, NULL, 'reported', 'x', 'x', now()::TIMESTAMP)"
        )
        orphans = [
            f
            for f in lint_plan_data(plan_db)
            if f.check == "values-without-definition" and f.severity == "error"
        ]
        assert [(f.measure_ids, f.message) for f in orphans] == [
            (("plan-9999",), "1 stored value(s) of plan-9999 version 1 have no definition")
        ]
    finally:
        plan_db.execute("ROLLBACK")


def one_row(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def measure(**fields: object) -> Measure:
    base: dict[str, object] = {
        "id": "m1",
        "title": "Requests closed on time",
        "kind": "reported",
        "agency": "Public Works",
        "definition": "Share of requests closed by their due date.",
        "formula": "closed on time / all closed",
        "data_source": "311 system",
        "owner_role": "Bureau head",
        "measure_type": "effectiveness",
        "unit": "percent",
        "direction": "up",
        "targets": {2026: 0.8, 2027: 0.8},
        "processes": ["citistat"],
        "action_plan": {"pillar": "5"},
    }
    return Measure.model_validate({**base, **fields})


def test_lint_takes_measures_and_explains_each_problem() -> None:
    good = measure()
    assert lint_catalog([good], fiscal_year=2026) == []
    found = lint_catalog(
        [
            measure(id="a", targets={2026: 85, 2027: 0.9}),
            measure(id="b", direction="none", targets={2026: 0.5}),
            measure(id="c", formula="N/A", owner_role="", targets={}, processes=[], action_plan=None),
        ],
        fiscal_year=2026,
        values=[],
    )
    by_check = {(f.check, f.measure_ids) for f in found}
    assert ("target-scale", ("a",)) in by_check
    assert ("direction", ("b",)) in by_check
    assert ("missing-target", ("c",)) in by_check and ("missing-next-target", ("c",)) in by_check
    assert ("no-process", ("c",)) in by_check and ("no-pillar", ("c",)) in by_check
    incomplete = next(f for f in found if f.check == "incomplete-definition" and f.measure_ids == ("c",))
    assert (
        incomplete.message
        == "c 'Requests closed on time': definition incomplete, missing formula, owner role"
    )
    scale = next(f for f in found if f.check == "target-scale")
    assert "FY2026 85" in scale.message and scale.severity == "error"
    assert found[0].severity == "error"  # most serious first


def test_similar_titles_are_typos_not_different_measures() -> None:
    def similar(a: str, b: str) -> float:
        return title_similarity(title_key(a), title_key(b))

    assert (
        similar("% of formal solications meeting benchmark", "% of formal solicitations meeting benchmark")
        == 1.0
    )
    assert similar("Percentage of parks mowed every seven days", "% of parks mowed every seven days") == 1.0
    assert similar("% of Black artists featured at Bromo", "% of Latinx artists featured at Bromo") == 0.0
    assert similar("# of individuals aged 5-12 enrolled", "# of individuals aged 13-17 enrolled") == 0.0
    assert (
        similar("Average # of days to MONSE reentry intake", "Average # of Days to MONSE Re-Entry Intake")
        > 0.9
    )
    assert (
        similar("Cost of treatment per million gallons", "Cost of treatment per million gallons (MG)") >= 0.9
    )
    found = lint_catalog(
        [
            measure(id="x", title="# of potholes repaired", agency="Transportation"),
            measure(id="y", title="# of pothole repaired", agency="Transportation"),
            measure(id="z", title="# of potholes repaired", agency="Public Works"),
        ],
        fiscal_year=2026,
    )
    titles = [(f.check, f.severity, f.measure_ids) for f in found if "title" in f.check]
    assert titles == [("duplicate-title", "info", ("x", "z")), ("similar-title", "info", ("x", "y", "z"))]


def test_builtin_catalog_review() -> None:
    """The shipped catalog: the lint's view of its targets matches the YAML files read here."""
    folder = builtin_catalog_dir("baltimore")
    catalog = load_catalog(folder)
    targets = {}
    for path in folder.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        targets[data["id"]] = {int(y) for y in (data.get("targets") or {})}
    year = fiscal_year_of(dt.date(2026, 3, 1), 7)
    assert year == 2026
    found = lint_catalog(catalog.active(), fiscal_year=year)
    assert ids_of(found, "missing-target") == {m for m, years in targets.items() if year not in years}
    assert ids_of(found, "missing-next-target") == {
        m for m, years in targets.items() if year + 1 not in years
    }
    assert not [f for f in found if f.severity == "error"]
    incomplete = {f.measure_ids[0]: f.message for f in found if f.check == "incomplete-definition"}
    assert not [m for m in incomplete.values() if "formula" in m]  # the computation is the formula


def run_cli(args: list[str], warehouse: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CITYSTAT_WAREHOUSE": str(warehouse),
        "COLUMNS": "200",
        "NO_COLOR": "1",
        "PYTHONPATH": str(REPO / "src"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "citystat.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_cli_ingest_plan_and_lint(findings, tmp_path) -> None:
    db = tmp_path / "cli.duckdb"
    out = run_cli(["ingest", "plan", str(PLAN), "--export", str(EXPORT)], db).stdout
    assert "load 1: plan from baltimore-performance-measures" in out
    assert "8,220" in out and "flagged: percent measure value above 1" in out
    assert "load 2: plan from performance_data_export.csv" in out and "rejected: no Measure ID" in out
    assert "matched 1,317 of 1,453 rows (90.6%)" in out
    again = run_cli(["ingest", "plan", str(PLAN)], db).stdout
    assert "unchanged" in again and "already loaded as load 1" in again
    report = json.loads(
        run_cli(
            ["catalog", "lint", "--plan", "--no-catalog", "--fiscal-year", "2026", "--format", "json"], db
        ).stdout
    )
    assert report["fiscal_year"] == 2026 and report["streamlining"]["measures"] == 701
    cli_counts = Counter(f["check"] for f in report["findings"])
    library_counts = Counter(f.check for f in findings) + Counter(f.check for f in lint_plan_data_for(db))
    assert cli_counts == library_counts
    table = run_cli(["catalog", "lint", "--plan", "--no-catalog", "--fiscal-year", "2026"], db).stdout
    assert "catalog review, FY2026" in table and "no-pillar" in table and "667" in table


def lint_plan_data_for(db: Path) -> list[Finding]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return lint_plan_data(con)
    finally:
        con.close()
