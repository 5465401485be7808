"""Every page reachable from the home page keeps the page rules, on the synthetic demo city and on
Baltimore's real data, in English and in Spanish.

The rules (:func:`tests.web.crawl.check_page`): a 200, a strict parse (every element closed in
order, unique ids, a doctype), ``<html lang>`` in the page's language, exactly one h1 and a title
that starts with it, a skip link to ``<main id="main">`` first, links to fragments that exist, no
resource from another host, every ``svg.cs-chart`` followed by its table in its figure, no
unfilled ``{placeholder}``; and across the crawl no link (page, API, static file) answering
4xx/5xx.

The demo city is crawled whole, but for query-string variants of one page (a measure by grain and
layer, a list's later pages): ``DEMO_VARIANTS`` of each are followed. Real data has 742 measures and 278 neighbourhoods: its crawl
follows at most ``REAL_PER_FAMILY`` addresses of each family (``/measures/*``,
``/agencies/*``, ``/areas/csa/*`` ...): every one of the 41 agencies, the first 45 measures and
areas of each layer reached breadth-first from the home page, two query variants of each.
"""

from __future__ import annotations

import re

import pytest

from citystat.site import WarehouseReader
from citystat.site.catalog import list_agencies
from tests.web.crawl import Crawl, check_page, crawl_site, list_broken_links

DEMO_VARIANTS = 3  # query-string variants followed per path (?grain=..&layer=.., ?page=..)
REAL_PER_FAMILY = 45  # above the real data's 41 agencies: every agency page, 45 measure pages


@pytest.fixture(scope="module")
def demo_crawl(demo_api: str) -> Crawl:
    return crawl_site(demo_api, lang="en", variants=DEMO_VARIANTS)


@pytest.fixture(scope="module")
def real_crawl(real_api: str) -> Crawl:
    return crawl_site(real_api, lang="en", per_family=REAL_PER_FAMILY, variants=2)


def list_problems(crawl: Crawl, lang: str) -> dict[str, str]:
    """Each problem found → how many pages have it and the first few (a short failure message)."""
    pages: dict[str, list[str]] = {}
    for page in crawl.html_pages():
        for problem in check_page(page, lang):
            key = re.sub(r"chart-[a-z]+-[0-9a-f]+", "chart-…", problem)
            pages.setdefault(key, []).append(page.path)
    return {problem: f"{len(paths)} pages: {paths[:4]}" for problem, paths in pages.items()}


def assert_no_broken_link(crawl: Crawl) -> None:
    broken = list_broken_links(crawl)
    first = {target: pages[:2] for target, pages in list(broken.items())[:6]}
    assert not broken, f"{len(broken)} broken links, e.g. {first}"


def test_demo_pages_keep_the_rules(demo_crawl: Crawl, demo_reader: WarehouseReader) -> None:
    assert list_problems(demo_crawl, "en") == {}
    assert_no_broken_link(demo_crawl)
    assert not any(family.endswith("/*") for family in demo_crawl.skipped)  # every page path
    paths = set(demo_crawl.pages)
    # every agency and every measure of the demo city was reached from the home page
    assert {f"/agencies/{a.id}" for a in list_agencies(demo_reader)} <= paths
    assert {"/", "/agencies", "/measures", "/about", "/score"} <= paths
    assert demo_crawl.checked.get("/static/citystat.css") == 200


def test_real_pages_keep_the_rules(real_crawl: Crawl, real_reader: WarehouseReader) -> None:
    assert list_problems(real_crawl, "en") == {}
    assert_no_broken_link(real_crawl)
    paths = set(real_crawl.pages)
    agencies = list_agencies(real_reader)
    assert len(agencies) == 41 < REAL_PER_FAMILY
    assert {f"/agencies/{a.id}" for a in agencies} <= paths
    assert real_crawl.skipped.get("/measures/*", 0) > 0  # a sample of the 742 measures


def test_spanish_pages_keep_the_rules(demo_api: str, real_api: str) -> None:
    """In Spanish (by Accept-Language) every page says lang="es"; a smaller sample per family."""
    for base in (demo_api, real_api):
        crawl = crawl_site(base, lang="es", per_family=5, variants=1)
        assert len(crawl.pages) > 10
        assert list_problems(crawl, "es") == {}
        assert_no_broken_link(crawl)
