"""The home page and agency pages as data: the Mayor's Action Plan (pillars → goals → measures),
the CityScore-style composite with each agency's score and each measure's contribution, and what
changed in the latest period.

- **Score** (:mod:`citystat.analysis.score`): stored citywide values at ``SCORE_GRAIN``, the grain
  both computed measures and reported plan measures are stored at, against the audited targets.
  The period shown is the latest with a scored measure; the history lists every period.
- **What changed**: measures whose latest period is the newest period of their grain across the
  site, and whose latest value is part of an XmR signal or whose status differs from the period
  before. Signals first.
- **Measure cards**: each measure's latest value and status at its default grain, from the
  site-wide views of :func:`citystat.site.measure.get_measure_views`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from citystat.analysis.quality.model import Grade
from citystat.analysis.score import (
    CityScore,
    CompositeScore,
    Contribution,
    prepare_scored_measure,
    score_city,
)
from citystat.analysis.series import read_many_series
from citystat.catalog.model import Grain
from citystat.site.about import CityInfo, get_city_info
from citystat.site.catalog import AgencyInfo, MeasureInfo, SiteCatalog, get_catalog
from citystat.site.measure import ChangeView, DataAsOf, MeasureView, get_measure_views, get_quality_inputs
from citystat.site.reader import WarehouseReader

SCORE_GRAIN: Grain = "fiscal_quarter"


@dataclass(frozen=True)
class MeasureCard:
    """One measure in a list: its latest value and how it stands."""

    id: str
    name: str
    agency: str
    agency_id: str
    kind: str
    unit: str
    direction: str
    grain: Grain | None  # None: no values yet
    latest_label: str | None
    latest_start: dt.date | None
    latest_value: float | None
    target: float | None
    status: str  # labelled ("data issue" on grade C); "no value" when there is none
    grade: Grade | None
    signal: bool  # the latest period is part of an XmR signal
    change: ChangeView | None


@dataclass(frozen=True)
class GoalView:
    code: str
    title: str | None
    lead: str | None
    measures: tuple[MeasureCard, ...]


@dataclass(frozen=True)
class PillarView:
    id: str
    name: str | None  # None when no performance plan was imported
    lead: str | None
    summary: str | None
    goals: tuple[GoalView, ...]
    measures: tuple[MeasureCard, ...]  # linked to the pillar but to none of its goals


@dataclass(frozen=True)
class ContributionView:
    measure_id: str
    name: str
    agency: str
    agency_id: str
    status: str  # scored | too few | no target | excluded
    score: float | None
    capped: bool
    value: float | None
    target: float | None
    reason: str


@dataclass(frozen=True)
class AgencyScore:
    agency: str
    agency_id: str
    score: float | None  # None: none of its measures could be scored in the period
    scored: int
    contributions: tuple[ContributionView, ...]


@dataclass(frozen=True)
class ScorePoint:
    label: str
    period_start: dt.date
    score: float | None
    scored: int


@dataclass(frozen=True)
class ScoreView:
    grain: Grain
    cap: float
    period_label: str
    period_start: dt.date
    score: float | None
    scored: int
    contributions: tuple[ContributionView, ...]  # every measure with a value in the period
    agencies: tuple[AgencyScore, ...]  # by name
    history: tuple[ScorePoint, ...]  # oldest first
    without_targets: int  # measures with no target in any year


@dataclass(frozen=True)
class HomeView:
    city: CityInfo
    as_of: DataAsOf
    pillars: tuple[PillarView, ...]
    score: ScoreView | None  # None: nothing could be scored
    changes: tuple[MeasureCard, ...]
    measures: int
    agencies: int


@dataclass(frozen=True)
class AgencyView:
    agency: AgencyInfo
    measures: tuple[MeasureCard, ...]  # by name
    score: AgencyScore | None
    score_period: str | None


def make_card(info: MeasureInfo, view: MeasureView | None) -> MeasureCard:
    latest = None if view is None else view.latest
    return MeasureCard(
        id=info.id,
        name=info.name,
        agency=info.agency,
        agency_id=info.agency_id,
        kind=info.kind,
        unit=info.unit,
        direction=info.direction,
        grain=None if view is None else view.grain,
        latest_label=None if latest is None else latest.label,
        latest_start=None if latest is None else latest.period_start,
        latest_value=None if latest is None else latest.value,
        target=None if latest is None else latest.target,
        status="no value" if latest is None else latest.status,
        grade=None if latest is None else latest.grade,
        signal=latest is not None and bool(latest.signals),
        change=None if view is None else view.change,
    )


def list_cards(catalog: SiteCatalog, views: Mapping[str, MeasureView]) -> dict[str, MeasureCard]:
    return {m.id: make_card(m, views.get(m.id)) for m in catalog.active()}


def build_pillars(catalog: SiteCatalog, cards: Mapping[str, MeasureCard]) -> tuple[PillarView, ...]:
    by_goal: dict[tuple[str, str | None], list[MeasureCard]] = defaultdict(list)
    for m in catalog.active():
        if m.action_plan is not None and m.action_plan.pillar_id is not None:
            by_goal[(m.action_plan.pillar_id, m.action_plan.goal_code)].append(cards[m.id])

    def ordered(items: list[MeasureCard]) -> tuple[MeasureCard, ...]:
        return tuple(sorted(items, key=lambda c: (c.name.casefold(), c.id)))

    pillars = []
    for p in catalog.pillars:
        goals = tuple(
            GoalView(g.code, g.title, g.lead, ordered(by_goal.get((p.id, g.code), []))) for g in p.goals
        )
        known = {g.code for g in p.goals}
        loose = [
            c for (pid, code), items in by_goal.items() if pid == p.id and code not in known for c in items
        ]
        pillars.append(PillarView(p.id, p.name, p.lead, p.summary, goals, ordered(loose)))
    return tuple(pillars)


def find_changes(cards: Mapping[str, MeasureCard]) -> tuple[MeasureCard, ...]:
    newest: dict[Grain, dt.date] = {}
    for card in cards.values():
        if card.grain is not None and card.latest_start is not None:
            newest[card.grain] = max(newest.get(card.grain, card.latest_start), card.latest_start)
    changed = [
        c
        for c in cards.values()
        if c.change is not None
        and c.grain is not None
        and c.latest_start == newest.get(c.grain)
        and (c.change.signal or c.change.status_changed)
    ]
    return tuple(sorted(changed, key=lambda c: (not c.change.signal if c.change else True, c.agency, c.name)))


# --- score --------------------------------------------------------------------------------------


def read_score(con: duckdb.DuckDBPyConnection, catalog: SiteCatalog) -> CityScore:
    ids = [m.id for m in catalog.active() if m.stored(SCORE_GRAIN) is not None]
    series = read_many_series(con, [(i, SCORE_GRAIN) for i in ids])
    measures = [prepare_scored_measure(series[(i, SCORE_GRAIN)]) for i in ids]
    return score_city(measures, grain=SCORE_GRAIN, fiscal_start_month=catalog.fiscal_start_month)


def view_contribution(c: Contribution, catalog: SiteCatalog) -> ContributionView:
    info = catalog.find_measure(c.measure_id)
    return ContributionView(
        c.measure_id,
        info.name,
        info.agency,
        info.agency_id,
        c.status,
        c.score,
        c.capped,
        c.value,
        c.target,
        c.reason,
    )


def score_in_period(
    composite: CompositeScore, label: str, catalog: SiteCatalog
) -> tuple[float | None, int, tuple[ContributionView, ...]]:
    period = next((p for p in composite.periods if p.label == label), None)
    if period is None:
        return None, 0, ()
    contributions = tuple(
        sorted(
            (view_contribution(c, catalog) for c in period.contributions),
            key=lambda c: (c.agency.casefold(), c.name.casefold(), c.measure_id),
        )
    )
    return period.score, period.scored, contributions


def build_score_view(score: CityScore, catalog: SiteCatalog) -> ScoreView | None:
    scored = [p for p in score.citywide.periods if p.score is not None]
    if not scored:
        return None
    latest = scored[-1]
    value, count, contributions = score_in_period(score.citywide, latest.label, catalog)
    agencies = []
    for composite in score.agencies:
        a_score, a_count, a_items = score_in_period(composite, latest.label, catalog)
        agency_id = next((a.id for a in catalog.agencies if a.name == composite.scope), composite.scope)
        agencies.append(AgencyScore(composite.scope, agency_id, a_score, a_count, a_items))
    return ScoreView(
        grain=score.grain,
        cap=score.cap,
        period_label=latest.label,
        period_start=latest.period_start,
        score=value,
        scored=count,
        contributions=contributions,
        agencies=tuple(sorted(agencies, key=lambda a: a.agency.casefold())),
        history=tuple(ScorePoint(p.label, p.period_start, p.score, p.scored) for p in score.citywide.periods),
        without_targets=len(score.without_targets),
    )


# --- through the reader -------------------------------------------------------------------------


def get_score(reader: WarehouseReader) -> ScoreView | None:
    """The composite for the latest scored period (None when nothing can be scored)."""
    catalog = get_catalog(reader)
    return reader.cached(("site", "score"), lambda con: build_score_view(read_score(con, catalog), catalog))


def get_cards(reader: WarehouseReader) -> Mapping[str, MeasureCard]:
    catalog = get_catalog(reader)
    views = get_measure_views(reader)
    return reader.cached(("site", "cards"), lambda con: list_cards(catalog, views))


def read_home(reader: WarehouseReader) -> HomeView:
    catalog = get_catalog(reader)
    cards = get_cards(reader)
    return HomeView(
        city=get_city_info(reader),
        as_of=get_quality_inputs(reader).as_of,
        pillars=build_pillars(catalog, cards),
        score=get_score(reader),
        changes=find_changes(cards),
        measures=len(cards),
        agencies=len(catalog.agencies),
    )


def read_agency_view(reader: WarehouseReader, agency_id: str) -> AgencyView:
    """One agency's measures with their latest status, and its score (raises NotFoundError)."""
    catalog = get_catalog(reader)
    agency = catalog.find_agency(agency_id)
    cards = get_cards(reader)
    measures = tuple(
        sorted(
            (c for c in cards.values() if c.agency_id == agency_id), key=lambda c: (c.name.casefold(), c.id)
        )
    )
    score = get_score(reader)
    mine = None if score is None else next((a for a in score.agencies if a.agency_id == agency_id), None)
    return AgencyView(agency, measures, mine, None if score is None else score.period_label)
