"""Choropleths of Baltimore's real boundaries: one path per area with the class its value falls in
(classes worked out by hand and by numpy's nearest-rank quantiles), "no data" hatched, legend
ranges, the shapes still the shapes after simplification, and the map's size."""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from citystat.charts import AreaShape, render_choropleth
from citystat.charts.choropleth import MAP_BOX, PAD, classify_value, find_class_ends, pick_palette
from tests.test_charts_svg import SVG, check_accessible, check_contrast, classes, find_by_class

BLUES = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]  # ColorBrewer Blues, 5 classes
NO_DATA_CSAS = {"3", "17", "40"}  # Belair-Edison, Forest Park/Walbrook, Penn North/Reservoir Hill


def read_shapes(path: Path) -> list[AreaShape]:
    """Areas of a boundary file, repaired the way ingest repairs them (make_valid)."""
    shapes = []
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        props = feature["properties"]
        geometry = shape(feature["geometry"])
        if not geometry.is_valid:
            geometry = shapely.make_valid(geometry)
        shapes.append(AreaShape(str(props.get("id", props["name"])), props["name"], geometry))
    return shapes


@pytest.fixture(scope="module")
def csas() -> list[AreaShape]:
    from tests.conftest import BOUNDARIES, need_real_data

    need_real_data()
    return read_shapes(BOUNDARIES / "csa_2010.geojson")


@pytest.fixture(scope="module")
def neighbourhoods() -> list[AreaShape]:
    from tests.conftest import BOUNDARIES, need_real_data

    need_real_data()
    return read_shapes(BOUNDARIES / "neighborhoods_2010.geojson")


def csa_values(csas: list[AreaShape]) -> dict[str, float | None]:
    """Each CSA's own id (1..56) as its value; 3 and 17 None, 40 left out of the mapping."""
    values: dict[str, float | None] = {s.area_id: float(s.area_id) for s in csas if s.area_id != "40"}
    values.update({"3": None, "17": None})
    return values


def read_rings(d: str) -> list[list[tuple[float, float]]]:
    """Absolute points of each ring of a path written as ``M x,y l dx,dy dx,dy … z``."""
    rings = []
    for start, moves in re.findall(r"M([^l]+)l([^z]*)z", d):
        x, y = (float(v) for v in start.split(","))
        ring = [(x, y)]
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", moves)]
        for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
            x, y = x + dx, y + dy
            ring.append((x, y))
        rings.append(ring)
    return rings


def measure_path_area(d: str) -> float:
    """Area of a path with the even-odd rule, for rings that do not cross (holes subtract)."""
    areas = [abs(shapely.Polygon(ring).area) for ring in read_rings(d) if len(ring) >= 3]
    polygons = [shapely.Polygon(ring) for ring in read_rings(d) if len(ring) >= 3]
    total = 0.0
    for i, polygon in enumerate(polygons):
        inside = sum(
            1 for j, other in enumerate(polygons) if j != i and other.contains(polygon.representative_point())
        )
        total += areas[i] * (-1 if inside % 2 else 1)
    return total


def test_quantile_classes_by_hand() -> None:
    # 53 values 1..56 without 3, 17, 40: class k ends at rank ceil(k·53/5) = 11, 22, 32, 43, 53,
    # which hold 12, 24, 34, 46 and 56.
    values = [float(v) for v in range(1, 57) if v not in (3, 17, 40)]
    assert find_class_ends(values) == (12, 24, 34, 46, 56)
    assert find_class_ends(values) == tuple(
        np.quantile(values, [0.2, 0.4, 0.6, 0.8, 1.0], method="inverted_cdf")
    )
    assert [classify_value(v, (12, 24, 34, 46, 56)) for v in (1, 12, 13, 24, 25, 46, 47, 56)] == [
        0,
        0,
        1,
        1,
        2,
        3,
        4,
        4,
    ]
    # few distinct values: equal ends merge (ranks 1, 2, 3, 4, 4 of [1, 1, 1, 2] → 1, 1, 1, 2, 2)
    assert find_class_ends([1.0, 1.0, 1.0, 2.0]) == (1.0, 2.0)
    assert find_class_ends([]) == ()
    assert pick_palette(2) == (BLUES[0], BLUES[4])
    assert pick_palette(1) == (BLUES[2],)
    assert pick_palette(5) == tuple(BLUES)


