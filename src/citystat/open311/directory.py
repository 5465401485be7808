"""The city's service directory as the front door sees it, cached per warehouse revision.

The service list is built from the warehouse (see :mod:`citystat.open311.services`), so the front
door offers what the city's data holds; with no warehouse yet, it offers nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

import duckdb

from citystat.errors import WarehouseError
from citystat.open311.catalogue import load_service_catalogue
from citystat.open311.services import Service, build_services, read_service_types
from citystat.profiles import CityProfile, load_profile
from citystat.site.reader import WarehouseReader
from citystat.warehouse.city import read_profile


@dataclass(frozen=True)
class Directory:
    profile: CityProfile
    services: tuple[Service, ...]

    @cached_property
    def by_code(self) -> dict[str, Service]:
        return {s.code: s for s in self.services}

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.profile.time_zone)


def build_directory(con: duckdb.DuckDBPyConnection) -> Directory:
    profile = read_profile(con, None)
    if profile.services is None:
        return Directory(profile, ())
    catalogue = load_service_catalogue(profile.services)
    return Directory(profile, build_services(read_service_types(con), catalogue))


def get_directory(reader: WarehouseReader, fallback_city: str) -> Directory:
    """The directory of the warehouse's city; an empty one for ``fallback_city`` without a warehouse."""
    try:
        return reader.cached(("open311-directory",), build_directory)
    except WarehouseError:
        return Directory(load_profile(fallback_city), ())
