"""Target status with hand-checked numbers: direction, unit tolerance, fiscal years, cumulative."""

from __future__ import annotations

import datetime as dt

import pytest

from citystat.analysis.series import Observation
from citystat.analysis.targets import (
    TargetRule,
    classify,
    judge_series,
    list_periods_of_year,
    rule_from_measure,
    tolerance_for,
)
from citystat.catalog.model import Measure


def month(year: int, number: int, value: float | None, denominator: float | None = None) -> Observation:
    return Observation(f"{year}-{number:02d}", dt.date(year, number, 1), value, denominator)


def statuses(observations: list[Observation], rule: TargetRule, **options: object) -> list[str]:
    return [s.status for s in judge_series(observations, rule, grain="month", **options)]  # type: ignore[arg-type]


def test_percent_up_uses_two_percentage_points() -> None:
    rule = TargetRule("up", "percent", {2020: 0.8})
    values = [0.84, 0.80, 0.79, 0.78, 0.7799, 0.5]
    got = judge_series([month(2019, 7 + i, v) for i, v in enumerate(values)], rule, grain="month")
    # 0.78 is exactly 2 points short (0.8 - 0.78 is 0.020000000000000018 in binary): still near
    assert [s.status for s in got] == ["met", "met", "near", "near", "missed", "missed"]
    assert {s.tolerance for s in got} == {0.02}
    assert got[0].reason == "84.0% is at or above the target 80.0%"
    assert got[4].reason == (
        "78.0% is not at or above the target 80.0%: short by 2.01 percentage points,"
        " more than the 2 percentage points counted as near"
    )


def test_down_uses_five_percent_of_the_target() -> None:
    rule = TargetRule("down", "hours", {2020: 48})  # near: within 2.4 hours
    observations = [month(2019, 7, 40), month(2019, 8, 48), month(2019, 9, 50.4), month(2019, 10, 50.5)]
    assert statuses(observations, rule) == ["met", "met", "near", "missed"]
    assert tolerance_for("hours", 48) == pytest.approx(2.4)


def test_maintain_is_a_band_and_none_is_not_judged() -> None:
    rule = TargetRule("maintain", "count", {2020: 100})  # band ±5; near within ±10
    observations = [month(2019, 7, 104), month(2019, 8, 95), month(2019, 9, 108), month(2019, 10, 89)]
    assert statuses(observations, rule) == ["met", "met", "near", "missed"]
    assert classify(110, 100, "maintain", 5) == "near"
    none = judge_series([month(2019, 7, 5)], TargetRule("none", "count", {2020: 1}), grain="month")
    assert [(s.status, s.reason) for s in none] == [("not judged", "the measure has no desired direction")]


def test_tolerance_can_be_given() -> None:
    rule = TargetRule("up", "count", {2020: 100})
    observations = [month(2019, 7, 96), month(2019, 8, 94)]
    assert statuses(observations, rule) == ["near", "missed"]  # 5% of 100
    assert statuses(observations, rule, tolerance=10) == ["near", "near"]


def test_fiscal_year_targets_apply_to_every_period_of_that_year() -> None:
    rule = TargetRule("down", "days", {2019: 10, 2020: 5})
    observations = [month(2019, 6, 8), month(2019, 7, 8), month(2020, 6, 4), month(2020, 7, 4)]
    got = judge_series(observations, rule, grain="month")
    # June 2019 is FY2019 (target 10); July 2019 to June 2020 is FY2020 (target 5); July 2020 is FY2021
    assert [(s.fiscal_year, s.target, s.status) for s in got] == [
        (2019, 10, "met"),
        (2020, 5, "missed"),
        (2020, 5, "met"),
        (2021, None, "no target"),
    ]
    assert got[3].reason == "no target for FY2021"
    calendar = judge_series(observations, rule, grain="month", fiscal_start_month=1)
    assert [s.fiscal_year for s in calendar] == [2019, 2019, 2020, 2020]


