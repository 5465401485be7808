"""The home page and the page on how the score is worked out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from citystat.site.home import read_home
from citystat.site.listing import count_plan_measures, list_units, read_score_page
from citystat.web.caching import KeptRoute
from citystat.web.figures import chart_agency_scores
from citystat.web.lang import pick_lang
from citystat.web.render import render_page

router = APIRouter(route_class=KeptRoute)  # answers depend on the warehouse only

# Changes shown as cards; the rest are in a table under "All changes".
CHANGES_SHOWN = 6


@router.get("/", response_class=HTMLResponse)
def show_home(request: Request) -> HTMLResponse:
    home = read_home(request.app.state.reader)
    context = {"nav": "home", "home": home, "plan_measures": count_plan_measures(home)}
    return render_page(request, "home.html", {**context, "changes_shown": CHANGES_SHOWN})


@router.get("/score", response_class=HTMLResponse)
def show_score(request: Request, page: int = 1) -> HTMLResponse:
    reader = request.app.state.reader
    score_page = read_score_page(reader, page)
    chart = None if score_page is None else chart_agency_scores(score_page.score, pick_lang(request))
    context = {"nav": "home", "score_page": score_page, "chart": chart, "units": list_units(reader)}
    return render_page(request, "score.html", context)
