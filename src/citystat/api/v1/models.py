"""Response models of the JSON API: what the OpenAPI document describes, field by field.

Each model mirrors a frozen dataclass of :mod:`citystat.site` (read with ``from_attributes``),
leaving out what is not the public's business (request ids behind quality findings, the
server's file paths). Links are absolute paths on the same server.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from citystat.catalog.model import Dimension, Grain


def as_utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


# Times the warehouse records in UTC (without an offset): given with theirs.
UtcDateTime = Annotated[dt.datetime, AfterValidator(as_utc)]
# Times recorded as local clock times with no offset (the city's, or the loading machine's).
LocalDateTime = Annotated[
    dt.datetime,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$",
            "description": "A local date and time, without an offset.",
        }
    ),
]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


# --- errors ---------------------------------------------------------------------------------------

ErrorCode = Literal[
    "bad_request", "not_found", "method_not_allowed", "not_acceptable", "unavailable", "error"
]


class ErrorDetail(Out):
    status: int = Field(description="The HTTP status code.")
    code: ErrorCode = Field(description="A stable word for the kind of error.")
    message: str = Field(description="What went wrong, in words.")


class ErrorBody(Out):
    """Every error the API answers (4xx and 5xx) has this shape."""

    error: ErrorDetail


# --- index ----------------------------------------------------------------------------------------


class Link(Out):
    rel: str
    href: str
    title: str


class IndexOut(Out):
    api: str = "citystat"
    version: str
    city: str
    synthetic: bool = Field(description="The data are made up (the synthetic demo city).")
    revision: str = Field(description="The warehouse revision the answers come from.")
    openapi: str
    links: list[Link]


# --- catalog --------------------------------------------------------------------------------------


class AgencyOut(Out):
    id: str
    name: str
    measure_count: int
    computed_count: int
    reported_count: int


class AgenciesOut(Out):
    total: int
    items: list[AgencyOut]


class PlanPlaceOut(Out):
    pillar_id: str | None
    pillar_name: str | None
    goal_code: str | None
    goal_title: str | None


class BudgetServiceOut(Out):
    id: str
    name: str | None


class TargetOut(Out):
    fiscal_year: int
    value: float
    note: str | None
    origin: str
    recorded_at: UtcDateTime


class VersionOut(Out):
    version: int
    name: str
    effective_from: dt.date | None = Field(description="None: from the start of the series.")
    definition_hash: str
    origin: str
    recorded_at: UtcDateTime
    changed: list[str] = Field(description="Definition fields that differ from the previous version.")


class StoredGrainOut(Out):
    grain: Grain
    periods: int = Field(description="Citywide periods stored.")
    first_start: dt.date | None
    last_start: dt.date | None
    first_label: str | None
    last_label: str | None
    dimensions: list[str] = Field(description="Breakdowns stored at this grain.")


class ChangeOut(Out):
    label: str
    previous_label: str
    value: float
    previous_value: float
    difference: float
    movement: Literal["up", "down", "same"]
    better: bool | None = Field(description="None: no desired direction, or no movement.")
    signal: bool = Field(description="The latest period is part of an XmR signal.")
    signal_rules: list[str]
    status: str
    previous_status: str


class MeasureCardOut(Out):
    """A measure with its latest value and status at its default grain."""

    id: str
    name: str
    agency: str
    agency_id: str
    kind: str
    unit: str
    direction: str
    grain: Grain | None = Field(description="None: no values stored yet.")
    latest_label: str | None
    latest_start: dt.date | None
    latest_value: float | None
    target: float | None
    status: str = Field(description="Target status ('data issue' on quality grade C; 'no value').")
    grade: Literal["A", "B", "C"] | None
    signal: bool
    change: ChangeOut | None
    href: str


class MeasuresOut(Out):
    total: int
    page: int
    limit: int
    pages: int
    next: str | None = Field(description="The next page's URL (None on the last page).")
    items: list[MeasureCardOut]


class MeasureLinks(Out):
    self: str
    values: str
    analysis: str
    equity: str
    csv: str
    parquet: str


class MeasureOut(Out):
    id: str
    name: str
    definition: str
    kind: str = Field(description="computed (from requests) or reported (by the agency).")
    agency: str
    agency_id: str
    owner_role: str
    data_source: str
    formula: str
    measure_type: str | None
    unit: str
    format: str
    direction: str = Field(description="up, down (the better way), maintain or none.")
    cadence: str
    cumulative: bool
    equity: bool
    retired: bool
    version: int
    disaggregations: list[str]
    processes: list[str]
    budget_services: list[BudgetServiceOut]
    action_plan: PlanPlaceOut | None
    versions: list[VersionOut]
    targets: list[TargetOut]
    grains: list[StoredGrainOut]
    default_grain: Grain | None
    area_layers: list[str]
    links: MeasureLinks


# --- values ---------------------------------------------------------------------------------------


class ValueOut(Out):
    measure_id: str
    version: int
    grain: Grain
    period_label: str
    period_start: dt.date
    dimension: str = Field(description="'' for citywide values.")
    dimension_value: str
    value: float | None
    numerator: float | None
    denominator: float | None
    note: str | None
    engine: str
    catalog_version: str
    load_ids: str
    computed_at: UtcDateTime


class ValuesOut(Out):
    measure_id: str
    grain: Grain
    dimension: Dimension | None = Field(description="None: citywide values.")
    total: int = Field(description="Values matching the filters, over every page.")
    page: int
    limit: int
    pages: int
    next: str | None = Field(description="The next page's URL, by cursor (None on the last page).")
    items: list[ValueOut]


# --- analysis -------------------------------------------------------------------------------------


class PointOut(Out):
    label: str
    period_start: dt.date
    period_end: dt.date
    value: float | None
    denominator: float | None
    basis: str
    judged_value: float | None
    target: float | None
    status: str = Field(description="The target status, or 'data issue' when the grade is C.")
    target_status: str
    reason: str
    grade: Literal["A", "B", "C"]
    quality_reasons: list[str]
    charted: bool
    segment: int | None
    centre: float | None
    lower: float | None
    upper: float | None
    signals: list[str] = Field(description="XmR rules of the signals this point is part of.")


class SegmentOut(Out):
    index: int
    first: str
    last: str
    status: str
    centre: float | None
    lower: float | None
    upper: float | None
    upper_range: float | None
    lower_clipped: bool
    baseline: list[str]
    reason: str


class SignalOut(Out):
    rule: str
    title: str
    side: Literal["above", "below"]
    points: list[str]
    segment: int


class AssuranceOut(Out):
    verdict: str
    target: float
    direction: str
    lower: float | None
    upper: float | None
    explanation: str


class BreakOut(Out):
    version: int
    effective_from: dt.date | None
    title: str


class AnalysisOut(Out):
    measure_id: str
    name: str
    grain: Grain
    unit: str
    direction: str
    as_of: dt.date | None = Field(description="The date the quality checks were run as of.")
    grade: Literal["A", "B", "C"] = Field(description="The measure's data-quality grade.")
    chart_status: str
    chart_notes: list[str]
    assurance: AssuranceOut | None
    assurance_note: str
    segments: list[SegmentOut]
    signals: list[SignalOut]
    breaks: list[BreakOut]
    latest: PointOut | None
    change: ChangeOut | None
    points: list[PointOut]


# --- equity ---------------------------------------------------------------------------------------


class AreaValueOut(Out):
    label: str
    area_id: str | None
    name: str | None
    value: float | None
    numerator: float | None
    denominator: float | None
    enough: bool
    population: float | None
    per_1000: float | None


class DisparityOut(Out):
    basis: str
    higher_is_better: bool
    areas: int
    mean: float
    gini: float
    theil: float
    quintile_ratio: float | None
    worst_quintile: list[str]
    best_quintile: list[str]
    worst_mean: float | None
    best_mean: float | None


class IndexSummaryOut(Out):
    areas: int
    mean: float
    gini: float
    theil: float
    quintile_ratio: float | None
    worst_quintile_mean: float | None
    best_quintile_mean: float | None


class RequestAreaOut(Out):
    area: str
    requests: float
    population: float | None
    per_1000: float | None
    flags: list[str]
    median_days_to_close: float | None
    geographic_disparity: float | None


class RequestEquityOut(Out):
    """Requests per 1,000 residents and how they spread (measures computed from requests)."""

    layer: str
    subject: str
    population_variable: str
    requests: int
    unlocated: int
    city_rate_per_1000: float
    rate_disparity: IndexSummaryOut
    days_disparity: IndexSummaryOut | None
    areas: list[RequestAreaOut]
    notes: list[str]


class EquityLayerOut(Out):
    layer: str
    grain: Grain
    period_label: str | None
    period_start: dt.date | None
    city_value: float | None
    city_per_1000: float | None
    areas: list[AreaValueOut]
    unplaced_value: float | None
    disparity: DisparityOut | None
    requests: RequestEquityOut | None
    notes: list[str]


class EquityOut(Out):
    measure_id: str
    layers: list[EquityLayerOut]


# --- score ----------------------------------------------------------------------------------------


class ContributionOut(Out):
    measure_id: str
    name: str
    agency: str
    agency_id: str
    status: str = Field(description="scored, too few, no target or excluded.")
    score: float | None
    capped: bool
    value: float | None
    target: float | None
    reason: str


class AgencyScoreOut(Out):
    agency: str
    agency_id: str
    score: float | None
    scored: int
    contributions: list[ContributionOut]


class ScorePointOut(Out):
    label: str
    period_start: dt.date
    score: float | None
    scored: int


class ScoreOut(Out):
    grain: Grain
    cap: float
    period_label: str
    period_start: dt.date
    score: float | None
    scored: int
    contributions: list[ContributionOut]
    agencies: list[AgencyScoreOut]
    history: list[ScorePointOut]
    without_targets: int


class AgencyDetailOut(Out):
    agency: AgencyOut
    measures: list[MeasureCardOut]
    score: AgencyScoreOut | None
    score_period: str | None


# --- areas ----------------------------------------------------------------------------------------


class LayerOut(Out):
    layer: str
    areas: int
    has_population: bool
    href: str


class LayersOut(Out):
    items: list[LayerOut]


class AreaOut(Out):
    layer: str
    area_id: str
    name: str
    label: str = Field(description="What stored values call the area (their dimension_value).")
    population: float | None
    href: str


class AreasOut(Out):
    layer: str
    total: int
    items: list[AreaOut]


class MeasureRefOut(Out):
    id: str
    name: str
    agency: str
    unit: str
    direction: str


class AreaMeasureOut(Out):
    measure: MeasureRefOut
    period_label: str
    value: float | None
    denominator: float | None
    enough: bool
    city_value: float | None
    per_1000: float | None
    city_per_1000: float | None
    difference: float | None
    better: bool | None
    rank: int | None
    ranked: int


class DemographicOut(Out):
    variable: str
    value: float | None
    text: str | None


class AreaDetailOut(Out):
    area: AreaOut
    measures: list[AreaMeasureOut]
    demographics: list[DemographicOut]


# --- about ----------------------------------------------------------------------------------------


class CityOut(Out):
    profile: str
    name: str
    synthetic: bool
    description: str
    time_zone: str
    fiscal_year_start_month: int


class DataAsOfOut(Out):
    requests: dt.date | None
    reported: dt.date | None
    requests_loaded: dt.date | None
    plan_loaded: dt.date | None


class SourceOut(Out):
    kind: str
    file: str
    detail: str | None
    loads: int
    last_load_id: int
    last_loaded: LocalDateTime
    rows_read: int


class LoadOut(Out):
    load_id: int
    kind: str
    file: str
    detail: str | None
    format: str
    started_at: LocalDateTime
    finished_at: LocalDateTime
    rows_read: int
    rows_loaded: int
    rows_updated: int
    rows_unchanged: int
    rows_stale: int
    rows_quarantined: int
    rows_flagged: int


class QuarantineOut(Out):
    reason: str
    action: str
    rows: int


class AboutOut(Out):
    city: CityOut
    as_of: DataAsOfOut
    service_requests: int
    first_created: LocalDateTime | None
    last_created: LocalDateTime | None
    measures: int
    values: int
    boundary_layers: list[str]
    sources: list[SourceOut]
    loads: list[LoadOut]
    quarantine: list[QuarantineOut]
