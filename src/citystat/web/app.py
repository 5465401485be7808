"""App factory. Until the dashboard lands, the home page says what the warehouse holds."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from citystat import __version__
from citystat.api.v1 import router as api_v1_router
from citystat.errors import WarehouseError
from citystat.profiles import load_profile
from citystat.settings import Settings, get_settings
from citystat.site import WarehouseReader
from citystat.warehouse import connect, describe_warehouse

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def read_status(settings: Settings) -> dict[str, object] | None:
    """Summary of the warehouse, or None when there is none yet."""
    try:
        con = connect(settings.warehouse, read_only=True)
    except WarehouseError:
        return None
    try:
        return describe_warehouse(con)
    finally:
        con.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="citystat", version=__version__, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.reader = WarehouseReader(settings.warehouse)
    app.include_router(api_v1_router)

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        status = read_status(settings)
        city = None
        if status and status.get("city_profile"):
            city = load_profile(str(status["city_profile"]))
        return TEMPLATES.TemplateResponse(
            request, "home.html", {"status": status, "city": city, "version": __version__}
        )

    @app.get("/healthz")
    def health() -> JSONResponse:
        status = read_status(settings)
        return JSONResponse({"ok": True, "warehouse": status is not None})

    return app
