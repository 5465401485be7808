"""The web app (FastAPI + Jinja2, server-rendered, works without JavaScript)."""

from citystat.web.app import create_app

__all__ = ["create_app"]
