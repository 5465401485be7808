"""Warehouses and servers for the site-data and API tests, built once per session.

- ``demo_warehouse``: the synthetic demo city (20,000 requests, seed 5, ending 2026-07-01) built
  through the real ingest and compute path (:func:`citystat.demo.load.build_demo`).
- ``real_warehouse``: Baltimore's real data: boundary layers, the October 2019 311 extract, the
  NHP 2017 CSA indicators and the performance plan with its export, the built-in catalog computed.
- ``demo_api`` / ``real_api``: the real app (:func:`citystat.web.create_app`) served by uvicorn
  on a free loopback port in a background thread; tests talk to it over real HTTP with httpx.
  A thread rather than a subprocess: the same server code path, started in a fraction of the
  time, and the warehouse is the same file (``citystat serve`` as a process is tested in
  ``tests/test_cli_and_server.py``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn

from citystat.catalog.load import builtin_catalog_dir, load_catalog
from citystat.demo.load import build_demo
from citystat.engine.compute import compute_catalog
from citystat.ingest import ingest_demographics, ingest_requests
from citystat.ingest.plan import ingest_plan
from citystat.ingest.plan_export import ingest_plan_export
from citystat.settings import Settings
from citystat.site import WarehouseReader
from citystat.warehouse import open_warehouse, resolve_profile
from citystat.web import create_app
from tests.conftest import REAL, SAMPLE_2019, load_baltimore_boundaries, need_real_data

DEMO_END = date(2026, 7, 1)
DEMO_ROWS = 20_000
DEMO_SEED = 5
PLAN = REAL / "baltimore-performance-measures"
NHP = REAL / "baltimore-demographics" / "nhp2017_csa_indicators.csv"


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("api-demo")
    build_demo(root / "demo.duckdb", root / "data", rows=DEMO_ROWS, seed=DEMO_SEED, end=DEMO_END)
    return root


@pytest.fixture(scope="session")
def demo_warehouse(demo_root: Path) -> Path:
    return demo_root / "demo.duckdb"


@pytest.fixture(scope="session")
def real_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_real_data()
    path = tmp_path_factory.mktemp("api-real") / "baltimore.duckdb"
    con = open_warehouse(path)
    try:
        profile = resolve_profile(con, "baltimore")
        load_baltimore_boundaries(con, profile)
        ingest_requests(con, [SAMPLE_2019], profile=profile)
        ingest_demographics(con, NHP, layer="csa", key="CSA", profile=profile)
        ingest_plan(con, PLAN, profile=profile)
        ingest_plan_export(con, PLAN / "performance_data_export.csv", profile=profile)
        compute_catalog(con, load_catalog(builtin_catalog_dir("baltimore")), profile)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def demo_reader(demo_warehouse: Path) -> WarehouseReader:
    return WarehouseReader(demo_warehouse)


@pytest.fixture(scope="session")
def real_reader(real_warehouse: Path) -> WarehouseReader:
    return WarehouseReader(real_warehouse)


def move_revision_on(warehouse: Path) -> None:
    """What a load does to the server's view of the warehouse: the file's modification time moves
    on (one second), so its revision changes."""
    stat = warehouse.stat()
    os.utime(warehouse, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerThread:
    """uvicorn serving the real app in a daemon thread, stopped by ``should_exit``."""

    def __init__(self, warehouse: Path, *, settings: Settings | None = None) -> None:
        self.port = free_port()
        app = create_app(settings or Settings(warehouse=warehouse))
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def demo_api(demo_warehouse: Path) -> Iterator[str]:
    with ServerThread(demo_warehouse) as server:
        yield server.url


@pytest.fixture(scope="session")
def real_api(real_warehouse: Path) -> Iterator[str]:
    with ServerThread(real_warehouse) as server:
        yield server.url
