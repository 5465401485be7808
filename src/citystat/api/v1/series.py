"""One measure's numbers: stored values (JSON pages, CSV and Parquet downloads), the analysis of
its series and its equity by area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Depends, Query, Request, Response

from citystat.analysis.equity import AREA_LAYERS
from citystat.api.v1 import models as m
from citystat.api.v1.caching import CachedRoute
from citystat.api.v1.catalog import get_reader, link_next
from citystat.api.v1.convert import to_analysis, to_equity_layer
from citystat.catalog.model import Dimension, Grain
from citystat.site.downloads import (
    CSV_MEDIA_TYPE,
    PARQUET_MEDIA_TYPE,
    ValueTable,
    read_values_table,
    write_table_csv,
    write_table_parquet,
    write_values_csv,
    write_values_parquet,
)
from citystat.site.equity import read_measure_equity
from citystat.site.measure import read_measure_view
from citystat.site.values import ValueSelection, find_values, page_value_rows

router = APIRouter(route_class=CachedRoute)
AreaLayer = Literal["neighborhood", "csa", "council_district", "police_district", "tract"]  # AREA_LAYERS
CURSOR_PATTERN = "^[A-Za-z0-9_-]+$"  # URL-safe base64 without padding (site.values.encode_cursor)

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


def download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content=content,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def describe_file(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    schema = {"type": "string", "format": "binary"} if "parquet" in media_type else {"type": "string"}
    return {200: {"description": description, "content": {media_type.split(";")[0]: {"schema": schema}}}}


@router.get("/measures/{measure_id}/values", summary="Stored values, filtered and paged")
def list_values(
    request: Request,
    measure_id: str,
    filters: Filters,
    page: Annotated[int, Query(ge=1, description="Page number, from 1 (or use cursor).")] = 1,
    limit: Annotated[int, Query(ge=1, le=1000, description="Values per page.")] = 100,
    cursor: Annotated[
        str | None,
        Query(pattern=CURSOR_PATTERN, description="Where to go on from: a 'next' link's cursor."),
    ] = None,
) -> m.ValuesOut:
    selection = filters.select(request, measure_id)
    found = page_value_rows(selection.rows, page=page, page_size=limit, cursor=cursor)
    return m.ValuesOut.model_validate(
        {
            "measure_id": selection.measure_id,
            "grain": selection.grain,
            "dimension": selection.dimension or None,
            "total": found.total,
            "page": found.page,
            "limit": found.page_size,
            "pages": found.pages,
            "next": None if found.next_cursor is None else link_next(request, cursor=found.next_cursor),
            "items": found.rows,
        },
        from_attributes=True,
    )


@router.get(
    "/measures/{measure_id}/values.csv",
    summary="Stored values as CSV (same filters as values)",
    response_class=Response,
    responses=describe_file(CSV_MEDIA_TYPE, "Every matching value, one per line, with a header line."),
)
def download_values_csv(request: Request, measure_id: str, filters: Filters) -> Response:
    selection = filters.select(request, measure_id)
    return download(write_values_csv(selection.rows), CSV_MEDIA_TYPE, f"{selection.file_stem}.csv")


@router.get(
    "/measures/{measure_id}/values.parquet",
    summary="Stored values as Parquet (same filters as values)",
    response_class=Response,
    responses=describe_file(PARQUET_MEDIA_TYPE, "Every matching value, as a Parquet file."),
)
def download_values_parquet(request: Request, measure_id: str, filters: Filters) -> Response:
    selection = filters.select(request, measure_id)
    return download(
        write_values_parquet(selection.rows), PARQUET_MEDIA_TYPE, f"{selection.file_stem}.parquet"
    )


@router.get(
    "/measures/{measure_id}/analysis",
    summary="Each period judged: target status, XmR limits and signals, data quality; the latest change",
)
def show_analysis(request: Request, measure_id: str, grain: GrainParam = None) -> m.AnalysisOut:
    return to_analysis(read_measure_view(get_reader(request), measure_id, grain))


@router.get(
    "/measures/{measure_id}/equity", summary="Values by area, disparity and rates per 1,000 residents"
)
def show_equity(
    request: Request,
    measure_id: str,
    layer: Annotated[
        AreaLayer | None, Query(description="One area layer; omitted: every layer stored.")
    ] = None,
) -> m.EquityOut:
    views = read_measure_equity(get_reader(request), measure_id, layer)
    return m.EquityOut(measure_id=measure_id, layers=[to_equity_layer(v) for v in views])


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


@router.get(
    "/values.csv",
    summary="Every measure's values at one grain as CSV",
    response_class=Response,
    responses=describe_file(CSV_MEDIA_TYPE, "Every matching value, one per line, with a header line."),
)
def download_all_csv(request: Request, filters: AllFilters) -> Response:
    found = filters.read(request)
    return download(write_table_csv(found.table), CSV_MEDIA_TYPE, f"{found.file_stem}.csv")


@router.get(
    "/values.parquet",
    summary="Every measure's values at one grain as Parquet",
    response_class=Response,
    responses=describe_file(PARQUET_MEDIA_TYPE, "Every matching value, as a Parquet file."),
)
def download_all_parquet(request: Request, filters: AllFilters) -> Response:
    found = filters.read(request)
    return download(write_table_parquet(found.table), PARQUET_MEDIA_TYPE, f"{found.file_stem}.parquet")


assert get_args(AreaLayer) == AREA_LAYERS
