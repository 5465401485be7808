"""App factory: the public pages, the JSON API under ``/api/v1`` and local static assets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from citystat import __version__
from citystat.api.open311 import guess_format
from citystat.api.open311 import router as open311_router
from citystat.api.v1 import router as api_v1_router
from citystat.errors import WarehouseError
from citystat.i18n import translate
from citystat.open311.formats import respond_error
from citystat.settings import Settings, get_settings
from citystat.site import InvalidRequestError, NotFoundError, WarehouseReader
from citystat.site.warmup import Warmer
from citystat.store import create_session_factory, open_store, upgrade_store
from citystat.warehouse import connect, describe_warehouse
from citystat.web.caching import ResponseCache, ResponseCacheMiddleware
from citystat.web.lang import pick_lang
from citystat.web.limits import BodyLimit, RateLimiter
from citystat.web.pages import router as pages_router
from citystat.web.pages.report import NoDraftError, restart
from citystat.web.render import render_page

STATIC = Path(__file__).parent / "static"
UPLOAD_PREFIXES = ("/report/",)  # the request forms' photo step
API_PREFIX = "/api/"
ERROR_HEADINGS = {
    404: "Page not found",
    400: "There is a problem with the address",
    503: "The data is being updated",
}
OTHER_ERROR = "Sorry, something went wrong"
OPEN311_PREFIX = "/open311/"
# The API's error codes by status (citystat.api.v1.models.ErrorCode).
ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    503: "unavailable",
}


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


def render_error(request: Request, status: int, detail: str) -> Response:
    """An error as the API's error object under /api/, as a page elsewhere."""
    if request.url.path.startswith(OPEN311_PREFIX):
        return respond_error(guess_format(request.url.path), status, detail)
    if request.url.path.startswith(API_PREFIX):
        code = ERROR_CODES.get(status, "error")
        body = {"error": {"status": status, "code": code, "message": detail}}
        return JSONResponse(body, status_code=status, headers={"cache-control": "no-store"})
    lang = pick_lang(request)
    heading = translate(lang, ERROR_HEADINGS.get(status, OTHER_ERROR))
    message = {
        404: translate(
            lang, "There is no page at this address. Check the address, or start again from the home page."
        ),
        503: translate(lang, "No data has been loaded yet, or a load is running. Try again in a minute."),
    }.get(status, detail)
    return render_page(request, "error.html", {"heading": heading, "message": message}, status_code=status)


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NoDraftError, restart)  # a request form page without its draft

    @app.exception_handler(NotFoundError)
    def not_found(request: Request, exc: NotFoundError) -> Response:
        return render_error(request, 404, str(exc))

    @app.exception_handler(InvalidRequestError)
    def invalid(request: Request, exc: InvalidRequestError) -> Response:
        return render_error(request, 400, str(exc))

    @app.exception_handler(WarehouseError)
    def no_warehouse(request: Request, exc: WarehouseError) -> Response:
        return render_error(request, 503, str(exc))

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = render_error(request, exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})  # e.g. Allow on a 405
        return response

    @app.exception_handler(Exception)
    def server_error(request: Request, exc: Exception) -> Response:
        """A bug: the API still answers its error object (the traceback goes to the log)."""
        if request.url.path.startswith(API_PREFIX):
            return render_error(request, 500, "internal server error")
        return PlainTextResponse("Internal Server Error", status_code=500)

    @app.exception_handler(RequestValidationError)
    def bad_parameters(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'][1:])}: {error['msg']}" for error in exc.errors()
        )
        return render_error(request, 400, problems or "invalid request")


@asynccontextmanager
async def warm_up_while_serving(app: FastAPI) -> AsyncIterator[None]:
    """Warm the site after each load while the server runs (``Settings.warm_up_interval``)."""
    interval = app.state.settings.warm_up_interval
    warmer = Warmer(app.state.reader, interval=interval) if interval > 0 else None
    app.state.warmer = warmer
    if warmer is not None:
        warmer.start()
    try:
        yield
    finally:
        if warmer is not None:
            warmer.stop()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="citystat",
        lifespan=warm_up_while_serving,
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.reader = WarehouseReader(settings.warehouse)
    store = open_store(settings.resolve_store_url())
    upgrade_store(store)
    app.state.store = store
    app.state.store_sessions = create_session_factory(store)
    add_error_handlers(app)
    app.include_router(api_v1_router)
    app.include_router(open311_router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.ip_limiter = RateLimiter(settings.rate_limit_ip)
    app.state.key_limiter = RateLimiter(settings.rate_limit_api_key)
    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        upload_limit=settings.max_upload_bytes,
        upload_prefixes=UPLOAD_PREFIXES,
    )
    # Outermost, so that a kept answer is served before anything else runs.
    app.state.response_cache = ResponseCache()
    app.add_middleware(ResponseCacheMiddleware)

    @app.get("/healthz", include_in_schema=False)
    def health() -> JSONResponse:
        status = read_status(settings)
        return JSONResponse({"ok": True, "warehouse": status is not None})

    return app
