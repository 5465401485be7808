"""API catalog, analysis, equity, score, areas and about over real HTTP, against the catalog's
YAML files, hand SQL on the warehouse, the plan's CSV files and the site layer."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from citystat.analysis.xmr import RULE_TITLES
from citystat.site import WarehouseReader
from citystat.site.catalog import CADENCE_GRAINS
from citystat.site.equity import read_measure_equity
from citystat.site.home import get_score
from tests.api.test_api_values import query, walk_pages
from tests.api.test_site_catalog import read_yaml_catalog
from tests.api.test_site_measure import POTHOLE, pothole_medians, read_actuals

PREFIX = "/api/v1"


def get(base: str, path: str, **params: Any) -> Any:
    response = httpx.get(f"{base}{PREFIX}{path}", params=params, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_index_links_all_answer(demo_api: str) -> None:
    index = get(demo_api, "/")
    assert index["synthetic"] is True and index["openapi"] == "/api/v1/openapi.json"
    assert [link["rel"] for link in index["links"]] == [
        "agencies",
        "measures",
        "score",
        "areas",
        "about",
        "openapi",
    ]
    for link in index["links"]:
        assert httpx.get(demo_api + link["href"], timeout=60).status_code == 200, link


def test_agencies_and_measures_are_the_catalog_files(demo_api: str) -> None:
    files = read_yaml_catalog()
    agencies = get(demo_api, "/agencies")
    assert {a["name"]: a["measure_count"] for a in agencies["items"]} == dict(
        Counter(str(raw["agency"]) for raw in files.values())
    )
    assert agencies["total"] == len(agencies["items"])
    with httpx.Client(base_url=demo_api) as client:
        items, pages = walk_pages(client, f"{PREFIX}/measures?limit=7")
    assert len(pages) == 6 and pages[0]["total"] == 41
    assert sorted(i["id"] for i in items) == sorted(files)  # every measure once
    transport = get(demo_api, "/agencies/transportation")
    assert transport["agency"]["name"] == "Transportation"
    ids = {m["id"] for m in transport["measures"]}
    assert ids == {k for k, raw in files.items() if raw["agency"] == "Transportation"}
    listed = get(demo_api, "/measures", agency="transportation")
    assert {m["id"] for m in listed["items"]} == ids
    # Search ranks name matches first; every hit has the word.
    found = get(demo_api, "/measures", q="pothole")
    assert found["total"] >= 2 and all("pothole" in m["id"] for m in found["items"])
    pillar = get(demo_api, "/measures", pillar="6")
    expected = {k for k, raw in files.items() if str((raw.get("action_plan") or {}).get("pillar", "")) == "6"}
    assert expected and {m["id"] for m in pillar["items"]} == expected


def test_measure_definition(demo_api: str) -> None:
    raw = read_yaml_catalog()["trm-pothole-within-48h"]
    body = get(demo_api, "/measures/trm-pothole-within-48h")
    assert (body["name"], body["unit"], body["direction"], body["kind"]) == (
        raw["title"],
        raw["unit"],
        raw["direction"],
        "computed",
    )
    assert {t["fiscal_year"]: t["value"] for t in body["targets"]} == raw["targets"]
    assert body["action_plan"]["pillar_id"] == "6" and body["action_plan"]["goal_code"] == "6.2"
    assert [s["id"] for s in body["budget_services"]] == ["SRV0683"]
    assert [v["version"] for v in body["versions"]] == [1]
    month = next(g for g in body["grains"] if g["grain"] == "month")
    assert (month["first_label"], month["last_label"], month["periods"]) == ("2023-07", "2026-06", 36)
    assert body["default_grain"] == "month"
    assert body["links"]["csv"] == "/api/v1/measures/trm-pothole-within-48h/values.csv"


def test_analysis_holds_the_hand_computed_medians(demo_api: str, demo_warehouse: Path) -> None:
    body = get(demo_api, f"/measures/{POTHOLE}/analysis")
    medians = pothole_medians(demo_warehouse)
    assert body["grain"] == "month" and [p["label"] for p in body["points"]] == sorted(medians)
    for point in body["points"]:
        median, rows = medians[point["label"]]
        assert point["value"] == pytest.approx(median, rel=1e-12)
        assert point["denominator"] == rows and point["target"] == 48.0
    # Rule 1 signals: the points outside the limits of their segment, named by rule.
    (segment,) = body["segments"]
    outside = {
        p["label"]
        for p in body["points"]
        if p["charted"] and (p["value"] > segment["upper"] or p["value"] < segment["lower"])
    }
    rule1 = {label for s in body["signals"] if s["rule"] == "outside_limits" for label in s["points"]}
    assert outside and rule1 == outside
    assert all(s["title"] == RULE_TITLES[s["rule"]] for s in body["signals"])
    change = body["change"]
    assert (change["previous_label"], change["label"]) == ("2026-05", "2026-06")
    assert change["difference"] == pytest.approx(medians["2026-06"][0] - medians["2026-05"][0], rel=1e-12)
    assert body["latest"]["label"] == "2026-06"
    yearly = get(demo_api, f"/measures/{POTHOLE}/analysis", grain="fiscal_year")
    assert [p["label"] for p in yearly["points"]] == ["FY2024", "FY2025", "FY2026"]
    assert yearly["chart_status"] == "not enough data"


def test_equity_by_area(demo_api: str, demo_reader: WarehouseReader, demo_warehouse: Path) -> None:
    body = get(demo_api, "/measures/city-requests/equity", layer="csa")
    (layer,) = body["layers"]
    stored = dict(
        query(
            demo_warehouse,
            "SELECT dimension_value, value FROM measure_values WHERE measure_id = 'city-requests'"
            " AND grain = 'fiscal_year' AND dimension = 'csa' AND period_label = 'FY2026'"
            " AND dimension_value <> ''",
        )
    )
    assert layer["period_label"] == "FY2026" and len(stored) == 12
    assert {a["label"]: a["value"] for a in layer["areas"]} == stored
    population = dict(
        query(
            demo_warehouse,
            "SELECT area_key, value FROM demographics WHERE layer = 'csa' AND variable = 'Population'",
        )
    )
    for area in layer["areas"]:
        assert area["per_1000"] == pytest.approx(stored[area["label"]] / population[area["label"]] * 1000)
    (site,) = read_measure_equity(demo_reader, "city-requests", "csa")
    assert site.disparity is not None and layer["disparity"]["gini"] == pytest.approx(site.disparity.gini)
    assert layer["requests"]["city_rate_per_1000"] == pytest.approx(site.requests.rates.city_rate)  # type: ignore[union-attr]
    every = get(demo_api, "/measures/city-requests/equity")
    assert [v["layer"] for v in every["layers"]] == ["neighborhood", "csa", "council_district"]
    wrong = httpx.get(f"{demo_api}{PREFIX}/measures/city-requests/equity", params={"layer": "tract"})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "bad_request"
    assert "area layers: neighborhood, csa, council_district" in wrong.json()["error"]["message"]
    moon = httpx.get(f"{demo_api}{PREFIX}/measures/city-requests/equity", params={"layer": "moon"})
    assert moon.status_code == 400 and "layer" in moon.json()["error"]["message"]


def test_score_is_the_site_score(demo_api: str, demo_reader: WarehouseReader) -> None:
    body = get(demo_api, "/score")
    score = get_score(demo_reader)
    assert score is not None
    assert (body["period_label"], body["score"], body["scored"]) == (
        score.period_label,
        score.score,
        score.scored,
    )
    scored = [c for c in body["contributions"] if c["status"] == "scored"]
    assert len(scored) == body["scored"]
    # The composite is the mean of the capped measure scores.
    assert body["score"] == pytest.approx(sum(c["score"] for c in scored) / len(scored))
    assert all(c["score"] <= body["cap"] for c in scored)


def test_areas_and_about(demo_api: str, demo_warehouse: Path) -> None:
    layers = get(demo_api, "/areas")["items"]
    counts = dict(query(demo_warehouse, "SELECT layer, count(*) FROM boundaries GROUP BY 1"))
    assert {layer["layer"]: layer["areas"] for layer in layers} == counts
    csa = get(demo_api, "/areas/csa")
    assert csa["total"] == counts["csa"] == 12
    first = csa["items"][0]
    area = get(demo_api, f"/areas/csa/{first['area_id']}")
    assert area["area"]["label"] == first["label"]
    requests = next(a for a in area["measures"] if a["measure"]["id"] == "city-requests")
    stored = query(
        demo_warehouse,
        "SELECT value FROM measure_values WHERE measure_id = 'city-requests' AND grain = 'fiscal_year'"
        " AND dimension = 'csa' AND dimension_value = ? AND period_label = 'FY2026'",
        [first["label"]],
    )
    assert (requests["period_label"], requests["value"]) == ("FY2026", stored[0][0])
    about = get(demo_api, "/about")
    (requests_count, values_count) = query(
        demo_warehouse,
        "SELECT (SELECT count(*) FROM service_requests), (SELECT count(*) FROM measure_values)",
    )[0]
    assert (about["service_requests"], about["values"], about["measures"]) == (
        requests_count,
        values_count,
        41,
    )
    assert about["city"]["synthetic"] is True
    quarantined = dict(query(demo_warehouse, "SELECT reason, count(*) FROM quarantine GROUP BY 1"))
    assert {q["reason"]: q["rows"] for q in about["quarantine"]} == quarantined
    assert all("/" not in s["file"] for s in about["sources"])  # no server paths
    missing = httpx.get(f"{demo_api}{PREFIX}/areas/csa/no-such-area")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_real_plan_measure(real_api: str) -> None:
    body = get(real_api, "/measures/plan-290/analysis")
    assert body["grain"] == "fiscal_quarter"
    actuals = read_actuals("290")
    assert {p["label"]: p["value"] for p in body["points"]} == actuals
    q1 = next(p for p in body["points"] if p["label"] == "FY2026 Q1")
    assert q1["grade"] == "C" and any("above 1" in r for r in q1["quality_reasons"])
    values = get(real_api, "/measures/plan-529/values", grain="fiscal_quarter")
    assert {i["period_label"]: i["value"] for i in values["items"]} == read_actuals("529")
    # A plan measure with no values stored yet: its definition, and no values (not an error).
    empty = get(real_api, "/measures/plan-606")
    assert empty["grains"] == [] and empty["default_grain"] is None
    none = get(real_api, "/measures/plan-606/values")
    assert (none["total"], none["items"], none["next"]) == (0, [], None)
    assert none["grain"] == CADENCE_GRAINS[empty["cadence"]]
    about = get(real_api, "/about")
    assert about["city"]["synthetic"] is False and about["service_requests"] > 0
