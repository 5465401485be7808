"""What the pages say, against numbers worked out independently: the composite score recomputed by
hand from the stored values (the site tests' rules), measure counts per agency from a DuckDB query
of the definitions, the search's hits, the loads and quarantine counts from the warehouse's own
tables and the 2019 extract's 3,000 rows. Real HTTP against the live servers; pages read with the
crawl's parser."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest

from citystat.i18n import format_number
from citystat.site import WarehouseReader
from citystat.site.home import read_agency_view, read_home
from citystat.warehouse import connect
from citystat.web.words import STATUS_WORDS
from tests.api.test_site_home import hand_score
from tests.web.crawl import Node, PageTree, squash
from tests.web.html import say_period


def fetch(base: str, path: str, lang: str = "en", status: int = 200) -> PageTree:
    response = httpx.get(base + path, headers={"Accept-Language": lang}, timeout=60)
    assert response.status_code == status, path
    tree = PageTree(response.text)
    assert tree.errors == []
    return tree


def read_table(tree: PageTree, caption_start: str) -> list[list[str]]:
    """The body rows of the table whose caption starts with ``caption_start``, as cell texts."""
    for table in tree.find_all("table"):
        caption = next((n for n in table.walk() if n.tag == "caption"), None)
        if caption is not None and caption.text().startswith(caption_start):
            body = next(n for n in table.walk() if n.tag == "tbody")
            rows = [n for n in body.walk() if n.tag == "tr"]
            return [[c.text() for c in row.children if isinstance(c, Node)] for row in rows]
    raise AssertionError(f"no table captioned {caption_start!r}")


def read_text(tree: PageTree, css_class: str) -> list[str]:
    return [n.text() for n in tree.root.walk() if css_class in n.classes]


def count_agency_measures(warehouse: Path) -> dict[str, int]:
    """Measures per agency by SQL: the newest version of each definition, retired ones left out,
    no agency counted as Citywide."""
    con = connect(warehouse, read_only=True)
    try:
        rows = con.execute(
            "SELECT coalesce(json_extract_string(definition, '$.agency'), 'Citywide'), count(*) FROM ("
            "  SELECT definition FROM measure_definitions"
            "  QUALIFY version = max(version) OVER (PARTITION BY measure_id))"
            " WHERE NOT coalesce(json_extract(definition, '$.retired')::BOOLEAN, false)"
            " GROUP BY 1"
        ).fetchall()
    finally:
        con.close()
    return {str(a): int(n) for a, n in rows}


def test_home_shows_the_hand_computed_score(demo_api: str, demo_warehouse: Path) -> None:
    expected, scored, _ = hand_score(demo_warehouse, "FY2026 Q4")
    tree = fetch(demo_api, "/")
    assert read_text(tree, "cs-score__number") == [format_number("en", expected, 2)] == ["0.92"]
    assert read_text(tree, "cs-score__period") == ["in FY2026 Q4"]
    assert f"average over {scored} measures" in squash(tree.root.text())
    assert scored == 17
    spanish = fetch(demo_api, "/", lang="es")
    assert read_text(spanish, "cs-score__number") == ["0,92"]


def test_real_home_shows_its_score_and_plan(real_api: str, real_reader: WarehouseReader) -> None:
    """Real plan measures are defined in the warehouse, not in YAML files the hand rules read: the
    score shown is the site layer's (held to the hand rules on the demo city above)."""
    home = read_home(real_reader)
    assert home.score is not None and home.score.score is not None
    tree = fetch(real_api, "/")
    assert read_text(tree, "cs-score__number") == [format_number("en", home.score.score, 2)] == ["0.81"]
    assert read_text(tree, "cs-score__period") == ["in FY2026 Q3"]
    h3 = [n.text() for n in tree.find_all("h3")]
    assert "Pillar 6: Modernizing Public Infrastructure" in h3
    goals = [n.text() for n in tree.find_all("h4")]
    assert any(
        g.startswith("Goal 6.2: Maintain and Enhance the City's Transportation Network") for g in goals
    )
    cards = read_text(tree, "cs-card__title")
    in_plan = {c.name for p in home.pillars for c in p.measures} | {
        c.name for p in home.pillars for g in p.goals for c in g.measures
    }
    assert in_plan <= set(cards)
    assert "Potholes repaired within 48 hours" in cards
    assert len(read_text(tree, "cs-pillar")) == 6


def test_agency_list_counts_match_the_definitions(real_api: str, real_warehouse: Path) -> None:
    counts = count_agency_measures(real_warehouse)
    rows = read_table(fetch(real_api, "/agencies"), "Agencies, their measures")
    shown = {row[0]: int(row[1].replace(",", "")) for row in rows}
    assert shown == counts
    assert shown["Transportation"] == 64 and shown["Health"] == 58 and len(shown) == 41
    # computed + reported = all, per agency
    assert all(int(r[2]) + int(r[3]) == int(r[1].replace(",", "")) for r in rows)


