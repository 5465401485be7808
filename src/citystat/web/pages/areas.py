"""Area pages: ``/areas`` (the boundary layers), ``/areas/{layer}`` (its areas, a map of requests)
and ``/areas/{layer}/{area_id}`` (how services reach one place against the city; an id may hold a
slash, so the id is the rest of the path)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from citystat.site.area_page import build_area_page, build_layer_page, summarize_layers
from citystat.web.caching import KeptRoute
from citystat.web.lang import pick_lang
from citystat.web.render import render_page

router = APIRouter(route_class=KeptRoute)  # answers depend on the warehouse only


@router.get("/areas", response_class=HTMLResponse)
def show_layers(request: Request) -> HTMLResponse:
    layers = summarize_layers(request.app.state.reader, pick_lang(request))
    return render_page(request, "areas.html", {"nav": "areas", "layers": layers})


@router.get("/areas/{layer}", response_class=HTMLResponse)
def show_layer(request: Request, layer: str) -> HTMLResponse:
    page = build_layer_page(request.app.state.reader, layer, pick_lang(request))
    return render_page(request, "layer.html", {"nav": "areas", "page": page})


@router.get("/areas/{layer}/{area_id:path}", response_class=HTMLResponse)
def show_area(request: Request, layer: str, area_id: str) -> HTMLResponse:
    page = build_area_page(request.app.state.reader, layer, area_id, pick_lang(request))
    return render_page(request, "area.html", {"nav": "areas", "page": page})
