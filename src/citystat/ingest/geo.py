"""Point-in-polygon: give each located request its neighbourhood, CSA, districts and tract.

Two engines compute the same answer: DuckDB's spatial extension (loaded offline from the
``duckdb-extension-spatial`` wheel; an R-tree spatial join) and shapely 2's STRtree in Python.
A point on a shared edge belongs to the area whose label sorts first, in both engines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pyarrow as pa
import shapely

from citystat.profiles import BOUNDARY_LAYERS, CityProfile

SpatialEngine = Literal["auto", "duckdb", "shapely"]


def spatial_extension_path() -> Path | None:
    """Where the spatial extension binary for this DuckDB version lies, if installed."""
    try:
        import duckdb_extension_spatial
    except ImportError:
        return None
    version = duckdb.__version__
    path = (
        Path(duckdb_extension_spatial.__file__).parent
        / "extensions"
        / f"v{version}"
        / "spatial.duckdb_extension"
    )
    return path if path.exists() else None


def load_spatial(con: duckdb.DuckDBPyConnection) -> bool:
    """Load DuckDB's spatial extension from the local wheel; False if it is not available."""
    path = spatial_extension_path()
    if path is None:
        return False
    try:
        con.execute(f"LOAD '{path.as_posix()}'")
    except duckdb.Error:
        return False
    return True


def choose_engine(con: duckdb.DuckDBPyConnection, wanted: SpatialEngine) -> Literal["duckdb", "shapely"]:
    if wanted == "shapely":
        return "shapely"
    if load_spatial(con):
        return "duckdb"
    if wanted == "duckdb":
        raise RuntimeError("DuckDB spatial extension is not available; install duckdb-extension-spatial")
    return "shapely"


def loaded_layers(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("SELECT DISTINCT layer FROM boundaries").fetchall()
    present = {r[0] for r in rows}
    return [layer for layer in BOUNDARY_LAYERS if layer in present]


def locate_points(
    con: duckdb.DuckDBPyConnection,
    layer: str,
    lons: np.ndarray,
    lats: np.ndarray,
    engine: SpatialEngine = "auto",
) -> list[str | None]:
    """Label of the ``layer`` area containing each point (None outside every area)."""
    ids = np.arange(len(lons), dtype=np.int64)
    con.register("_locate_input", pa.table({"pid": ids, "lon": lons, "lat": lats}))
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _locate_points AS SELECT * FROM _locate_input")
    finally:
        con.unregister("_locate_input")
    _match_points(con, layer, "_locate_points", choose_engine(con, engine))
    result: list[str | None] = [None] * len(lons)
    for pid, label in con.execute("SELECT pid, label FROM _geo_match").fetchall():
        result[int(pid)] = label
    con.execute("DROP TABLE IF EXISTS _locate_points")
    return result


def _match_points(
    con: duckdb.DuckDBPyConnection, layer: str, points_table: str, engine: Literal["duckdb", "shapely"]
) -> None:
    """Fill temp table ``_geo_match(pid, label)`` for points ``points_table(pid, lon, lat)``."""
    assert points_table in ("_geo_points", "_locate_points")
    if engine == "duckdb":
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _geo_polys AS"
            " SELECT label, ST_GeomFromWKB(geometry_wkb) AS geom FROM boundaries WHERE layer = ?",
            [layer],
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _geo_match AS"
            " SELECT p.pid, min(b.label) AS label"
            f" FROM {points_table} p JOIN _geo_polys b ON ST_Intersects(b.geom, ST_Point(p.lon, p.lat))"
            " GROUP BY p.pid"
        )
        con.execute("DROP TABLE _geo_polys")
        return
    polys = con.execute(
        "SELECT label, geometry_wkb FROM boundaries WHERE layer = ? ORDER BY label", [layer]
    ).fetchall()
    labels = [p[0] for p in polys]
    geoms = shapely.from_wkb([bytes(p[1]) for p in polys])
    pts = con.execute(f"SELECT pid, lon, lat FROM {points_table}").fetchnumpy()
    points = shapely.points(pts["lon"], pts["lat"])
    tree = shapely.STRtree(geoms)
    point_idx, poly_idx = tree.query(points, predicate="intersects")
    best: dict[int, int] = {}
    for pi, gi in zip(point_idx.tolist(), poly_idx.tolist(), strict=True):
        if pi not in best or gi < best[pi]:
            best[pi] = gi  # polygons are sorted by label, so the smallest index is the first label
    pids = pts["pid"]
    table = pa.table(
        {
            "pid": pa.array([pids[i] for i in best], pa.int64()),
            "label": pa.array([labels[g] for g in best.values()], pa.string()),
        }
    )
    con.register("_geo_match_input", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _geo_match AS SELECT * FROM _geo_match_input")
    finally:
        con.unregister("_geo_match_input")


def match_layers(
    con: duckdb.DuckDBPyConnection, layers: list[str], engine: Literal["duckdb", "shapely"]
) -> None:
    """For points ``_geo_points(pid, lon, lat)``, create ``_geo_match_<layer>(pid, label)`` per layer."""
    for layer in layers:
        assert layer in BOUNDARY_LAYERS
        _match_points(con, layer, "_geo_points", engine)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _geo_match_{layer} AS SELECT * FROM _geo_match")
    con.execute("DROP TABLE IF EXISTS _geo_match")


def _drop_matches(con: duckdb.DuckDBPyConnection, layers: list[str]) -> None:
    for layer in layers:
        con.execute(f"DROP TABLE IF EXISTS _geo_match_{layer}")
    con.execute("DROP TABLE IF EXISTS _geo_points")


def extent_layer(profile: CityProfile, present: list[str]) -> str | None:
    """The loaded layer whose areas together make up the city."""
    return next((layer for layer in profile.city_extent_layers if layer in present), None)


def locate_stage(
    con: duckdb.DuckDBPyConnection, profile: CityProfile, engine: SpatialEngine = "auto"
) -> None:
    """Fill empty area columns of the staging table ``_stage`` in one pass; flag out-of-city points."""
    present = loaded_layers(con)
    if not present:
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _geo_points AS SELECT row_number AS pid, lon, lat FROM _stage"
        " WHERE lon IS NOT NULL AND lat IS NOT NULL"
    )
    match_layers(con, present, choose_engine(con, engine))
    extent = extent_layer(profile, present)
    joins = " ".join(
        f"LEFT JOIN _geo_match_{layer} m_{layer} ON m_{layer}.pid = s.row_number" for layer in present
    )
    fills = ", ".join(f"coalesce(s.{layer}, m_{layer}.label) AS {layer}" for layer in present)
    assigned = " || ".join(
        f"CASE WHEN s.{layer} IS NULL AND m_{layer}.label IS NOT NULL THEN '{layer},' ELSE '' END"
        for layer in present
    )
    replaced = [fills, f"s.geo_assigned || {assigned} AS geo_assigned"]
    if extent is not None:
        located = "s.lon IS NOT NULL AND s.lat IS NOT NULL"
        outside = f"{located} AND m_{extent}.label IS NULL"
        replaced.append(f"CASE WHEN {located} THEN m_{extent}.label IS NULL END AS outside_city")
        replaced.append(
            f"CASE WHEN {outside} THEN coalesce(s.geo_flag, 'outside_city') ELSE s.geo_flag END AS geo_flag"
        )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _stage_located AS SELECT s.* REPLACE ({', '.join(replaced)})"
        f" FROM _stage s {joins}"
    )
    con.execute("DROP TABLE _stage")
    con.execute("ALTER TABLE _stage_located RENAME TO _stage")
    _drop_matches(con, present)


