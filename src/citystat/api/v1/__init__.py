"""Public JSON API, version 1, mounted at ``/api/v1``.

A thin caller of :mod:`citystat.site`: every route reads through ``request.app.state.reader`` and
turns the site's dataclasses into the response models of :mod:`citystat.api.v1.models`. Routes
are cached per warehouse revision with ETags (:mod:`citystat.web.caching`); the OpenAPI
document of the API alone is at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

from citystat.api.v1 import catalog, downloads, places, series
from citystat.api.v1.models import ErrorBody
from citystat.api.v1.openapi import build_openapi
from citystat.web.caching import KeptRoute

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The request cannot be answered as asked."},
    404: {"model": ErrorBody, "description": "No such measure, agency, area or layer."},
    503: {"model": ErrorBody, "description": "No warehouse yet, or it cannot be read now."},
}


def name_operation(route: APIRoute) -> str:
    """OpenAPI operation ids are the routes' names: list_measures, show_analysis ..."""
    return route.name


router = APIRouter(
    prefix="/api/v1",
    tags=["api v1"],
    responses=ERROR_RESPONSES,
    route_class=KeptRoute,
    generate_unique_id_function=name_operation,
)
router.include_router(catalog.router)
router.include_router(series.router)
router.include_router(downloads.router)
router.include_router(places.router)
OPENAPI: dict[str, Any] = {}


@router.get("/openapi.json", include_in_schema=False)
def show_openapi() -> dict[str, Any]:
    if not OPENAPI:
        OPENAPI.update(build_openapi(router.routes))
    return OPENAPI
