"""The measures and agencies the site shows: metadata only (what each measure is, who owns it,
which processes use it, its versions and targets, which series the warehouse holds).

Everything comes from the warehouse, not from catalog files: ``measure_definitions`` (every
version; the newest is shown), ``measure_targets``, the plan's reference tables (Action Plan
pillars and goals, budget services) when a performance plan was imported, and what
``measure_values`` holds. The whole catalog is one cached build per warehouse revision.

Agencies are the owners named by the measures (``agency``; "Citywide" when none), with a URL-safe
id made from the name (``Public Works - Solid Waste`` → ``public-works-solid-waste``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from citystat.analysis.equity import AREA_LAYERS
from citystat.analysis.score import CITYWIDE
from citystat.analysis.series import read_fiscal_start_month
from citystat.catalog.model import GRAINS, Cadence, Grain, Measure
from citystat.engine.periods import label_period
from citystat.site.errors import NotFoundError
from citystat.site.reader import WarehouseReader

# The grain a measure is judged at by default: its cadence's.
CADENCE_GRAINS: dict[Cadence, Grain] = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "fiscal_quarter",
    "annual": "fiscal_year",
}
# When the cadence's grain is not stored, the first stored of these is used.
GRAIN_PREFERENCE: tuple[Grain, ...] = ("month", "fiscal_quarter", "fiscal_year", "week", "quarter", "day")
# Fields of a definition that are bookkeeping, not content, when listing what a version changed.
UNCOMPARED = frozenset({"version", "effective_from", "targets"})
SEARCH_WEIGHTS = (("name", 4), ("id", 3), ("agency", 2), ("definition", 1))


@dataclass(frozen=True)
class AgencyInfo:
    id: str
    name: str
    measure_count: int
    computed_count: int
    reported_count: int


@dataclass(frozen=True)
class GoalInfo:
    code: str  # "6.2"
    title: str | None  # None when no performance plan was imported
    lead: str | None = None


@dataclass(frozen=True)
class PillarInfo:
    id: str  # "6"
    name: str | None  # None when no performance plan was imported
    lead: str | None = None
    summary: str | None = None
    goals: tuple[GoalInfo, ...] = ()


@dataclass(frozen=True)
class PlanPlace:
    """Where a measure sits in the Mayor's Action Plan."""

    pillar_id: str | None
    pillar_name: str | None
    goal_code: str | None
    goal_title: str | None


@dataclass(frozen=True)
class BudgetService:
    id: str
    name: str | None  # from the plan's services, when imported


@dataclass(frozen=True)
class TargetInfo:
    fiscal_year: int
    value: float
    note: str | None
    origin: str
    recorded_at: dt.datetime


@dataclass(frozen=True)
class VersionInfo:
    version: int
    name: str
    effective_from: dt.date | None  # None: from the start of the series
    definition_hash: str
    origin: str
    recorded_at: dt.datetime
    changed: tuple[str, ...]  # definition fields that differ from the previous version


@dataclass(frozen=True)
class StoredGrain:
    """What the warehouse holds for a measure at one grain."""

    grain: Grain
    periods: int  # citywide periods
    first_start: dt.date | None
    last_start: dt.date | None
    first_label: str | None
    last_label: str | None
    dimensions: tuple[str, ...]  # breakdowns stored at this grain ('' not listed)


@dataclass(frozen=True)
class MeasureInfo:
    id: str
    name: str
    definition: str
    kind: str  # computed | reported
    agency: str
    agency_id: str
    owner_role: str
    data_source: str
    formula: str
    measure_type: str | None
    unit: str
    format: str
    direction: str
    cadence: str
    cumulative: bool
    equity: bool
    disaggregations: tuple[str, ...]
    processes: tuple[str, ...]  # budget_book | citistat | action_plan
    budget_services: tuple[BudgetService, ...]
    action_plan: PlanPlace | None
    versions: tuple[VersionInfo, ...]  # oldest first
    targets: tuple[TargetInfo, ...]  # by fiscal year
    grains: tuple[StoredGrain, ...]
    default_grain: Grain | None  # None when no value is stored yet
    retired: bool
    measure: Measure = field(repr=False, compare=False)  # the newest definition itself

    @property
    def computed(self) -> bool:
        return self.kind == "computed"

    @property
    def version(self) -> int:
        return self.versions[-1].version if self.versions else self.measure.version

    def stored(self, grain: str) -> StoredGrain | None:
        return next((g for g in self.grains if g.grain == grain), None)

    @property
    def area_layers(self) -> tuple[str, ...]:
        """Area layers (neighbourhood, CSA ...) the measure has stored values for, at any grain."""
        stored = {d for g in self.grains for d in g.dimensions}
        return tuple(layer for layer in AREA_LAYERS if layer in stored)