def test_not_enough_data_for_missing_values_and_small_denominators() -> None:
    ratio = TargetRule("up", "percent", {2020: 0.8}, rests_on_rows=True)
    observations = [month(2019, 7, None), month(2019, 8, 0.9, 9), month(2019, 9, 0.9, 10)]
    got = judge_series(observations, ratio, grain="month")
    assert [s.status for s in got] == ["not enough data", "not enough data", "met"]
    assert got[1].reason == "based on 9 rows, fewer than 10"
    counts = TargetRule("up", "count", {2020: 5})
    assert statuses([month(2019, 8, 9, 9)], counts) == ["met"]  # a count is its own size


def test_cumulative_year_to_date_against_pro_rated_target() -> None:
    rule = TargetRule("up", "count", {2020: 1200}, cumulative=True)
    observations = [month(2019, 7, 90), month(2019, 8, 100), month(2019, 9, 95), month(2019, 10, 80)]
    got = judge_series(observations, rule, grain="month")
    # year to date 90, 190, 285, 365 against 1200·k/12 = 100, 200, 300, 400; near = 5% of that
    assert [s.value for s in got] == [90, 190, 285, 365]
    assert [s.target for s in got] == pytest.approx([100, 200, 300, 400])
    assert [s.status for s in got] == ["missed", "near", "near", "missed"]  # short 10>5, 10, 15, 35>20
    assert {s.basis for s in got} == {"year to date"}
    assert got[1].reason.startswith(
        "year to date (2 of 12 periods) against the FY2020 target pro-rated to 2/12"
    )


def test_cumulative_restarts_each_fiscal_year_and_needs_every_period() -> None:
    rule = TargetRule("up", "count", {2020: 1200, 2021: 2400}, cumulative=True)
    year = [month(2019 + (m < 7), m, 100) for m in [*range(7, 13), *range(1, 7)]]
    got = judge_series([*year, month(2020, 7, 100)], rule, grain="month")
    assert (got[11].label, got[11].value, got[11].target, got[11].status) == ("2020-06", 1200, 1200, "met")
    assert (got[12].label, got[12].value, got[12].target, got[12].status) == ("2020-07", 100, 200, "missed")
    late_start = judge_series(year[1:4], rule, grain="month")
    assert {s.status for s in late_start} == {"not enough data"}
    assert late_start[0].reason.endswith("2019-07 has no value")


def test_cumulative_by_fiscal_quarter() -> None:
    rule = TargetRule("down", "count", {2020: 400}, cumulative=True)
    quarters = [
        Observation("FY2020 Q1", dt.date(2019, 7, 1), 90),
        Observation("FY2020 Q2", dt.date(2019, 10, 1), 115),
    ]
    got = judge_series(quarters, rule, grain="fiscal_quarter")
    # 90 <= 100 met; 205 vs 200: 5 over, within 5% of 200 = 10 -> near
    assert [(s.value, s.target, s.status) for s in got] == [(90, 100, "met"), (205, 200, "near")]


def test_periods_of_a_fiscal_year() -> None:
    assert len(list_periods_of_year(2020, "month", 7)) == 12
    assert list_periods_of_year(2020, "fiscal_quarter", 7)[1] == dt.date(2019, 10, 1)
    weeks = list_periods_of_year(2020, "week", 7)  # 1 July 2019 was a Monday
    assert (weeks[0], weeks[-1], len(weeks)) == (dt.date(2019, 7, 1), dt.date(2020, 6, 29), 53)
    assert len(list_periods_of_year(2020, "day", 7)) == 366  # includes 29 February 2020
    assert list_periods_of_year(2020, "fiscal_year", 7) == [dt.date(2019, 7, 1)]


def test_rule_from_a_catalog_measure() -> None:
    measure = Measure.model_validate(
        {
            "id": "x-on-time",
            "title": "On time",
            "unit": "percent",
            "direction": "up",
            "targets": {2020: 0.8},
            "computation": {"aggregate": "ratio", "numerator": {"closed_by_due": True}},
        }
    )
    rule = rule_from_measure(measure)
    assert (rule.direction, rule.unit, rule.cumulative, rule.rests_on_rows) == ("up", "percent", False, True)
    assert rule_from_measure(measure, {2021: 0.9}).targets == {2021: 0.9}
