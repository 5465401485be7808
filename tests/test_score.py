"""CityScore-style composite with hand-checked numbers: ratios, cap, zeros, small samples, listing."""

from __future__ import annotations

import datetime as dt

import pytest

from citystat.analysis.score import (
    ALL_AGENCIES,
    SCORE_CAP,
    ScoredMeasure,
    score_city,
    score_measure,
    score_value,
)
from citystat.analysis.series import Observation
from citystat.analysis.targets import TargetRule

OCT, NOV = dt.date(2019, 10, 1), dt.date(2019, 11, 1)


def observations(*values: tuple[float | None, float | None]) -> tuple[Observation, ...]:
    starts = [OCT, NOV]
    return tuple(
        Observation(f"{s.year}-{s.month:02d}", s, v, d) for s, (v, d) in zip(starts, values, strict=False)
    )


def test_score_value_ratios_cap_and_zeros() -> None:
    assert SCORE_CAP == 2.0
    assert score_value(0.9, 0.8, "up").score == pytest.approx(1.125)
    assert score_value(60, 48, "down").score == pytest.approx(0.8)  # 48 / 60
    assert score_value(90, 100, "maintain").score == pytest.approx(0.9)
    assert score_value(110, 100, "maintain").score == pytest.approx(100 / 110)
    capped = score_value(250, 100, "up")
    assert (capped.score, capped.capped, capped.reason) == (2.0, True, "value / target = 2.5, capped at 2")
    best = score_value(0, 48, "down")
    assert (best.score, best.capped) == (2.0, True)
    assert score_value(0, 0.8, "up").score == 0
    assert score_value(5, 0, "up").score is None
    assert score_value(5, 0, "up").reason == "the target is 0, and a ratio to zero has no meaning"
    assert score_value(-1, 5, "up").score is None
    assert score_value(5, 5, "none").score is None


def build_measures() -> list[ScoredMeasure]:
    return [
        # on time: 0.88/0.8 = 1.1 in October, 0.6/0.8 = 0.75 in November
        ScoredMeasure(
            "tr-on-time",
            "On time",
            "Transportation",
            TargetRule("up", "percent", {2020: 0.8}, rests_on_rows=True),
            observations((0.88, 50), (0.6, 40)),
        ),
        # median days, lower is better: 10/8 = 1.25; November rests on 5 rows -> too few
        ScoredMeasure(
            "tr-median-days",
            "Median days",
            "Transportation",
            TargetRule("down", "days", {2020: 10}, rests_on_rows=True),
            observations((8, 30), (12, 5)),
        ),
        # backlog, lower is better: 0 -> capped best 2.0; 20/40 = 0.5
        ScoredMeasure(
            "pw-backlog",
            "Backlog",
            "Public Works",
            TargetRule("down", "count", {2020: 20}),
            observations((0, 0), (40, 40)),
        ),
        ScoredMeasure(
            "pw-requests",
            "Requests",
            "Public Works",
            TargetRule("none", "count"),
            observations((7, 7), (9, 9)),
        ),
        ScoredMeasure(
            "pw-zero-target",
            "Zero target",
            "Public Works",
            TargetRule("up", "count", {2020: 0}),
            observations((3, 3), (4, 4)),
        ),
    ]


def test_composite_per_agency_and_citywide() -> None:
    city = score_city(build_measures(), grain="month")
    october, november = city.citywide.periods
    assert city.citywide.scope == ALL_AGENCIES
    # October: (1.1 + 1.25 + 2.0) / 3 = 1.45; November: (0.75 + 0.5) / 2 = 0.625
    assert (october.label, october.score, october.scored) == ("2019-10", pytest.approx(1.45), 3)
    assert (november.label, november.score, november.scored) == ("2019-11", pytest.approx(0.625), 2)
    transportation = city.agency("Transportation")
    assert [p.score for p in transportation.periods] == pytest.approx([1.175, 0.75])
    public_works = city.agency("Public Works")
    assert [p.score for p in public_works.periods] == pytest.approx([2.0, 0.5])
    assert public_works.measure_ids == ("pw-backlog", "pw-requests", "pw-zero-target")

    # nothing is hidden: every measure's contribution is listed with its reason
    assert november.left_out("too few") == ("tr-median-days",)
    assert november.left_out("no target") == ("pw-requests",)
    assert november.left_out("excluded") == ("pw-zero-target",)
    assert city.without_targets == ("pw-requests",)
    by_id = {c.measure_id: c for c in october.contributions}
    assert (by_id["tr-on-time"].value, by_id["tr-on-time"].target) == (0.88, 0.8)
    assert by_id["tr-on-time"].score == pytest.approx(1.1)
    assert by_id["pw-backlog"].reason == "0 where lower is better: the best score, capped"
    assert by_id["pw-zero-target"].reason == "the target is 0, and a ratio to zero has no meaning"
    assert {c.measure_id: c.reason for c in november.contributions}["tr-median-days"] == (
        "based on 5 rows, fewer than 10"
    )


def test_a_period_with_nothing_scored_has_no_score() -> None:
    city = score_city(build_measures()[3:], grain="month")
    assert [p.score for p in city.citywide.periods] == [None, None]


def test_cumulative_measure_scores_year_to_date() -> None:
    starts = [dt.date(2019, m, 1) for m in (7, 8, 9, 10)]
    measure = ScoredMeasure(
        "potholes-filled",
        "Potholes filled",
        "Transportation",
        TargetRule("up", "count", {2020: 1200}, cumulative=True),
        tuple(
            Observation(f"2019-{s.month:02d}", s, v) for s, v in zip(starts, [90, 100, 95, 80], strict=True)
        ),
    )
    got = score_measure(measure, grain="month")
    # year to date 90, 190, 285, 365 against 100, 200, 300, 400
    assert [c.score for c in got] == pytest.approx([0.9, 0.95, 0.95, 0.9125])
    assert {c.basis for c in got} == {"year to date"}
    missing_july = score_measure(
        ScoredMeasure(
            measure.measure_id, measure.title, measure.agency, measure.rule, measure.observations[1:]
        ),
        grain="month",
    )
    assert {c.status for c in missing_july} == {"excluded"}
