"""Roll findings into grades, and keep bad data from reading as bad performance."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from citystat.analysis.quality.model import (
    DATA_ISSUE,
    Finding,
    Grade,
    MeasureQuality,
    PeriodQuality,
)

# Statuses that describe performance; a value graded C gets "data issue" instead.
JUDGED_STATUSES = frozenset({"met", "near", "missed", "off target", "on target"})


def grade_findings(findings: Iterable[Finding]) -> Grade:
    """C when any finding fails, B when any is minor, A otherwise."""
    severities = {f.severity for f in findings}
    if "fail" in severities:
        return "C"
    return "B" if "minor" in severities else "A"


def worst(*grades: Grade) -> Grade:
    return max(grades, default="A")


def grade_measure(
    measure_id: str,
    grain: str,
    findings: Iterable[Finding],
    label_of: dict[dt.date, str],
) -> MeasureQuality:
    """Group findings by period; a measure-wide minor finding makes every period at least B, a
    measure-wide failure (stale data) fails the newest period."""
    wide: list[Finding] = []
    by_period: dict[dt.date, list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.period_start is None:
            wide.append(finding)
        else:
            by_period[finding.period_start].append(finding)
    wide_grade = grade_findings(wide)
    floor: Grade = "B" if wide_grade != "A" else "A"
    periods = []
    for start in sorted(by_period):
        items = by_period[start]
        value_items = [f for f in items if f.applies_to == "value"]
        value_grade = worst(grade_findings(value_items), floor)
        periods.append(
            PeriodQuality(
                label=label_of.get(start, start.isoformat()),
                period_start=start,
                grade=value_grade,
                area_grade=worst(value_grade, grade_findings(items)),
                findings=tuple(items),
            )
        )
    overall = worst(wide_grade, *(p.area_grade for p in periods))
    return MeasureQuality(measure_id, grain, overall, tuple(wide), tuple(periods))


def label_status(target_status: str, quality: Grade | PeriodQuality | None) -> str:
    """The status to show: "data issue" instead of a performance status (met, near, missed, off
    target ...) when the data behind the value fail a check (grade C); otherwise unchanged.

    Statuses that make no performance claim ("no target", "not enough data", "not judged") are
    kept: they already say the value is not judged. A :class:`PeriodQuality` stands for its
    citywide value's grade; for a value broken down by area pass its ``area_grade``.
    """
    grade = quality.grade if isinstance(quality, PeriodQuality) else quality
    if grade == "C" and target_status in JUDGED_STATUSES:
        return DATA_ISSUE
    return target_status