def test_csa_map_has_one_path_per_area_in_the_right_class(csas: list[AreaShape]) -> None:
    assert len(csas) == 56  # 55 CSAs and "Unassigned -- Jail" (PROVENANCE.md)
    rendered = render_choropleth("Requests per CSA", "count", csas, csa_values(csas), "en")
    root = check_accessible(rendered)
    check_contrast(root)
    areas = find_by_class(root, "cs-area", "path")
    assert len(areas) == 56
    tips = [a.find(SVG + "title").text for a in areas]  # type: ignore[union-attr]
    assert tips == [
        f"{s.name}: No data" if s.area_id in NO_DATA_CSAS else f"{s.name}: {s.area_id}" for s in csas
    ]
    ends = (12, 24, 34, 46, 56)
    for area, csa in zip(areas, csas, strict=True):
        if csa.area_id in NO_DATA_CSAS:
            assert classes(area) == {"cs-area", "cs-no-data"}
            assert area.get("fill") == f"url(#{rendered.chart_id}-no-data)"
            continue
        k = next(i for i, end in enumerate(ends) if int(csa.area_id) <= end)
        assert classes(area) == {"cs-area", f"cs-class-{k + 1}"}, csa.name
        assert area.get("fill") == BLUES[k]
    by_name = {s.name: a for s, a in zip(csas, areas, strict=True)}
    assert by_name["Canton"].get("fill") == "#eff3ff"  # id 5
    assert by_name["Hamilton"].get("fill") == "#bdd7e7"  # id 24, the top of class 2
    assert by_name["Harford/Echodale"].get("fill") == "#6baed6"  # id 25
    assert by_name["Southern Park Heights"].get("fill") == "#3182bd"  # id 46
    assert by_name["Southwest Baltimore"].get("fill") == "#08519c"  # id 47
    (pattern,) = root.iter(SVG + "pattern")
    assert pattern.get("id") == f"{rendered.chart_id}-no-data"
    legend = [t.text for t in find_by_class(root, "cs-legend", "g")[0].iter(SVG + "text")]
    assert legend == [
        "Count",
        "Darker: higher",
        "47 to 56",
        "35 to 46",
        "25 to 34",
        "13 to 24",
        "1 to 12",
        "No data",
    ]
    swatches = [r.get("fill") for r in find_by_class(root, "cs-legend-class", "rect")]
    assert swatches == BLUES[::-1]
    assert rendered.summary == (
        "Highest: Greenmount East (56); lowest: Allendale/Irvington/S. Hilton (1). 3 of 56 have no data."
    )
    assert rendered.table.columns == ("Area", "Value")
    assert len(rendered.table.rows) == 56
    rows = dict(rendered.table.rows)
    assert (
        rows["Canton"] == "5"
        and rows["Belair-Edison"] == "No data"
        and rows["Penn North/Reservoir Hill"] == "No data"
    )


def test_csa_map_in_spanish_and_with_a_direction(csas: list[AreaShape]) -> None:
    values = csa_values(csas)
    spanish = render_choropleth("Solicitudes", "count", csas, values, "es")
    assert spanish.summary == (
        "Más alto: Greenmount East (56); más bajo: Allendale/Irvington/S. Hilton (1). 3 de 56 no tienen datos."
    )
    legend = [
        t.text for t in find_by_class(check_accessible(spanish), "cs-legend", "g")[0].iter(SVG + "text")
    ]
    assert legend[:3] == ["Cantidad", "Más oscuro: más alto", "47 a 56"] and legend[-1] == "Sin datos"
    lower_better = render_choropleth("Days to close", "days", csas, values, "en", higher_is_better=False)
    assert lower_better.summary == (
        "Best: Allendale/Irvington/S. Hilton (1 day); worst: Greenmount East (56 days). 3 of 56 have no data."
    )
    assert lower_better.table.columns == ("Area", "Value (days)")


def test_values_for_areas_not_on_the_map_are_told_not_dropped(csas: list[AreaShape]) -> None:
    values = {**csa_values(csas), "Jail annex": 7.0}
    rendered = render_choropleth("Requests per CSA", "count", csas, values, "en")
    assert rendered.summary.endswith("3 of 56 have no data. 1 value is for an area not on the map.")
    assert rendered.table.rows[-1] == ("Jail annex", "7")
    assert len(find_by_class(check_accessible(rendered), "cs-area", "path")) == 56


def test_shapes_survive_projection_and_simplification(csas: list[AreaShape]) -> None:
    rendered = render_choropleth("Requests per CSA", "count", csas, csa_values(csas), "en")
    areas = find_by_class(check_accessible(rendered), "cs-area", "path")
    # the projection, computed independently: longitude × cos(middle latitude), fitted to the box
    min_lon, min_lat, max_lon, max_lat = shapely.total_bounds([s.geometry for s in csas])
    shrink = math.cos(math.radians((min_lat + max_lat) / 2))
    scale = min(MAP_BOX / ((max_lon - min_lon) * shrink), MAP_BOX / (max_lat - min_lat))
    assert (max_lat - min_lat) * scale == pytest.approx(MAP_BOX)  # Baltimore is taller than wide
    points = [p for a in areas for ring in read_rings(a.get("d", "")) for p in ring]
    assert (
        min(x for x, _ in points) >= -0.1
        and max(x for x, _ in points) <= (max_lon - min_lon) * shrink * scale + 0.1
    )
    assert min(y for _, y in points) >= -0.1 and max(y for _, y in points) <= MAP_BOX + 0.1
    drawn = [measure_path_area(a.get("d", "")) for a in areas]
    real = [s.geometry.area * shrink * scale**2 for s in csas]
    assert sum(drawn) == pytest.approx(sum(real), rel=0.01)
    for name, got, want in zip([s.name for s in csas], drawn, real, strict=True):
        assert got == pytest.approx(want, rel=0.05, abs=20), name  # small areas: within 20 px²
    group = find_by_class(check_accessible(rendered), "cs-areas", "g")[0]
    assert group.get("transform") == f"translate({PAD},{PAD})"


def test_neighbourhood_map_stays_small(neighbourhoods: list[AreaShape]) -> None:
    assert len(neighbourhoods) == 278
    values = {s.area_id: (None if i % 10 == 0 else i / 278) for i, s in enumerate(neighbourhoods)}
    started = time.perf_counter()
    rendered = render_choropleth("On-time repair", "percent", neighbourhoods, values, "en")
    first = time.perf_counter() - started
    started = time.perf_counter()
    render_choropleth("On-time repair", "percent", neighbourhoods, values, "es")
    cached = time.perf_counter() - started
    size = len(rendered.svg.encode("utf-8"))
    print(
        f"278 neighbourhoods: {size / 1024:.1f} KiB; first render {first * 1000:.0f} ms, then {cached * 1000:.0f} ms"
    )
    root = check_accessible(rendered)
    areas = find_by_class(root, "cs-area", "path")
    assert len(areas) == 278 and all(a.get("d") for a in areas)
    assert sum("cs-no-data" in classes(a) for a in areas) == 28  # i = 0, 10, ..., 270
    assert size < 250 * 1024
