"""Area layers, areas, one area against the city, and where the data come from."""

from __future__ import annotations

from fastapi import APIRouter, Request

from citystat.api.v1 import models as m
from citystat.api.v1.catalog import get_reader
from citystat.api.v1.convert import link_area, with_href
from citystat.site.about import get_about
from citystat.site.areas import list_areas, list_layers, read_area_view
from citystat.web.caching import KeptRoute

router = APIRouter(route_class=KeptRoute)


@router.get("/areas", summary="Area layers whose boundaries are loaded", name="list_layers")
def list_layers_view(request: Request) -> m.LayersOut:
    items = [with_href(layer, link_area(layer.layer)) for layer in list_layers(get_reader(request))]
    return m.LayersOut.model_validate({"items": items}, from_attributes=True)


@router.get("/areas/{layer}", summary="The areas of one layer", name="list_areas")
def list_areas_view(request: Request, layer: str) -> m.AreasOut:
    areas = list_areas(get_reader(request), layer)
    items = [with_href(a, link_area(layer, a.area_id)) for a in areas]
    return m.AreasOut.model_validate(
        {"layer": layer, "total": len(items), "items": items}, from_attributes=True
    )


@router.get("/areas/{layer}/{area_id}", summary="One area: each measure against the city")
def show_area(request: Request, layer: str, area_id: str) -> m.AreaDetailOut:
    view = read_area_view(get_reader(request), layer, area_id)
    return m.AreaDetailOut.model_validate(
        {
            "area": with_href(view.area, link_area(layer, view.area.area_id)),
            "measures": view.measures,
            "demographics": view.demographics,
        },
        from_attributes=True,
    )


@router.get("/about", summary="Sources, load history and quarantine counts")
def show_about(request: Request) -> m.AboutOut:
    return m.AboutOut.model_validate(get_about(get_reader(request)), from_attributes=True)
