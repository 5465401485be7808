"""The API's own OpenAPI document (the site's pages are not in it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.openapi.utils import get_openapi
from starlette.routing import BaseRoute

from citystat import __version__

DESCRIPTION = """\
Public, read-only JSON API of citystat: measures, their stored values (JSON, CSV, Parquet), each
period judged against its target and its natural process limits, equity by area, the composite
score, areas and where the data come from.

Every answer carries a strong `ETag` (from the warehouse revision and the request) and
`Cache-Control: public, max-age=60`; send the ETag back in `If-None-Match` to get `304 Not
Modified`. Every error has the same body: `{"error": {"status", "code", "message"}}`.
"""
UNUSED_SCHEMAS = ("HTTPValidationError", "ValidationError")


def build_openapi(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """OpenAPI 3.1 of ``routes``. Parameter errors are answered 400 with the error body (see
    :mod:`citystat.web.app`), never 422: FastAPI's 422 entries are taken out."""
    document = get_openapi(
        title="citystat API",
        version=__version__,
        summary="Civic performance data: measures, values, analysis, equity, score.",
        description=DESCRIPTION,
        routes=list(routes),
    )
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    schemas = document.get("components", {}).get("schemas", {})
    for name in UNUSED_SCHEMAS:
        schemas.pop(name, None)
    return document
