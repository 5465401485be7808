"""Alembic environment: runs on the engine handed over by :func:`citystat.store.db.upgrade_store`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from citystat.store.models import Base

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through citystat.store.db.upgrade_store (or `citystat store upgrade`)")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
