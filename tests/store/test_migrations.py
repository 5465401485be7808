"""The Alembic migrations build exactly the models' schema, on SQLite and PostgreSQL, and undo it."""

from __future__ import annotations

import datetime as dt
import sqlite3
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import StatementError

from citystat.store import (
    create_session_factory,
    downgrade_store,
    open_store,
    read_store_revision,
    upgrade_store,
)
from citystat.store.models import Base, ServiceRequest

TABLES = {
    "alembic_version",
    "api_keys",
    "audit_log",
    "request_notes",
    "request_tokens",
    "service_requests",
    "staff_sessions",
    "staff_users",
    "sync_marks",
}


def test_migrations_match_the_models(store: Engine) -> None:
    assert set(inspect(store).get_table_names()) == TABLES
    with store.connect() as con:
        differences = compare_metadata(MigrationContext.configure(con), Base.metadata)
    assert differences == []
    assert read_store_revision(store) == "0002"


def test_upgrade_is_idempotent_and_downgrade_removes_everything(store_url: str) -> None:
    engine = open_store(store_url)
    try:
        assert read_store_revision(engine) is None
        upgrade_store(engine)
        upgrade_store(engine)
        assert read_store_revision(engine) == "0002"
        downgrade_store(engine)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert read_store_revision(engine) is None
    finally:
        engine.dispose()


def test_times_come_back_in_utc_with_their_zone(store: Engine) -> None:
    baltimore = ZoneInfo("America/New_York")
    made = dt.datetime(2026, 11, 1, 1, 30, tzinfo=baltimore)  # the first 1:30 of the DST fall-back night
    sessions = create_session_factory(store)
    with sessions.begin() as session:
        session.add(
            ServiceRequest(
                public_id="1",
                service_code="SWSTRASH",
                service_name="Missed trash pickup",
                requested_at=made,
                updated_at=made,
                channel="web",
                attributes={"bins": 2},
            )
        )
    with sessions() as session:
        row = session.scalars(select(ServiceRequest)).one()
    assert row.requested_at == dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC)
    assert row.requested_at.tzinfo is dt.UTC
    assert row.attributes == {"bins": 2}
    assert row.status == "open" and row.locale == "en"


def test_naive_times_are_refused(store: Engine) -> None:
    sessions = create_session_factory(store)
    naive = dt.datetime(2026, 11, 1, 1, 30)
    with pytest.raises(StatementError, match="naive datetime"), sessions.begin() as session:
        session.add(
            ServiceRequest(
                public_id="2",
                service_code="X",
                service_name="X",
                requested_at=naive,
                updated_at=naive,
                channel="api",
            )
        )


def test_sqlite_store_uses_wal_and_full_sync(tmp_path) -> None:
    path = tmp_path / "wal.db"
    engine = open_store(f"sqlite:///{path}")
    try:
        upgrade_store(engine)
        with engine.connect() as con:
            assert con.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert con.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert con.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
    # an independent reader sees the schema Alembic wrote
    with sqlite3.connect(path) as raw:
        names = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert names == TABLES
