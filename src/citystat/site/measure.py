"""One measure judged, as the measure page and the API's analysis show it.

For one grain (by default the measure's cadence's, see :mod:`citystat.site.catalog`) a
:class:`MeasureView` holds every period's value with its target status, its XmR limits and
signals (:mod:`citystat.analysis.xmr`), its data-quality grade and the checks behind it
(:mod:`citystat.analysis.quality`), and what changed in the latest period. A target status is
shown as "data issue" when the period's quality grade is C (:func:`label_status`): bad data never
reads as bad performance.

Quality checks are dated by the data, not by the clock (results are cached per warehouse
revision): computed measures are checked as of the newest request, reported measures as of the
end of the newest reported period (:class:`DataAsOf`).

Every view of every measure at its default grain is one cached build per warehouse revision
(:func:`get_measure_views`): the quality checks read rejected rows back from the source files,
which is done once for all measures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import duckdb

from citystat.analysis.quality import (
    MeasureQuality,
    PlanQuality,
    RejectedRow,
    WeekShift,
    check_measure,
    check_plan,
    check_reported_measure,
    find_volume_shifts,
    label_status,
    read_rejected_rows,
)
from citystat.analysis.quality.model import Grade
from citystat.analysis.series import MeasureSeries, read_many_series
from citystat.analysis.targets import TargetStatus, judge_stored_series
from citystat.analysis.xmr import Signal, TargetAssurance, XmRChart, chart_series
from citystat.catalog.model import Grain
from citystat.engine.periods import next_period_start
from citystat.engine.query import SeriesBreak
from citystat.profiles import load_profile
from citystat.reports.judge import assure_latest_target
from citystat.site.catalog import MeasureInfo, SiteCatalog, as_grain, get_catalog
from citystat.site.errors import InvalidRequestError
from citystat.site.reader import WarehouseReader
from citystat.warehouse.city import DEFAULT_CITY
from citystat.warehouse.connection import get_meta

Movement = Literal["up", "down", "same"]
NOT_CHARTED = "not charted"


@dataclass(frozen=True)
class DataAsOf:
    """How recent the data are: the newest day each source covers, and when each was loaded.

    Quality checks are run as of the newest day their source covers (``requests``: the newest
    request; ``reported``: the end of the newest reported period), not as of the clock or the load
    date: a site serving an old extract says once how old it is (``requests_loaded``...), rather
    than marking every latest value a data issue, while a measure that lags behind the rest of its
    source is still stale.
    """

    requests: dt.date | None
    reported: dt.date | None
    requests_loaded: dt.date | None
    plan_loaded: dt.date | None


@dataclass(frozen=True)
class QualityInputs:
    """What grading every measure shares: read once per revision."""

    as_of: DataAsOf
    rejected: tuple[RejectedRow, ...]
    shifts: tuple[WeekShift, ...]
    plan: PlanQuality


@dataclass(frozen=True)
class PointView:
    """One period of the series."""

    label: str
    period_start: dt.date
    period_end: dt.date  # the period's last day
    value: float | None
    denominator: float | None  # rows a ratio or statistic rests on (None for counts, reported values)
    basis: str  # period | year to date (cumulative measures are judged on the year-to-date sum)
    judged_value: float | None  # the value set against the target (the year-to-date sum, or the value)
    target: float | None  # the target it was judged against (pro-rated for year to date)
    status: str  # what to show: the target status, or "data issue" when the grade is C
    target_status: str  # met | near | missed | no target | not enough data | not judged
    reason: str  # why, in words
    grade: Grade  # data quality of this value
    quality_reasons: tuple[str, ...]  # plain-language reasons a check fails (grade C)
    charted: bool  # on the XmR chart (left out: no value, or too few rows)
    segment: int | None  # the chart segment it belongs to
    centre: float | None  # that segment's centre line and natural process limits
    lower: float | None
    upper: float | None
    signals: tuple[str, ...]  # rules of the signals this point is part of


@dataclass(frozen=True)
class SegmentView:
    """Centre line and limits from ``first`` to ``last`` (a redefinition starts a new segment)."""

    index: int
    first: str
    last: str
    status: str  # ok | not enough data
    centre: float | None
    lower: float | None
    upper: float | None
    upper_range: float | None
    lower_clipped: bool
    baseline: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class ChangeView:
    """The latest value against the one before it."""

    label: str
    previous_label: str
    value: float
    previous_value: float
    difference: float
    movement: Movement
    better: bool | None  # None: no desired direction, or no movement
    signal: bool  # the latest period is part of an XmR signal: not routine variation
    signal_rules: tuple[str, ...]
    status: str
    previous_status: str

    @property
    def status_changed(self) -> bool:
        return self.status != self.previous_status


@dataclass(frozen=True)
class MeasureView:
    info: MeasureInfo
    grain: Grain
    points: tuple[PointView, ...]  # oldest first
    segments: tuple[SegmentView, ...]
    signals: tuple[Signal, ...]
    chart_status: str  # ok | not enough data | not charted (the values cannot be charted; see notes)
    chart_notes: tuple[str, ...]
    assurance: TargetAssurance | None
    assurance_note: str
    quality: MeasureQuality
    breaks: tuple[SeriesBreak, ...]
    as_of: dt.date | None  # the date the quality checks were run as of
    change: ChangeView | None

    @property
    def latest(self) -> PointView | None:
        """The newest period with a value."""
        return next((p for p in reversed(self.points) if p.value is not None), None)

    def point(self, label: str) -> PointView | None:
        return next((p for p in self.points if p.label == label), None)


# --- quality inputs ---------------------------------------------------------------------------


def read_data_as_of(con: duckdb.DuckDBPyConnection) -> DataAsOf:
    loaded = dict(
        con.execute(
            "SELECT kind, max(finished_at)::DATE FROM load_log WHERE kind IN ('requests', 'plan') GROUP BY 1"
        ).fetchall()
    )
    newest = con.execute("SELECT max(created_at)::DATE FROM service_requests").fetchone()
    periods = con.execute(
        "SELECT DISTINCT grain, period_start FROM measure_values WHERE engine = 'reported'"
    ).fetchall()
    ends = [next_period_start(start, as_grain(grain)) - dt.timedelta(days=1) for grain, start in periods]
    return DataAsOf(
        requests=None if newest is None else newest[0],
        reported=max(ends, default=None),
        requests_loaded=loaded.get("requests"),
        plan_loaded=loaded.get("plan"),
    )


def read_quality_inputs(con: duckdb.DuckDBPyConnection) -> QualityInputs:
    profile = load_profile(get_meta(con, "city_profile") or DEFAULT_CITY)
    return QualityInputs(
        as_of=read_data_as_of(con),
        rejected=tuple(read_rejected_rows(con, profile)),
        shifts=tuple(find_volume_shifts(con)),
        plan=check_plan(con),
    )


def check_quality(
    con: duckdb.DuckDBPyConnection, info: MeasureInfo, grain: Grain, inputs: QualityInputs
) -> tuple[MeasureQuality, dt.date | None]:
    """The measure's quality at ``grain``, and the date it was checked as of."""
    if info.computed:
        as_of = inputs.as_of.requests or inputs.as_of.requests_loaded or dt.date.min
        quality = check_measure(
            con, info.id, as_of=as_of, grain=grain, rejected=inputs.rejected, shifts=inputs.shifts
        )
        return quality, as_of
    if grain not in ("fiscal_quarter", "fiscal_year"):
        return MeasureQuality(info.id, grain, "A", (), ()), None
    reported = inputs.as_of.reported
    return check_reported_measure(con, info.id, grain=grain, plan=inputs.plan, as_of=reported), reported


