"""The home page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from citystat.web.render import render_page

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def show_home(request: Request) -> HTMLResponse:
    return render_page(request, "home.html", {"nav": "home"})
