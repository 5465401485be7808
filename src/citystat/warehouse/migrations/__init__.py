"""Versioned warehouse schema: ``NNNN_name.sql`` files applied in order, each in a transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from citystat.errors import WarehouseError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def list_migrations() -> list[Migration]:
    folder = Path(str(resources.files("citystat.warehouse.migrations")))
    found = []
    for path in sorted(folder.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        version = int(path.name[:4])
        found.append(Migration(version, path.stem[5:], path.read_text(encoding="utf-8")))
    return found


SCHEMA_VERSION = max(m.version for m in list_migrations())


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the highest applied migration, 0 for an empty warehouse."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()
    if not exists or exists[0] == 0:
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply pending migrations in order; return the versions applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, checksum VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp())"
    )
    applied = {
        int(v): c for v, c in con.execute("SELECT version, checksum FROM schema_migrations").fetchall()
    }
    newest_known = SCHEMA_VERSION
    if applied and max(applied) > newest_known:
        raise WarehouseError(
            f"warehouse schema is version {max(applied)}, newer than this citystat ({newest_known}); upgrade"
        )
    done = []
    for migration in list_migrations():
        if migration.version in applied:
            if applied[migration.version] != migration.checksum:
                raise WarehouseError(
                    f"migration {migration.version} ({migration.name}) changed after it was applied"
                )
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)",
                [migration.version, migration.name, migration.checksum],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        done.append(migration.version)
    return done
