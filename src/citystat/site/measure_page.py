"""The measure page as data: a :class:`~citystat.site.measure.MeasureView` and the measure's equity
(:mod:`citystat.site.equity`) turned into text in the page's language, a chart, a map and tables.

What the page shows, section by section: the latest value with its target status in words and its
quality grade; facts (owner, the processes that use the measure, source, direction); the chart over
time with target and process limits, its summary and its numbers (period, value, target, status,
quality grade, signal); the quality grade and the checks behind it; targets and versions; the
measure by area (map, table, disparity in words); downloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from citystat.analysis.series import MIN_DENOMINATOR
from citystat.catalog.model import GRAINS
from citystat.charts import (
    SIGNAL_NAMES,
    AreaShape,
    ChartPoint,
    ChartSegment,
    MeasureChart,
    RenderedChart,
    prefer_higher,
    render_choropleth,
    render_measure_chart,
)
from citystat.charts.values import choose_digits
from citystat.i18n import Lang, format_day, format_number, name_period, translate
from citystat.site.areas import read_area_shapes
from citystat.site.catalog import CADENCE_GRAINS, MeasureInfo, as_grain, get_catalog
from citystat.site.equity import DisparityView, EquityView, read_measure_equity
from citystat.site.errors import InvalidRequestError
from citystat.site.measure import MeasureView, PointView, read_measure_view
from citystat.site.page_parts import (
    Cell,
    Link,
    Table,
    describe_grade,
    describe_status,
    explain_grade,
    format_figure,
    format_words,
    link_area,
    mark_source,
    name_grain,
    name_layer,
)
from citystat.site.reader import WarehouseReader

# The layer shown first on the measure page, when the measure is stored by it.
LAYER_PREFERENCE = ("csa", "neighborhood", "council_district", "police_district", "tract")
CHECK_NAMES = {
    "completeness": "Completeness",
    "validity": "Validity",
    "duplicates": "Duplicates",
    "timeliness": "Timeliness",
    "volume": "Volume",
    "quarantine": "Quarantined rows",
    "format": "Format",
}
SEVERITY_WORDS = {"pass": ("Passes", "met"), "minor": ("Minor issue", "near"), "fail": ("Fails", "missed")}
DIRECTION_WORDS = {
    "up": "Higher is better",
    "down": "Lower is better",
    "maintain": "Best kept steady near the target",
    "none": "Neither higher nor lower is better: it counts demand",
}
PROCESS_NAMES = {
    "budget_book": "Budget book",
    "citistat": "CitiStat performance reviews",
    "action_plan": "Mayor's Action Plan",
}
POINT_COLUMNS = ("Period", "Value", "Target", "Status", "Data quality grade", "Signal")
VERSION_COLUMNS = ("Version", "Name", "In force from", "What changed")
MAX_QUALITY_PERIODS = 24  # periods below grade A listed on the page (newest first)


@dataclass(frozen=True)
class Fact:
    term: str
    lines: tuple[Cell, ...]


@dataclass(frozen=True)
class Headline:
    """The latest value, its target status in words and its quality grade."""

    period: str
    value: str
    status: Cell
    target: str | None
    grade: str
    grade_words: str


@dataclass(frozen=True)
class QualitySection:
    grade: str
    grade_words: str
    as_of: str | None
    checks: Table
    periods: Table | None  # periods below grade A, newest first
    more_periods: int  # how many more were left out


@dataclass(frozen=True)
class EquitySection:
    layer: str
    layer_name: str
    layer_links: tuple[Link, ...]
    period: str | None
    city: str | None  # the city's value for the same period, in words
    map: RenderedChart | None
    table: Table
    disparity: tuple[str, ...]  # sentences
    notes: tuple[str, ...]  # sentences in the page's language


@dataclass(frozen=True)
class MeasurePage:
    info: MeasureInfo
    lang: Lang
    source_lang: Lang | None
    grain: str | None  # None: no value stored yet (the page shows what the measure is)
    grain_name: str | None
    grain_links: tuple[Link, ...]
    headline: Headline | None
    facts: tuple[Fact, ...]
    chart: RenderedChart | None
    table: Table | None
    year_to_date: bool  # targets are judged on the year-to-date total
    chart_notes: tuple[str, ...]
    quality: QualitySection | None
    targets: Table | None
    versions: Table
    equity: EquitySection | None
    downloads: tuple[Link, ...]


# --- the chart and its table -------------------------------------------------------------------


def name_signal(point: PointView) -> str | None:
    """The plain name of the first rule (in ``SIGNAL_NAMES`` order) the point is part of."""
    return next((name for rule, name in SIGNAL_NAMES.items() if rule in point.signals), None)


def pick_chart_target(view: MeasureView) -> float | None:
    """The target line: the newest period's own target, unless targets are year-to-date sums."""
    for point in reversed(view.points):
        if point.target is not None:
            return point.target if point.basis == "period" else None
    return None


