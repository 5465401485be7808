"""Loading boundary layers (GeoJSON) into ``boundaries``; then refreshing request areas."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import shapely
from shapely.geometry import shape

from citystat.errors import IngestError
from citystat.ingest.files import describe_file, printable
from citystat.ingest.geo import SpatialEngine, assign_geography
from citystat.ingest.loadlog import (
    LoadResult,
    QuarantineRow,
    clear_quarantine,
    find_previous_load,
    next_load_id,
    record_load,
    record_quarantine,
)
from citystat.profiles import BOUNDARY_LAYERS, CityProfile
from citystat.warehouse.connection import transaction

LONLAT_CRS = ("CRS84", "EPSG::4326", "EPSG:4326", "EPSG::4269", "EPSG:4269")


def read_feature_collection(path: Path) -> list[Any]:
    """Parse a GeoJSON FeatureCollection in lon/lat; refuse projected or malformed files."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(f"{path}: not a GeoJSON file: {exc}") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise IngestError(f"{path}: not a GeoJSON FeatureCollection")
    crs = (data.get("crs") or {}).get("properties", {}).get("name", "")
    if crs and not any(crs.endswith(code) for code in LONLAT_CRS):
        raise IngestError(f"{path}: coordinates are in {crs}; reproject to WGS84 longitude/latitude first")
    features = data.get("features")
    if not isinstance(features, list):
        raise IngestError(f"{path}: FeatureCollection has no 'features' array")
    return features


def _first_property(props: dict[str, Any], names: list[str]) -> str | None:
    for name in names:
        value = props.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return None


def _polygonal(geom: Any) -> Any:
    """Keep only the polygon parts (make_valid can return lines and points along with polygons)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def ingest_boundaries(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    layer: str,
    profile: CityProfile,
    force: bool = False,
    spatial: SpatialEngine = "auto",
    value_chars: int = 500,
) -> LoadResult:
    """Replace one boundary layer with the features of ``path`` and refresh request areas."""
    if layer not in BOUNDARY_LAYERS:
        raise IngestError(f"unknown layer {layer!r}; choose one of {', '.join(BOUNDARY_LAYERS)}")
    info = describe_file(path)
    result = LoadResult(kind="boundaries", source=str(path), format="geojson", detail=layer)
    previous = find_previous_load(con, "boundaries", info.sha256, layer)
    latest = con.execute("SELECT max(load_id) FROM boundaries WHERE layer = ?", [layer]).fetchone()
    if previous is not None and latest and latest[0] == previous and not force:
        result.skipped_as_load = previous
        result.notes.append(f"layer {layer} already holds this file (load {previous}); nothing changed")
        return result
    features = read_feature_collection(path)
    labels = profile.boundary_label(layer)
    rows: dict[str, list[Any]] = {
        k: []
        for k in (
            "area_id",
            "name",
            "label",
            "properties_json",
            "geometry_wkb",
            "min_lon",
            "min_lat",
            "max_lon",
            "max_lat",
            "repaired",
        )
    }
    problems: list[QuarantineRow] = []
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") or {} if isinstance(feature, dict) else {}
        area_id = _first_property(props, labels.id_property)
        name = _first_property(props, labels.name_property) or area_id
        try:
            geom = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append(
                QuarantineRow(number, None, area_id, "geometry", None, f"unreadable geometry: {exc}")
            )
            continue
        if area_id is None or name is None:
            problems.append(
                QuarantineRow(
                    number,
                    None,
                    None,
                    "/".join(labels.id_property),
                    printable(json.dumps(props), value_chars),
                    "feature has no id",
                )
            )
            continue
        repaired = not geom.is_valid
        if repaired:
            geom = _polygonal(shapely.make_valid(geom))
        if geom is None or geom.is_empty:
            problems.append(
                QuarantineRow(number, None, area_id, "geometry", None, "empty or non-polygon geometry")
            )
            continue
        min_lon, min_lat, max_lon, max_lat = geom.bounds
        if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise IngestError(
                f"{path}: feature {number} has coordinates outside longitude/latitude ranges;"
                " the file looks projected; reproject to WGS84 first"
            )
        rows["area_id"].append(area_id)
        rows["name"].append(name)
        rows["label"].append(area_id if labels.label == "id" else name)
        rows["properties_json"].append(json.dumps(props, sort_keys=True, default=str))
        rows["geometry_wkb"].append(shapely.to_wkb(geom))
        for key, value in zip(("min_lon", "min_lat", "max_lon", "max_lat"), geom.bounds, strict=True):
            rows[key].append(value)
        rows["repaired"].append(repaired)
    if not rows["area_id"]:
        raise IngestError(f"{path}: no usable features (of {len(features)})")
    started = datetime.now()
    with transaction(con):
        result.load_id = next_load_id(con)
        result.rows_read = len(features)
        result.rows_loaded = len(rows["area_id"])
        result.rows_quarantined = len(problems)
        result.rejected_by_reason.update(p.reason.split(":")[0] for p in problems)
        repaired_count = sum(rows["repaired"])
        if repaired_count:
            result.notes.append(f"{repaired_count} invalid polygon(s) repaired with make_valid")
        table = pa.table(
            {
                **rows,
                "layer": [layer] * len(rows["area_id"]),
                "source_file": [str(path)] * len(rows["area_id"]),
                "load_id": [result.load_id] * len(rows["area_id"]),
            }
        )
        con.execute("DELETE FROM boundaries WHERE layer = ?", [layer])
        con.register("_boundary_batch", table)
        con.execute(
            "INSERT INTO boundaries SELECT layer, area_id, name, label, properties_json, geometry_wkb,"
            " min_lon, min_lat, max_lon, max_lat, repaired, source_file, load_id FROM _boundary_batch"
        )
        con.unregister("_boundary_batch")
        clear_quarantine(con, result.source)
        record_quarantine(con, result.load_id, result.source, problems)
        filled = assign_geography(con, profile, engine=spatial, layers=[layer])
        if filled.get(layer):
            result.notes.append(f"{filled[layer]:,} stored request(s) got a {layer} by point-in-polygon")
        record_load(con, result, info, started)
    return result
