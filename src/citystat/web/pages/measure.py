"""The measure page: ``/measures/{measure_id}`` (``?grain=``, ``?layer=``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from citystat.site.measure_page import build_measure_page
from citystat.web.caching import KeptRoute
from citystat.web.lang import pick_lang
from citystat.web.render import render_page

router = APIRouter(route_class=KeptRoute)  # answers depend on the warehouse only


@router.get("/measures/{measure_id}", response_class=HTMLResponse)
def show_measure(
    request: Request, measure_id: str, grain: str | None = None, layer: str | None = None
) -> HTMLResponse:
    page = build_measure_page(
        request.app.state.reader, measure_id, pick_lang(request), grain=grain, layer=layer
    )
    return render_page(request, "measure.html", {"nav": "measures", "page": page})
