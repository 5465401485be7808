"""citystat.site.measure: one measure judged, checked against independent computations.

Values against direct DuckDB SQL on the request rows; target statuses, XmR limits and rule-1
signals recomputed here by hand from the documented rules; quality grades against the quality
module run directly, and planted faults of the demo city (from its manifest) surfacing as "data
issue"; real plan measures against the plan's CSV files.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from itertools import pairwise
from pathlib import Path

import pytest

from citystat.analysis.quality import check_measures
from citystat.engine.query import query_series
from citystat.site import WarehouseReader
from citystat.site.errors import InvalidRequestError, NotFoundError
from citystat.site.measure import get_measure_views, read_measure_view
from citystat.warehouse import connect
from tests.api.conftest import PLAN

POTHOLE = "trm-pothole-median-hours"
POTHOLE_CODES = ["TRM-Pothole Repair", "TRM-Potholes", "TRM-Pickup Pothole"]
JUDGED = {"met", "near", "missed"}


def month_bounds(label: str) -> tuple[dt.date, dt.date]:
    start = dt.date(int(label[:4]), int(label[5:]), 1)
    return start, dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)


def pothole_medians(warehouse: Path) -> dict[str, tuple[float, int]]:
    """Median hours to close of closed, non-duplicate pothole requests, by month created."""
    con = connect(warehouse, read_only=True)
    rows = con.execute(
        """
        SELECT strftime(created_at, '%Y-%m'), median((epoch(closed_utc) - epoch(created_utc)) / 3600.0),
               count(*)
        FROM service_requests
        WHERE service_code IN (SELECT unnest(?::VARCHAR[])) AND closed_utc IS NOT NULL
          AND (status_flag IS NULL OR status_flag <> 'duplicate')
        GROUP BY 1 ORDER BY 1
        """,
        [POTHOLE_CODES],
    ).fetchall()
    con.close()
    return {str(m): (float(v), int(n)) for m, v, n in rows}


def hand_status(value: float, rows: int, target: float) -> str:
    """Lower is better; near = within 5% of the target; fewer than 10 rows: not judged."""
    if rows < 10:
        return "not enough data"
    if value <= target:
        return "met"
    return "near" if value - target <= 0.05 * target else "missed"


def test_pothole_median_view_holds_the_hand_computed_numbers(
    demo_reader: WarehouseReader, demo_warehouse: Path
) -> None:
    view = read_measure_view(demo_reader, POTHOLE)
    assert view.grain == "month" and view.info.id == POTHOLE
    medians = pothole_medians(demo_warehouse)
    assert [p.label for p in view.points] == sorted(medians)
    for point in view.points:
        median, rows = medians[point.label]
        assert point.value == pytest.approx(median, rel=1e-12)
        assert point.denominator == rows
        assert point.target == 48.0
        assert point.target_status == hand_status(median, rows, 48.0), point.label
        assert point.period_end == month_bounds(point.label)[1] - dt.timedelta(days=1)
    # XmR by hand: baseline = the first 12 months resting on at least 10 requests.
    charted = [p for p in view.points if p.denominator is not None and p.denominator >= 10]
    assert [p.label for p in charted] == [p.label for p in view.points if p.charted]
    baseline = [medians[p.label][0] for p in charted[:12]]
    centre = sum(baseline) / 12
    mr_bar = sum(abs(b - a) for a, b in pairwise(baseline)) / 11
    upper, lower = centre + 2.66 * mr_bar, max(0.0, centre - 2.66 * mr_bar)
    assert len(view.segments) == 1
    segment = view.segments[0]
    assert segment.centre == pytest.approx(centre, rel=1e-9)
    assert (segment.upper, segment.lower) == (pytest.approx(upper, rel=1e-9), pytest.approx(lower, abs=1e-9))
    outside = {p.label for p in charted if p.value is not None and (p.value > upper or p.value < lower)}
    rule1 = {p for s in view.signals if s.rule == "outside_limits" for p in s.points}
    assert rule1 == outside
    assert {p.label for p in view.points if "outside_limits" in p.signals} == outside
    # The planted slowdown (close times double from 2025-10): months above the limit after it.
    assert {label for label in outside if label >= "2025-10"} and all(
        medians[label][0] > upper for label in outside if label >= "2025-10"
    )
    # What changed: the last two months with a value.
    change = view.change
    assert change is not None
    (before, _), (now, _) = medians["2026-05"], medians["2026-06"]
    assert (change.previous_label, change.label) == ("2026-05", "2026-06")
    assert change.difference == pytest.approx(now - before, rel=1e-12)
    assert change.movement == ("up" if now > before else "down")
    assert change.better is (now < before)  # lower is better
    assert change.signal is ("2026-06" in rule1 or bool(view.points[-1].signals))


def test_quality_grades_and_data_issue_labels(demo_reader: WarehouseReader, demo_warehouse: Path) -> None:
    views = get_measure_views(demo_reader)
    con = connect(demo_warehouse, read_only=True)
    newest = con.execute("SELECT max(created_at)::DATE FROM service_requests").fetchone()
    assert newest is not None
    qualities = check_measures(con, list(views), as_of=newest[0])
    for measure_id, view in views.items():
        quality = qualities[measure_id]
        assert view.as_of == newest[0]
        assert view.quality.grade == quality.grade, measure_id
        for point in view.points:
            assert point.grade == quality.grade_of(point.label)
            shown = "data issue" if point.grade == "C" and point.target_status in JUDGED else None
            assert point.status == (shown or point.target_status), (measure_id, point.label)
    # The planted "due before created" rows: each makes its month of city-on-time a data issue.
    manifest = json.loads((demo_warehouse.parent / "data" / "manifest.json").read_text())
    planted = next(f for f in manifest["faults"] if f["kind"] == "due_before_created")
    months = {
        str(m)
        for (m,) in con.execute(
            "SELECT DISTINCT strftime(created_at, '%Y-%m') FROM service_requests"
            " WHERE request_id IN (SELECT unnest(?::VARCHAR[]))",
            [planted["request_ids"]],
        ).fetchall()
    }
    con.close()
    assert months
    on_time = views["city-on-time"]
    for label in months:
        point = on_time.point(label)
        assert point is not None and point.grade == "C"
        assert any("due before created" in r for r in point.quality_reasons)
        assert point.status == ("data issue" if point.target_status in JUDGED else point.target_status)
    assert any(on_time.point(label).status == "data issue" for label in months)  # type: ignore[union-attr]


def test_other_grains_and_errors(demo_reader: WarehouseReader, demo_warehouse: Path) -> None:
    view = read_measure_view(demo_reader, POTHOLE, "fiscal_year")
    con = connect(demo_warehouse, read_only=True)
    series = query_series(con, POTHOLE, grain="fiscal_year")
    con.close()
    assert [(p.label, p.value) for p in view.points] == [(r["period_label"], r["value"]) for r in series.rows]
    assert [p.label for p in view.points] == ["FY2024", "FY2025", "FY2026"]
    # Three yearly values are too few for process limits: said, not made up.
    assert view.chart_status == "not enough data" and view.segments[0].centre is None
    with pytest.raises(NotFoundError):
        read_measure_view(demo_reader, "no-such-measure")
    with pytest.raises(InvalidRequestError):
        read_measure_view(demo_reader, POTHOLE, "day")


def read_actuals(measure: str) -> dict[str, float]:
    """Quarterly actuals of one plan measure from measure_actuals.csv, by 'FY2026 Q1' label."""
    with (PLAN / "measure_actuals.csv").open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["measure_id"] == measure]
    return {
        f"FY{r['fiscal_year']} Q{q}": float(r[f"q{q}_value"])
        for r in rows
        for q in (1, 2, 3, 4)
        if r[f"q{q}_value"].strip()
    }


def test_real_plan_measures(real_reader: WarehouseReader) -> None:
    # plan-290 is a percent measure whose FY2026 Q1-Q3 cells hold dollar amounts (PROVENANCE.md).
    view = read_measure_view(real_reader, "plan-290")
    assert view.grain == "fiscal_quarter"
    actuals = read_actuals("290")
    assert {p.label: p.value for p in view.points} == actuals
    for label in ("FY2026 Q1", "FY2026 Q2", "FY2026 Q3"):
        point = view.point(label)
        assert point is not None and actuals[label] > 1
        assert point.grade == "C"
        assert any("above 1" in r for r in point.quality_reasons)
        assert point.status == ("data issue" if point.target_status in JUDGED else point.target_status)
    # plan-529 reports -5,378 in FY2026 Q2 for a count: no process limits, said so.
    view = read_measure_view(real_reader, "plan-529")
    actuals = read_actuals("529")
    assert actuals["FY2026 Q2"] == -5378.0
    assert {p.label: p.value for p in view.points} == actuals
    assert view.chart_status == "not charted" and view.segments == ()
    assert any("FY2026 Q2" in note for note in view.chart_notes)
    # Up, target 125,000 a year: every quarter is far below (counts are judged per period).
    for point in view.points:
        assert point.target_status == ("missed" if point.target == 125000.0 else "no target"), point.label
    change = view.change
    assert change is not None and (change.previous_label, change.label) == ("FY2026 Q2", "FY2026 Q3")
    assert change.difference == 3664.0 - -5378.0 and change.better is True
    assert math.isclose(change.value, 3664.0)
