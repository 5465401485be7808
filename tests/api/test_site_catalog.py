"""citystat.site.catalog: what the site says each measure is, checked against the sources the
warehouse was built from: the built-in catalog's YAML files (read here with yaml, not citystat)
and the real performance plan's CSV files (read here with csv)."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from citystat.catalog.load import builtin_catalog_dir
from citystat.site import WarehouseReader
from citystat.site.catalog import (
    find_agency,
    find_measure,
    get_catalog,
    list_agencies,
    list_measures,
    search_measures,
    slugify,
)
from citystat.site.errors import NotFoundError
from tests.api.conftest import PLAN


def read_yaml_catalog() -> dict[str, dict[str, object]]:
    folder = builtin_catalog_dir("baltimore")
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.yaml"))}


def read_plan_csv(name: str) -> list[dict[str, str]]:
    with (PLAN / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_demo_measures_are_the_catalog_files(demo_reader: WarehouseReader) -> None:
    files = read_yaml_catalog()
    measures = list_measures(demo_reader)
    assert len(files) == 41
    assert {m.id for m in measures} == set(files)
    for m in measures:
        raw = files[m.id]
        assert m.name == raw["title"]
        assert m.definition == raw["definition"]
        assert (m.unit, m.direction, m.cadence, m.kind) == (
            raw["unit"],
            raw["direction"],
            raw["cadence"],
            "computed",
        )
        assert m.equity is bool(raw.get("equity", False))
        assert list(m.processes) == raw.get("processes", [])
        assert {t.fiscal_year: t.value for t in m.targets} == raw.get("targets", {})
        assert [v.version for v in m.versions] == [1]
        assert m.default_grain == {"monthly": "month", "weekly": "week"}[str(raw["cadence"])]
    pothole = find_measure(demo_reader, "trm-pothole-within-48h")
    assert pothole.action_plan is not None
    assert (pothole.action_plan.pillar_id, pothole.action_plan.goal_code) == ("6", "6.2")
    assert pothole.action_plan.pillar_name is None  # the demo city has no performance plan
    assert [s.id for s in pothole.budget_services] == ["SRV0683"]
    # The demo's window: 36 months ending June 2026; computed at the engine's default grains.
    month = pothole.stored("month")
    assert month is not None and (month.first_label, month.last_label, month.periods) == (
        "2023-07",
        "2026-06",
        36,
    )
    assert [g.grain for g in pothole.grains] == ["fiscal_quarter", "fiscal_year", "month", "week"]
    assert set(month.dimensions) == {"neighborhood", "csa", "council_district"}
    assert pothole.area_layers == ("neighborhood", "csa", "council_district")


def test_demo_agencies_count_their_measures(demo_reader: WarehouseReader) -> None:
    counted = Counter(str(raw["agency"]) for raw in read_yaml_catalog().values())
    agencies = list_agencies(demo_reader)
    assert {a.name: a.measure_count for a in agencies} == dict(counted)
    # Counted by hand from the YAML files' agency lines.
    solid_waste = find_agency(demo_reader, "public-works-solid-waste")
    assert (solid_waste.name, solid_waste.measure_count, solid_waste.reported_count) == (
        "Public Works - Solid Waste",
        11,
        0,
    )
    assert find_agency(demo_reader, "transportation").measure_count == 8
    assert [m.id for m in list_measures(demo_reader, agency_id="health")] == [
        "hlth-food-complaint-on-time",
        "hlth-requests",
    ]
    with pytest.raises(NotFoundError):
        find_agency(demo_reader, "no-such-agency")
    with pytest.raises(NotFoundError):
        find_measure(demo_reader, "no-such-measure")
    assert slugify("Housing and Community Development") == "housing-and-community-development"
    assert slugify("M-R Office of Art & Culture") == "m-r-office-of-art-culture"


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def test_search_finds_every_measure_naming_the_words(demo_reader: WarehouseReader) -> None:
    files = read_yaml_catalog()

    def mentions(raw: dict[str, object], token: str) -> bool:
        text = " ".join(str(raw.get(k, "")) for k in ("title", "id", "agency", "definition"))
        return any(w.startswith(token) for w in words(text))

    for query in ("pothole", "Trash", "median days", "water leak"):
        tokens = words(query)
        expected = {mid for mid, raw in files.items() if all(mentions(raw, t) for t in tokens)}
        hits = search_measures(demo_reader, query)
        assert {h.measure.id for h in hits} == expected, query
        assert expected
        # Ranked: a measure whose name holds every word comes before one whose name does not.
        in_name = [all(any(w.startswith(t) for w in words(h.measure.name)) for t in tokens) for h in hits]
        assert in_name == sorted(in_name, reverse=True), query
    assert search_measures(demo_reader, "   ") == ()
    assert search_measures(demo_reader, "zzzz-no-such-word") == ()


def test_real_catalog_holds_every_plan_measure_and_the_action_plan(real_reader: WarehouseReader) -> None:
    catalog = get_catalog(real_reader)
    measures = read_plan_csv("measures.csv")
    reported = {m.id for m in catalog.measures.values() if m.kind == "reported"}
    assert reported == {f"plan-{r['measure_id']}" for r in measures}
    assert len(reported) == 701
    # Pillars and goals as the plan's CSV files list them.
    pillars = sorted(read_plan_csv("map2026_pillar.csv"), key=lambda r: int(r["sort_order"]))
    assert [(p.id, p.name) for p in catalog.pillars] == [(r["pillar_id"], r["pillar_name"]) for r in pillars]
    goals = read_plan_csv("map2026_pillar_goal.csv")
    for pillar in catalog.pillars:
        assert {g.code: g.title for g in pillar.goals} == {
            r["goal_code"]: r["goal_title"] for r in goals if r["pillar_id"] == pillar.id
        }
    pothole = catalog.find_measure("trm-pothole-within-48h")
    goal = next(r for r in goals if r["goal_code"] == "6.2")
    assert pothole.action_plan is not None
    assert pothole.action_plan.goal_title == goal["goal_title"]
    assert pothole.action_plan.pillar_name == next(p["pillar_name"] for p in pillars if p["pillar_id"] == "6")
    # One plan measure, field by field against measures.csv and measure_actuals.csv.
    row = next(r for r in measures if r["measure_id"] == "529")
    info = catalog.find_measure("plan-529")
    assert (info.name, info.definition, info.unit, info.direction, info.cadence) == (
        row["title"],
        row["description"],
        "count",
        "up",
        "quarterly",
    )
    targets = {
        int(a["fiscal_year"]): float(a["target_value"])
        for a in read_plan_csv("measure_actuals.csv")
        if a["measure_id"] == "529" and a["target_value"]
    }
    assert (
        {t.fiscal_year: t.value for t in info.targets}
        == targets
        == {
            2024: 125000.0,
            2025: 125000.0,
            2026: 125000.0,
            2027: 0.0,
        }
    )
    assert info.default_grain == "fiscal_quarter"
    # Agencies: the plan's and the catalog's owners side by side; counts add up to every measure.
    agencies = list_agencies(real_reader)
    assert sum(a.measure_count for a in agencies) == 742
    assert len({a.id for a in agencies}) == len(agencies)


def test_agency_ids_are_url_safe(real_reader: WarehouseReader) -> None:
    for agency in list_agencies(real_reader):
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", agency.id), agency
        assert Path(agency.id).name == agency.id