# --- building a view --------------------------------------------------------------------------


def view_segments(chart: XmRChart | None) -> tuple[SegmentView, ...]:
    if chart is None:
        return ()
    out = []
    for s in chart.segments:
        if not s.labels:
            continue
        limits = s.limits
        out.append(
            SegmentView(
                s.index,
                s.labels[0],
                s.labels[-1],
                s.status,
                None if limits is None else limits.centre,
                None if limits is None else limits.lower,
                None if limits is None else limits.upper,
                None if limits is None else limits.upper_range,
                False if limits is None else limits.lower_clipped,
                () if limits is None else limits.baseline,
                s.reason,
            )
        )
    return tuple(out)


def describe_point(
    series: MeasureSeries,
    index: int,
    status: TargetStatus,
    quality: MeasureQuality,
    chart: XmRChart | None,
) -> PointView:
    observation = series.observations[index]
    label = observation.label
    segment = None
    if chart is not None:
        segment = next((s for s in chart.segments if label in s.labels), None)
    limits = None if segment is None else segment.limits
    grade = quality.grade_of(label)
    found = quality.period(label)
    rules: tuple[str, ...] = ()
    if chart is not None:
        rules = tuple(dict.fromkeys(s.rule for s in chart.signals if label in s.points))
    return PointView(
        label=label,
        period_start=observation.period_start,
        period_end=next_period_start(observation.period_start, series.grain) - dt.timedelta(days=1),
        value=observation.value,
        denominator=observation.denominator,
        basis=status.basis,
        judged_value=status.value,
        target=status.target,
        status=label_status(status.status, grade),
        target_status=status.status,
        reason=status.reason,
        grade=grade,
        quality_reasons=() if found is None else found.reasons,
        charted=segment is not None,
        segment=None if segment is None else segment.index,
        centre=None if limits is None else limits.centre,
        lower=None if limits is None else limits.lower,
        upper=None if limits is None else limits.upper,
        signals=rules,
    )


