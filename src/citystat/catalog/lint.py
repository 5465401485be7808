"""Catalog review: the checks a performance team does by hand, run on measures (not files).

``lint_catalog(measures, fiscal_year=...)`` returns plain-language findings:

- ``missing-target`` / ``missing-next-target``: no target for the fiscal year (or the next one);
- ``direction``: no desired direction where one is needed (a measure with targets, or an outcome
  or effectiveness measure), so nobody can say whether a result is good;
- ``target-scale``: a percent target outside 0-1 (percents are fractions: 0.85 is 85%);
- ``value-scale``: stored values of a percent measure above 1 (needs the values, see StoredValue);
- ``duplicate-title`` / ``similar-title``: measures with the same or nearly the same title (see
  catalog.text.title_similarity), within one agency or across agencies;
- ``duplicate-formula``: different measures computed by the same formula;
- ``incomplete-definition``: SMART fields left empty or 'N/A' (definition, formula, data source,
  owner role, measure type, direction, unit);
- ``no-process``: measures that serve none of the budget book, CitiStat and the Action Plan;
- ``no-pillar``: measures not linked to an Action Plan pillar (one finding per agency);
- ``target-coverage``: per agency, the share of measures with a target for the fiscal year.

:func:`streamlining_report` counts which processes the measures serve.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from citystat.catalog.model import Measure
from citystat.catalog.text import could_be_similar, is_placeholder, title_key, title_similarity

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
NEEDS_DIRECTION = ("outcome", "effectiveness")
MIN_FORMULA_WORDS = 4
PROCESS_NAMES = {"budget_book": "budget book", "citistat": "CitiStat", "action_plan": "Action Plan"}


@dataclass(frozen=True)
class Finding:
    """One problem: which measures, which check, how serious, and what to do, in plain words."""

    check: str
    severity: Severity
    measure_ids: tuple[str, ...]
    message: str
    agency: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["measure_ids"] = list(self.measure_ids)
        return data


@dataclass(frozen=True)
class StoredValue:
    """A stored value of a measure, for the checks that need values."""

    measure_id: str
    period_label: str
    value: float


def fiscal_year_of(day: dt.date, start_month: int) -> int:
    """Fiscal years are named by the calendar year they end in (FY2026 = July 2025 - June 2026)."""
    return day.year + 1 if start_month > 1 and day.month >= start_month else day.year


def lint_catalog(
    measures: Sequence[Measure],
    *,
    fiscal_year: int,
    values: Sequence[StoredValue] = (),
    similarity_threshold: float = 0.9,
) -> list[Finding]:
    """Every finding for the active measures, most serious first."""
    active = [m for m in measures if not m.retired]
    findings: list[Finding] = []
    for measure in active:
        findings += check_targets(measure, fiscal_year)
        findings += check_direction(measure)
        findings += check_target_scale(measure)
        findings += check_completeness(measure)
    findings += check_value_scale(active, values)
    findings += check_titles(active, similarity_threshold)
    findings += check_formulas(active)
    findings += check_by_agency(active, "no-process", lambda m: not m.processes, no_process_message)
    findings += check_by_agency(active, "no-pillar", no_pillar, no_pillar_message)
    findings += check_target_coverage(active, fiscal_year)
    return sort_findings(findings)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.check, f.agency, f.measure_ids))


def describe(measure: Measure) -> str:
    return f"{measure.id} '{measure.title}'"


def check_targets(measure: Measure, fiscal_year: int) -> list[Finding]:
    found = []
    if fiscal_year not in measure.targets:
        message = f"{describe(measure)} has no target for FY{fiscal_year}"
        found.append(Finding("missing-target", "warning", (measure.id,), message, measure.agency))
    if fiscal_year + 1 not in measure.targets:
        message = f"{describe(measure)} has no target yet for FY{fiscal_year + 1}"
        found.append(Finding("missing-next-target", "info", (measure.id,), message, measure.agency))
    return found


def check_direction(measure: Measure) -> list[Finding]:
    if measure.direction != "none":
        return []
    if measure.targets:
        why = "it has targets, but without a direction nobody can say whether a result beats them"
    elif measure.measure_type in NEEDS_DIRECTION:
        why = f"it is an {measure.measure_type} measure, which should say whether up or down is better"
    else:
        return []
    message = f"{describe(measure)} has no desired direction: {why}"
    return [Finding("direction", "warning", (measure.id,), message, measure.agency)]


def check_target_scale(measure: Measure) -> list[Finding]:
    if measure.unit != "percent":
        return []
    wrong = {fy: t for fy, t in sorted(measure.targets.items()) if not 0 <= t <= 1}
    if not wrong:
        return []
    listed = ", ".join(f"FY{fy} {t:g}" for fy, t in wrong.items())
    message = (
        f"{describe(measure)} is a percent measure with targets outside 0-1 ({listed}); percents are "
        "stored as fractions (0.85 = 85%)"
    )
    return [Finding("target-scale", "error", (measure.id,), message, measure.agency)]


def check_value_scale(measures: Sequence[Measure], values: Sequence[StoredValue]) -> list[Finding]:
    percent = {m.id: m for m in measures if m.unit == "percent"}
    above: dict[str, list[StoredValue]] = defaultdict(list)
    for value in values:
        if value.measure_id in percent and abs(value.value) > 1:
            above[value.measure_id].append(value)
    found = []
    for measure_id, wrong in sorted(above.items()):
        measure = percent[measure_id]
        listed = ", ".join(f"{v.period_label} {v.value:g}" for v in wrong[:5])
        message = (
            f"{describe(measure)} is a percent measure but {len(wrong)} stored value(s) are above 1 "
            f"(100%): {listed}; check the unit or the numbers"
        )
        found.append(Finding("value-scale", "error", (measure_id,), message, measure.agency))
    return found


def missing_fields(measure: Measure) -> list[str]:
    """SMART fields a definition leaves empty (or 'N/A', 'TBD'). A computed measure's computation
    is its formula."""
    texts = {
        "definition": measure.definition,
        "formula": measure.formula if measure.computation is None else "computed",
        "data source": measure.data_source,
        "owner role": measure.owner_role,
    }
    missing = [name for name, text in texts.items() if is_placeholder(text)]
    repeats_source = title_key(measure.formula) == title_key(measure.data_source)
    if measure.computation is None and "formula" not in missing and repeats_source:
        missing.append("formula (it only repeats the data source)")
    if measure.measure_type is None:
        missing.append("measure type")
    if measure.direction == "none":
        missing.append("direction")
    if measure.unit == "number" and not measure.format:
        missing.append("unit")
    return missing


def check_completeness(measure: Measure) -> list[Finding]:
    missing = missing_fields(measure)
    if not missing:
        return []
    message = f"{describe(measure)}: definition incomplete, missing {', '.join(missing)}"
    return [Finding("incomplete-definition", "warning", (measure.id,), message, measure.agency)]


def group_titles(measures: Sequence[Measure]) -> dict[str, list[Measure]]:
    groups: dict[str, list[Measure]] = defaultdict(list)
    for measure in measures:
        groups[title_key(measure.title)].append(measure)
    return groups


def title_finding(check: str, group: Sequence[Measure], detail: str) -> Finding:
    agencies = sorted({m.agency for m in group})
    ids = tuple(m.id for m in group)
    if len(agencies) == 1:
        message = f"{agencies[0]} has {len(group)} measures with {detail}: " + "; ".join(map(describe, group))
        return Finding(check, "warning", ids, message + ". Keep one, or say how they differ.", agencies[0])
    message = (
        f"{len(agencies)} agencies define {len(group)} measures with {detail} "
        f"('{group[0].title}'): define it once, as a shared citywide measure reported by each agency"
    )
    return Finding(check, "info", ids, message)


def check_titles(measures: Sequence[Measure], threshold: float) -> list[Finding]:
    """Same title key, then clusters of near-identical titles (different keys)."""
    groups = group_titles(measures)
    found = [
        title_finding("duplicate-title", group, "the same title")
        for group in groups.values()
        if len(group) > 1
    ]
    words = {key: key.split() for key in groups}
    keys = sorted(groups, key=lambda k: (len(words[k]), k))
    parent = {key: key for key in keys}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:  # b has at least as many words as a
            if 2 * len(words[a]) / (len(words[a]) + len(words[b])) < threshold:
                break
            if could_be_similar(words[a], words[b], threshold) and title_similarity(a, b) >= threshold:
                parent[root(b)] = root(a)
    clusters: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        clusters[root(key)].append(key)
    for cluster in clusters.values():
        if len(cluster) > 1:
            group = sorted((m for key in cluster for m in groups[key]), key=lambda m: m.id)
            found.append(title_finding("similar-title", group, "nearly the same title"))
    return found


def check_formulas(measures: Sequence[Measure]) -> list[Finding]:
    """Measures with different titles but the same (non-trivial) formula."""
    groups: dict[str, list[Measure]] = defaultdict(list)
    for measure in measures:
        key = title_key(measure.formula)
        if not is_placeholder(measure.formula) and len(key.split()) >= MIN_FORMULA_WORDS:
            groups[key].append(measure)
    found = []
    for group in groups.values():
        if len({title_key(m.title) for m in group}) < 2:
            continue
        agencies = sorted({m.agency for m in group})
        message = (
            f"{len(group)} measures with different titles share the formula '{group[0].formula}' "
            f"({', '.join(agencies)}): either they report the same number under two names, or the "
            "formula does not say how each is calculated"
        )
        found.append(Finding("duplicate-formula", "info", tuple(m.id for m in group), message))
    return found


def no_pillar(measure: Measure) -> bool:
    return measure.action_plan is None or not measure.action_plan.pillar


def no_pillar_message(agency: str, count: int, total: int) -> str:
    return f"{agency}: {count} of {total} measures are not linked to a Mayor's Action Plan pillar"


def no_process_message(agency: str, count: int, total: int) -> str:
    return (
        f"{agency}: {count} of {total} measures serve none of the budget book, CitiStat or the "
        "Action Plan; retire them or say which process uses them"
    )


def check_by_agency(
    measures: Sequence[Measure],
    check: str,
    applies: Callable[[Measure], bool],
    message: Callable[[str, int, int], str],
) -> list[Finding]:
    """One info finding per agency listing its measures for which ``applies`` is true."""
    by_agency: dict[str, list[Measure]] = defaultdict(list)
    for measure in measures:
        by_agency[measure.agency].append(measure)
    found = []
    for agency, group in sorted(by_agency.items()):
        hits = tuple(m.id for m in group if applies(m))
        if hits:
            found.append(
                Finding(check, "info", hits, message(agency or "(no agency)", len(hits), len(group)), agency)
            )
    return found


@dataclass(frozen=True)
class Coverage:
    agency: str
    measures: int
    with_target: int

    @property
    def share(self) -> float:
        return self.with_target / self.measures if self.measures else 0.0


def target_coverage(measures: Sequence[Measure], fiscal_year: int) -> list[Coverage]:
    """Per agency: how many active measures have a target for ``fiscal_year``."""
    totals: Counter[str] = Counter()
    covered: Counter[str] = Counter()
    for measure in measures:
        if measure.retired:
            continue
        totals[measure.agency] += 1
        covered[measure.agency] += fiscal_year in measure.targets
    return [Coverage(agency, totals[agency], covered[agency]) for agency in sorted(totals)]


def check_target_coverage(measures: Sequence[Measure], fiscal_year: int) -> list[Finding]:
    found = []
    for row in target_coverage(measures, fiscal_year):
        if row.with_target == row.measures:
            continue
        lacking = tuple(m.id for m in measures if m.agency == row.agency and fiscal_year not in m.targets)
        severity: Severity = "warning" if row.share < 0.5 else "info"
        message = (
            f"{row.agency or '(no agency)'}: {row.with_target} of {row.measures} measures "
            f"({row.share:.0%}) have a target for FY{fiscal_year}"
        )
        found.append(Finding("target-coverage", severity, lacking, message, row.agency))
    return found


def streamlining_report(measures: Sequence[Measure], threshold: float = 0.9) -> dict[str, int]:
    """How many active measures serve each combination of processes, and how many duplicate others."""
    active = [m for m in measures if not m.retired]
    counts: Counter[str] = Counter()
    for measure in active:
        served = [PROCESS_NAMES[p] for p in PROCESS_NAMES if p in measure.processes]
        counts[" + ".join(served) if served else "none"] += 1
    duplicated = {i for f in check_titles(active, threshold) for i in f.measure_ids}
    report = {"measures": len(active), **{f"serve {k}": v for k, v in sorted(counts.items())}}
    report["in a duplicate or near-duplicate title group"] = len(duplicated)
    return report
