"""The baseline for ``citystat bench open311``: a bare FastAPI app doing one SQLite insert per POST.

Same server (uvicorn, one worker), same database settings as the store (WAL, synchronous=FULL),
no validation, no audit, no Open311 formats: what one durable insert and one primary-key read cost
on this machine. Run as ``python -m citystat.bench_open311_baseline PORT DATABASE``.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY, service_code TEXT NOT NULL,"
    " description TEXT, lat REAL, long REAL, requested_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
)


def create_baseline_app(database: Path) -> FastAPI:
    local = threading.local()

    def connect() -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(local, "con", None)
        if con is None:
            con = sqlite3.connect(database, check_same_thread=False, timeout=10)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            con.execute(SCHEMA)
            local.con = con
        return con

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/healthz")
    def health() -> JSONResponse:
        return JSONResponse({"ok": True})

    @app.post("/requests")
    async def insert(request: Request) -> JSONResponse:
        form = await request.form()
        con = connect()
        with con:
            cursor = con.execute(
                "INSERT INTO requests (service_code, description, lat, long) VALUES (?, ?, ?, ?)",
                (
                    str(form.get("service_code")),
                    str(form.get("description")),
                    form.get("lat"),
                    form.get("long"),
                ),
            )
        return JSONResponse([{"service_request_id": str(cursor.lastrowid)}], status_code=201)

    @app.get("/requests/{request_id}")
    def read(request_id: int) -> Response:
        row = (
            connect()
            .execute(
                "SELECT id, service_code, description, lat, long, requested_at FROM requests WHERE id = ?",
                (request_id,),
            )
            .fetchone()
        )
        if row is None:
            return JSONResponse([{"code": 404, "description": "no such request"}], status_code=404)
        keys = ("service_request_id", "service_code", "description", "lat", "long", "requested_datetime")
        return JSONResponse([dict(zip(keys, (str(row[0]), *row[1:]), strict=True))])

    return app


def main() -> None:
    import uvicorn

    port, database = int(sys.argv[1]), Path(sys.argv[2])
    uvicorn.run(
        create_baseline_app(database), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
