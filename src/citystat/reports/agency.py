"""A one-agency CitiStat briefing: every catalog measure of the agency with its latest value, target
status, XmR signals (rule named) and target assurance, and an equity section for equity-flagged
measures (worst- and best-served areas). Written as Markdown and as plain accessible HTML.

Which measures belong to the agency: those whose catalog ``agency`` is the name given (any case),
those whose computation filter names that agency, and those counting service codes that the
warehouse's requests file under that agency (so "Solid Waste", the 311 agency, finds the catalog's
"Public Works - Solid Waste" measures).

Equity ranks areas on the measure's stored values by area for the latest fiscal year (a month per
area rests on too few requests); an area value resting on fewer than ``MIN_DENOMINATOR`` requests
is left out. Counts with no desired direction are ranked by requests per 1,000 residents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import duckdb
import jinja2

from citystat.analysis.equity import EquityError, read_demographic
from citystat.analysis.quality import MeasureQuality, PeriodQuality, check_measures, label_status
from citystat.analysis.series import MIN_DENOMINATOR, rests_on_rows
from citystat.analysis.xmr import Signal
from citystat.catalog.load import Catalog
from citystat.catalog.model import Grain, Measure
from citystat.engine.query import QueryError, query_series
from citystat.errors import CitystatError
from citystat.reports.equity import POPULATION_VARIABLES
from citystat.reports.judge import MeasureJudgement, judge_measure

EQUITY_LAYERS = ("csa", "neighborhood", "council_district")  # the first the measure is broken down by
EQUITY_GRAIN: Grain = "fiscal_year"
RECENT_PERIODS = 12  # signals touching the last this-many periods are listed
AREAS_SHOWN = 3  # worst and best areas listed


class ReportError(CitystatError):
    """A briefing cannot be written (unknown agency, no measures)."""


@dataclass(frozen=True)
class AreaValue:
    area: str
    value: float
    rows: float | None


@dataclass(frozen=True)
class EquityRanking:
    layer: str
    period: str
    basis: str  # what the areas are ranked on, in words
    unit: str  # "per 1,000 residents" or the measure's unit
    worst: tuple[AreaValue, ...]
    best: tuple[AreaValue, ...]
    areas: int
    left_out: int
    note: str = ""


@dataclass(frozen=True)
class MeasureBrief:
    measure: Measure
    judgement: MeasureJudgement | None
    recent_signals: tuple[Signal, ...]
    equity: EquityRanking | None
    problems: tuple[str, ...] = field(default_factory=tuple)  # "not enough data" and the like
    quality: MeasureQuality | None = None  # data-quality grades of the briefing's periods

    @property
    def latest_quality(self) -> PeriodQuality | None:
        """The latest period's grade and the failing checks behind it (None: every check passes)."""
        latest = None if self.judgement is None else self.judgement.latest
        if latest is None or self.quality is None:
            return None
        return self.quality.period(latest.label)

    @property
    def grade_text(self) -> str:
        latest = None if self.judgement is None else self.judgement.latest
        if latest is None or self.quality is None:
            return "not graded"
        return self.quality.grade_of(latest.label)

    @property
    def status_text(self) -> str:
        """The latest target status, or "data issue" when the data behind the value fail a check."""
        latest = None if self.judgement is None else self.judgement.latest
        if latest is None:
            return "no value"
        if self.quality is None:
            return latest.status
        return label_status(latest.status, self.quality.grade_of(latest.label))

    @property
    def latest_text(self) -> str:
        latest = None if self.judgement is None else self.judgement.latest
        if latest is None or latest.value is None:
            return "no value"
        return format_value(latest.value, self.measure.unit)


@dataclass(frozen=True)
class AgencyBriefing:
    agency: str
    grain: Grain
    generated: dt.date
    measures: tuple[MeasureBrief, ...]

    @property
    def title(self) -> str:
        return f"CitiStat briefing: {self.agency}"


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "no value"
    if unit == "percent":
        return f"{value * 100:.1f}%"
    if unit == "count":
        return f"{value:,.0f}"
    if unit in ("hours", "days"):
        return f"{value:,.1f} {unit}"
    return f"{value:,.4g}"


def list_agency_codes(con: duckdb.DuckDBPyConnection, agency: str) -> set[str]:
    rows = con.execute(
        "SELECT DISTINCT service_code FROM service_requests WHERE lower(agency) = lower(?)", [agency]
    ).fetchall()
    return {str(r[0]) for r in rows if r[0] is not None}


def belongs_to(measure: Measure, agency: str, codes: set[str]) -> bool:
    if measure.agency.casefold() == agency.casefold():
        return True
    if measure.computation is None:
        return False
    rule = measure.computation.filter
    if any(a.casefold() == agency.casefold() for a in rule.agencies):
        return True
    if rule.service_codes and any(c in codes for c in rule.service_codes):
        return True
    return any(code.startswith(p) for p in rule.service_code_prefixes for code in codes)


