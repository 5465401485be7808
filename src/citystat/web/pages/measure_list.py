"""The measure list with its search (a GET form: works without JavaScript). The measure page
itself (``/measures/{id}``) is in its own module."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from citystat.site.listing import read_measure_list
from citystat.web.caching import KeptRoute
from citystat.web.render import render_page

router = APIRouter(route_class=KeptRoute)  # answers depend on the warehouse only


@router.get("/measures", response_class=HTMLResponse)
def show_measures(
    request: Request, q: str = "", agency: str = "", pillar: str = "", page: int = 1
) -> HTMLResponse:
    listing = read_measure_list(
        request.app.state.reader, query=q, agency_id=agency or None, pillar_id=pillar or None, page=page
    )
    return render_page(request, "measures.html", {"nav": "measures", "listing": listing})
