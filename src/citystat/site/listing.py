"""The agency and measure lists as data.

The agency list: every agency with its measure counts and its score in the score's latest period.
The measure list: every measure that is not retired as a card (latest value and status), narrowed
by a search and by agency or Action Plan pillar, each search result saying why it matched.

- **Search** is :func:`citystat.site.catalog.search_measures` (every word must start a word of the
  name, id, agency or definition; best first), with no limit: the filters apply after ranking.
- **Filters**: ``agency_id`` (an agency of :func:`~citystat.site.catalog.list_agencies`) and
  ``pillar_id`` (a pillar of the Action Plan, whether the measure sits under one of its goals or
  only under the pillar). Unknown ids raise :class:`~citystat.site.errors.NotFoundError`.
- Without a search the list is in the catalog's order: by agency, then name.
- Long lists come a page of ``PAGE_SIZE`` rows at a time (:func:`cut_page`); a page past the last
  raises :class:`~citystat.site.errors.NotFoundError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from citystat.site.catalog import AgencyInfo, MeasureInfo, PillarInfo, get_catalog, search_measures
from citystat.site.errors import NotFoundError
from citystat.site.home import (
    AgencyScore,
    ContributionView,
    HomeView,
    MeasureCard,
    ScoreView,
    get_cards,
    get_score,
)
from citystat.site.reader import WarehouseReader

T = TypeVar("T")

# Rows a long list shows per page (the measure list, the score's contributions).
PAGE_SIZE = 100


@dataclass(frozen=True)
class Paging:
    page: int  # from 1
    pages: int  # at least 1
    first: int  # 1-based position of the page's first row (0 when there is none)
    last: int
    rows: int  # rows in all pages


def cut_page(items: Sequence[T], page: int, size: int = PAGE_SIZE) -> tuple[tuple[T, ...], Paging]:
    """One page of ``items`` (raises NotFoundError for a page past the last)."""
    pages = max(1, -(-len(items) // size))
    if page < 1 or page > pages:
        raise NotFoundError("page", str(page))
    chunk = tuple(items[(page - 1) * size : page * size])
    first = (page - 1) * size + 1 if chunk else 0
    return chunk, Paging(page, pages, first, first + len(chunk) - 1 if chunk else 0, len(items))


@dataclass(frozen=True)
class ListedMeasure:
    card: MeasureCard
    matched: tuple[str, ...]  # fields the search matched (name, id, agency, definition); () unsearched


@dataclass(frozen=True)
class MeasureList:
    query: str  # the search as given, trimmed ("" when none)
    agency: AgencyInfo | None
    pillar: PillarInfo | None
    items: tuple[ListedMeasure, ...]  # this page's
    paging: Paging  # items.rows: every measure found
    total: int  # measures that are not retired, before search and filters
    agencies: tuple[AgencyInfo, ...]  # what the agency filter offers
    pillars: tuple[PillarInfo, ...]  # what the pillar filter offers


@dataclass(frozen=True)
class AgencyRow:
    agency: AgencyInfo
    score: AgencyScore | None  # None: nothing could be scored anywhere in the period


@dataclass(frozen=True)
class AgencyList:
    agencies: tuple[AgencyRow, ...]  # by name
    period_label: str | None  # the score's period (None when nothing could be scored)


def find_pillar(pillars: tuple[PillarInfo, ...], pillar_id: str) -> PillarInfo:
    found = next((p for p in pillars if p.id == pillar_id), None)
    if found is None:
        raise NotFoundError("pillar", pillar_id)
    return found


def keep_measure(measure: MeasureInfo, agency: AgencyInfo | None, pillar: PillarInfo | None) -> bool:
    if agency is not None and measure.agency_id != agency.id:
        return False
    if pillar is None:
        return True
    return measure.action_plan is not None and measure.action_plan.pillar_id == pillar.id


def read_measure_list(
    reader: WarehouseReader,
    *,
    query: str = "",
    agency_id: str | None = None,
    pillar_id: str | None = None,
    page: int = 1,
) -> MeasureList:
    """Measures matching ``query`` (every measure when blank) in the agency and pillar given, one
    page of ``PAGE_SIZE`` at a time."""
    catalog = get_catalog(reader)
    cards = get_cards(reader)
    agency = catalog.find_agency(agency_id) if agency_id else None
    pillar = find_pillar(catalog.pillars, pillar_id) if pillar_id else None
    text = query.strip()
    if text:
        ranked = [(hit.measure, hit.matched) for hit in search_measures(reader, text, limit=None)]
    else:
        ranked = [(m, ()) for m in catalog.active()]
    found = [ListedMeasure(cards[m.id], matched) for m, matched in ranked if keep_measure(m, agency, pillar)]
    items, paging = cut_page(found, page)
    return MeasureList(
        text, agency, pillar, items, paging, len(catalog.active()), catalog.agencies, catalog.pillars
    )


def count_plan_measures(home: HomeView) -> int:
    """Measures the home page shows under the Action Plan (under a goal or only under a pillar)."""
    ids = {c.id for p in home.pillars for c in p.measures}
    ids |= {c.id for p in home.pillars for g in p.goals for c in g.measures}
    return len(ids)


@dataclass(frozen=True)
class ScorePage:
    score: ScoreView
    contributions: tuple[ContributionView, ...]  # this page's
    paging: Paging


def read_score_page(reader: WarehouseReader, page: int = 1) -> ScorePage | None:
    """The composite with one page of its per-measure contributions (None when nothing is scored)."""
    score = get_score(reader)
    if score is None:
        return None
    contributions, paging = cut_page(score.contributions, page)
    return ScorePage(score, contributions, paging)


def list_units(reader: WarehouseReader) -> dict[str, str]:
    """Every measure's unit by id (to write values of the score's contributions)."""
    return {m.id: m.unit for m in get_catalog(reader).measures.values()}


def read_agency_list(reader: WarehouseReader) -> AgencyList:
    """Every agency with its measure counts and its score in the score's latest period."""
    score = get_score(reader)
    scores = {} if score is None else {a.agency_id: a for a in score.agencies}
    rows = tuple(AgencyRow(a, scores.get(a.id)) for a in get_catalog(reader).agencies)
    return AgencyList(rows, None if score is None else score.period_label)
