"""One measure's numbers: its stored values in pages, the analysis of its series and its equity
by area (downloads of the values: :mod:`citystat.api.v1.downloads`)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Query, Request

from citystat.analysis.equity import AREA_LAYERS
from citystat.api.v1 import models as m
from citystat.api.v1.catalog import get_reader, link_next
from citystat.api.v1.convert import to_analysis, to_equity_layer
from citystat.api.v1.filters import Filters, GrainParam
from citystat.site.equity import read_measure_equity
from citystat.site.measure import read_measure_view
from citystat.site.values import page_value_rows
from citystat.web.caching import KeptRoute

router = APIRouter(route_class=KeptRoute)
AreaLayer = Literal["neighborhood", "csa", "council_district", "police_district", "tract"]  # AREA_LAYERS
CURSOR_PATTERN = "^[A-Za-z0-9_-]+$"  # URL-safe base64 without padding (site.values.encode_cursor)


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


assert get_args(AreaLayer) == AREA_LAYERS
