"""Results of the data-quality checks: findings, per-period and per-measure grades.

Grades (see :mod:`citystat.analysis.quality.grade`):

- **A**: every check passes;
- **B**: a minor finding (a small share of missing fields, rows rejected elsewhere in the file, a
  shared code in the export) that does not make this value wrong;
- **C**: a check fails for this value: it rests on rows known to be wrong or missing, or the data
  are older than the measure's cadence. A C value is a *data issue*, never a performance result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

CheckName = Literal["completeness", "validity", "duplicates", "timeliness", "volume", "quarantine", "format"]
Severity = Literal["pass", "minor", "fail"]
Grade = Literal["A", "B", "C"]
# What a finding makes unreliable: the value itself, or only its breakdown by area.
Applies = Literal["value", "areas"]

DATA_ISSUE = "data issue"


@dataclass(frozen=True)
class Finding:
    """One check's result for one scope (a source file, a measure, or a measure's period)."""

    check: CheckName
    code: str  # what was found, e.g. "closed before created", "volume drop"
    severity: Severity
    count: int  # rows (or cells, or weeks) affected
    total: int | None  # rows the share is taken of, when there is one
    detail: str
    period_start: dt.date | None = None  # None: not specific to one period
    applies_to: Applies = "value"
    request_ids: tuple[str, ...] = ()

    @property
    def share(self) -> float | None:
        return None if not self.total else self.count / self.total


@dataclass(frozen=True)
class SourceQuality:
    """Quality of one loaded file of service requests."""

    source: str
    load_id: int
    rows_read: int
    rows_rejected: int
    rows_flagged: int
    rejected_by_reason: tuple[tuple[str, int], ...]
    flagged_by_reason: tuple[tuple[str, int], ...]
    outside_city: int
    placeholder_coordinates: int
    grade: Grade
    findings: tuple[Finding, ...]

    @property
    def rejected_share(self) -> float:
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0


@dataclass(frozen=True)
class PeriodQuality:
    """The grade of one measure's value for one period (``area_grade``: of its breakdown by area)."""

    label: str
    period_start: dt.date
    grade: Grade
    area_grade: Grade
    findings: tuple[Finding, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Plain-language reasons the period fails (empty when it does not)."""
        return tuple(f.detail for f in self.findings if f.severity == "fail")


@dataclass(frozen=True)
class MeasureQuality:
    measure_id: str
    grain: str
    grade: Grade
    findings: tuple[Finding, ...]  # measure-wide findings (not specific to one period)
    periods: tuple[PeriodQuality, ...]  # only periods with findings are listed; others are A

    def period(self, label: str) -> PeriodQuality | None:
        return next((p for p in self.periods if p.label == label), None)

    def grade_of(self, label: str, *, areas: bool = False) -> Grade:
        """The grade of one period's value (``areas``: of its breakdown by area)."""
        found = self.period(label)
        if found is None:
            return "B" if self.has_minor_wide() else "A"
        return found.area_grade if areas else found.grade

    def has_minor_wide(self) -> bool:
        return any(f.severity != "pass" for f in self.findings)