def select_agency_measures(con: duckdb.DuckDBPyConnection, catalog: Catalog, agency: str) -> list[Measure]:
    codes = list_agency_codes(con, agency)
    return [m for m in catalog.active() if belongs_to(m, agency, codes)]


def find_recent_signals(judgement: MeasureJudgement) -> tuple[Signal, ...]:
    labels = [label for s in judgement.chart.segments for label in s.labels][-RECENT_PERIODS:]
    recent = set(labels)
    return tuple(s for s in judgement.chart.signals if recent.intersection(s.points))


def rank_areas(con: duckdb.DuckDBPyConnection, measure: Measure) -> EquityRanking | None:
    """Worst and best areas of an equity-flagged measure in its latest fiscal year, or None."""
    layer = next((d for d in EQUITY_LAYERS if d in measure.disaggregations), None)
    if not measure.equity or layer is None:
        return None
    rows = query_series(con, measure.id, grain=EQUITY_GRAIN, dimension=layer).rows
    if not rows:
        return EquityRanking(layer, "", "", "", (), (), 0, 0, "no values by area yet")
    latest = max(r["period_start"] for r in rows)
    current = [
        r
        for r in rows
        if r["period_start"] == latest and r["value"] is not None and r["dimension_value"] not in (None, "")
    ]
    period = str(current[0]["period_label"]) if current else ""
    small = rests_on_rows(measure)
    values = [
        AreaValue(str(r["dimension_value"]), float(r["value"]), r["denominator"])
        for r in current
        if r["dimension_value"] not in (None, "")
        and (not small or (r["denominator"] or 0) >= MIN_DENOMINATOR)
    ]
    left_out = len(current) - len(values)
    basis, higher_is_worse = f"{measure.title}, {period}", measure.direction == "down"
    unit: str = measure.unit
    note = ""
    if measure.direction == "none":
        per_person = per_thousand(con, layer, values)
        if per_person is None:
            note = "no desired direction and no population: highest and lowest areas shown"
            higher_is_worse = True
        else:
            values, basis, unit = per_person, f"{measure.title} per 1,000 residents, {period}", "per 1,000"
            higher_is_worse = False  # a low rate may mean residents are not reaching the service
    if len(values) < 2 * AREAS_SHOWN:
        return EquityRanking(
            layer,
            period,
            basis,
            unit,
            (),
            (),
            len(values),
            left_out,
            f"not enough data: {len(values)} area(s) with at least {MIN_DENOMINATOR} requests",
        )
    ordered = sorted(values, key=lambda a: (a.value, a.area), reverse=higher_is_worse)
    worst = tuple(ordered[:AREAS_SHOWN])
    best = tuple(reversed(ordered[-AREAS_SHOWN:]))
    return EquityRanking(layer, period, basis, unit, worst, best, len(values), left_out, note)


def per_thousand(
    con: duckdb.DuckDBPyConnection, layer: str, values: Sequence[AreaValue]
) -> list[AreaValue] | None:
    variable = POPULATION_VARIABLES.get(layer)
    if variable is None:
        return None
    try:
        people = read_demographic(con, layer, variable)
    except EquityError:
        return None
    return [
        AreaValue(a.area, a.value / people[a.area].value * 1000, a.value)
        for a in values
        if a.area in people and people[a.area].value > 0
    ]


def brief_measure(con: duckdb.DuckDBPyConnection, measure: Measure, grain: Grain) -> MeasureBrief:
    try:
        judgement = judge_measure(con, measure.id, grain)
    except QueryError:
        return MeasureBrief(
            measure, None, (), None, ("no values in the warehouse yet: run 'citystat compute'",)
        )
    problems = []
    if judgement.chart.status == "not enough data":
        problems.append(f"not enough data for process limits: {judgement.chart.current.reason}")
    latest = judgement.latest
    if latest is not None and latest.status == "not enough data":
        problems.append(f"latest period {latest.label}: not enough data ({latest.reason})")
    return MeasureBrief(
        measure, judgement, find_recent_signals(judgement), rank_areas(con, measure), tuple(problems)
    )


def build_agency_briefing(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    agency: str,
    grain: Grain = "month",
    *,
    today: dt.date | None = None,
) -> AgencyBriefing:
    measures = select_agency_measures(con, catalog, agency)
    if not measures:
        known = sorted({m.agency for m in catalog.active()})
        raise ReportError(f"no catalog measure belongs to agency {agency!r}; agencies: {', '.join(known)}")
    as_of = today or dt.date.today()
    computed = [m.id for m in measures if m.computation is not None and is_recorded(con, m.id)]
    graded = check_measures(con, computed, as_of=as_of, grain=grain)
    briefs = tuple(replace(brief_measure(con, m, grain), quality=graded.get(m.id)) for m in measures)
    return AgencyBriefing(agency, grain, as_of, briefs)


