"""citystat.site.areas, .equity and .about: places, one area against the city, a measure by area,
and provenance, against the raw GeoJSON, CSV files and direct SQL on the request rows."""

from __future__ import annotations

import csv
import datetime as dt
import json
from itertools import combinations
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from citystat.analysis.equity import measure_disparity
from citystat.reports.equity import build_equity_report
from citystat.site import InvalidRequestError, NotFoundError, WarehouseReader
from citystat.site.about import get_about, get_city_info
from citystat.site.areas import find_area, list_areas, list_layers, read_area_shapes, read_area_view
from citystat.site.equity import read_measure_equity
from citystat.warehouse import connect
from tests.api.conftest import NHP, PLAN
from tests.conftest import BALTIMORE_LAYERS, BOUNDARIES, SAMPLE_2019

ON_TIME_48H = "trm-pothole-within-48h"
POTHOLE_CODES = ["TRM-Pothole Repair", "TRM-Potholes", "TRM-Pickup Pothole"]


def read_features(layer: str) -> list[dict[str, object]]:
    return json.loads((BOUNDARIES / BALTIMORE_LAYERS[layer]).read_text())["features"]  # type: ignore[no-any-return]


def read_nhp_population() -> dict[str, float]:
    with NHP.open(newline="", encoding="utf-8") as handle:
        return {
            r["CSA"]: float(r["Population"]) for r in csv.DictReader(handle) if r["CSA"] != "Baltimore City"
        }


def test_real_layers_areas_and_shapes(real_reader: WarehouseReader) -> None:
    layers = {info.layer: info for info in list_layers(real_reader)}
    for layer in BALTIMORE_LAYERS:
        assert layers[layer].areas == len(read_features(layer)), layer
    assert layers["csa"].has_population and not layers["neighborhood"].has_population
    population = read_nhp_population()
    areas = list_areas(real_reader, "csa")
    assert {a.label: a.population for a in areas} == {
        label: population.get(label) for label in (a.label for a in areas)
    }
    # Council districts: the shapes are the published polygons (made valid where they were not).
    shapes = {s.area_id: s for s in read_area_shapes(real_reader, "council_district")}
    for feature in read_features("council_district"):
        district = str(feature["properties"]["id"])  # type: ignore[index]
        published = shapely.make_valid(shape(feature["geometry"]))  # type: ignore[arg-type]
        assert shapes[district].geometry.symmetric_difference(published).area < 1e-9 * published.area
    with pytest.raises(NotFoundError):
        list_areas(real_reader, "ward")
    with pytest.raises(NotFoundError):
        find_area(real_reader, "csa", "no-such-area")


