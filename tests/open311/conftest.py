"""A live server over Baltimore's real warehouse with an empty store and one API key."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from citystat.open311.keys import issue_api_key
from citystat.settings import Settings
from citystat.store import create_session_factory, open_store, upgrade_store
from tests.api.conftest import ServerThread, real_warehouse  # noqa: F401  (fixture)
from tests.conftest import REAL

SCHEMAS = REAL / "open311-georeport-samples" / "georeport-v2-jsonschema"


@dataclass(frozen=True)
class FrontDoor:
    url: str  # the server's base URL
    api_key: str
    store_url: str

    @property
    def open311(self) -> str:
        return f"{self.url}/open311/v2"


@pytest.fixture(scope="module")
def front_door(real_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontDoor]:  # noqa: F811
    store_url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.db'}"
    engine = open_store(store_url)
    upgrade_store(engine)
    with create_session_factory(engine).begin() as session:
        key = issue_api_key(session, "contract tests")
    engine.dispose()
    settings = Settings(warehouse=real_warehouse, store_url=store_url, rate_limit_ip=100_000)
    with ServerThread(real_warehouse, settings=settings) as server:
        yield FrontDoor(server.url, key, store_url)