@dataclass(frozen=True)
class SearchHit:
    measure: MeasureInfo
    score: int
    matched: tuple[str, ...]  # which fields matched: name, id, agency, definition


@dataclass(frozen=True)
class SiteCatalog:
    measures: Mapping[str, MeasureInfo]  # every measure, retired ones included, by id
    agencies: tuple[AgencyInfo, ...]  # by name
    pillars: tuple[PillarInfo, ...]  # by plan order (or id when no plan was imported)
    fiscal_start_month: int

    def find_measure(self, measure_id: str) -> MeasureInfo:
        found = self.measures.get(measure_id)
        if found is None:
            raise NotFoundError("measure", measure_id)
        return found

    def find_agency(self, agency_id: str) -> AgencyInfo:
        found = next((a for a in self.agencies if a.id == agency_id), None)
        if found is None:
            raise NotFoundError("agency", agency_id)
        return found

    def active(self) -> tuple[MeasureInfo, ...]:
        """Measures that are not retired, by agency then name."""
        return tuple(
            sorted(
                (m for m in self.measures.values() if not m.retired),
                key=lambda m: (m.agency.casefold(), m.name.casefold(), m.id),
            )
        )


def slugify(name: str) -> str:
    """A lower-case, URL-safe id: letters and digits joined by single hyphens."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "agency"


def list_changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[str, ...]:
    keys = sorted((set(before) | set(after)) - UNCOMPARED)
    return tuple(k for k in keys if before.get(k) != after.get(k))


def read_versions(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[VersionInfo, str]]]:
    """Every recorded version of every measure with its definition JSON, oldest first."""
    out: dict[str, list[tuple[VersionInfo, str]]] = defaultdict(list)
    previous: dict[str, dict[str, Any]] = {}
    for measure_id, version, title, effective, digest, definition, origin, recorded in con.execute(
        "SELECT measure_id, version, title, effective_from, definition_hash, definition, origin,"
        " recorded_at FROM measure_definitions ORDER BY measure_id, version"
    ).fetchall():
        data = json.loads(definition)
        changed = list_changes(previous[measure_id], data) if measure_id in previous else ()
        previous[measure_id] = data
        info = VersionInfo(int(version), str(title), effective, str(digest), str(origin), recorded, changed)
        out[str(measure_id)].append((info, str(definition)))
    return out


def read_target_rows(con: duckdb.DuckDBPyConnection) -> dict[str, list[TargetInfo]]:
    out: dict[str, list[TargetInfo]] = defaultdict(list)
    for measure_id, year, value, note, origin, recorded in con.execute(
        "SELECT measure_id, fiscal_year, value, note, origin, recorded_at FROM measure_targets"
        " ORDER BY measure_id, fiscal_year"
    ).fetchall():
        out[str(measure_id)].append(TargetInfo(int(year), float(value), note, str(origin), recorded))
    return out


def read_stored_grains(
    con: duckdb.DuckDBPyConnection, fiscal_start_month: int
) -> dict[str, list[StoredGrain]]:
    """Per measure and grain: citywide periods held, and the breakdowns stored."""
    citywide: dict[tuple[str, str], tuple[int, dt.date | None, dt.date | None]] = {}
    dimensions: dict[tuple[str, str], list[str]] = defaultdict(list)
    for measure_id, grain, dimension, periods, first, last in con.execute(
        "SELECT measure_id, grain, dimension, count(DISTINCT period_start), min(period_start),"
        " max(period_start) FROM measure_values GROUP BY ALL ORDER BY ALL"
    ).fetchall():
        key = (str(measure_id), str(grain))
        if dimension == "":
            citywide[key] = (int(periods), first, last)
        else:
            dimensions[key].append(str(dimension))
    out: dict[str, list[StoredGrain]] = defaultdict(list)
    for key in sorted(set(citywide) | set(dimensions)):
        measure_id, grain_name = key
        grain = as_grain(grain_name)
        periods, first, last = citywide.get(key, (0, None, None))
        out[measure_id].append(
            StoredGrain(
                grain,
                periods,
                first,
                last,
                None if first is None else label_period(first, grain, fiscal_start_month),
                None if last is None else label_period(last, grain, fiscal_start_month),
                tuple(dimensions.get(key, ())),
            )
        )
    return out


def as_grain(text: str) -> Grain:
    for grain in GRAINS:
        if grain == text:
            return grain
    raise ValueError(f"unknown grain {text!r}")


def choose_grain(measure: Measure, grains: list[StoredGrain]) -> Grain | None:
    """The cadence's grain when its citywide series is stored, else the first stored by preference."""
    held = {g.grain for g in grains if g.periods}
    wanted = CADENCE_GRAINS[measure.cadence]
    if wanted in held:
        return wanted
    return next((g for g in GRAIN_PREFERENCE if g in held), None)