def build_chart_input(view: MeasureView) -> MeasureChart:
    segments = tuple(ChartSegment(s.first, s.last, s.centre, s.lower, s.upper) for s in view.segments)
    current = view.segments[-1] if view.segments else None
    return MeasureChart(
        title=view.info.name,
        unit=view.info.unit,
        higher_is_better=prefer_higher(view.info.measure.direction),
        points=tuple(ChartPoint(p.label, p.value, name_signal(p)) for p in view.points),
        centre=None if current is None else current.centre,
        lower_limit=None if current is None else current.lower,
        upper_limit=None if current is None else current.upper,
        target=pick_chart_target(view),
        segments=segments if len(segments) > 1 else (),
    )


def tabulate_points(view: MeasureView, lang: Lang) -> Table:
    """Period, value, target, status, quality grade and signal of every period, oldest first."""
    unit = view.info.unit
    digits = choose_digits(unit, [p.value for p in view.points], detailed=True)
    target_digits = choose_digits(unit, [p.target for p in view.points], detailed=True)
    rows = []
    for point in view.points:
        signal = name_signal(point)
        rows.append(
            (
                Cell(name_period(lang, point.label)),
                Cell(format_figure(lang, point.value, unit, digits)),
                Cell("–" if point.target is None else format_figure(lang, point.target, unit, target_digits)),
                describe_status(lang, point.status),
                Cell(point.grade),
                Cell("" if signal is None else translate(lang, signal)),
            )
        )
    return Table(
        translate(lang, "{name}: every period", name=view.info.name),
        tuple(translate(lang, c) for c in POINT_COLUMNS),
        tuple(rows),
        (False, True, True, False, False, False),
    )


def describe_headline(view: MeasureView, lang: Lang) -> Headline | None:
    latest = view.latest
    if latest is None or latest.value is None:
        return None
    unit = view.info.unit
    target = None
    if latest.target is not None:
        target = format_words(lang, latest.target, unit, [latest.value])
    return Headline(
        period=name_period(lang, latest.label),
        value=format_words(lang, latest.value, unit, [latest.target]),
        status=describe_status(lang, latest.status),
        target=target,
        grade=latest.grade,
        grade_words=explain_grade(lang, latest.grade),
    )


# --- facts -------------------------------------------------------------------------------------


def list_processes(info: MeasureInfo, lang: Lang) -> tuple[Cell, ...]:
    lines = []
    for process in info.processes:
        name = translate(lang, PROCESS_NAMES.get(process, process))
        if process == "budget_book" and info.budget_services:
            for service in info.budget_services:
                label = service.id if service.name is None else f"{service.name} ({service.id})"
                text = translate(lang, "{process}, service {service}", process=name, service=label)
                lines.append(Cell(text))
        elif process == "action_plan" and info.action_plan is not None:
            place = info.action_plan
            parts = []
            if place.pillar_id is not None:
                pillar = translate(lang, "pillar {id}", id=place.pillar_id)
                parts.append(pillar if place.pillar_name is None else f"{pillar}: {place.pillar_name}")
            if place.goal_code is not None:
                goal = translate(lang, "goal {code}", code=place.goal_code)
                parts.append(goal if place.goal_title is None else f"{goal}: {place.goal_title}")
            lines.append(Cell(", ".join([name, *parts])))
        else:
            lines.append(Cell(name))
    return tuple(lines) or (Cell(translate(lang, "No public process uses it yet")),)


