"""Build the synthetic demo city's warehouse: generate files, then ingest them like real data.

The warehouse is built beside the target and moved into place only when complete, so a failed or
interrupted demo never leaves a half-built warehouse (and never overwrites a real city's).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from citystat.catalog.load import builtin_catalog_dir, load_catalog
from citystat.demo.generate import DemoCity, generate_city
from citystat.engine.compute import ComputeResult, compute_catalog
from citystat.errors import ConfigError
from citystat.ingest import LoadResult, ingest_boundaries, ingest_demographics, ingest_requests
from citystat.ingest.files import ProgressFn
from citystat.ingest.geo import SpatialEngine
from citystat.profiles import load_profile
from citystat.warehouse import connect, open_warehouse, resolve_profile
from citystat.warehouse.connection import get_meta

DEMO_PROFILE = "synthetic"
LAYER_ORDER = ("council_district", "police_district", "csa", "neighborhood")


@dataclass(frozen=True)
class DemoBuild:
    city: DemoCity
    loads: list[LoadResult]
    warehouse: Path
    computed: ComputeResult | None = None


def check_replaceable(warehouse: Path, replace: bool) -> None:
    """Refuse to overwrite a warehouse that holds a real city unless told to."""
    if not warehouse.exists() or replace:
        return
    con = connect(warehouse, read_only=True)
    try:
        recorded = get_meta(con, "city_profile")
    except Exception:
        recorded = None
    finally:
        con.close()
    if recorded is not None and not load_profile(recorded).synthetic:
        raise ConfigError(
            f"{warehouse} holds the real city {recorded!r}; the demo will not overwrite it. "
            "Use another --warehouse, or --replace to discard it."
        )


def build_demo(
    warehouse: Path,
    data_dir: Path,
    *,
    rows: int,
    seed: int,
    end: date | None = None,
    replace: bool = False,
    spatial: SpatialEngine = "auto",
    progress: ProgressFn | None = None,
    compute: bool = True,
) -> DemoBuild:
    """Generate the synthetic city into ``data_dir`` and (re)build ``warehouse`` from it.

    With ``compute`` the city profile's built-in measure catalog is computed too, so the
    dashboard has numbers to show.
    """
    check_replaceable(warehouse, replace)
    city = generate_city(data_dir, rows=rows, seed=seed, end=end, progress=progress)
    building = warehouse.with_name(warehouse.name + ".building")
    for leftover in (building, Path(str(building) + ".wal")):
        leftover.unlink(missing_ok=True)
    con = open_warehouse(building)
    loads: list[LoadResult] = []
    computed = None
    try:
        profile = resolve_profile(con, DEMO_PROFILE)
        for layer in LAYER_ORDER:
            if layer in city.boundaries:
                loads.append(
                    ingest_boundaries(
                        con, city.boundaries[layer], layer=layer, profile=profile, spatial=spatial
                    )
                )
        loads.append(ingest_demographics(con, city.demographics_csv, layer="csa", key="CSA", profile=profile))
        loads += ingest_requests(
            con, [city.requests_csv], profile=profile, spatial=spatial, progress=progress
        )
        if compute:
            catalog = load_catalog(builtin_catalog_dir(profile.catalog))
            computed = compute_catalog(con, catalog, profile)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    Path(str(warehouse) + ".wal").unlink(missing_ok=True)
    os.replace(building, warehouse)
    return DemoBuild(city=city, loads=loads, warehouse=warehouse, computed=computed)
