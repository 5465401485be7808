"""A live server for the request forms: Baltimore's real service list, an empty store, media in tmp."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from citystat.settings import Settings
from citystat.store import create_session_factory, open_store, upgrade_store
from tests.api.conftest import ServerThread, real_warehouse  # noqa: F401  (fixture)


@dataclass(frozen=True)
class FormsServer:
    url: str
    store_url: str
    media: Path

    def sessions(self):  # type: ignore[no-untyped-def]
        return create_session_factory(open_store(self.store_url))


@pytest.fixture(scope="module")
def forms(real_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FormsServer]:  # noqa: F811
    root = tmp_path_factory.mktemp("forms")
    store_url = f"sqlite:///{root / 'forms-store.db'}"
    upgrade_store(open_store(store_url))
    settings = Settings(
        warehouse=real_warehouse, store_url=store_url, data_dir=root / "data", rate_limit_ip=100_000
    )
    with ServerThread(real_warehouse, settings=settings) as server:
        yield FormsServer(server.url, store_url, root / "data" / "media")