def list_facts(info: MeasureInfo, lang: Lang) -> tuple[Fact, ...]:
    source = mark_source(lang)
    owner = [Cell(info.agency, href=f"/agencies/{info.agency_id}", lang=source)]
    if info.owner_role:
        owner.append(Cell(info.owner_role, lang=source))
    direction = translate(lang, DIRECTION_WORDS[info.direction])
    cadence = name_grain(lang, CADENCE_GRAINS.get(info.measure.cadence, info.cadence))
    facts = [
        Fact(translate(lang, "Who is responsible"), tuple(owner)),
        Fact(translate(lang, "Used in"), list_processes(info, lang)),
        Fact(translate(lang, "Which way is better"), (Cell(direction),)),
        Fact(translate(lang, "How often it is reported"), (Cell(cadence),)),
        Fact(translate(lang, "Where the data come from"), (Cell(info.data_source, lang=source),)),
    ]
    if info.formula:
        facts.append(Fact(translate(lang, "How it is calculated"), (Cell(info.formula, lang=source),)))
    return tuple(facts)


# --- quality, targets, versions ----------------------------------------------------------------


def describe_quality(view: MeasureView, lang: Lang, day: str | None) -> QualitySection:
    source = mark_source(lang)
    checks = tuple(
        (
            Cell(translate(lang, CHECK_NAMES.get(f.check, f.check))),
            describe_status_of_check(lang, f.severity),
            Cell(f.detail, lang=source),
        )
        for f in view.quality.findings
    )
    flagged = [p for p in reversed(view.quality.periods) if p.grade != "A"]
    periods = tuple(
        (
            Cell(name_period(lang, p.label)),
            Cell(p.grade),
            Cell("; ".join(f.detail for f in p.findings if f.severity != "pass"), lang=source),
        )
        for p in flagged[:MAX_QUALITY_PERIODS]
    )
    return QualitySection(
        grade=view.quality.grade,
        grade_words=describe_grade(lang, view.quality.grade),
        as_of=day,
        checks=Table(
            translate(lang, "Checks on the measure as a whole"),
            (translate(lang, "Check"), translate(lang, "Result"), translate(lang, "What was found")),
            checks,
            (False, False, False),
        ),
        periods=None
        if not periods
        else Table(
            translate(lang, "Periods below grade A"),
            (translate(lang, "Period"), translate(lang, "Grade"), translate(lang, "What was found")),
            periods,
            (False, False, False),
        ),
        more_periods=max(0, len(flagged) - MAX_QUALITY_PERIODS),
    )


def describe_status_of_check(lang: Lang, severity: str) -> Cell:
    words, tag = SEVERITY_WORDS.get(severity, (severity, "none"))
    return Cell(translate(lang, words), tag=tag)


def tabulate_targets(info: MeasureInfo, lang: Lang) -> Table | None:
    if not info.targets:
        return None
    digits = choose_digits(info.unit, [t.value for t in info.targets], detailed=True)
    notes = any(t.note for t in info.targets)
    rows = tuple(
        (
            Cell(f"FY{t.fiscal_year}"),
            Cell(format_figure(lang, t.value, info.unit, digits)),
            *([Cell(t.note or "", lang=mark_source(lang))] if notes else []),
        )
        for t in info.targets
    )
    columns: tuple[str, ...] = (translate(lang, "Fiscal year"), translate(lang, "Target"))
    if notes:
        columns += (translate(lang, "Note"),)
    numeric = (False, True, False)[: len(columns)]
    return Table(translate(lang, "Targets by fiscal year"), columns, rows, numeric)


def tabulate_versions(info: MeasureInfo, lang: Lang) -> Table:
    rows = []
    for v in info.versions:
        start = v.effective_from
        since = translate(lang, "From the start") if start is None else format_day(lang, start)
        changed = ", ".join(v.changed) if v.changed else translate(lang, "First version")
        rows.append(
            (
                Cell(translate(lang, "Version {number}", number=v.version)),
                Cell(v.name, lang=mark_source(lang)),
                Cell(since),
                Cell(changed),
            )
        )
    return Table(
        translate(lang, "Versions of the definition"),
        tuple(translate(lang, c) for c in VERSION_COLUMNS),
        tuple(rows),
        (False, False, False, False),
    )


# --- by area ----------------------------------------------------------------------------------


def pick_layer(info: MeasureInfo, asked: str | None) -> str | None:
    if asked is not None or not info.area_layers:
        return asked
    return next(layer for layer in (*LAYER_PREFERENCE, *info.area_layers) if layer in info.area_layers)


