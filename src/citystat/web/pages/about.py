"""About this data: the city, where the numbers come from, every load, what was held back."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from citystat.site.about import get_about
from citystat.web.caching import KeptRoute
from citystat.web.render import render_page

router = APIRouter(route_class=KeptRoute)  # answers depend on the warehouse only


@router.get("/about", response_class=HTMLResponse)
def show_about(request: Request) -> HTMLResponse:
    about = get_about(request.app.state.reader)
    return render_page(request, "about.html", {"nav": "about", "about": about})
