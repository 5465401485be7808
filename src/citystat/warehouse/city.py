"""Which city a warehouse holds: recorded once in ``meta`` so every command uses the same profile."""

from __future__ import annotations

import duckdb

from citystat.errors import ConfigError
from citystat.profiles import CityProfile, load_profile
from citystat.warehouse.connection import get_meta, set_meta

DEFAULT_CITY = "baltimore"


def resolve_profile(con: duckdb.DuckDBPyConnection, wanted: str | None) -> CityProfile:
    """Return the warehouse's city profile, recording ``wanted`` (or the default) on first use."""
    profile = read_profile(con, wanted)
    if get_meta(con, "city_profile") is None:
        set_meta(con, "city_profile", profile.name)
    return profile


def read_profile(con: duckdb.DuckDBPyConnection, wanted: str | None) -> CityProfile:
    """The warehouse's city profile, without recording anything (for read-only connections)."""
    recorded = get_meta(con, "city_profile")
    if recorded is None:
        return load_profile(wanted or DEFAULT_CITY)
    if wanted is not None and load_profile(wanted).name != recorded:
        raise ConfigError(
            f"this warehouse holds city {recorded!r}, not {wanted!r};"
            " use another --warehouse for another city"
        )
    return load_profile(recorded)


def describe_warehouse(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Counts a person wants to see first: what is loaded, and how much was refused."""
    from citystat.warehouse.migrations import current_version

    def one(sql: str) -> object:
        row = con.execute(sql).fetchone()
        return row[0] if row else None

    return {
        "schema_version": current_version(con),
        "city_profile": get_meta(con, "city_profile"),
        "service_requests": one("SELECT count(*) FROM service_requests"),
        "first_created": one("SELECT min(created_at) FROM service_requests"),
        "last_created": one("SELECT max(created_at) FROM service_requests"),
        "outside_city": one("SELECT count(*) FROM service_requests WHERE outside_city"),
        "boundary_layers": one("SELECT count(DISTINCT layer) FROM boundaries"),
        "demographic_rows": one("SELECT count(*) FROM demographics"),
        "loads": one("SELECT count(*) FROM load_log"),
        "quarantined_rows": one("SELECT count(*) FROM quarantine WHERE action = 'rejected'"),
    }
