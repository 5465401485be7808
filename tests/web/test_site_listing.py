"""citystat.site.listing: the agency and measure lists the pages show, against the catalog's own
lists, the plan's CSV and the search ranking."""

from __future__ import annotations

import csv

import pytest

from citystat.site import NotFoundError, WarehouseReader
from citystat.site.catalog import list_agencies, list_measures, search_measures
from citystat.site.home import get_score, read_home
from citystat.site.listing import (
    Paging,
    count_plan_measures,
    cut_page,
    list_units,
    read_agency_list,
    read_measure_list,
    read_score_page,
)
from tests.api.conftest import PLAN


def test_the_whole_list_is_every_active_measure(demo_reader: WarehouseReader) -> None:
    listing = read_measure_list(demo_reader)
    assert [i.card.id for i in listing.items] == [m.id for m in list_measures(demo_reader)]
    assert listing.total == len(listing.items) == 41
    assert all(i.matched == () for i in listing.items)
    assert (listing.query, listing.agency, listing.pillar) == ("", None, None)


def test_search_keeps_the_ranking_and_says_why(real_reader: WarehouseReader) -> None:
    listing = read_measure_list(real_reader, query="  pothole  ")
    hits = search_measures(real_reader, "pothole", limit=None)
    assert listing.query == "pothole"
    assert [(i.card.id, i.matched) for i in listing.items] == [(h.measure.id, h.matched) for h in hits]
    assert {i.card.id for i in listing.items} == {
        "plan-532",
        "plan-531",
        "trm-pothole-median-hours",
        "trm-pothole-requests",
        "trm-pothole-within-48h",
    }
    assert listing.total == 742


def test_filters_by_agency_and_pillar(real_reader: WarehouseReader) -> None:
    by_agency = read_measure_list(real_reader, agency_id="transportation")
    assert {i.card.id for i in by_agency.items} == {
        m.id for m in list_measures(real_reader, agency_id="transportation")
    }
    assert len(by_agency.items) == 64
    with (PLAN / "measures.csv").open(newline="", encoding="utf-8") as handle:
        in_pillar_6 = {f"plan-{r['measure_id']}" for r in csv.DictReader(handle) if r["pillar_id"] == "6"}
    by_pillar = read_measure_list(real_reader, pillar_id="6")
    # the plan's own measures of pillar 6, and the computed measure linked to goal 6.2
    assert {i.card.id for i in by_pillar.items} == in_pillar_6 | {"trm-pothole-within-48h"}
    both = read_measure_list(real_reader, query="pothole", agency_id="transportation", pillar_id="6")
    assert [i.card.id for i in both.items] == ["trm-pothole-within-48h"]
    with pytest.raises(NotFoundError):
        read_measure_list(real_reader, agency_id="nobody")
    with pytest.raises(NotFoundError):
        read_measure_list(real_reader, pillar_id="99")


def test_agency_list_carries_each_agency_score(demo_reader: WarehouseReader) -> None:
    listing = read_agency_list(demo_reader)
    score = get_score(demo_reader)
    assert score is not None and listing.period_label == score.period_label == "FY2026 Q4"
    assert [r.agency for r in listing.agencies] == list(list_agencies(demo_reader))
    transport = next(r for r in listing.agencies if r.agency.id == "transportation")
    assert transport.score is not None and transport.score.scored == 4
    assert transport.score == next(a for a in score.agencies if a.agency_id == "transportation")


def test_plan_measures_and_units(demo_reader: WarehouseReader, real_reader: WarehouseReader) -> None:
    # demo: the catalog links 6 computed measures to goals 3.3, 4.1, 5.3 and 6.2
    demo = read_home(demo_reader)
    assert (
        count_plan_measures(demo)
        == 6
        == len({c.id for p in demo.pillars for g in p.goals for c in g.measures})
    )
    real = read_home(real_reader)
    with (PLAN / "measures.csv").open(newline="", encoding="utf-8") as handle:
        linked = {r["measure_id"] for r in csv.DictReader(handle) if r["pillar_id"]}
    goal_linked = {c.id for p in real.pillars for g in p.goals for c in g.measures}
    assert count_plan_measures(real) == len(linked) + len(goal_linked)
    units = list_units(real_reader)
    assert units["trm-pothole-within-48h"] == "percent" and len(units) >= 742


def test_long_lists_come_a_page_at_a_time(real_reader: WarehouseReader) -> None:
    every = [m.id for m in list_measures(real_reader)]
    pages = [read_measure_list(real_reader, page=n) for n in range(1, 9)]
    assert [p.paging.page for p in pages] == list(range(1, 9))
    assert {p.paging.pages for p in pages} == {8} and {p.paging.rows for p in pages} == {742}
    assert [i.card.id for p in pages for i in p.items] == every  # 7 pages of 100 and one of 42
    assert (pages[-1].paging.first, pages[-1].paging.last) == (701, 742)
    with pytest.raises(NotFoundError):
        read_measure_list(real_reader, page=9)
    with pytest.raises(NotFoundError):
        read_measure_list(real_reader, page=0)
    score = read_score_page(real_reader, 5)
    assert score is not None and score.paging == Paging(5, 5, 401, 446, 446)
    assert score.contributions == score.score.contributions[400:]


def test_an_empty_list_is_one_empty_page() -> None:
    assert cut_page([], 1) == ((), Paging(1, 1, 0, 0, 0))
    assert cut_page(list(range(5)), 1, size=2) == ((0, 1), Paging(1, 3, 1, 2, 5))
