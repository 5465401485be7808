"""Where the numbers come from: the city (and whether it is synthetic), the files loaded, every
load with its counts, and what was held back (quarantine counts by reason).

Files are named without their folder: the server's paths are nobody's business.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePath

import duckdb

from citystat.profiles import load_profile
from citystat.site.measure import DataAsOf, read_data_as_of
from citystat.site.reader import WarehouseReader
from citystat.warehouse.city import DEFAULT_CITY
from citystat.warehouse.connection import get_meta


@dataclass(frozen=True)
class CityInfo:
    profile: str
    name: str  # the profile's display name, e.g. "Baltimore City"
    synthetic: bool  # made-up data: every page says so
    description: str
    time_zone: str
    fiscal_year_start_month: int


@dataclass(frozen=True)
class LoadEntry:
    load_id: int
    kind: str  # requests | boundaries | demographics | plan
    file: str  # file name only
    detail: str | None  # layer, mapping, plan part ...
    format: str
    started_at: dt.datetime
    finished_at: dt.datetime
    rows_read: int
    rows_loaded: int
    rows_updated: int
    rows_unchanged: int
    rows_stale: int
    rows_quarantined: int
    rows_flagged: int


@dataclass(frozen=True)
class SourceEntry:
    """A file as last loaded."""

    kind: str
    file: str
    detail: str | None
    loads: int  # how many loads read it
    last_load_id: int
    last_loaded: dt.datetime
    rows_read: int  # in its last load


@dataclass(frozen=True)
class QuarantineCount:
    reason: str
    action: str  # rejected (not loaded) | flagged (loaded, value cleared or marked)
    rows: int


@dataclass(frozen=True)
class AboutView:
    city: CityInfo
    as_of: DataAsOf
    service_requests: int
    first_created: dt.datetime | None
    last_created: dt.datetime | None
    measures: int
    values: int
    boundary_layers: tuple[str, ...]
    sources: tuple[SourceEntry, ...]  # by kind, then file
    loads: tuple[LoadEntry, ...]  # newest first
    quarantine: tuple[QuarantineCount, ...]  # most rows first


def read_city_info(con: duckdb.DuckDBPyConnection) -> CityInfo:
    profile = load_profile(get_meta(con, "city_profile") or DEFAULT_CITY)
    return CityInfo(
        profile.name,
        profile.display_name,
        profile.synthetic,
        profile.description,
        profile.time_zone,
        profile.fiscal_year_start_month,
    )


def name_file(source: str) -> str:
    return PurePath(source).name or source


def read_loads(con: duckdb.DuckDBPyConnection) -> tuple[LoadEntry, ...]:
    rows = con.execute(
        "SELECT load_id, kind, source, detail, format, started_at, finished_at, rows_read, rows_loaded,"
        " rows_updated, rows_unchanged, rows_stale, rows_quarantined, rows_flagged"
        " FROM load_log ORDER BY load_id DESC"
    ).fetchall()
    return tuple(
        LoadEntry(
            int(r[0]), str(r[1]), name_file(str(r[2])), r[3] or None, str(r[4]), r[5], r[6], *map(int, r[7:])
        )
        for r in rows
    )


def list_sources(loads: tuple[LoadEntry, ...]) -> tuple[SourceEntry, ...]:
    by_file: dict[tuple[str, str, str | None], list[LoadEntry]] = {}
    for load in loads:
        by_file.setdefault((load.kind, load.file, load.detail), []).append(load)
    return tuple(
        SourceEntry(
            kind, file, detail, len(items), items[0].load_id, items[0].finished_at, items[0].rows_read
        )
        for (kind, file, detail), items in sorted(
            by_file.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")
        )
    )


def read_about(con: duckdb.DuckDBPyConnection) -> AboutView:
    requests, first, last = con.execute(
        "SELECT count(*), min(created_at), max(created_at) FROM service_requests"
    ).fetchone() or (0, None, None)
    measures = con.execute("SELECT count(DISTINCT measure_id) FROM measure_definitions").fetchone()
    values = con.execute("SELECT count(*) FROM measure_values").fetchone()
    layers = con.execute("SELECT DISTINCT layer FROM boundaries ORDER BY 1").fetchall()
    quarantine = con.execute(
        "SELECT reason, action, count(*) FROM quarantine GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
    ).fetchall()
    loads = read_loads(con)
    return AboutView(
        city=read_city_info(con),
        as_of=read_data_as_of(con),
        service_requests=int(requests),
        first_created=first,
        last_created=last,
        measures=int(measures[0]) if measures else 0,
        values=int(values[0]) if values else 0,
        boundary_layers=tuple(str(r[0]) for r in layers),
        sources=list_sources(loads),
        loads=loads,
        quarantine=tuple(QuarantineCount(str(r), str(a), int(n)) for r, a, n in quarantine),
    )


def get_city_info(reader: WarehouseReader) -> CityInfo:
    """The city the warehouse holds (every page's header and its "synthetic" label)."""
    return reader.cached(("site", "city"), read_city_info)


def get_about(reader: WarehouseReader) -> AboutView:
    return reader.cached(("site", "about"), read_about)
