"""Public JSON API, version 1, mounted at ``/api/v1``.

A thin caller of :mod:`citystat.site`: every route reads through ``request.app.state.reader``.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["api v1"])
