"""The web app (FastAPI + Jinja2, server-rendered, works without JavaScript).

``create_app`` is imported on first use, so that :mod:`citystat.web.caching`, which the API's
routers use, can be imported without the app (the app imports the API)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from citystat.web.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from citystat.web.app import create_app

        return create_app
    raise AttributeError(name)
