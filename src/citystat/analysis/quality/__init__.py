"""Data quality: checks per source file and per measure, grades, and "data issue" labels.

Bad data must never be mistaken for bad performance: :func:`label_status` turns a target status
into "data issue" when the value's data fail a check (grade C).
"""

from citystat.analysis.quality.grade import grade_findings, grade_measure, label_status
from citystat.analysis.quality.model import (
    DATA_ISSUE,
    Finding,
    Grade,
    MeasureQuality,
    PeriodQuality,
    SourceQuality,
)
from citystat.analysis.quality.plan import (
    PercentCell,
    PlanQuality,
    SharedCode,
    UnreadableCell,
    check_plan,
    check_reported_measure,
)
from citystat.analysis.quality.requests import (
    RejectedRow,
    WeekShift,
    check_measure,
    check_measures,
    check_sources,
    find_volume_shifts,
    read_rejected_rows,
)

__all__ = [
    "DATA_ISSUE",
    "Finding",
    "Grade",
    "MeasureQuality",
    "PercentCell",
    "PeriodQuality",
    "PlanQuality",
    "RejectedRow",
    "SharedCode",
    "SourceQuality",
    "UnreadableCell",
    "WeekShift",
    "check_measure",
    "check_measures",
    "check_plan",
    "check_reported_measure",
    "check_sources",
    "find_volume_shifts",
    "grade_findings",
    "grade_measure",
    "label_status",
    "read_rejected_rows",
]
