"""The measure catalog: one definition per measure, with the metadata governments need.

A measure is *reported* (agencies report its values: quarterly and annual actuals, targets) or
*computed* (declared over warehouse tables and compiled by the engine). Definitions hold no SQL:
a computation is a small vocabulary of aggregates, filters, period grains and dimensions that
every engine compiles the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

MeasureType = Literal["output", "efficiency", "effectiveness", "outcome"]
Unit = Literal["count", "percent", "currency", "days", "hours", "number"]
Direction = Literal["up", "down", "maintain", "none"]
Cadence = Literal["daily", "weekly", "monthly", "quarterly", "annual"]
Kind = Literal["reported", "computed"]
Aggregate = Literal["count", "ratio", "mean", "median", "percentile"]
DurationField = Literal["hours_to_close", "days_to_close"]
DateField = Literal["created_at", "closed_at"]
Grain = Literal["day", "week", "month", "quarter", "fiscal_quarter", "fiscal_year"]
Dimension = Literal[
    "neighborhood",
    "csa",
    "council_district",
    "police_district",
    "tract",
    "service_code",
    "agency",
    "method_received",
]
Process = Literal["budget_book", "citistat", "action_plan"]

GRAINS: tuple[Grain, ...] = get_args(Grain)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Filter(Strict):
    """Which rows a measure (or a ratio's numerator) counts. Every field present must hold (AND).

    Lists are alternatives (OR within one field). Empty lists and None mean "no condition".
    """

    service_codes: list[str] = Field(default_factory=list, description="Exact service codes (SRType).")
    service_code_prefixes: list[str] = Field(
        default_factory=list, description="Service code prefixes such as 'SW-' (Solid Waste)."
    )
    agencies: list[str] = Field(default_factory=list, description="Agency names as the city writes them.")
    methods: list[str] = Field(default_factory=list, description="Methods received (phone, web...).")
    statuses: list[str] = Field(default_factory=list, description="Request statuses, e.g. 'closed'.")
    closed: bool | None = Field(None, description="True: has a close time; False: still open.")
    closed_within_hours: float | None = Field(
        None, gt=0, description="Closed no more than this many hours after it was created."
    )
    closed_by_due: bool | None = Field(
        None, description="True: closed at or before its due time (requests with a due time only)."
    )
    has_due: bool | None = Field(None, description="True: the request carries a due time.")
    in_city: bool | None = Field(None, description="True: exclude points flagged outside the city.")

    def is_empty(self) -> bool:
        return self == Filter()


class Computation(Strict):
    """How the engine computes a measure from warehouse rows.

    ``count``: rows matching ``filter``. ``ratio``: rows matching ``filter`` and ``numerator``
    divided by rows matching ``filter`` (a share, 0-1). ``mean``/``median``/``percentile``: of
    ``value`` over rows matching ``filter`` whose value is known.
    """

    source: Literal["service_requests"] = "service_requests"
    aggregate: Aggregate
    filter: Filter = Field(default_factory=Filter)
    numerator: Filter | None = None
    value: DurationField | None = None
    percentile: float | None = Field(None, gt=0, lt=1, description="0.9 for the 90th percentile.")
    exact: bool = Field(
        True,
        description="False allows an engine's approximate median/percentile; True fails on engines "
        "that cannot compute it exactly (never a silent substitution).",
    )
    date_field: DateField = Field("created_at", description="Which time places a row in a period.")
    include_duplicates: bool = Field(False, description="Count requests closed as duplicates.")

    @model_validator(mode="after")
    def check_shape(self) -> Computation:
        needs_value = self.aggregate in ("mean", "median", "percentile")
        if needs_value and self.value is None:
            raise ValueError(f"aggregate {self.aggregate!r} needs a 'value' (e.g. hours_to_close)")
        if not needs_value and self.value is not None:
            raise ValueError(f"aggregate {self.aggregate!r} takes no 'value'")
        if (self.aggregate == "percentile") != (self.percentile is not None):
            raise ValueError("'percentile' is required for, and only for, aggregate 'percentile'")
        if (self.aggregate == "ratio") != (self.numerator is not None):
            raise ValueError("'numerator' is required for, and only for, aggregate 'ratio'")
        return self


class ActionPlanLink(Strict):
    pillar: str | None = None
    goal: str | None = None
    initiative: str | None = None


class Measure(Strict):
    """One measure, defined once."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    title: str = Field(min_length=3)
    definition: str = Field("", description="Plain-language definition a resident can read.")
    kind: Kind = "computed"
    agency: str = ""
    budget_services: list[str] = Field(default_factory=list, description="Budget service ids (SRVxxxx).")
    measure_type: MeasureType | None = None
    unit: Unit = "count"
    format: str = Field("", description="Display hint, e.g. '0.0%' or '$0,0'.")
    direction: Direction = "none"
    cadence: Cadence = "monthly"
    cumulative: bool = Field(False, description="Values add up over the year (year-to-date).")
    targets: dict[int, float] = Field(default_factory=dict, description="Fiscal year -> target.")
    formula: str = Field("", description="How a reported measure is calculated, in words.")
    data_source: str = ""
    owner_role: str = ""
    equity: bool = Field(False, description="Equity measure: report disparities across places.")
    disaggregations: list[Dimension] = Field(default_factory=list)
    processes: list[Process] = Field(default_factory=list)
    action_plan: ActionPlanLink | None = None
    version: int = Field(1, ge=1)
    effective_from: dt.date | None = Field(
        None, description="First day this version applies; earlier periods keep the older version."
    )
    retired: bool = False
    computation: Computation | None = None

    @model_validator(mode="after")
    def check_kind(self) -> Measure:
        if self.kind == "computed" and self.computation is None:
            raise ValueError("a computed measure needs a 'computation'")
        if self.kind == "reported" and self.computation is not None:
            raise ValueError("a reported measure has no 'computation'")
        if self.computation is not None:
            aggregate = self.computation.aggregate
            if aggregate == "ratio" and self.unit != "percent":
                raise ValueError("a ratio measure has unit 'percent'")
            if aggregate == "count" and self.unit != "count":
                raise ValueError("a count measure has unit 'count'")
            if aggregate in ("mean", "median", "percentile"):
                wanted = "hours" if self.computation.value == "hours_to_close" else "days"
                if self.unit != wanted:
                    raise ValueError(f"a {self.computation.value} measure has unit {wanted!r}")
        return self

    def definition_hash(self) -> str:
        """Hash of what defines the series: change it and the series needs a new version.

        Presentation fields (title wording, owner, targets, processes) may change within a version;
        the computation, unit, kind and direction may not.
        """
        core = {
            "kind": self.kind,
            "unit": self.unit,
            "direction": self.direction,
            "formula": self.formula,
            "computation": self.computation.model_dump(mode="json") if self.computation else None,
        }
        return hashlib.sha256(json.dumps(core, sort_keys=True).encode()).hexdigest()[:16]
