"""The index, agencies, measures (list and definition) and the composite score."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from citystat import __version__
from citystat.api.v1 import models as m
from citystat.api.v1.convert import PREFIX, to_card, to_measure
from citystat.site import NotFoundError, WarehouseReader
from citystat.site.about import get_city_info
from citystat.site.catalog import filter_measures, find_measure, list_agencies
from citystat.site.home import get_cards, get_score, read_agency_view
from citystat.site.paging import page_items
from citystat.web.caching import KeptRoute

router = APIRouter(route_class=KeptRoute)

INDEX_LINKS = (
    ("agencies", "/agencies", "Agencies and how many measures each owns"),
    ("measures", "/measures", "Measures with their latest value and status (filters: agency, pillar, q)"),
    ("score", "/score", "The composite score with each measure's contribution"),
    ("areas", "/areas", "Area layers: neighbourhoods, CSAs, council districts ..."),
    ("about", "/about", "Sources, load history and quarantine counts"),
    ("openapi", "/openapi.json", "This API's OpenAPI document"),
)


def get_reader(request: Request) -> WarehouseReader:
    reader: WarehouseReader = request.app.state.reader
    return reader


def link_next(request: Request, **params: str) -> str:
    url = request.url.remove_query_params("page").include_query_params(**params)
    return f"{url.path}?{url.query}"


@router.get("/", summary="Index: what the API offers")
def show_index(request: Request) -> m.IndexOut:
    reader = get_reader(request)
    city = get_city_info(reader)
    links = [m.Link(rel=rel, href=PREFIX + path, title=title) for rel, path, title in INDEX_LINKS]
    return m.IndexOut(
        version=__version__,
        city=city.name,
        synthetic=city.synthetic,
        revision=reader.revision().tag,
        openapi=f"{PREFIX}/openapi.json",
        links=links,
    )


@router.get("/agencies", summary="Agencies", name="list_agencies")
def list_agencies_view(request: Request) -> m.AgenciesOut:
    agencies = list_agencies(get_reader(request))
    return m.AgenciesOut.model_validate({"total": len(agencies), "items": agencies}, from_attributes=True)


@router.get("/agencies/{agency_id}", summary="One agency: its measures and score")
def show_agency(request: Request, agency_id: str) -> m.AgencyDetailOut:
    view = read_agency_view(get_reader(request), agency_id)
    return m.AgencyDetailOut.model_validate(
        {
            "agency": view.agency,
            "measures": [to_card(c) for c in view.measures],
            "score": view.score,
            "score_period": view.score_period,
        },
        from_attributes=True,
    )


@router.get("/measures", summary="Measures, filtered and paged", name="list_measures")
def list_measures_view(
    request: Request,
    agency: Annotated[str | None, Query(description="An agency id (see /agencies).")] = None,
    pillar: Annotated[str | None, Query(description="An Action Plan pillar id, e.g. '6'.")] = None,
    q: Annotated[str | None, Query(description="Words to search for (best matches first).")] = None,
    page: Annotated[int, Query(ge=1, description="Page number, from 1.")] = 1,
    limit: Annotated[int, Query(ge=1, le=500, description="Measures per page.")] = 50,
) -> m.MeasuresOut:
    reader = get_reader(request)
    found = page_items(
        filter_measures(reader, agency_id=agency, pillar_id=pillar, text=q), page=page, page_size=limit
    )
    cards = get_cards(reader)
    return m.MeasuresOut(
        total=found.total,
        page=found.page,
        limit=found.page_size,
        pages=found.pages,
        next=link_next(request, page=str(page + 1)) if found.has_next else None,
        items=[to_card(cards[info.id]) for info in found.items],
    )


@router.get("/measures/{measure_id}", summary="One measure: definition and metadata")
def show_measure(request: Request, measure_id: str) -> m.MeasureOut:
    return to_measure(find_measure(get_reader(request), measure_id))


@router.get("/score", summary="The composite score, with each measure's contribution")
def show_score(request: Request) -> m.ScoreOut:
    score = get_score(get_reader(request))
    if score is None:
        raise NotFoundError("composite score", "no measure could be scored")
    return m.ScoreOut.model_validate(score, from_attributes=True)
