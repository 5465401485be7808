"""Connecting to the store and bringing its schema up to date.

``open_store(url)`` returns an engine; for SQLite it turns on WAL (readers never block the writer),
``synchronous=FULL`` (a committed request survives a crash of the process or the machine),
foreign keys and a busy timeout. ``upgrade_store(url)`` applies the Alembic migrations shipped in
the package; ``create_session_factory`` makes sessions that keep attributes after commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from citystat.errors import CitystatError

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_MS = 10_000


class StoreError(CitystatError):
    """The store cannot be opened or migrated."""


def set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.close()


def open_store(url: str) -> Engine:
    """An engine for the store at ``url`` (``sqlite:///path.db`` or ``postgresql+psycopg://...``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000}
        )
        event.listen(engine, "connect", set_sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True)
    raise StoreError(f"unsupported store URL {url!r}: use sqlite:///FILE or postgresql://...")


def configure_alembic(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade_store(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (idempotent: an up-to-date store is left alone)."""
    command.upgrade(configure_alembic(engine), revision)


def downgrade_store(engine: Engine, revision: str = "base") -> None:
    command.downgrade(configure_alembic(engine), revision)


def read_store_revision(engine: Engine) -> str | None:
    """The migration the store is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as con:
        return MigrationContext.configure(con).get_current_revision()


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
