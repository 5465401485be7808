"""A fresh, migrated store per test, on SQLite (a WAL file) and on a real PostgreSQL server.

``store_url`` is parametrised: every store test runs on both databases. PostgreSQL is the session's
server from ``tests/backends.py``; each test gets a database of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from citystat.store import open_store, upgrade_store

COUNTER = itertools.count()


def create_postgres_database(server_url: str) -> str:
    name = f"store_{next(COUNTER)}"
    with psycopg.connect(server_url, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    server_url: str = request.getfixturevalue("postgres_url")
    return create_postgres_database(server_url)


@pytest.fixture
def store(store_url: str) -> Iterator[Engine]:
    engine = open_store(store_url)
    upgrade_store(engine)
    try:
        yield engine
    finally:
        engine.dispose()
