"""One measure series judged: its XmR chart, its target status per period and target assurance.

Everything here only reads the warehouse, through :mod:`citystat.analysis`. Target assurance sets
the target of the latest period's fiscal year against the current natural process limits; a
``maintain`` target uses the same "near" band as target status (:func:`tolerance_for`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from citystat.analysis.series import MIN_DENOMINATOR, read_measure
from citystat.analysis.targets import TargetReport, TargetStatus, read_target_statuses, tolerance_for
from citystat.analysis.xmr import RuleSet, TargetAssurance, XmRChart, assess_target, read_chart
from citystat.catalog.model import Grain, Measure


@dataclass(frozen=True)
class MeasureJudgement:
    measure: Measure
    grain: Grain
    dimension: str
    dimension_value: str
    chart: XmRChart
    targets: TargetReport
    assurance: TargetAssurance | None  # None when no target applies to the latest period
    assurance_note: str

    @property
    def latest(self) -> TargetStatus | None:
        """The latest period's status (its value, target and how it compares)."""
        return self.targets.statuses[-1] if self.targets.statuses else None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        limits = self.chart.limits
        return {
            "measure_id": self.measure.id,
            "title": self.measure.title,
            "agency": self.measure.agency,
            "unit": self.measure.unit,
            "direction": self.measure.direction,
            "grain": self.grain,
            "dimension": self.dimension,
            "dimension_value": self.dimension_value,
            "chart": {
                "status": self.chart.status,
                "centre": None if limits is None else limits.centre,
                "lower": None if limits is None else limits.lower,
                "upper": None if limits is None else limits.upper,
                "upper_range": None if limits is None else limits.upper_range,
                "baseline": [] if limits is None else list(limits.baseline),
                "notes": list(self.chart.notes),
                "signals": [
                    {"rule": s.rule, "title": s.title, "side": s.side, "points": list(s.points)}
                    for s in self.chart.signals
                ],
                "values": [
                    {"label": label, "value": value}
                    for segment in self.chart.segments
                    for label, value in zip(segment.labels, segment.values, strict=True)
                ],
            },
            "target_status": [
                {
                    "label": s.label,
                    "status": s.status,
                    "basis": s.basis,
                    "value": s.value,
                    "target": s.target,
                    "reason": s.reason,
                }
                for s in self.targets.statuses
            ],
            "assurance": None
            if self.assurance is None
            else {
                "verdict": self.assurance.verdict,
                "target": self.assurance.target,
                "explanation": self.assurance.explanation,
            },
            "assurance_note": self.assurance_note,
        }


def judge_measure(
    con: duckdb.DuckDBPyConnection,
    measure_id: str,
    grain: Grain = "month",
    dimension: str = "",
    dimension_value: str = "",
    *,
    min_denominator: int = MIN_DENOMINATOR,
    rules: RuleSet = "western_electric",
) -> MeasureJudgement:
    """Chart, target status and assurance of one stored series (``dimension=''``: citywide)."""
    measure = read_measure(con, measure_id)
    chart = read_chart(
        con, measure_id, grain, dimension, dimension_value, min_denominator=min_denominator, rules=rules
    )
    targets = read_target_statuses(
        con, measure_id, grain, dimension, dimension_value, min_denominator=min_denominator
    )
    assurance, note = assure_latest_target(chart, targets, measure)
    return MeasureJudgement(measure, grain, dimension, dimension_value, chart, targets, assurance, note)


def assure_latest_target(
    chart: XmRChart, targets: TargetReport, measure: Measure
) -> tuple[TargetAssurance | None, str]:
    """Assurance against the annual target of the latest period's fiscal year."""
    if not targets.statuses:
        return None, "no values for this series"
    latest = targets.statuses[-1]
    if latest.annual_target is None:
        return None, f"no target for FY{latest.fiscal_year}"
    if measure.cumulative:
        return None, "a cumulative measure is judged on its year-to-date sum, not per period"
    target = latest.annual_target
    tolerance = tolerance_for(measure.unit, target) if measure.direction == "maintain" else None
    return assess_target(chart, target, measure.direction, tolerance), f"FY{latest.fiscal_year} target"