def is_recorded(con: duckdb.DuckDBPyConnection, measure_id: str) -> bool:
    """The measure has been computed into this warehouse (its definition is recorded)."""
    query = "SELECT count(*) FROM measure_definitions WHERE measure_id = ?"
    row = con.execute(query, [measure_id]).fetchone()
    return bool(row and row[0])


def render_markdown(briefing: AgencyBriefing) -> str:
    lines = [
        f"# {briefing.title}",
        "",
        f"Prepared {briefing.generated.isoformat()}, by {briefing.grain}.",
        "",
        "Data quality grade: A, every check passes; B, a minor gap that does not change the value;"
        ' C, a check fails, so the status reads "data issue": the number cannot be judged as performance.',
        "",
    ]
    lines += [
        "## Measures at a glance",
        "",
        "| Measure | Latest period | Latest value | Target | Target status"
        " | Will it meet the target? | Quality grade |",
        "|---|---|---|---|---|---|---|",
    ]
    for b in briefing.measures:
        latest = None if b.judgement is None else b.judgement.latest
        assurance = None if b.judgement is None else b.judgement.assurance
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{b.measure.title} (`{b.measure.id}`)",
                    latest.label if latest else "none",
                    b.latest_text,
                    format_value(latest.target, b.measure.unit)
                    if latest and latest.target is not None
                    else "no target",
                    b.status_text,
                    assurance.verdict
                    if assurance
                    else (b.judgement.assurance_note if b.judgement else "no data"),
                    b.grade_text,
                ]
            )
            + " |"
        )
    for b in briefing.measures:
        lines += ["", f"## {b.measure.title}", ""]
        lines += [f"- {p}" for p in b.problems]
        if b.judgement is not None:
            lines += markdown_judgement(b)
        lines += markdown_quality(b)
        if b.equity is not None:
            lines += markdown_equity(b.equity)
    return "\n".join(lines) + "\n"


def markdown_judgement(b: MeasureBrief) -> list[str]:
    assert b.judgement is not None
    j, unit = b.judgement, b.measure.unit
    out = []
    limits = j.chart.limits
    if limits is not None:
        out.append(
            f"- Process: centre {format_value(limits.centre, unit)}, natural limits"
            f" {format_value(limits.lower, unit)} to {format_value(limits.upper, unit)}."
        )
    if j.assurance is not None:
        out.append(f"- Target assurance: {j.assurance.verdict}: {j.assurance.explanation}.")
    if b.recent_signals:
        out.append("- Signals in the last 12 periods:")
        out += [f"  - {s.describe()}" for s in b.recent_signals]
    elif limits is not None:
        out.append("- No signal in the last 12 periods: the variation is routine.")
    return out


def markdown_quality(b: MeasureBrief) -> list[str]:
    period = b.latest_quality
    if b.quality is None or b.judgement is None or b.judgement.latest is None:
        return []
    label = b.judgement.latest.label
    if period is None or not period.reasons:
        return [f"- Data quality for {label}: grade {b.grade_text}; no check fails."]
    return [
        f"- Data quality for {label}: grade {period.grade}. Checks that fail:",
        *(f"  - {reason}" for reason in period.reasons),
    ]


def markdown_equity(e: EquityRanking) -> list[str]:
    out = ["", f"### Equity by {e.layer}", ""]
    if not e.worst:
        return [*out, f"{e.note}."]
    out.append(f"Ranked on {e.basis} ({e.areas} areas; {e.left_out} left out for too few requests).")
    if e.note:
        out.append(f"{e.note}.")
    out += ["", "| Served | Area | Value |", "|---|---|---|"]
    out += [f"| worst | {a.area} | {format_area(a.value, e.unit)} |" for a in e.worst]
    out += [f"| best | {a.area} | {format_area(a.value, e.unit)} |" for a in e.best]
    return out


def format_area(value: float, unit: str) -> str:
    return f"{value:,.1f} per 1,000" if unit == "per 1,000" else format_value(value, unit)


def render_html(briefing: AgencyBriefing) -> str:
    folder = Path(str(resources.files("citystat.reports"))) / "templates"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    env.filters["value"] = format_value
    env.filters["area_value"] = format_area
    return env.get_template("agency.html").render(b=briefing, recent=RECENT_PERIODS)


def write_agency_briefing(briefing: AgencyBriefing, out_dir: Path) -> tuple[Path, Path]:
    """Write ``<agency>.md`` and ``<agency>.html`` into ``out_dir``; return both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "briefing-" + "".join(c if c.isalnum() else "-" for c in briefing.agency.lower()).strip("-")
    markdown, html = out_dir / f"{stem}.md", out_dir / f"{stem}.html"
    markdown.write_text(render_markdown(briefing), encoding="utf-8")
    html.write_text(render_html(briefing), encoding="utf-8")
    return markdown, html