def describe_disparity(
    disparity: DisparityView, unit: str, layer: str, names: dict[str, str], lang: Lang
) -> tuple[str, ...]:
    """The disparity across areas in sentences."""
    rate = disparity.basis != "value"
    shown_unit = "number" if rate else unit
    layer_words = name_layer(lang, layer, plural=True).lower()
    sentences = []
    if disparity.worst_mean is not None and disparity.best_mean is not None:
        pair = [disparity.worst_mean, disparity.best_mean]
        worst = format_words(lang, disparity.worst_mean, shown_unit, pair)
        best = format_words(lang, disparity.best_mean, shown_unit, pair)
        key = (
            "Requests per 1,000 residents: the fifth of {layers} with the lowest rate averaged {worst},"
            " the fifth with the highest {best}."
            if rate
            else "The fifth of {layers} served worst averaged {worst}; the fifth served best averaged {best}."
        )
        sentences.append(translate(lang, key, layers=layer_words, worst=worst, best=best))
        worst_names = [names.get(label, label) for label in disparity.worst_quintile]
        if worst_names:
            key = "Lowest rates: {names}." if rate else "Served worst: {names}."
            sentences.append(translate(lang, key, names=", ".join(worst_names)))
    sentences.append(
        translate(
            lang,
            "Across {count} {layers} the Gini index is {gini} (0 would mean every area gets the same;"
            " the closer to 1, the more unequal).",
            count=disparity.areas,
            layers=layer_words,
            gini=format_number(lang, disparity.gini, 2),
        )
    )
    if rate:
        sentences.append(translate(lang, "A low rate may mean residents are not reaching the service."))
    return tuple(sentences)


def tabulate_areas(equity: EquityView, info: MeasureInfo, lang: Lang) -> Table:
    unit = info.unit
    digits = choose_digits(unit, [a.value for a in equity.areas], detailed=True)
    with_rate = any(a.per_1000 is not None for a in equity.areas)
    with_note = any(a.value is not None and not a.enough for a in equity.areas)
    columns = [translate(lang, "Area"), translate(lang, "Value")]
    numeric = [False, True]
    if with_rate:
        columns.append(translate(lang, "Per 1,000 residents"))
        numeric.append(True)
    if with_note:
        columns.append(translate(lang, "Note"))
        numeric.append(False)
    rows = []
    for area in sorted(equity.areas, key=lambda a: (a.name or a.label).casefold()):
        href = None if area.area_id is None else link_area(equity.layer, area.area_id)
        name = area.name or area.label or translate(lang, "No area")
        row = [Cell(name, href=href), Cell(format_figure(lang, area.value, unit, digits))]
        if with_rate:
            row.append(Cell("–" if area.per_1000 is None else format_number(lang, area.per_1000, 1)))
        if with_note:
            note = "" if area.value is None or area.enough else translate(lang, "Too few requests to compare")
            row.append(Cell(note))
        rows.append(tuple(row))
    caption = translate(
        lang,
        "{name} by {layer}, {period}",
        name=info.name,
        layer=name_layer(lang, equity.layer).lower(),
        period=equity.period_label or "–",
    )
    return Table(caption, tuple(columns), tuple(rows), tuple(numeric))


def map_areas(reader: WarehouseReader, equity: EquityView, info: MeasureInfo, lang: Lang) -> RenderedChart:
    shapes = [AreaShape(s.area_id, s.name, s.geometry) for s in read_area_shapes(reader, equity.layer)]
    values = {a.area_id or a.label: a.value for a in equity.areas if a.enough or a.value is None}
    title = translate(
        lang,
        "{name} by {layer}, {period}",
        name=info.name,
        layer=name_layer(lang, equity.layer).lower(),
        period=equity.period_label or "–",
    )
    return render_choropleth(
        title, info.unit, shapes, values, lang, higher_is_better=prefer_higher(info.measure.direction)
    )


def explain_equity(equity: EquityView, info: MeasureInfo, lang: Lang) -> tuple[str, ...]:
    """What the reader should know about the areas' values, in words."""
    notes = []
    left_out = sum(1 for a in equity.areas if a.value is not None and not a.enough)
    if left_out:
        notes.append(
            translate(
                lang,
                "{count} areas rest on fewer than {rows} requests: their values are shown but not compared.",
                count=left_out,
                rows=MIN_DENOMINATOR,
            )
        )
    if equity.unplaced_value is not None:
        layer = name_layer(lang, equity.layer).lower()
        notes.append(translate(lang, "Requests with no {layer} recorded are in no area.", layer=layer))
    if equity.disparity is None and any(a.value is not None for a in equity.areas):
        key = (
            "This measure has no better direction, so areas are not ranked."
            if info.direction in ("none", "maintain")
            else "Too few areas have enough requests to compare them."
        )
        notes.append(translate(lang, key))
    return tuple(notes)