def test_real_area_against_the_city(real_reader: WarehouseReader, real_warehouse: Path) -> None:
    population = read_nhp_population()
    con = connect(real_warehouse, read_only=True)
    counts = dict(
        con.execute(
            "SELECT csa, count(*) FROM service_requests WHERE status_flag IS DISTINCT FROM 'duplicate'"
            " AND csa IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    total = con.execute(
        "SELECT count(*) FROM service_requests WHERE status_flag IS DISTINCT FROM 'duplicate'"
    ).fetchone()
    con.close()
    assert total is not None
    label = max(counts, key=lambda k: (counts[k], k))  # the CSA with the most requests
    area = next(a for a in list_areas(real_reader, "csa") if a.label == label)
    view = read_area_view(real_reader, "csa", area.area_id)
    requests = next(m for m in view.measures if m.measure.id == "city-requests")
    assert requests.period_label == "FY2020"
    assert requests.value == counts[label] and requests.city_value == total[0]
    assert requests.per_1000 == pytest.approx(counts[label] / population[label] * 1000, rel=1e-12)
    city_rate = total[0] / sum(population.values()) * 1000
    assert requests.city_per_1000 == pytest.approx(city_rate, rel=1e-12)
    assert requests.difference == pytest.approx(requests.per_1000 - city_rate, rel=1e-9)
    assert requests.rank is None  # a count with no desired direction is not ranked
    # NHP 2017 indicators of this CSA, as published.
    with NHP.open(newline="", encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["CSA"] == label)
    shown = {d.variable: d.value for d in view.demographics}
    assert shown["Population"] == float(row["Population"])
    assert shown["PercentBlackAA"] == pytest.approx(float(row["PercentBlackAA"]))


def hand_gini(values: dict[str, float], weights: dict[str, float]) -> float:
    """Weighted Gini as the mean absolute difference over twice the mean."""
    total = sum(weights.values())
    mean = sum(weights[a] * values[a] for a in values) / total
    pairs = sum(weights[a] * weights[b] * abs(values[a] - values[b]) for a, b in combinations(values, 2))
    return 2 * pairs / (2 * total * total * mean)


def test_demo_equity_by_csa(demo_reader: WarehouseReader, demo_warehouse: Path) -> None:
    (view,) = read_measure_equity(demo_reader, ON_TIME_48H, "csa")
    assert (view.layer, view.grain, view.period_label) == ("csa", "fiscal_year", "FY2026")
    con = connect(demo_warehouse, read_only=True)
    rows = con.execute(
        """
        SELECT csa, count(*) FILTER (WHERE closed_utc IS NOT NULL
                     AND date_diff('second', created_utc, closed_utc) <= 48 * 3600), count(*)
        FROM service_requests
        WHERE service_code IN (SELECT unnest(?::VARCHAR[])) AND status_flag IS DISTINCT FROM 'duplicate'
          AND created_at >= DATE '2025-07-01' AND created_at < DATE '2026-07-01'
        GROUP BY csa
        """,
        [POTHOLE_CODES],
    ).fetchall()
    con.close()
    by_csa = {str(c): (n / d, d) for c, n, d in rows if c is not None}
    areas = {a.label: a for a in view.areas}
    assert set(areas) == set(by_csa)
    for label, (share, rows_used) in by_csa.items():
        assert areas[label].value == pytest.approx(share, rel=1e-12)
        assert areas[label].denominator == rows_used
        assert areas[label].enough is (rows_used >= 10)
    enough = {k: v for k, v in by_csa.items() if v[1] >= 10}
    values, weights = {k: v[0] for k, v in enough.items()}, {k: float(v[1]) for k, v in enough.items()}
    assert view.disparity is not None and view.disparity.basis == "value"
    assert view.disparity.areas == len(enough)
    assert view.disparity.gini == pytest.approx(hand_gini(values, weights), rel=1e-9)
    expected = measure_disparity(values, weights, higher_is_better=True)
    assert view.disparity.quintile_ratio == expected.quintiles.ratio  # type: ignore[union-attr]
    con = connect(demo_warehouse, read_only=True)
    report = build_equity_report(con, layer="csa", measure_id=ON_TIME_48H)
    con.close()
    assert view.requests is not None and view.requests.as_dict() == report.as_dict()
    assert {v.layer for v in read_measure_equity(demo_reader, ON_TIME_48H)} == {
        "neighborhood",
        "csa",
        "council_district",
    }
    with pytest.raises(InvalidRequestError):
        read_measure_equity(demo_reader, ON_TIME_48H, "tract")


def test_about_real(real_reader: WarehouseReader) -> None:
    about = get_about(real_reader)
    assert not about.city.synthetic and about.city.name == "Baltimore City"
    assert get_city_info(real_reader) == about.city
    files = {s.file for s in about.sources}
    assert set(BALTIMORE_LAYERS.values()) | {SAMPLE_2019.name, NHP.name} <= files
    assert all("/" not in s.file for s in about.sources)  # no server paths
    with SAMPLE_2019.open(newline="", encoding="utf-8") as handle:
        created = [
            dt.datetime.strptime(r["CreatedDate"], "%m/%d/%Y %I:%M:%S %p") for r in csv.DictReader(handle)
        ]
    assert about.service_requests == len(created) == 3000
    assert (about.first_created, about.last_created) == (min(created), max(created))
    assert about.as_of.requests == max(created).date()
    with (PLAN / "measure_actuals.csv").open(newline="", encoding="utf-8") as handle:
        quarters = [
            (int(r["fiscal_year"]), q)
            for r in csv.DictReader(handle)
            for q in (1, 2, 3, 4)
            if r[f"q{q}_value"].strip()
        ]
    year, quarter = max(quarters)
    end_month = (6 + 3 * quarter) % 12 or 12  # Q1 ends in September (fiscal years start in July)
    end_year = year - 1 if end_month >= 7 else year
    assert about.as_of.reported == dt.date(end_year + end_month // 12, end_month % 12 + 1, 1) - dt.timedelta(
        days=1
    )
    assert [entry.load_id for entry in about.loads] == sorted((e.load_id for e in about.loads), reverse=True)
    flagged = {q.reason: q.rows for q in about.quarantine if q.action == "flagged"}
    assert flagged["outside the city boundary"] == 25  # PROVENANCE.md of the 2019 extract
    assert flagged["not a number"] == 149  # the plan export's unreadable cells
