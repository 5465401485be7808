"""The server builds the site's data in the background: at start and after each load."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from citystat.settings import Settings
from citystat.site import WarehouseReader
from citystat.web import create_app
from tests.api.conftest import move_revision_on

CARDS = ("site", "cards")  # every measure's view and grade: the slow part of a first page


def wait_for(check: Callable[[], bool], seconds: float = 120.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_the_site_is_built_at_start_and_after_each_load(demo_warehouse: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "copy.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    app = create_app(Settings(warehouse=warehouse, data_dir=tmp_path, warm_up_interval=0.2))
    reader: WarehouseReader = app.state.reader
    assert not reader.is_cached(CARDS)
    with TestClient(app) as client:
        warmer = app.state.warmer
        assert wait_for(lambda: warmer.warmed == reader.revision())
        assert reader.is_cached(CARDS)
        first = warmer.warmed
        # A load: the revision moves on, and the site is built again for the new one.
        move_revision_on(warehouse)
        assert wait_for(lambda: warmer.warmed == reader.revision() != first)
        assert reader.is_cached(CARDS)
        assert client.get("/").status_code == 200
    assert not app.state.warmer.thread.is_alive()


def test_warming_can_be_turned_off(demo_warehouse: Path, tmp_path: Path) -> None:
    app = create_app(Settings(warehouse=demo_warehouse, data_dir=tmp_path, warm_up_interval=0))
    with TestClient(app):
        time.sleep(1.0)
        assert not app.state.reader.is_cached(CARDS) and app.state.warmer is None
