"""Target status of the city's real reported values, FY2024 and FY2025.

The expected statuses are classified in the test straight from the raw CSVs (Python's csv module),
with the documented rule: up means at or above target, down at or below; "near" is within 2
percentage points for percents and 5% of the target otherwise; no direction means not judged.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator

import duckdb
import pytest

from citystat.analysis.targets import read_target_statuses
from citystat.ingest.plan import ingest_plan
from citystat.profiles import load_profile
from citystat.warehouse import open_warehouse
from tests.conftest import REAL, need_real_data

PLAN = REAL / "baltimore-performance-measures"
YEARS = (2024, 2025)
DIRECTIONS = {"Increase": "up", "Decrease": "down", "Maintain": "maintain"}


@pytest.fixture(scope="module")
def plan_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    need_real_data()
    con = open_warehouse(tmp_path_factory.mktemp("plan-targets") / "plan.duckdb")
    ingest_plan(con, PLAN, profile=load_profile("baltimore"))
    yield con
    con.close()


def classify(value: float, target: float, direction: str, percent: bool) -> str:
    tolerance = 0.02 if percent else abs(target) * 0.05
    if direction == "maintain":
        gap = abs(value - target)
        return "met" if gap <= tolerance + 1e-12 else "near" if gap <= 2 * tolerance + 1e-12 else "missed"
    short = target - value if direction == "up" else value - target
    if short <= 1e-9 * max(abs(target), 1e-9):
        return "met"
    return "near" if short <= tolerance + 1e-9 * max(abs(target), 1e-9) else "missed"


def expected_statuses() -> dict[tuple[str, int], str]:
    with (PLAN / "measures.csv").open(encoding="utf-8", newline="") as f:
        measures = {row["measure_id"]: row for row in csv.DictReader(f)}
    out: dict[tuple[str, int], str] = {}
    with (PLAN / "measure_actuals.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            year = int(row["fiscal_year"])
            if year not in YEARS or not row["annual_actual"] or not row["target_value"]:
                continue
            measure = measures[row["measure_id"]]
            direction = DIRECTIONS.get(measure["desired_direction"])
            key = (f"plan-{row['measure_id']}", year)
            if direction is None:
                out[key] = "not judged"
                continue
            percent = measure["format_type"] == "Percent"
            out[key] = classify(float(row["annual_actual"]), float(row["target_value"]), direction, percent)
    return out


def test_fy2024_and_fy2025_annual_actuals_against_their_targets(plan_db) -> None:
    want = expected_statuses()
    got: dict[tuple[str, int], str] = {}
    for measure_id in sorted({m for m, _ in want}):
        report = read_target_statuses(plan_db, measure_id, grain="fiscal_year")
        for status in report.statuses:
            if status.fiscal_year in YEARS and (measure_id, status.fiscal_year) in want:
                got[(measure_id, status.fiscal_year)] = status.status
    assert got == want
    by_year = {year: Counter(s for (_, y), s in got.items() if y == year) for year in YEARS}
    assert by_year[2024] == {"met": 234, "near": 25, "missed": 142, "not judged": 52}
    assert by_year[2025] == {"met": 242, "near": 25, "missed": 154, "not judged": 58}