def describe_equity(
    reader: WarehouseReader, view: MeasureView, layer: str, lang: Lang, grain: str
) -> EquitySection:
    info = view.info
    (equity,) = read_measure_equity(reader, info.id, layer)
    links = tuple(
        Link(
            name_layer(lang, name, plural=True),
            f"/measures/{info.id}?{urlencode({'grain': grain, 'layer': name})}#by-area",
            current=name == layer,
        )
        for name in info.area_layers
    )
    city = None
    if equity.city_value is not None and equity.period_label is not None:
        city = translate(
            lang,
            "The city as a whole: {value} in {period}.",
            value=format_words(lang, equity.city_value, info.unit),
            period=equity.period_label,
        )
    names = {a.label: a.name or a.label for a in equity.areas}
    disparity = (
        ()
        if equity.disparity is None
        else describe_disparity(equity.disparity, info.unit, layer, names, lang)
    )
    has_values = any(a.value is not None for a in equity.areas)
    return EquitySection(
        layer=layer,
        layer_name=name_layer(lang, layer, plural=True),
        layer_links=links,
        period=equity.period_label,
        city=city,
        map=map_areas(reader, equity, info, lang) if has_values else None,
        table=tabulate_areas(equity, info, lang),
        disparity=disparity,
        notes=explain_equity(equity, info, lang),
    )


# --- the page ---------------------------------------------------------------------------------


def build_empty_page(info: MeasureInfo, lang: Lang) -> MeasurePage:
    """The page of a measure with no value stored yet: what it is, who owns it, its targets."""
    return MeasurePage(
        info=info,
        lang=lang,
        source_lang=mark_source(lang),
        grain=None,
        grain_name=None,
        grain_links=(),
        headline=None,
        facts=list_facts(info, lang),
        chart=None,
        table=None,
        year_to_date=False,
        chart_notes=(),
        quality=None,
        targets=tabulate_targets(info, lang),
        versions=tabulate_versions(info, lang),
        equity=None,
        downloads=(),
    )


def build_measure_page(
    reader: WarehouseReader,
    measure_id: str,
    lang: Lang,
    *,
    grain: str | None = None,
    layer: str | None = None,
) -> MeasurePage:
    """Everything the measure page shows. Raises NotFoundError for an unknown measure and
    InvalidRequestError for a grain or area layer the measure has no values at."""
    try:
        chosen = None if grain is None else as_grain(grain)
    except ValueError as exc:
        raise InvalidRequestError(str(exc)) from exc
    info = get_catalog(reader).find_measure(measure_id)
    if chosen is None and info.default_grain is None:
        return build_empty_page(info, lang)
    view = read_measure_view(reader, measure_id, chosen)
    info = view.info
    chart = render_measure_chart(build_chart_input(view), lang)
    area_layer = pick_layer(info, layer)
    base = f"/api/v1/measures/{info.id}/values"
    return MeasurePage(
        info=info,
        lang=lang,
        source_lang=mark_source(lang),
        grain=view.grain,
        grain_name=name_grain(lang, view.grain),
        grain_links=tuple(
            Link(
                name_grain(lang, g.grain),
                f"/measures/{info.id}?{urlencode({'grain': g.grain, **({'layer': layer} if layer else {})})}",
                g.grain == view.grain,
            )
            for g in sorted(info.grains, key=lambda g: GRAINS.index(g.grain))
            if g.periods
        ),
        headline=describe_headline(view, lang),
        facts=list_facts(info, lang),
        chart=chart,
        table=tabulate_points(view, lang),
        year_to_date=any(p.basis == "year to date" for p in view.points),
        chart_notes=view.chart_notes,
        quality=describe_quality(view, lang, None if view.as_of is None else format_day(lang, view.as_of)),
        targets=tabulate_targets(info, lang),
        versions=tabulate_versions(info, lang),
        equity=None if area_layer is None else describe_equity(reader, view, area_layer, lang, view.grain),
        downloads=(
            Link(translate(lang, "All values as CSV"), f"{base}.csv"),
            Link(translate(lang, "All values as Parquet"), f"{base}.parquet"),
        ),
    )