def test_agency_page_lists_its_measures_with_their_status(
    demo_api: str, demo_reader: WarehouseReader, demo_warehouse: Path
) -> None:
    view = read_agency_view(demo_reader, "transportation")
    tree = fetch(demo_api, "/agencies/transportation")
    rows = read_table(tree, "Each measure's latest value")
    assert [r[0] for r in rows] == [c.name for c in view.measures]
    assert len(rows) == count_agency_measures(demo_warehouse)["Transportation"] == 8
    for row, card in zip(rows, view.measures, strict=True):
        assert row[1] == say_period(card.latest_label)
        assert row[4] == STATUS_WORDS[card.status]
        assert row[6] == (card.grade or "–")
        assert row[5] == ("◆ Yes" if card.signal else "No")
    pothole = next(r for r in rows if r[0] == "Potholes repaired within 48 hours")
    assert (
        pothole[2] == "26.1%" and pothole[3] == "80%" and pothole[4] == "Missed target"
    )  # 6 of 23 in June 2026
    assert view.score is not None
    assert read_text(tree, "cs-score__number") == [format_number("en", view.score.score or 0, 2)] == ["0.63"]


def test_search_finds_the_pothole_measures(real_api: str) -> None:
    tree = fetch(real_api, "/measures?q=potholes")
    rows = read_table(tree, "Measures found")
    names = [r[0].split(" Matched in:")[0] for r in rows]
    # the whole word "potholes" in the name; "pothole" (singular) does not start with "potholes"
    assert names == ["# of potholes repaired proactively", "Potholes repaired within 48 hours"]
    assert rows[0][0].endswith("Matched in: name, definition")
    assert rows[1][0].endswith("Matched in: name")
    assert all("Matched in:" in r[0] for r in rows)
    assert squash(tree.find_all("h2")[0].text()) == f"{len(rows)} of 742 measures match “potholes”"
    narrowed = read_table(
        fetch(real_api, "/measures?q=pothole&agency=transportation&pillar=6"), "Measures found"
    )
    assert [r[0].split(" Matched in:")[0] for r in narrowed] == ["Potholes repaired within 48 hours"]
    none = fetch(real_api, "/measures?q=zzzqqq")
    assert "No measure matches" in none.root.text()


def test_about_lists_the_2019_extract_and_the_quarantine(real_api: str, real_warehouse: Path) -> None:
    tree = fetch(real_api, "/about")
    sources = read_table(tree, "Every file loaded")
    extract = next(r for r in sources if r[0] == "311_Customer_Service_Requests_2019-10_sample.csv")
    assert extract[1] == "Service requests" and extract[4] == "3,000"  # the October 2019 extract's rows
    loads = read_table(tree, "Every load, newest first")
    load = next(r for r in loads if r[1] == "311_Customer_Service_Requests_2019-10_sample.csv")
    con = connect(real_warehouse, read_only=True)
    try:
        logged = con.execute(
            "SELECT load_id, rows_read, rows_loaded FROM load_log WHERE source LIKE '%2019-10_sample.csv'"
        ).fetchone()
        quarantine = Counter(
            {
                (r, a): n
                for r, a, n in con.execute(
                    "SELECT reason, action, count(*) FROM quarantine GROUP BY 1, 2"
                ).fetchall()
            }
        )
        requests = con.execute("SELECT count(*) FROM service_requests").fetchone()
    finally:
        con.close()
    assert logged is not None and (load[0], load[4], load[5]) == (str(logged[0]), "3,000", f"{logged[2]:,}")
    assert len(loads) == 9  # 5 boundary layers, the extract, NHP indicators, the plan and its export
    held = read_table(tree, "Rows by reason")
    words = {"Rejected (not loaded)": "rejected", "Flagged (loaded, marked)": "flagged"}
    assert Counter({(r[0], words[r[1]]): int(r[2].replace(",", "")) for r in held}) == quarantine
    assert requests is not None
    facts = squash(tree.root.text())
    assert f"Service requests {requests[0]:,} (October 18, 2019 to October 21, 2019)" in facts
    assert "Real data published by the city." in facts


def test_about_the_demo_city_says_it_is_synthetic(demo_api: str) -> None:
    tree = fetch(demo_api, "/about")
    text = squash(tree.root.text())
    assert "Synthetic data. This city is made up" in text
    loads = read_table(tree, "Every load, newest first")
    requests = next(r for r in loads if r[1] == "requests.csv")
    assert requests[4:6] == ["20,000", "19,983"] and requests[8] == "17"  # 17 rows rejected


@pytest.mark.parametrize(
    ("path", "status", "heading"),
    [
        ("/agencies/nobody", 404, "Page not found"),
        ("/measures?agency=nobody", 404, "Page not found"),
        ("/no/such/page", 404, "Page not found"),
    ],
)
def test_error_pages(demo_api: str, path: str, status: int, heading: str) -> None:
    tree = fetch(demo_api, path, status=status)
    assert [h.text() for h in tree.find_all("h1")] == [heading]
    spanish = fetch(demo_api, path, lang="es", status=status)
    assert [h.text() for h in spanish.find_all("h1")] == ["Página no encontrada"]


def test_the_measure_list_pages(real_api: str) -> None:
    first = fetch(real_api, "/measures")
    assert len(read_table(first, "Measures by agency")) == 100
    pager = next(n for n in first.root.walk() if "cs-pager" in n.classes)
    links = [a.attrs["href"] for a in pager.walk() if a.tag == "a"]
    assert links == [f"/measures?page={n}" for n in range(2, 9)] + ["/measures?page=2"]  # 2..8, then Next
    last = fetch(real_api, "/measures?page=8")
    assert len(read_table(last, "Measures by agency")) == 42
    assert "Rows 701 to 742 of 742" in last.root.text()
    fetch(real_api, "/measures?page=9", status=404)
    fetch(real_api, "/measures?page=many", status=400)
    transport = fetch(real_api, "/measures?agency=transportation")
    assert not [n for n in transport.root.walk() if "cs-pager" in n.classes]  # 64 rows: one page