def read_table_rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def read_pillars(con: duckdb.DuckDBPyConnection, measures: list[Measure]) -> tuple[PillarInfo, ...]:
    """The plan's pillars and goals; without a plan, the pillars and goals the measures name."""
    goals: dict[str, list[GoalInfo]] = defaultdict(list)
    for pillar_id, code, title, lead in read_table_rows(
        con,
        "SELECT pillar_id, goal_code, goal_title, goal_lead FROM plan_pillar_goals"
        " ORDER BY pillar_id, sort_order, goal_code",
    ):
        goals[str(pillar_id)].append(GoalInfo(str(code), str(title), lead))
    pillars = [
        PillarInfo(str(pid), str(name), lead, summary, tuple(goals.get(str(pid), ())))
        for pid, name, lead, summary in read_table_rows(
            con,
            "SELECT pillar_id, pillar_name, pillar_lead, summary FROM plan_pillars"
            " ORDER BY sort_order, pillar_id",
        )
    ]
    known = {p.id for p in pillars}
    named: dict[str, set[str]] = defaultdict(set)
    for m in measures:
        if m.action_plan is not None and m.action_plan.pillar and m.action_plan.pillar not in known:
            named[m.action_plan.pillar].update([m.action_plan.goal] if m.action_plan.goal else [])
    pillars += [
        PillarInfo(pid, None, goals=tuple(GoalInfo(code, None) for code in sorted(named[pid])))
        for pid in sorted(named, key=lambda p: (len(p), p))
    ]
    return tuple(pillars)


def place_in_plan(measure: Measure, pillars: tuple[PillarInfo, ...]) -> PlanPlace | None:
    link = measure.action_plan
    if link is None or not (link.pillar or link.goal):
        return None
    pillar_id = link.pillar or (link.goal.split(".")[0] if link.goal else None)
    pillar = next((p for p in pillars if p.id == pillar_id), None)
    goal = None if pillar is None else next((g for g in pillar.goals if g.code == link.goal), None)
    return PlanPlace(
        pillar_id,
        None if pillar is None else pillar.name,
        link.goal,
        None if goal is None else goal.title,
    )


def name_agencies(measures: list[Measure]) -> dict[str, str]:
    """Agency name -> id, unique (a clash of slugs gets -2, -3 ... in name order)."""
    ids: dict[str, str] = {}
    for name in sorted({m.agency or CITYWIDE for m in measures}, key=str.casefold):
        slug, n = slugify(name), 1
        while slug in ids.values():
            n += 1
            slug = f"{slugify(name)}-{n}"
        ids[name] = slug
    return ids


def read_catalog(con: duckdb.DuckDBPyConnection) -> SiteCatalog:
    """Every measure recorded in the warehouse, with its agencies and the Action Plan."""
    fiscal_start_month = read_fiscal_start_month(con)
    versions = read_versions(con)
    newest = {mid: Measure.model_validate_json(rows[-1][1]) for mid, rows in versions.items()}
    targets = read_target_rows(con)
    stored = read_stored_grains(con, fiscal_start_month)
    services = dict(read_table_rows(con, "SELECT service_id, service_name FROM plan_services"))
    pillars = read_pillars(con, list(newest.values()))
    agency_ids = name_agencies(list(newest.values()))
    measures: dict[str, MeasureInfo] = {}
    for measure_id, measure in newest.items():
        agency = measure.agency or CITYWIDE
        grains = stored.get(measure_id, [])
        measures[measure_id] = MeasureInfo(
            id=measure_id,
            name=measure.title,
            definition=measure.definition,
            kind=measure.kind,
            agency=agency,
            agency_id=agency_ids[agency],
            owner_role=measure.owner_role,
            data_source=measure.data_source,
            formula=measure.formula,
            measure_type=measure.measure_type,
            unit=measure.unit,
            format=measure.format,
            direction=measure.direction,
            cadence=measure.cadence,
            cumulative=measure.cumulative,
            equity=measure.equity,
            disaggregations=tuple(measure.disaggregations),
            processes=tuple(measure.processes),
            budget_services=tuple(BudgetService(s, services.get(s)) for s in measure.budget_services),
            action_plan=place_in_plan(measure, pillars),
            versions=tuple(info for info, _ in versions[measure_id]),
            targets=tuple(targets.get(measure_id, ())),
            grains=tuple(grains),
            default_grain=choose_grain(measure, grains),
            retired=measure.retired,
            measure=measure,
        )
    return SiteCatalog(measures, count_agencies(measures.values()), pillars, fiscal_start_month)


