"""Judging real Baltimore 311 numbers: warehouses built from the real extracts with the built-in
catalog, checked against values computed here straight from the raw CSV files with Python's csv
and zoneinfo modules (independently of citystat's ingest, compiler and engine).

- 2019 extract (about three days of October 2019): the on-time share misses its 80% target; four
  days are too few for an XmR chart; pothole medians rest on too few requests to judge or score.
- 2018 sample (500 random requests over the year): a twelve-month XmR chart of request counts,
  and on-time target status across the FY2018/FY2019 boundary.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from citystat.analysis.score import read_city_score
from citystat.analysis.series import read_series
from citystat.analysis.targets import read_target_statuses
from citystat.analysis.xmr import read_chart
from citystat.catalog.load import builtin_catalog_dir, load_catalog
from citystat.catalog.model import Grain
from citystat.engine.compute import compute_catalog
from citystat.ingest import ingest_requests
from citystat.warehouse import open_warehouse, resolve_profile
from tests.conftest import SAMPLE_2018, SAMPLE_2019, load_baltimore_boundaries, need_real_data

EASTERN = ZoneInfo("America/New_York")
POTHOLES = {"TRM-Pothole Repair", "TRM-Potholes", "TRM-Pickup Pothole"}


def build(path: Path, sample: Path, grains: tuple[Grain, ...]) -> duckdb.DuckDBPyConnection:
    con = open_warehouse(path)
    profile = resolve_profile(con, "baltimore")
    load_baltimore_boundaries(con, profile)
    ingest_requests(con, [sample], profile=profile)
    compute_catalog(
        con, load_catalog(builtin_catalog_dir("baltimore")), profile, grains=grains, dimensions=[]
    )
    return con


@pytest.fixture(scope="module")
def warehouse_2019(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    need_real_data()
    con = build(tmp_path_factory.mktemp("judge2019") / "w.duckdb", SAMPLE_2019, ("day", "month"))
    yield con
    con.close()


@pytest.fixture(scope="module")
def warehouse_2018(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    need_real_data()
    con = build(tmp_path_factory.mktemp("judge2018") / "w.duckdb", SAMPLE_2018, ("month",))
    yield con
    con.close()


def read_2019() -> list[dict[str, object]]:
    """Rows of the 2019 extract that are not duplicates; times are local wall-clock."""

    def parse(text: str) -> dt.datetime | None:
        return None if text in ("", "NA") else dt.datetime.strptime(text, "%m/%d/%Y %I:%M:%S %p")

    with SAMPLE_2019.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        {
            "code": r["SRType"],
            "created": parse(r["CreatedDate"]),
            "due": parse(r["DueDate"]),
            "closed": parse(r["CloseDate"]),
        }
        for r in rows
        if "(duplicate)" not in r["SRStatus"].lower()
    ]


def read_2018() -> list[dict[str, object]]:
    """Rows of the 2018 sample that are not duplicates; times are UTC instants ('+00')."""

    def parse(text: str) -> dt.datetime | None:
        return None if not text else dt.datetime.strptime(text, "%Y/%m/%d %H:%M:%S+00").replace(tzinfo=dt.UTC)

    with SAMPLE_2018.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        {"created": parse(r["createddate"]), "due": parse(r["duedate"]), "closed": parse(r["closedate"])}
        for r in rows
        if "(duplicate)" not in r["srstatus"].lower()
    ]


def on_time_shares(rows: list[dict[str, object]], period: str) -> dict[str, float]:
    """Share of requests with a due time closed at or before it, by period of creation."""
    due: Counter[str] = Counter()
    met: Counter[str] = Counter()
    for row in rows:
        if row["due"] is None:
            continue
        key = format(row["created"], period)
        due[key] += 1
        met[key] += row["closed"] is not None and row["closed"] <= row["due"]  # type: ignore[operator]
    return {key: met[key] / due[key] for key in sorted(due)}


def test_2019_on_time_share_misses_the_fy2020_target(warehouse_2019) -> None:
    want = on_time_shares(read_2019(), "%Y-%m")
    assert list(want) == ["2019-10"]
    report = read_target_statuses(warehouse_2019, "city-on-time", "month")
    (status,) = report.statuses
    assert (status.label, status.fiscal_year, status.target, status.tolerance) == ("2019-10", 2020, 0.8, 0.02)
    assert math.isclose(status.value or 0, want["2019-10"], rel_tol=1e-12)
    # independently: the share is far below 80% - 2 points, so the status is "missed"
    assert want["2019-10"] < 0.78
    assert status.status == "missed"
    assert status.reason.startswith(f"{want['2019-10'] * 100:.1f}% is not at or above the target 80.0%")


def test_2019_four_days_are_not_enough_for_an_xmr_chart(warehouse_2019) -> None:
    want = on_time_shares(read_2019(), "%Y-%m-%d")
    assert list(want) == ["2019-10-18", "2019-10-19", "2019-10-20", "2019-10-21"]
    chart = read_chart(warehouse_2019, "city-on-time", "day")
    assert chart.current.labels == tuple(want)
    assert chart.current.values == pytest.approx(list(want.values()), rel=1e-12)
    assert chart.status == "not enough data" and chart.limits is None and chart.signals == ()
    assert chart.current.reason == "6 values are needed for natural process limits; this segment has 4"


def test_2019_pothole_medians_rest_on_too_few_requests(warehouse_2019) -> None:
    closed = [r for r in read_2019() if r["code"] in POTHOLES and r["closed"] is not None]
    assert 0 < len(closed) < 10
    (status,) = read_target_statuses(warehouse_2019, "trm-pothole-median-hours", "month").statuses
    assert status.status == "not enough data"
    assert status.reason == f"based on {len(closed)} rows, fewer than 10"
    (october,) = read_city_score(warehouse_2019, "month").citywide.periods
    assert "trm-pothole-median-hours" in october.left_out("too few")
    on_time = next(c for c in october.contributions if c.measure_id == "city-on-time")
    assert on_time.score == pytest.approx(on_time_shares(read_2019(), "%Y-%m")["2019-10"] / 0.8, rel=1e-12)
    assert "city-requests" in october.left_out("no target")


def test_2018_monthly_requests_xmr_chart(warehouse_2018) -> None:
    counts = Counter(format(r["created"].astimezone(EASTERN), "%Y-%m") for r in read_2018())  # type: ignore[attr-defined]
    labels = sorted(counts)
    values = [float(counts[m]) for m in labels]
    assert labels == [f"2018-{m:02d}" for m in range(1, 13)] and sum(values) == 490
    # the chart, computed here by hand from the independent counts
    centre = sum(values) / 12
    ranges = [abs(b - a) for a, b in pairwise(values)]
    mr_bar = sum(ranges) / 11
    chart = read_chart(warehouse_2018, "city-requests", "month")
    limits = chart.limits
    assert chart.status == "ok" and limits is not None
    assert chart.current.labels == tuple(labels) and chart.current.values == tuple(values)
    assert limits.centre == pytest.approx(centre, rel=1e-12)
    assert limits.average_moving_range == pytest.approx(mr_bar, rel=1e-12)
    assert limits.upper == pytest.approx(centre + 2.66 * mr_bar, rel=1e-12)
    assert limits.lower == pytest.approx(centre - 2.66 * mr_bar, rel=1e-12)
    assert not limits.lower_clipped  # counts cannot go below 0, but this lower limit is positive
    expected_ranges = [(labels[i], labels[i + 1]) for i, r in enumerate(ranges) if r > 3.268 * mr_bar]
    outside = [m for m, v in zip(labels, values, strict=True) if not limits.lower <= v <= limits.upper]
    assert [s.points for s in chart.signals_by_rule("moving_range_above_limit")] == expected_ranges
    assert [s.points[0] for s in chart.signals_by_rule("outside_limits")] == outside
    assert expected_ranges == [("2018-01", "2018-02")] and outside == []


def test_2018_on_time_status_across_the_fiscal_year_boundary(warehouse_2018) -> None:
    rows = read_2018()
    local = [{**r, "created": r["created"].astimezone(EASTERN)} for r in rows]  # type: ignore[attr-defined]
    want = on_time_shares(local, "%Y-%m")
    sizes = Counter(format(r["created"], "%Y-%m") for r in local if r["due"] is not None)
    statuses = read_target_statuses(warehouse_2018, "city-on-time", "month").statuses
    assert [s.label for s in statuses] == list(want)
    expected: dict[str, str] = defaultdict(str)
    for label, share in want.items():
        if label < "2018-07":
            expected[label] = "no target"  # FY2018: the catalog's targets start in FY2019
        elif sizes[label] < 10:
            expected[label] = "not enough data"
        else:
            expected[label] = "met" if share >= 0.8 else "near" if share >= 0.78 else "missed"
    assert {s.label: s.status for s in statuses} == expected
    assert list(expected.values()) == ["no target"] * 6 + ["missed", "met"] * 3
    for status in statuses:
        assert status.fiscal_year == (2018 if status.label < "2018-07" else 2019)
        assert math.isclose(status.value or 0, want[status.label], rel_tol=1e-12)
    assert read_series(warehouse_2018, "city-on-time", "month").targets[2019] == 0.8


def test_2018_an_area_with_no_requests_in_a_month_counts_zero(tmp_path: Path) -> None:
    """Per council district, 500 requests over a year leave months with none: the count reads 0
    there (the city had requests that month), and the XmR chart keeps those months."""
    need_real_data()
    con = open_warehouse(tmp_path / "w.duckdb")
    profile = resolve_profile(con, "baltimore")
    load_baltimore_boundaries(con, profile)
    ingest_requests(con, [SAMPLE_2018], profile=profile)
    catalog = load_catalog(builtin_catalog_dir("baltimore"))
    compute_catalog(con, catalog, profile, grains=("month",), dimensions=["council_district"])
    (district,) = con.execute(
        "SELECT council_district FROM service_requests WHERE council_district IS NOT NULL"
        " AND status_flag IS DISTINCT FROM 'duplicate' GROUP BY 1 ORDER BY count(*), 1 LIMIT 1"
    ).fetchone()
    counted = dict(
        con.execute(
            "SELECT strftime(created_at, '%Y-%m'), count(*) FROM service_requests WHERE council_district = ?"
            " AND status_flag IS DISTINCT FROM 'duplicate' GROUP BY 1",
            [district],
        ).fetchall()
    )
    months = [f"2018-{m:02d}" for m in range(1, 13)]
    expected = [float(counted.get(m, 0)) for m in months]
    assert 0.0 in expected and sum(expected) == sum(counted.values())
    stored = con.execute(
        "SELECT count(*) FROM measure_values WHERE measure_id = 'city-requests' AND grain = 'month'"
        " AND dimension = 'council_district' AND dimension_value = ?",
        [district],
    ).fetchone()
    assert stored == (12 - expected.count(0.0),)  # months with no request in the district have no row
    series = read_series(con, "city-requests", "month", "council_district", str(district))
    assert [o.label for o in series.observations] == months
    assert [o.value for o in series.observations] == expected
    chart = read_chart(con, "city-requests", "month", "council_district", str(district))
    assert chart.current.values == tuple(expected)
    # A share has no value in a month without requests: it stays out rather than reading 0.
    share = read_series(con, "city-on-time", "month", "council_district", str(district))
    assert {o.label for o in share.observations} <= {m for m, v in zip(months, expected, strict=True) if v}
    con.close()
