"""Data quality on Baltimore's real data: the performance plan's documented faults, and the real
311 extracts' out-of-city and placeholder points.

Expected numbers come from PROVENANCE.md and from reads of the raw files here (csv module).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator

import duckdb
import pytest

from citystat.analysis.quality import (
    DATA_ISSUE,
    PlanQuality,
    check_plan,
    check_reported_measure,
    check_sources,
    label_status,
)
from citystat.ingest import ingest_requests
from citystat.ingest.plan import ingest_plan
from citystat.ingest.plan_export import ingest_plan_export
from citystat.profiles import load_profile
from citystat.warehouse import open_warehouse
from tests.conftest import REAL, SAMPLE_2018, SAMPLE_2019, need_real_data

PLAN = REAL / "baltimore-performance-measures"
EXPORT = PLAN / "performance_data_export.csv"
PLACEHOLDERS_2018 = {("39.0", "-77.0"), ("39.0", "-76.0")}


@pytest.fixture(scope="module")
def plan_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    need_real_data()
    con = open_warehouse(tmp_path_factory.mktemp("quality-plan") / "plan.duckdb")
    ingest_plan(con, PLAN, profile=load_profile("baltimore"))
    ingest_plan_export(con, EXPORT, profile=load_profile("baltimore"))
    yield con
    con.close()


@pytest.fixture(scope="module")
def plan(plan_db) -> PlanQuality:
    return check_plan(plan_db)


def test_percent_values_above_one(plan) -> None:
    """The seven cells PROVENANCE.md documents: 548 FY2023, 290 and 665 FY2026 Q1-Q3."""
    cells = sorted((c.measure_id, c.label, c.value) for c in plan.percent_above_one)
    assert cells == [
        ("plan-290", "FY2026 Q1", 583809.5134),
        ("plan-290", "FY2026 Q2", 522691.41),
        ("plan-290", "FY2026 Q3", 395681.41),
        ("plan-548", "FY2023", 1.1),
        ("plan-665", "FY2026 Q1", 3.1),
        ("plan-665", "FY2026 Q2", 3.1),
        ("plan-665", "FY2026 Q3", 3.13),
    ]


def test_bad_percent_values_are_data_issues_not_misses(plan_db, plan) -> None:
    yearly = check_reported_measure(plan_db, "plan-548", grain="fiscal_year", plan=plan)
    assert yearly.grade == "C"
    assert [(p.label, p.grade) for p in yearly.periods] == [("FY2023", "C")]
    assert label_status("missed", yearly.grade_of("FY2023")) == DATA_ISSUE
    assert yearly.grade_of("FY2022") == "A"
    assert label_status("missed", yearly.grade_of("FY2022")) == "missed"
    for measure_id in ("plan-290", "plan-665"):
        quarterly = check_reported_measure(plan_db, measure_id, grain="fiscal_quarter", plan=plan)
        failing = [(p.label, p.grade) for p in quarterly.periods if p.grade == "C"]
        assert failing == [("FY2026 Q1", "C"), ("FY2026 Q2", "C"), ("FY2026 Q3", "C")], measure_id
        assert label_status("met", quarterly.grade_of("FY2026 Q2")) == DATA_ISSUE


def test_unreadable_export_values(plan_db, plan) -> None:
    """149 export cells are words, not numbers (PROVENANCE.md); each fails its measure's period."""
    assert len(plan.unreadable) == 149
    assert {"No Data", "N/A (New KPI)", "New for Fiscal 25", "6500-7000"} <= {
        u.raw_value for u in plan.unreadable
    }
    matched = [u for u in plan.unreadable if u.measure_id is not None]
    assert matched
    first = matched[0]
    assert first.fiscal_year is not None
    quality = check_reported_measure(plan_db, first.measure_id or "", grain="fiscal_year", plan=plan)
    label = f"FY{first.fiscal_year}"
    period = quality.period(label)
    assert period is not None and period.grade == "C"
    assert any(first.raw_value in f.detail for f in period.findings)


def test_duplicated_measure_id_and_fiscal_year_pairs(plan) -> None:
    """Counted again here with csv: (Measure ID, Fiscal Year) pairs on more than one export row."""
    pairs: dict[tuple[str, str], int] = {}
    with EXPORT.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if row["Measure ID"].strip():
                key = (row["Measure ID"].strip(), row["Fiscal Year"])
                pairs[key] = pairs.get(key, 0) + 1
    duplicated = {k: n for k, n in pairs.items() if n > 1}
    assert len(duplicated) == 24 and sum(duplicated.values()) == 48
    assert len(plan.shared_codes) == 24
    assert sum(len(s.source_rows) for s in plan.shared_codes) == 48
    assert sorted(s.measure_code for s in plan.shared_codes) == sorted(code for code, _ in duplicated)


def test_out_of_city_and_placeholder_points_per_file(baltimore_warehouse) -> None:
    con, profile = baltimore_warehouse
    ingest_requests(con, [SAMPLE_2019, SAMPLE_2018], profile=profile)
    by_file = {s.source: s for s in check_sources(con)}
    q2019, q2018 = by_file[str(SAMPLE_2019)], by_file[str(SAMPLE_2018)]
    # 2019: 25 geocoded rows the City left without a council district, all county addresses.
    with SAMPLE_2019.open(newline="") as handle:
        county = [
            r for r in csv.DictReader(handle) if r["Latitude"] != "NA" and r["CouncilDistrict"] in ("NA", "")
        ]
    assert len(county) == 25
    assert (q2019.outside_city, q2019.placeholder_coordinates, q2019.rows_read) == (25, 0, 3000)
    assert dict(q2019.flagged_by_reason) == {"outside the city boundary": 25}
    # 2018: 4 placeholder points (39.0, -77.0 / -76.0) and 12 outside the city boundary.
    with SAMPLE_2018.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sum((r["latitude"], r["longitude"]) in PLACEHOLDERS_2018 for r in rows) == 4
    assert (q2018.outside_city, q2018.placeholder_coordinates, q2018.rows_read) == (12, 4, 500)
    assert dict(q2018.flagged_by_reason) == {
        "outside the city boundary": 12,
        "placeholder coordinates": 4,
        "due before created": 18,
    }
    # Nothing rejected in either file: kept and flagged, a minor finding for the file.
    assert (q2019.rows_rejected, q2018.rows_rejected) == (0, 0)
    assert (q2019.grade, q2018.grade) == ("B", "B")


def test_reported_timeliness_is_judged_on_the_callers_date(plan_db, plan) -> None:
    """plan-548 is quarterly: its newest annual value must have ended within 92 days of as_of."""
    row = plan_db.execute(
        "SELECT max(period_start) FROM measure_values WHERE measure_id = 'plan-548' AND grain = 'fiscal_year'"
        " AND value IS NOT NULL"
    ).fetchone()
    assert row is not None
    newest = row[0]
    end = dt.date(newest.year + 1, newest.month, 1)  # a fiscal year later
    fresh = check_reported_measure(plan_db, "plan-548", plan=plan, as_of=end + dt.timedelta(days=92))
    assert [f.code for f in fresh.findings if f.check == "timeliness"] == ["current"]
    stale = check_reported_measure(plan_db, "plan-548", plan=plan, as_of=end + dt.timedelta(days=93))
    assert [f.code for f in stale.findings if f.check == "timeliness"] == ["stale data"]
    newest_label = f"FY{newest.year + 1}"  # Baltimore's fiscal year starts in July
    assert stale.grade_of(newest_label) == "C"
    assert label_status("missed", stale.grade_of(newest_label)) == DATA_ISSUE