def count_agencies(measures: Any) -> tuple[AgencyInfo, ...]:
    by_name: dict[tuple[str, str], list[MeasureInfo]] = defaultdict(list)
    for m in measures:
        if not m.retired:
            by_name[(m.agency, m.agency_id)].append(m)
    return tuple(
        AgencyInfo(
            agency_id,
            name,
            len(members),
            sum(1 for m in members if m.computed),
            sum(1 for m in members if not m.computed),
        )
        for (name, agency_id), members in sorted(by_name.items(), key=lambda kv: kv[0][0].casefold())
    )


# --- through the reader (cached per warehouse revision) ---------------------------------------


def get_catalog(reader: WarehouseReader) -> SiteCatalog:
    return reader.cached(("site", "catalog"), read_catalog)


def list_agencies(reader: WarehouseReader) -> tuple[AgencyInfo, ...]:
    return get_catalog(reader).agencies


def find_agency(reader: WarehouseReader, agency_id: str) -> AgencyInfo:
    """One agency by id (raises :class:`NotFoundError`)."""
    return get_catalog(reader).find_agency(agency_id)


def list_measures(
    reader: WarehouseReader, *, agency_id: str | None = None, kind: str | None = None
) -> tuple[MeasureInfo, ...]:
    """Measures that are not retired, by agency then name; ``agency_id`` must exist when given."""
    catalog = get_catalog(reader)
    if agency_id is not None:
        catalog.find_agency(agency_id)
    return tuple(
        m
        for m in catalog.active()
        if (agency_id is None or m.agency_id == agency_id) and (kind is None or m.kind == kind)
    )


def find_measure(reader: WarehouseReader, measure_id: str) -> MeasureInfo:
    """One measure by id, retired or not (raises :class:`NotFoundError`)."""
    return get_catalog(reader).find_measure(measure_id)


# --- search -------------------------------------------------------------------------------------


def split_words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return re.findall(r"[a-z0-9]+", plain)


def score_measure(measure: MeasureInfo, tokens: list[str]) -> SearchHit | None:
    """Every token must start a word of some field; a token scores its best field's weight
    (whole-word matches count double)."""
    fields = {
        "name": split_words(measure.name),
        "id": split_words(measure.id),
        "agency": split_words(measure.agency),
        "definition": split_words(measure.definition),
    }
    score, matched = 0, set()
    for token in tokens:
        best = 0
        for name, weight in SEARCH_WEIGHTS:
            words = fields[name]
            if token in words:
                points = 2 * weight
            elif any(w.startswith(token) for w in words):
                points = weight
            else:
                continue
            matched.add(name)
            best = max(best, points)
        if best == 0:
            return None
        score += best
    return SearchHit(measure, score, tuple(n for n, _ in SEARCH_WEIGHTS if n in matched))


def rank_measures(measures: tuple[MeasureInfo, ...], text: str) -> tuple[SearchHit, ...]:
    tokens = list(dict.fromkeys(split_words(text)))
    if not tokens:
        return ()
    hits = [hit for m in measures if (hit := score_measure(m, tokens)) is not None]
    return tuple(sorted(hits, key=lambda h: (-h.score, h.measure.name.casefold(), h.measure.id)))


def search_measures(reader: WarehouseReader, text: str, *, limit: int | None = 50) -> tuple[SearchHit, ...]:
    """Measures (not retired) whose name, id, agency or definition has words starting with every
    word of ``text`` (case and accents ignored), best first: name matches outrank id, agency and
    definition matches, whole words outrank prefixes."""
    hits = rank_measures(get_catalog(reader).active(), text)
    return hits if limit is None else hits[:limit]


def filter_measures(
    reader: WarehouseReader,
    *,
    agency_id: str | None = None,
    pillar_id: str | None = None,
    text: str | None = None,
) -> tuple[MeasureInfo, ...]:
    """Measures that are not retired, of one agency and/or one Action Plan pillar, and matching
    ``text`` (see :func:`search_measures`: best first) or, without text, by agency then name.
    An agency or pillar that does not exist raises :class:`NotFoundError`."""
    catalog = get_catalog(reader)
    if agency_id is not None:
        catalog.find_agency(agency_id)
    if pillar_id is not None and all(p.id != pillar_id for p in catalog.pillars):
        raise NotFoundError("pillar", pillar_id)
    if text is not None and text.strip():
        measures = tuple(hit.measure for hit in rank_measures(catalog.active(), text))
    else:
        measures = catalog.active()
    return tuple(
        m
        for m in measures
        if (agency_id is None or m.agency_id == agency_id)
        and (pillar_id is None or (m.action_plan is not None and m.action_plan.pillar_id == pillar_id))
    )
