"""The agency list and one agency's page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from citystat.site.home import read_agency_view
from citystat.site.listing import list_units, read_agency_list
from citystat.web.caching import KeptRoute
from citystat.web.render import render_page

router = APIRouter(route_class=KeptRoute)  # answers depend on the warehouse only


@router.get("/agencies", response_class=HTMLResponse)
def show_agencies(request: Request) -> HTMLResponse:
    listing = read_agency_list(request.app.state.reader)
    return render_page(request, "agencies.html", {"nav": "agencies", "listing": listing})


@router.get("/agencies/{agency_id}", response_class=HTMLResponse)
def show_agency(request: Request, agency_id: str) -> HTMLResponse:
    reader = request.app.state.reader
    view = read_agency_view(reader, agency_id)
    context = {"nav": "agencies", "view": view, "units": list_units(reader)}
    return render_page(request, "agency.html", context)
