"""Boundaries to SVG paths: projected to pixels, simplified, written compactly, cached per layer.

At a city's scale an equirectangular projection with longitude scaled by the cosine of the middle
latitude is indistinguishable from Mercator (Baltimore spans 0.17° of latitude). Simplifying in
pixels (``TOLERANCE`` = half a pixel, topology preserved) keeps every area while cutting the
278 neighbourhoods of Baltimore from 129,405 coordinates to about 5,000. Simplifying a layer costs
tens of milliseconds, so the paths of the last few layers are cached, keyed by the geometries
themselves (hashing them costs about 4 ms for those neighbourhoods).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import shapely

from citystat.charts.svg import format_coordinate

TOLERANCE = 0.5  # pixels
CACHED_LAYERS = 16


@dataclass(frozen=True)
class ProjectedLayer:
    paths: tuple[str, ...]  # one SVG path (``d``) per geometry; "" for an empty one
    width: float
    height: float


def list_polygons(geometry: Any) -> Iterator[Any]:
    """The polygons of a Polygon, MultiPolygon or a collection holding them."""
    for part in shapely.get_parts(geometry):
        if part.geom_type == "Polygon" and not part.is_empty:
            yield part
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            yield from list_polygons(part)


def write_ring(coords: Any) -> str:
    """``M x,y l dx,dy … z``: relative moves after the first point keep the path short. Deltas are
    taken between rounded points so the rounding errors do not add up along the ring."""
    rounded = np.round(np.asarray(coords)[:-1, :2], 1)
    if len(rounded) < 3:
        return ""
    deltas = np.round(np.diff(rounded, axis=0), 1)
    moves = "".join(
        f"{'' if dx < 0 else ' '}{format_coordinate(dx)}{'' if dy < 0 else ','}{format_coordinate(dy)}"
        for dx, dy in deltas
        if dx or dy  # a repeated point after rounding
    )
    x, y = rounded[0]
    return f"M{format_coordinate(x)},{format_coordinate(y)}l{moves.lstrip()}z"


def write_path(geometry: Any) -> str:
    rings = []
    for polygon in list_polygons(geometry):
        rings.append(write_ring(polygon.exterior.coords))
        rings += [write_ring(ring.coords) for ring in polygon.interiors]
    return "".join(rings)


@lru_cache(maxsize=CACHED_LAYERS)
def project_layer(geometries: tuple[Any, ...], width: float, height: float) -> ProjectedLayer:
    """Paths of ``geometries`` (longitude/latitude) fitted into ``width`` × ``height`` pixels."""
    present = [g for g in geometries if g is not None and not g.is_empty]
    if not present:
        return ProjectedLayer(tuple("" for _ in geometries), width, height)
    min_lon, min_lat, max_lon, max_lat = shapely.total_bounds(present)
    shrink = math.cos(math.radians((min_lat + max_lat) / 2))
    span_x = max((max_lon - min_lon) * shrink, 1e-12)
    span_y = max(max_lat - min_lat, 1e-12)
    scale = min(width / span_x, height / span_y)

    def to_pixels(coords: Any) -> Any:
        x = (coords[:, 0] - min_lon) * shrink * scale
        y = (max_lat - coords[:, 1]) * scale
        return np.column_stack((x, y))

    paths = []
    for geometry in geometries:
        if geometry is None or geometry.is_empty:
            paths.append("")
            continue
        pixels = shapely.transform(geometry, to_pixels)
        paths.append(write_path(shapely.simplify(pixels, TOLERANCE, preserve_topology=True)))
    return ProjectedLayer(tuple(paths), span_x * scale, span_y * scale)
