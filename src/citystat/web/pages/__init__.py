"""Public HTML pages. One module per page family, each an ``APIRouter``; views only call
:mod:`citystat.site` and :func:`citystat.web.render.render_page`."""

from __future__ import annotations

from fastapi import APIRouter

from citystat.web.pages import about, agencies, areas, home, measure, measure_list, report, staff

router = APIRouter(include_in_schema=False)
router.include_router(home.router)
router.include_router(agencies.router)
router.include_router(measure_list.router)
router.include_router(measure.router)
router.include_router(areas.router)
router.include_router(about.router)
router.include_router(report.router)
router.include_router(staff.router)