def assign_geography(
    con: duckdb.DuckDBPyConnection,
    profile: CityProfile,
    *,
    engine: SpatialEngine = "auto",
    layers: list[str] | None = None,
) -> dict[str, int]:
    """Refresh stored requests' areas after a boundary layer changes.

    Values that came with the source are kept; values an earlier point-in-polygon filled are
    recomputed (so reloading a layer refreshes them). Returns rows filled per layer.
    """
    present = loaded_layers(con)
    todo = [layer for layer in (layers or present) if layer in present]
    if not todo:
        return {}
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _geo_points AS"
        " SELECT row_number() OVER () AS pid, request_id, lon, lat FROM service_requests"
        " WHERE lon IS NOT NULL AND lat IS NOT NULL"
    )
    match_layers(con, todo, choose_engine(con, engine))
    extent = extent_layer(profile, present)
    filled: dict[str, int] = {}
    for layer in todo:
        marker = f",{layer},"
        con.execute(
            f"UPDATE service_requests SET {layer} = NULL, geo_assigned = replace(geo_assigned, ?, ',')"
            " WHERE contains(geo_assigned, ?)",
            [marker, marker],
        )
        before = _count_filled(con, layer)
        con.execute(
            f"UPDATE service_requests AS t SET {layer} = m.label, geo_assigned = t.geo_assigned || ? || ','"
            f" FROM _geo_points p JOIN _geo_match_{layer} m ON m.pid = p.pid"
            f" WHERE t.request_id = p.request_id AND t.{layer} IS NULL",
            [layer],
        )
        filled[layer] = _count_filled(con, layer) - before
        if layer == extent:
            con.execute(
                "UPDATE service_requests AS t SET outside_city = (m.pid IS NULL),"
                " geo_flag = CASE WHEN m.pid IS NULL THEN coalesce(t.geo_flag, 'outside_city')"
                "                 WHEN t.geo_flag = 'outside_city' THEN NULL ELSE t.geo_flag END"
                f" FROM _geo_points p LEFT JOIN _geo_match_{layer} m ON m.pid = p.pid"
                " WHERE t.request_id = p.request_id"
            )
    _drop_matches(con, todo)
    return filled


def _count_filled(con: duckdb.DuckDBPyConnection, layer: str) -> int:
    row = con.execute(f"SELECT count({layer}) FROM service_requests").fetchone()
    return int(row[0]) if row else 0