def describe_change(points: tuple[PointView, ...], direction: str) -> ChangeView | None:
    valued = [p for p in points if p.value is not None]
    if len(valued) < 2:
        return None
    before, now = valued[-2], valued[-1]
    assert before.value is not None and now.value is not None
    difference = now.value - before.value
    movement: Movement = "up" if difference > 0 else "down" if difference < 0 else "same"
    better = None
    if movement != "same" and direction in ("up", "down"):
        better = movement == direction
    return ChangeView(
        label=now.label,
        previous_label=before.label,
        value=now.value,
        previous_value=before.value,
        difference=difference,
        movement=movement,
        better=better,
        signal=bool(now.signals),
        signal_rules=now.signals,
        status=now.status,
        previous_status=before.status,
    )


def build_measure_view(
    info: MeasureInfo,
    series: MeasureSeries,
    quality: MeasureQuality,
    *,
    fiscal_start_month: int,
    as_of: dt.date | None,
) -> MeasureView:
    """Judge a series already read (pure: no warehouse access)."""
    targets = judge_stored_series(series, fiscal_start_month=fiscal_start_month)
    chart: XmRChart | None
    notes: tuple[str, ...]
    try:
        chart = chart_series(series)
    except ValueError as exc:  # e.g. a negative value in a measure that cannot go below 0
        chart, chart_status, notes = None, NOT_CHARTED, (f"process limits not computed: {exc}",)
        assurance, assurance_note = None, "no process limits"
    else:
        chart_status, notes = chart.status, chart.notes
        assurance, assurance_note = assure_latest_target(chart, targets, series.measure)
    points = tuple(
        describe_point(series, i, status, quality, chart) for i, status in enumerate(targets.statuses)
    )
    return MeasureView(
        info=info,
        grain=series.grain,
        points=points,
        segments=view_segments(chart),
        signals=() if chart is None else chart.signals,
        chart_status=chart_status,
        chart_notes=tuple(notes),
        assurance=assurance,
        assurance_note=assurance_note,
        quality=quality,
        breaks=series.breaks,
        as_of=as_of,
        change=describe_change(points, info.direction),
    )


def build_views(
    con: duckdb.DuckDBPyConnection,
    catalog: SiteCatalog,
    inputs: QualityInputs,
    wanted: Mapping[str, Grain],
) -> dict[str, MeasureView]:
    """Views of several measures (id -> grain), reading their series in one go."""
    series = read_many_series(con, wanted.items())
    views = {}
    for measure_id, grain in wanted.items():
        info = catalog.find_measure(measure_id)
        quality, as_of = check_quality(con, info, grain, inputs)
        views[measure_id] = build_measure_view(
            info,
            series[(measure_id, grain)],
            quality,
            fiscal_start_month=catalog.fiscal_start_month,
            as_of=as_of,
        )
    return views


# --- through the reader (cached per warehouse revision) ---------------------------------------


def get_quality_inputs(reader: WarehouseReader) -> QualityInputs:
    return reader.cached(("site", "quality-inputs"), read_quality_inputs)


def get_measure_views(reader: WarehouseReader) -> Mapping[str, MeasureView]:
    """Every measure that is not retired and has values, judged at its default grain (one build
    per revision; the home page, agency pages and "what changed" read from it)."""
    catalog = get_catalog(reader)
    inputs = get_quality_inputs(reader)
    wanted = {m.id: m.default_grain for m in catalog.active() if m.default_grain is not None}
    return reader.cached(("site", "views"), lambda con: build_views(con, catalog, inputs, wanted))


def read_measure_view(reader: WarehouseReader, measure_id: str, grain: Grain | None = None) -> MeasureView:
    """One measure judged at ``grain`` (default: its cadence's). Raises
    :class:`~citystat.site.errors.NotFoundError` for an unknown measure and
    :class:`~citystat.site.errors.InvalidRequestError` for a grain it has no values at."""
    catalog = get_catalog(reader)
    info = catalog.find_measure(measure_id)
    grain = grain or info.default_grain
    stored = None if grain is None else info.stored(grain)
    if grain is None or stored is None or not stored.periods:
        held = ", ".join(g.grain for g in info.grains if g.periods) or "none"
        raise InvalidRequestError(
            f"measure {measure_id!r} has no citywide values at grain {grain or 'any'!r} (stored: {held})"
        )
    if grain == info.default_grain and not info.retired:
        return get_measure_views(reader)[measure_id]
    inputs = get_quality_inputs(reader)
    key = ("site", "view", measure_id, grain)
    return reader.cached(key, lambda con: build_views(con, catalog, inputs, {measure_id: grain})[measure_id])
