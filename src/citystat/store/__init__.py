"""The transactional store: requests made through citystat's front door, staff, API keys, audit log.

SQLAlchemy 2 models (:mod:`~citystat.store.models`), Alembic migrations shipped in the package,
SQLite with WAL by default and PostgreSQL in production (:mod:`~citystat.store.db`).
"""

from citystat.store.db import (
    StoreError,
    create_session_factory,
    downgrade_store,
    open_store,
    read_store_revision,
    upgrade_store,
)

__all__ = [
    "StoreError",
    "create_session_factory",
    "downgrade_store",
    "open_store",
    "read_store_revision",
    "upgrade_store",
]
