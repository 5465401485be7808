"""citystat.site.home: the composite score recomputed here from the stored values and the catalog's
rules, the Action Plan tree against the YAML files and the plan's CSV, what changed against the
measure views, and agency pages."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from citystat.catalog.load import builtin_catalog_dir
from citystat.site import NotFoundError, WarehouseReader
from citystat.site.catalog import list_measures
from citystat.site.home import SCORE_GRAIN, read_agency_view, read_home
from citystat.site.measure import get_measure_views
from citystat.warehouse import connect
from tests.api.conftest import PLAN


def hand_score(warehouse: Path, label: str) -> tuple[float, int, dict[str, tuple[float, int]]]:
    """The composite of one fiscal quarter by the documented rules: value/target (up),
    target/value (down), capped to [0, 2]; ratios and statistics on fewer than 10 rows, measures
    without a direction or a target for the year, left out. Citywide mean and per-agency means."""
    files = {p.stem: yaml.safe_load(p.read_text()) for p in builtin_catalog_dir("baltimore").glob("*.yaml")}
    con = connect(warehouse, read_only=True)
    rows = con.execute(
        "SELECT v.measure_id, v.period_start, v.value, v.denominator, t.value FROM measure_values v"
        " LEFT JOIN measure_targets t ON t.measure_id = v.measure_id"
        "  AND t.fiscal_year = year(v.period_start) + (month(v.period_start) >= 7)::INT"
        " WHERE v.grain = 'fiscal_quarter' AND v.dimension = '' AND v.period_label = ?",
        [label],
    ).fetchall()
    con.close()
    scores: dict[str, float] = {}
    for measure_id, _, value, rows_used, target in rows:
        raw = files[measure_id]
        direction, aggregate = raw["direction"], raw["computation"]["aggregate"]
        if direction not in ("up", "down") or target is None or value is None or target == 0:
            continue
        if aggregate != "count" and (rows_used or 0) < 10:
            continue
        ratio = (2.0 if value == 0 else target / value) if direction == "down" else value / target
        scores[measure_id] = min(max(ratio, 0.0), 2.0)
    by_agency: dict[str, list[float]] = defaultdict(list)
    for measure_id, score in scores.items():
        by_agency[str(files[measure_id]["agency"])].append(score)
    agencies = {a: (sum(v) / len(v), len(v)) for a, v in by_agency.items()}
    return sum(scores.values()) / len(scores), len(scores), agencies


def test_demo_score_is_the_hand_computed_composite(
    demo_reader: WarehouseReader, demo_warehouse: Path
) -> None:
    home = read_home(demo_reader)
    score = home.score
    assert score is not None and score.grain == SCORE_GRAIN == "fiscal_quarter"
    assert score.period_label == "FY2026 Q4"  # April-June 2026, the demo's last quarter
    expected, scored, agencies = hand_score(demo_warehouse, "FY2026 Q4")
    assert score.score == pytest.approx(expected, rel=1e-12)
    assert score.scored == scored
    for agency in score.agencies:
        if agency.agency in agencies:
            assert (agency.score, agency.scored) == (
                pytest.approx(agencies[agency.agency][0]),
                agencies[agency.agency][1],
            )
        else:
            assert (agency.score, agency.scored) == (None, 0)
    assert sum(1 for c in score.contributions if c.status == "scored") == scored
    assert {p.label for p in score.history} >= {"FY2024 Q1", "FY2026 Q4"}
    assert home.city.synthetic and home.city.name.startswith("Chesapeake Point")


def test_demo_action_plan_tree_is_the_catalog_links(demo_reader: WarehouseReader) -> None:
    links: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in builtin_catalog_dir("baltimore").glob("*.yaml"):
        raw = yaml.safe_load(path.read_text())
        if raw.get("action_plan"):
            links[(str(raw["action_plan"]["pillar"]), str(raw["action_plan"]["goal"]))].add(raw["id"])
    home = read_home(demo_reader)
    tree = {(p.id, g.code): {c.id for c in g.measures} for p in home.pillars for g in p.goals}
    assert tree == dict(links)
    assert [p.id for p in home.pillars] == ["3", "4", "5", "6"]
    assert all(p.name is None and not p.measures for p in home.pillars)


def test_what_changed_is_every_signal_or_new_status_in_the_newest_period(
    demo_reader: WarehouseReader,
) -> None:
    views = get_measure_views(demo_reader)
    newest: dict[str, dt.date] = {}
    for view in views.values():
        if view.latest is not None:
            newest[view.grain] = max(
                newest.get(view.grain, view.latest.period_start), view.latest.period_start
            )
    expected = set()
    for view in views.values():
        valued = [p for p in view.points if p.value is not None]
        if len(valued) < 2 or valued[-1].period_start != newest[view.grain]:
            continue
        if valued[-1].signals or valued[-1].status != valued[-2].status:
            expected.add(view.info.id)
    changes = read_home(demo_reader).changes
    assert {c.id for c in changes} == expected
    assert expected
    flags = [c.signal for c in changes]
    assert flags == sorted(flags, reverse=True)  # signals first


def test_agency_view(demo_reader: WarehouseReader) -> None:
    agency = read_agency_view(demo_reader, "transportation")
    assert {c.id for c in agency.measures} == {
        m.id for m in list_measures(demo_reader, agency_id="transportation")
    }
    pothole = next(c for c in agency.measures if c.id == "trm-pothole-median-hours")
    view = get_measure_views(demo_reader)["trm-pothole-median-hours"]
    assert view.latest is not None
    assert (pothole.latest_label, pothole.latest_value, pothole.status) == (
        view.latest.label,
        view.latest.value,
        view.latest.status,
    )
    score = read_home(demo_reader).score
    assert score is not None and agency.score == next(
        a for a in score.agencies if a.agency_id == "transportation"
    )
    with pytest.raises(NotFoundError):
        read_agency_view(demo_reader, "nobody")


def test_real_action_plan_tree(real_reader: WarehouseReader) -> None:
    with (PLAN / "measures.csv").open(newline="", encoding="utf-8") as handle:
        by_pillar: dict[str, set[str]] = defaultdict(set)
        for row in csv.DictReader(handle):
            if row["pillar_id"]:
                by_pillar[row["pillar_id"]].add(f"plan-{row['measure_id']}")
    home = read_home(real_reader)
    assert [p.id for p in home.pillars] == ["1", "2", "3", "4", "5", "6"]
    for pillar in home.pillars:
        # Plan measures name a pillar only (their goal ids are not published): listed under the pillar.
        assert {c.id for c in pillar.measures} == by_pillar.get(pillar.id, set())
    goal = next(g for p in home.pillars for g in p.goals if g.code == "6.2")
    assert {c.id for c in goal.measures} == {"trm-pothole-within-48h"}
    assert home.score is not None and home.score.period_label == "FY2026 Q3"
    assert home.as_of.requests == dt.date(2019, 10, 21) and home.as_of.reported == dt.date(2026, 3, 31)
