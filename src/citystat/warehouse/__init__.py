"""The DuckDB warehouse: connection, versioned schema, metadata."""

from citystat.warehouse.city import describe_warehouse, read_profile, resolve_profile
from citystat.warehouse.connection import connect, open_warehouse
from citystat.warehouse.migrations import SCHEMA_VERSION, current_version, migrate

__all__ = [
    "SCHEMA_VERSION",
    "connect",
    "current_version",
    "describe_warehouse",
    "migrate",
    "open_warehouse",
    "read_profile",
    "resolve_profile",
]
