"""Places: the boundary layers (neighbourhoods, CSAs, council districts ...), one area's summary
(how each service reaches it against the city) and the shapes for maps.

An area's summary takes, for every measure stored by the area's layer, the latest fiscal year it
has values by area (:data:`citystat.site.equity.EQUITY_GRAIN`) and sets the area's value beside
the city's for the same year. Counts are also given per 1,000 residents where the layer has a
population. The area's rank (1 = best served) is among the areas whose value rests on enough
rows, for measures with a desired direction up or down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import duckdb
import shapely

from citystat.analysis.equity import AREA_LAYERS
from citystat.analysis.series import MIN_DENOMINATOR, rests_on_rows
from citystat.site.catalog import MeasureInfo, SiteCatalog, get_catalog
from citystat.site.equity import PER, read_latest_area_rows, read_population
from citystat.site.errors import NotFoundError
from citystat.site.reader import WarehouseReader


@dataclass(frozen=True)
class LayerInfo:
    layer: str  # neighborhood | csa | council_district | police_district | tract
    areas: int
    has_population: bool


@dataclass(frozen=True)
class AreaInfo:
    layer: str
    area_id: str
    name: str
    label: str  # what requests and stored values call it
    population: float | None


@dataclass(frozen=True)
class AreaShape:
    layer: str
    area_id: str
    name: str
    label: str
    geometry: Any  # shapely Polygon or MultiPolygon, longitude/latitude (WGS84)


@dataclass(frozen=True)
class AreaMeasure:
    """One measure in one area, against the city, for the measure's latest fiscal year by area."""

    measure: MeasureInfo
    period_label: str
    value: float | None  # None: the area has no value that year
    denominator: float | None
    enough: bool  # rests on at least MIN_DENOMINATOR rows
    city_value: float | None
    per_1000: float | None  # counts, where the population is known
    city_per_1000: float | None
    difference: float | None  # value - city value; counts: per 1,000 residents - the city's
    better: bool | None  # better than the city (None: no direction, or no value)
    rank: int | None  # 1 = best served, among ``ranked`` areas with enough rows
    ranked: int


@dataclass(frozen=True)
class Demographic:
    variable: str
    value: float | None
    text: str | None  # the cell as published


@dataclass(frozen=True)
class AreaView:
    area: AreaInfo
    measures: tuple[AreaMeasure, ...]  # by agency, then name
    demographics: tuple[Demographic, ...]


# --- layers and areas ---------------------------------------------------------------------------


def read_layers(con: duckdb.DuckDBPyConnection) -> tuple[LayerInfo, ...]:
    counts = dict(con.execute("SELECT layer, count(*) FROM boundaries GROUP BY 1").fetchall())
    return tuple(
        LayerInfo(layer, int(counts[layer]), bool(read_population(con, layer)))
        for layer in AREA_LAYERS
        if layer in counts
    )


def read_areas(con: duckdb.DuckDBPyConnection, layer: str) -> tuple[AreaInfo, ...]:
    population = read_population(con, layer)
    rows = con.execute(
        "SELECT area_id, name, label FROM boundaries WHERE layer = ? ORDER BY name, area_id", [layer]
    ).fetchall()
    return tuple(AreaInfo(layer, str(a), str(n), str(lb), population.get(str(lb))) for a, n, lb in rows)


def read_shapes(con: duckdb.DuckDBPyConnection, layer: str) -> tuple[AreaShape, ...]:
    rows = con.execute(
        "SELECT area_id, name, label, geometry_wkb FROM boundaries WHERE layer = ? ORDER BY name, area_id",
        [layer],
    ).fetchall()
    return tuple(
        AreaShape(layer, str(a), str(n), str(lb), shapely.from_wkb(bytes(g))) for a, n, lb, g in rows
    )


def list_layers(reader: WarehouseReader) -> tuple[LayerInfo, ...]:
    """The area layers whose boundaries are loaded, in a fixed order."""
    return reader.cached(("site", "layers"), read_layers)


def check_layer(reader: WarehouseReader, layer: str) -> str:
    if layer not in {info.layer for info in list_layers(reader)}:
        raise NotFoundError("area layer", layer)
    return layer


def list_areas(reader: WarehouseReader, layer: str) -> tuple[AreaInfo, ...]:
    """The areas of one loaded layer, by name (raises NotFoundError for a layer not loaded)."""
    check_layer(reader, layer)
    return reader.cached(("site", "areas", layer), partial(read_areas, layer=layer))


