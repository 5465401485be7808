"""Query parameters the values page and the downloads share, read into small dataclasses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from citystat.api.v1.catalog import get_reader
from citystat.catalog.model import Dimension, Grain
from citystat.site.downloads import ValueTable, read_values_table
from citystat.site.values import ValueSelection, find_values

GrainParam = Annotated[
    Grain | None, Query(description="Period grain; default: the measure's own (its cadence's).")
]


@dataclass(frozen=True)
class ValueFilters:
    """The filters the values page and the downloads share."""

    grain: Grain | None
    dimension: Dimension | None
    dimension_value: str | None
    period: str | None
    start: dt.date | None
    end: dt.date | None

    def select(self, request: Request, measure_id: str) -> ValueSelection:
        return find_values(
            get_reader(request),
            measure_id,
            grain=self.grain,
            dimension=self.dimension or "",
            dimension_value=self.dimension_value,
            period=self.period,
            start=self.start,
            end=self.end,
        )


def read_filters(
    grain: GrainParam = None,
    dimension: Annotated[
        Dimension | None, Query(description="A breakdown (an area layer ...); omitted: citywide values.")
    ] = None,
    dimension_value: Annotated[
        str | None, Query(description="One place or category of the dimension (its label).")
    ] = None,
    period: Annotated[
        str | None, Query(description="One period label, e.g. '2026-06' or 'FY2026 Q1'.")
    ] = None,
    start: Annotated[
        dt.date | None, Query(alias="from", description="Periods starting on or after this day.")
    ] = None,
    end: Annotated[
        dt.date | None, Query(alias="to", description="Periods starting on or before this day.")
    ] = None,
) -> ValueFilters:
    return ValueFilters(grain, dimension, dimension_value, period, start, end)


Filters = Annotated[ValueFilters, Depends(read_filters)]


@dataclass(frozen=True)
class TableFilters:
    """The filters of the whole-warehouse downloads."""

    grain: Grain
    dimension: Dimension | None
    start: dt.date | None
    end: dt.date | None

    def read(self, request: Request) -> ValueTable:
        return read_values_table(
            get_reader(request),
            grain=self.grain,
            dimension=self.dimension or "",
            start=self.start,
            end=self.end,
        )


def read_table_filters(
    grain: Annotated[Grain, Query(description="Period grain (required: every measure at once is large).")],
    dimension: Annotated[
        Dimension | None, Query(description="A breakdown (an area layer ...); omitted: citywide values.")
    ] = None,
    start: Annotated[
        dt.date | None, Query(alias="from", description="Periods starting on or after this day.")
    ] = None,
    end: Annotated[
        dt.date | None, Query(alias="to", description="Periods starting on or before this day.")
    ] = None,
) -> TableFilters:
    return TableFilters(grain, dimension, start, end)


AllFilters = Annotated[TableFilters, Depends(read_table_filters)]
