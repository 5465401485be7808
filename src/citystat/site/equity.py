"""How a measure reaches each area: its values by neighbourhood, CSA or district beside the
city's, the disparity across areas, and (for measures computed from requests) requests per 1,000
residents with the Urban Institute's geographic disparity (:mod:`citystat.reports.equity`).

Area values are the stored values of the latest fiscal year (``EQUITY_GRAIN``): a month per area
rests on too few requests. A ratio or statistic resting on fewer than ``MIN_DENOMINATOR`` rows is
shown but left out of the disparity. The disparity (Gini, Theil T, quintile ratio:
:func:`citystat.analysis.equity.measure_disparity`) is taken of the values themselves when the
measure has a desired direction, weighted by the rows each rests on; of requests per 1,000
residents for counts with no direction (a low rate may mean residents are not reaching the
service); not at all for "maintain" measures.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import partial

import duckdb

from citystat.analysis.equity import AREA_LAYERS, EquityError, measure_disparity, read_demographic
from citystat.analysis.equity.indices import Disparity
from citystat.analysis.series import MIN_DENOMINATOR, rests_on_rows
from citystat.catalog.model import Grain
from citystat.engine.query import query_values
from citystat.reports.equity import POPULATION_VARIABLES, EquityReport, build_equity_report
from citystat.site.catalog import MeasureInfo, get_catalog
from citystat.site.errors import InvalidRequestError
from citystat.site.reader import WarehouseReader
from citystat.site.values import ValueRow, to_row

EQUITY_GRAIN: Grain = "fiscal_year"
PER = 1000.0


@dataclass(frozen=True)
class AreaValue:
    label: str  # the value requests carry for this layer (the stored dimension value)
    area_id: str | None  # the boundary's id; None when no loaded boundary carries the label
    name: str | None
    value: float | None  # None: no value stored for this area
    numerator: float | None
    denominator: float | None
    enough: bool  # rests on at least MIN_DENOMINATOR rows (counts and reported values always do)
    population: float | None
    per_1000: float | None  # counts: value per 1,000 residents, where the population is known


@dataclass(frozen=True)
class DisparityView:
    basis: str  # "value" or "per 1,000 residents"
    higher_is_better: bool
    areas: int
    mean: float
    gini: float
    theil: float
    quintile_ratio: float | None  # worst fifth's mean / best fifth's (None with fewer than 5 areas)
    worst_quintile: tuple[str, ...]
    best_quintile: tuple[str, ...]
    worst_mean: float | None
    best_mean: float | None


@dataclass(frozen=True)
class EquityView:
    measure_id: str
    layer: str
    grain: Grain
    period_label: str | None  # None: no values by area on this layer
    period_start: dt.date | None
    city_value: float | None
    city_per_1000: float | None
    areas: tuple[AreaValue, ...]  # every area of the layer's boundaries and every stored label
    unplaced_value: float | None  # the value of requests with no area on this layer
    disparity: DisparityView | None
    requests: EquityReport | None  # computed measures on layers with a population
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Boundary:
    area_id: str
    name: str
    label: str


def read_boundaries(con: duckdb.DuckDBPyConnection, layer: str) -> list[Boundary]:
    rows = con.execute(
        "SELECT area_id, name, label FROM boundaries WHERE layer = ? ORDER BY label, area_id", [layer]
    ).fetchall()
    return [Boundary(str(a), str(n), str(label)) for a, n, label in rows]


def read_population(con: duckdb.DuckDBPyConnection, layer: str) -> dict[str, float]:
    variable = POPULATION_VARIABLES.get(layer)
    if variable is None:
        return {}
    try:
        return {a: e.value for a, e in read_demographic(con, layer, variable).items()}
    except EquityError:
        return {}


def read_latest_area_rows(
    con: duckdb.DuckDBPyConnection, layer: str, grain: Grain = EQUITY_GRAIN
) -> dict[str, tuple[list[ValueRow], ValueRow | None]]:
    """Per measure: its values by area for the latest period it has any, and the city's value for
    that period (every measure at once)."""
    by_measure: dict[str, list[ValueRow]] = defaultdict(list)
    for raw in query_values(con, measure_id=None, grain=grain, dimension=layer):
        by_measure[str(raw["measure_id"])].append(to_row(raw))
    city = {
        (str(r["measure_id"]), to_row(r).period_start): to_row(r)
        for r in query_values(con, measure_id=None, grain=grain, dimension="")
    }
    out = {}
    for measure_id, rows in by_measure.items():
        latest = max(r.period_start for r in rows)
        out[measure_id] = ([r for r in rows if r.period_start == latest], city.get((measure_id, latest)))
    return out


def describe_disparity(d: Disparity, basis: str, higher_is_better: bool) -> DisparityView:
    q = d.quintiles
    return DisparityView(
        basis=basis,
        higher_is_better=higher_is_better,
        areas=d.areas,
        mean=d.mean,
        gini=d.gini,
        theil=d.theil,
        quintile_ratio=None if q is None else q.ratio,
        worst_quintile=() if q is None else q.worst.areas,
        best_quintile=() if q is None else q.best.areas,
        worst_mean=None if q is None else q.worst.mean,
        best_mean=None if q is None else q.best.mean,
    )


def measure_area_disparity(
    info: MeasureInfo, areas: list[AreaValue]
) -> tuple[DisparityView | None, list[str]]:
    """The disparity across areas with enough rows (see the module's rules), or why there is none."""
    if info.direction in ("up", "down"):
        values = {a.label: a.value for a in areas if a.value is not None and a.enough}
        weights = (
            {a.label: a.denominator or 0.0 for a in areas if a.label in values}
            if rests_on_rows(info.measure)
            else None
        )
        basis, higher_is_better = "value", info.direction == "up"
    elif info.direction == "none" and info.unit == "count":
        values = {a.label: a.per_1000 for a in areas if a.per_1000 is not None}
        weights = {a.label: a.population or 0.0 for a in areas if a.label in values}
        basis, higher_is_better = "per 1,000 residents", True
        if not values:
            return None, ["no population for this layer: no rate per 1,000 residents to compare"]
    else:
        return None, [f"no disparity for a measure whose direction is {info.direction!r}"]
    if len(values) < 2:
        return None, [f"{len(values)} area(s) with enough data: too few to compare"]
    try:
        disparity = measure_disparity(values, weights, higher_is_better=higher_is_better)
    except EquityError as exc:
        return None, [f"no disparity: {exc}"]
    return describe_disparity(disparity, basis, higher_is_better), []


def build_equity_view(
    con: duckdb.DuckDBPyConnection,
    info: MeasureInfo,
    layer: str,
    latest: tuple[list[ValueRow], ValueRow | None] | None,
) -> EquityView:
    boundaries = {b.label: b for b in read_boundaries(con, layer)}
    population = read_population(con, layer)
    rows, city = latest if latest is not None else ([], None)
    stored = {r.dimension_value: r for r in rows}
    unplaced = stored.pop("", None)  # requests with no area on this layer
    small = rests_on_rows(info.measure)
    counts = info.unit == "count" and info.measure.computation is not None
    areas = []
    for label in sorted(set(boundaries) | set(stored)):
        row, boundary, people = stored.get(label), boundaries.get(label), population.get(label)
        value = None if row is None else row.value
        areas.append(
            AreaValue(
                label=label,
                area_id=None if boundary is None else boundary.area_id,
                name=None if boundary is None else boundary.name,
                value=value,
                numerator=None if row is None else row.numerator,
                denominator=None if row is None else row.denominator,
                enough=row is not None and (not small or (row.denominator or 0) >= MIN_DENOMINATOR),
                population=people,
                per_1000=value / people * PER if counts and value is not None and people else None,
            )
        )
    notes = []
    left_out = sum(1 for a in areas if a.value is not None and not a.enough)
    if left_out:
        notes.append(f"{left_out} area(s) rest on fewer than {MIN_DENOMINATOR} rows: shown, not compared")
    disparity, why = measure_area_disparity(info, areas) if rows else (None, ["no values by area yet"])
    notes += why
    if unplaced is not None and unplaced.value is not None:
        notes.append(f"requests with no {layer} are in no area (their value: {unplaced.value:g})")
    city_people = sum(population.values())
    city_value = None if city is None else city.value
    return EquityView(
        measure_id=info.id,
        layer=layer,
        grain=EQUITY_GRAIN,
        period_label=rows[0].period_label if rows else None,
        period_start=rows[0].period_start if rows else None,
        city_value=city_value,
        city_per_1000=city_value / city_people * PER if counts and city_value and city_people else None,
        areas=tuple(areas),
        unplaced_value=None if unplaced is None else unplaced.value,
        disparity=disparity,
        requests=read_request_equity(con, info, layer, notes),
        notes=tuple(notes),
    )


def read_request_equity(
    con: duckdb.DuckDBPyConnection, info: MeasureInfo, layer: str, notes: list[str]
) -> EquityReport | None:
    if not info.computed or layer not in POPULATION_VARIABLES:
        return None
    try:
        return build_equity_report(con, layer=layer, measure_id=info.id)
    except EquityError as exc:
        notes.append(f"requests per 1,000 residents not computed: {exc}")
        return None


def read_measure_equity(
    reader: WarehouseReader, measure_id: str, layer: str | None = None
) -> tuple[EquityView, ...]:
    """The measure's equity on ``layer``, or on every area layer it is stored by (none: empty).
    Raises NotFoundError for an unknown measure, InvalidRequestError for a layer it is not
    stored by."""
    info = get_catalog(reader).find_measure(measure_id)
    layers = info.area_layers
    if layer is not None:
        if layer not in layers:
            known = ", ".join(layers) or "none"
            raise InvalidRequestError(
                f"measure {measure_id!r} has no values by {layer!r} (area layers: {known};"
                f" all layers: {', '.join(AREA_LAYERS)})"
            )
        layers = (layer,)

    def build(con: duckdb.DuckDBPyConnection, layer: str) -> EquityView:
        rows = query_values(con, measure_id=measure_id, grain=EQUITY_GRAIN, dimension=layer)
        latest = None
        if rows:
            newest = max(r["period_start"] for r in rows)
            city = query_values(con, measure_id=measure_id, grain=EQUITY_GRAIN, dimension="", start=newest)
            latest = (
                [to_row(r) for r in rows if r["period_start"] == newest],
                next((to_row(r) for r in city if r["period_start"] == newest), None),
            )
        return build_equity_view(con, info, layer, latest)

    return tuple(
        reader.cached(("site", "equity", measure_id, name), partial(build, layer=name)) for name in layers
    )