def find_area(reader: WarehouseReader, layer: str, area_id: str) -> AreaInfo:
    found = next((a for a in list_areas(reader, layer) if a.area_id == area_id), None)
    if found is None:
        raise NotFoundError(f"{layer} area", area_id)
    return found


def read_area_shapes(reader: WarehouseReader, layer: str) -> tuple[AreaShape, ...]:
    """Every area's polygon on ``layer``, for maps."""
    check_layer(reader, layer)
    return reader.cached(("site", "shapes", layer), partial(read_shapes, layer=layer))


# --- one area against the city ------------------------------------------------------------------


def rank_of(value: float, others: list[float], direction: str) -> int:
    """1 + the number of areas doing strictly better."""
    better = sum(1 for v in others if (v > value if direction == "up" else v < value))
    return better + 1


def compare_layer(
    con: duckdb.DuckDBPyConnection, catalog: SiteCatalog, layer: str
) -> dict[str, tuple[AreaMeasure, ...]]:
    """Area label -> every measure of the layer set against the city (one build per layer)."""
    population = read_population(con, layer)
    city_people = sum(population.values())
    latest = read_latest_area_rows(con, layer)
    labels = {
        str(r[0]) for r in con.execute("SELECT label FROM boundaries WHERE layer = ?", [layer]).fetchall()
    }
    out: dict[str, list[AreaMeasure]] = {label: [] for label in labels}
    for measure_id, (rows, city) in sorted(latest.items()):
        info = catalog.measures.get(measure_id)
        if info is None or info.retired or not rows:
            continue
        small = rests_on_rows(info.measure)
        counts = info.unit == "count" and info.computed
        by_label = {r.dimension_value: r for r in rows if r.dimension_value}
        enough = {
            label: r.value
            for label, r in by_label.items()
            if r.value is not None and (not small or (r.denominator or 0) >= MIN_DENOMINATOR)
        }
        ranked = list(enough.values()) if info.direction in ("up", "down") else []
        city_value = None if city is None else city.value
        city_rate = (
            city_value / city_people * PER if counts and city_value is not None and city_people else None
        )
        for label in labels | set(by_label):
            row = by_label.get(label)
            value = None if row is None else row.value
            people = population.get(label)
            rate = value / people * PER if counts and value is not None and people else None
            if counts:  # a count is compared per 1,000 residents, where the population is known
                difference = None if rate is None or city_rate is None else rate - city_rate
            else:
                difference = None if value is None or city_value is None else value - city_value
            better = None
            if difference is not None and difference != 0 and info.direction in ("up", "down"):
                better = (difference > 0) == (info.direction == "up")
            out.setdefault(label, []).append(
                AreaMeasure(
                    measure=info,
                    period_label=rows[0].period_label,
                    value=value,
                    denominator=None if row is None else row.denominator,
                    enough=label in enough,
                    city_value=city_value,
                    per_1000=rate,
                    city_per_1000=city_rate,
                    difference=difference,
                    better=better if label in enough else None,
                    rank=rank_of(enough[label], ranked, info.direction)
                    if ranked and label in enough
                    else None,
                    ranked=len(ranked),
                )
            )
    return {
        label: tuple(sorted(items, key=lambda a: (a.measure.agency.casefold(), a.measure.name.casefold())))
        for label, items in out.items()
    }


def read_demographics(con: duckdb.DuckDBPyConnection, layer: str, label: str) -> tuple[Demographic, ...]:
    rows = con.execute(
        "SELECT variable, value, value_text FROM demographics WHERE layer = ? AND area_key = ?"
        " AND NOT is_citywide ORDER BY variable",
        [layer, label],
    ).fetchall()
    return tuple(Demographic(str(v), None if x is None else float(x), t) for v, x, t in rows)


def get_layer_comparison(reader: WarehouseReader, layer: str) -> Mapping[str, tuple[AreaMeasure, ...]]:
    catalog = get_catalog(reader)
    return reader.cached(("site", "area-measures", layer), lambda con: compare_layer(con, catalog, layer))


def read_area_view(reader: WarehouseReader, layer: str, area_id: str) -> AreaView:
    """How services reach one area against the city (raises NotFoundError)."""
    area = find_area(reader, layer, area_id)
    measures = get_layer_comparison(reader, layer).get(area.label, ())
    demographics = reader.cached(
        ("site", "demographics", layer, area.label), lambda con: read_demographics(con, layer, area.label)
    )
    return AreaView(area, measures, demographics)
