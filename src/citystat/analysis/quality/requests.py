"""Data-quality checks on service requests: per loaded file, and per computed measure and period.

Everything here reads the warehouse (and, for rejected rows, the source file they came from);
nothing is written. The rows a measure is about come from the engine's own compiled filter
(:func:`citystat.engine.compile.compile_scope_sql`), never a second copy of it. Dates are
compared with the ``as_of`` the caller passes, never the clock.

Checks and their rules (each held by a constant):

- **completeness**: rows in a measure's scope missing a field it needs: a close time on a closed
  request (durations, "closed within"), a due time (on-time measures), an area (breakdowns by
  area), and on-time measures' requests still open and due after the newest data (the period
  is not complete yet: they may still close on time). Minor above 0, failing above
  ``MISSING_FAIL_SHARE`` of the period's rows.
- **validity**: rows of the measure's scope and period rejected at ingest (closed before created,
  unparseable date, unknown agency ...), stored durations that are impossible (negative, or longer
  than ``MAX_DURATION_DAYS``), due before created (on-time measures), points outside the city or
  at placeholder coordinates (breakdowns by area, and measures limited to the city). One such row
  fails the period: the value rests on a row known to be wrong.
- **duplicates**: a request id that came twice with different content (the stored version may be
  the wrong one) fails its period; requests closed as duplicates are left out by design and are
  only minor when they are more than ``DUPLICATE_MINOR_SHARE`` of the period's requests.
- **timeliness**: the newest request older than the measure's cadence on ``as_of`` fails the
  measure (and its newest period); so does a stopped feed: no request of the measure's own scope
  since some day while other requests kept arriving, where its rate over the ``FEED_RATE_DAYS``
  days before predicts at least ``FEED_GAP_EXPECTED`` of them.
- **volume**: per agency and complete ISO week, a count below ``DROP_RATIO`` or above
  ``SURGE_RATIO`` times the median of the ``BASELINE_WEEKS`` weeks before it, *and* that
  improbable as Poisson noise around that median (tail probability below ``NOISE_P``), fails the
  periods that week touches; so does a week with none of a measure's own requests (a service's
  feed gap hidden inside a busy agency). Judged only when the median is at least
  ``MIN_WEEKLY_BASELINE``.
- **quarantine** (per file): minor when any row was rejected, failing above
  ``REJECTED_FAIL_SHARE`` of the rows read.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from citystat.analysis.quality.grade import grade_findings, grade_measure
from citystat.analysis.quality.model import (
    Applies,
    CheckName,
    Finding,
    MeasureQuality,
    Severity,
    SourceQuality,
)
from citystat.analysis.series import read_fiscal_start_month, read_measure
from citystat.catalog.model import Cadence, Filter, Grain, Measure
from citystat.engine.compile import compile_scope_sql
from citystat.engine.periods import label_period, python_period_start
from citystat.ingest.requests import FORMATS
from citystat.ingest.sources import stage_csv, stage_json
from citystat.profiles import CityProfile
from citystat.warehouse.city import resolve_profile

MISSING_FAIL_SHARE = 0.10
MAX_DURATION_DAYS = 5 * 365
DUPLICATE_MINOR_SHARE = 0.10
REJECTED_FAIL_SHARE = 0.05
DROP_RATIO = 0.2
SURGE_RATIO = 3.0
NOISE_P = 1e-4
BASELINE_WEEKS = 8
MIN_WEEKLY_BASELINE = 10
FEED_RATE_DAYS = 91
# A stopped feed: at least this many requests were expected in the gap (Poisson chance of none
# e^-20, about 2e-9: far below NOISE_P, because real arrivals bunch more than Poisson's).
FEED_GAP_EXPECTED = 20.0
CADENCE_DAYS: dict[Cadence, int] = {"daily": 1, "weekly": 7, "monthly": 31, "quarterly": 92, "annual": 366}
CADENCE_GRAIN: dict[Cadence, Grain] = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "fiscal_quarter",
    "annual": "fiscal_year",
}
DUPLICATE_CONFLICT = "duplicate request id with different content"
SOURCE_FIELDS = (
    "service_code",
    "agency",
    "method_received",
    "created_at",
    "status_at",
    "closed_at",
    "due_at",
)
AREA_FLAGS = ("outside_city", "placeholder_coordinates", "outside_region", "invalid_coordinates")


@dataclass(frozen=True)
class RejectedRow:
    """A row rejected at ingest, read back from its source file (what is needed to place it)."""

    source: str
    row_number: int
    request_id: str | None
    reason: str
    service_code: str | None
    agency: str | None
    method_received: str | None
    day: dt.date | None  # created date, or the first readable other date when it is unreadable


@dataclass(frozen=True)
class WeekShift:
    group: str  # the agency, or "requests of this measure"
    week_start: dt.date
    count: int
    baseline: float
    code: str  # "volume drop" | "volume surge"


# --- per source file ---------------------------------------------------------------------------


def count_by(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object]) -> dict[str, int]:
    return {str(k): int(n) for k, n in con.execute(sql, list(params)).fetchall()}


def check_sources(con: duckdb.DuckDBPyConnection) -> tuple[SourceQuality, ...]:
    """Quality of each loaded file of service requests (its newest load)."""
    loads = con.execute(
        "SELECT source, max(load_id), arg_max(rows_read, load_id) FROM load_log"
        " WHERE kind = 'requests' GROUP BY source ORDER BY 2"
    ).fetchall()
    return tuple(check_source(con, str(s), int(i), int(n)) for s, i, n in loads)


def check_source(con: duckdb.DuckDBPyConnection, source: str, load_id: int, rows_read: int) -> SourceQuality:
    reasons = "SELECT reason, count(DISTINCT coalesce(row_number, -1)) FROM quarantine"
    rejected = count_by(con, reasons + " WHERE source = ? AND action = 'rejected' GROUP BY 1", [source])
    flagged = count_by(con, reasons + " WHERE source = ? AND action = 'flagged' GROUP BY 1", [source])
    totals = con.execute(
        "SELECT count(DISTINCT row_number) FILTER (WHERE action = 'rejected'),"
        " count(DISTINCT row_number) FILTER (WHERE action = 'flagged') FROM quarantine WHERE source = ?",
        [source],
    ).fetchone()
    n_rejected, n_flagged = (int(totals[0]), int(totals[1])) if totals else (0, 0)
    geo = count_by(
        con, "SELECT geo_flag, count(*) FROM service_requests WHERE source_file = ? GROUP BY 1", [source]
    )
    findings = [quarantine_finding(n_rejected, rows_read)]
    for reason, n in sorted(rejected.items()):
        check: CheckName = "duplicates" if reason == DUPLICATE_CONFLICT else "validity"
        findings.append(Finding(check, reason, "minor", n, rows_read, f"{n:,} row(s) rejected: {reason}"))
    for reason, n in sorted(flagged.items()):
        findings.append(
            Finding("validity", reason, "minor", n, rows_read, f"{n:,} row(s) kept and flagged: {reason}")
        )
    return SourceQuality(
        source=source,
        load_id=load_id,
        rows_read=rows_read,
        rows_rejected=n_rejected,
        rows_flagged=n_flagged,
        rejected_by_reason=tuple(sorted(rejected.items())),
        flagged_by_reason=tuple(sorted(flagged.items())),
        outside_city=geo.get("outside_city", 0),
        placeholder_coordinates=geo.get("placeholder_coordinates", 0),
        grade=grade_findings(findings),
        findings=tuple(findings),
    )


def quarantine_finding(rejected: int, rows_read: int) -> Finding:
    share = rejected / rows_read if rows_read else 0.0
    severity: Severity = "fail" if share > REJECTED_FAIL_SHARE else "minor" if rejected else "pass"
    return Finding(
        "quarantine",
        "rejected rows",
        severity,
        rejected,
        rows_read,
        f"{rejected:,} of {rows_read:,} rows rejected ({share:.2%})",
    )


# --- rejected rows, read back from their files -------------------------------------------------


def read_rejected_rows(con: duckdb.DuckDBPyConnection, profile: CityProfile) -> list[RejectedRow]:
    """Rows rejected at ingest, with the fields that place them in a measure and a period, read
    again from the source file (in a separate in-memory database). Files no longer present, or
    read through a custom mapping, give their rows with no fields (they count per file only)."""
    rows = con.execute(
        "SELECT q.source, q.row_number, any_value(q.request_id), string_agg(DISTINCT q.reason, '; '),"
        " any_value(l.format) FROM quarantine q JOIN load_log l USING (load_id)"
        " WHERE q.action = 'rejected' AND l.kind = 'requests' AND q.row_number IS NOT NULL"
        " GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    by_source: dict[tuple[str, str], list[tuple[int, str | None, str]]] = defaultdict(list)
    for source, row_number, request_id, reason, fmt in rows:
        by_source[(str(source), str(fmt))].append((int(row_number), request_id, str(reason)))
    out: list[RejectedRow] = []
    for (source, fmt), items in by_source.items():
        fields = read_source_rows(Path(source), fmt, profile, [n for n, _, _ in items])
        for row_number, request_id, reason in items:
            got = fields.get(row_number, {})
            out.append(
                RejectedRow(
                    source=source,
                    row_number=row_number,
                    request_id=request_id,
                    reason=reason,
                    service_code=got.get("service_code"),
                    agency=got.get("agency"),
                    method_received=got.get("method_received"),
                    day=read_day(got, profile, fmt),
                )
            )
    return out


def read_source_rows(
    path: Path, fmt: str, profile: CityProfile, row_numbers: list[int]
) -> dict[int, dict[str, str | None]]:
    if not path.is_file() or fmt not in FORMATS or fmt == "csv":
        return {}
    mapping = profile.mapping(fmt)
    scratch = duckdb.connect()
    try:
        if fmt == "open311-json":
            stage_json(scratch, path, mapping, value_chars=500)
        else:
            stage_csv(scratch, path, mapping, max_field_chars=65_536, value_chars=500)
        columns = ", ".join(SOURCE_FIELDS)
        result = scratch.execute(
            f"SELECT row_number, {columns} FROM _raw WHERE list_contains(?, row_number)",  # noqa: S608
            [row_numbers],
        ).fetchall()
    finally:
        scratch.close()
    return {int(r[0]): dict(zip(SOURCE_FIELDS, r[1:], strict=True)) for r in result}


def read_day(fields: dict[str, str | None], profile: CityProfile, fmt: str) -> dt.date | None:
    """The created date; when it cannot be read, the first readable status, close or due date."""
    if not fields or fmt not in FORMATS or fmt == "csv":
        return None
    layouts = profile.mapping(fmt).timestamps
    for name in ("created_at", "status_at", "closed_at", "due_at"):
        text = fields.get(name)
        if not text:
            continue
        for layout in layouts:
            day = parse_day(text.strip(), layout.format)
            if day is not None:
                return day
    return None


def parse_day(text: str, layout: str) -> dt.date | None:
    con = duckdb.connect()
    try:
        if layout == "iso8601":
            row = con.execute("SELECT try_cast(try_cast(? AS TIMESTAMP) AS DATE)", [text]).fetchone()
        else:
            row = con.execute("SELECT try_cast(try_strptime(?, ?) AS DATE)", [text, layout]).fetchone()
    finally:
        con.close()
    value = row[0] if row else None
    return value if isinstance(value, dt.date) else None


# --- a measure's scope -------------------------------------------------------------------------


def scope_of(where: Filter, include_duplicates: bool) -> str:
    """The rows a measure is about, as the engine compiles them (a ``SELECT`` to use as a subquery)."""
    return compile_scope_sql(where, include_duplicates=include_duplicates)


def arrivals_of(where: Filter) -> str:
    """The requests whose arrival feeds a measure: its scope whatever their current status
    (a "closed" filter would make the newest weeks look thin), duplicates included."""
    return compile_scope_sql(where.model_copy(update={"statuses": []}), include_duplicates=True)


def in_scope(row: RejectedRow, where: Filter) -> bool:
    """Would the rejected row have counted for a measure with this filter? A row rejected for an
    unknown agency is judged by its service code alone when the filter names one."""
    code = row.service_code or ""
    if where.service_codes and code not in where.service_codes:
        return False
    if where.service_code_prefixes and not any(code.startswith(p) for p in where.service_code_prefixes):
        return False
    unknown_agency = "unknown agency" in row.reason
    if where.agencies and row.agency not in where.agencies:
        named_by_code = bool(where.service_codes or where.service_code_prefixes)
        if not (unknown_agency and named_by_code):
            return False
    return not (where.methods and row.method_received not in where.methods)


def needs(measure: Measure) -> tuple[bool, bool]:
    """(needs a close time, needs a due time)."""
    comp = measure.computation
    if comp is None:
        return False, False
    filters = [comp.filter, *([comp.numerator] if comp.numerator else [])]
    duration = comp.value is not None or any(f.closed_within_hours is not None for f in filters)
    due = any(f.closed_by_due is not None or f.has_due for f in filters)
    return duration, due


# --- per measure -------------------------------------------------------------------------------


class Placer:
    """Maps days to the measure's periods (the city's fiscal calendar)."""

    def __init__(self, grain: Grain, fiscal_start_month: int) -> None:
        self.grain = grain
        self.fiscal_start_month = fiscal_start_month
        self.labels: dict[dt.date, str] = {}

    def place(self, day: dt.date) -> dt.date:
        start = python_period_start(day, self.grain, self.fiscal_start_month)
        self.labels.setdefault(start, label_period(start, self.grain, self.fiscal_start_month))
        return start

    def places(self, first: dt.date, last: dt.date) -> list[dt.date]:
        starts = {self.place(first), self.place(last)}
        return sorted(starts)


def check_measure(
    con: duckdb.DuckDBPyConnection,
    measure_id: str,
    *,
    as_of: dt.date,
    grain: Grain | None = None,
    rejected: Sequence[RejectedRow] | None = None,
    shifts: Sequence[WeekShift] | None = None,
) -> MeasureQuality:
    """Grade a computed measure per period (``grain``: by default its cadence's).

    ``rejected`` and ``shifts`` may be passed when grading many measures (see
    :func:`check_measures`), so the source files and weekly volumes are read once.
    """
    measure = read_measure(con, measure_id)
    if measure.computation is None:
        raise ValueError(f"measure {measure_id!r} is reported; use check_reported_measure")
    grain = grain or CADENCE_GRAIN[measure.cadence]
    placer = Placer(grain, read_fiscal_start_month(con))
    if rejected is None:
        rejected = read_rejected_rows(con, resolve_profile(con, None))
    if shifts is None:
        shifts = find_volume_shifts(con)
    findings = [
        *check_stored_rows(con, measure, placer),
        *check_rejected_rows(con, measure, placer, rejected),
        *check_volume(con, measure, placer, shifts),
        *check_timeliness(con, measure, placer, as_of),
    ]
    return grade_measure(measure_id, grain, findings, placer.labels)


def check_measures(
    con: duckdb.DuckDBPyConnection, measure_ids: Iterable[str], *, as_of: dt.date, grain: Grain | None = None
) -> dict[str, MeasureQuality]:
    """Grade several computed measures (``grain``: by default each one's cadence's), reading source
    files and weekly volumes once."""
    rejected = read_rejected_rows(con, resolve_profile(con, None))
    shifts = find_volume_shifts(con)
    return {
        m: check_measure(con, m, as_of=as_of, grain=grain, rejected=rejected, shifts=shifts)
        for m in measure_ids
    }


# What check_stored_rows looks for: (code, the measure needs, condition on a kept row).
ROW_CHECKS = (
    ("closed without a close time", "duration", "no_close"),
    ("no due time", "due", "no_due"),
    ("open, not yet due", "due", "not_due"),
    ("no area", "geo", "no_area AND geo_flag IS NULL"),
    ("impossible duration", "duration", "bad_duration"),
    ("due before created", "due", "due_before_created"),
)


def check_stored_rows(con: duckdb.DuckDBPyConnection, measure: Measure, placer: Placer) -> list[Finding]:
    """Flagged stored rows of a measure, by period: one scan that counts each day's rows and
    lists the ids of each day's flagged rows (a few thousand groups reach Python, not every row)."""
    comp = measure.computation
    assert comp is not None
    scope = scope_of(comp.filter, True)
    date_col = "closed_at" if comp.date_field == "closed_at" else "created_at"
    duration, due = needs(measure)
    wanted = {
        "duration": duration,
        "due": due,
        "geo": bool(measure.disaggregations) or bool(comp.filter.in_city),
    }
    checks = [(code, condition) for code, need, condition in ROW_CHECKS if wanted[need]]
    kept = "TRUE" if comp.include_duplicates else "status_flag IS DISTINCT FROM 'duplicate'"
    lists = "".join(f", list(request_id) FILTER (WHERE {kept} AND {condition})" for _, condition in checks)
    geo_list = (
        f", list([geo_flag, request_id]) FILTER (WHERE {kept} AND list_contains($area_flags, geo_flag))"
        if wanted["geo"]
        else ", NULL"
    )
    rows = con.execute(
        "SELECT day, count(*), count(*) FILTER (WHERE status_flag IS DISTINCT FROM 'duplicate'),"  # noqa: S608
        f" list(request_id) FILTER (WHERE status_flag = 'duplicate'){geo_list}{lists}"
        " FROM (SELECT request_id,"
        f" {date_col}::DATE AS day,"
        " open311_status = 'closed' AND closed_utc IS NULL AS no_close,"
        " due_utc IS NULL AS no_due,"
        " neighborhood IS NULL AND council_district IS NULL AS no_area,"
        " closed_utc IS NOT NULL AND (closed_utc < created_utc"
        "  OR date_diff('second', created_utc, closed_utc) > $max_seconds) AS bad_duration,"
        " due_before_created, geo_flag, status_flag,"
        " closed_utc IS NULL AND due_utc > (SELECT max(created_utc) FROM service_requests) AS not_due"
        f" FROM ({scope}) AS scoped WHERE {date_col} IS NOT NULL) GROUP BY day",
        {"max_seconds": MAX_DURATION_DAYS * 86_400}
        | ({"area_flags": list(AREA_FLAGS)} if wanted["geo"] else {}),
    ).fetchall()
    totals: Counter[dt.date] = Counter()
    all_rows: Counter[dt.date] = Counter()
    hits: dict[tuple[dt.date, str], list[str]] = defaultdict(list)
    for day, n_all, n_kept, duplicates, geo_flags, *flagged in rows:
        start = placer.place(day)
        all_rows[start] += int(n_all)
        totals[start] += int(n_all if comp.include_duplicates else n_kept)
        hits[(start, "closed as duplicate")].extend(duplicates or ())
        for flag, request_id in geo_flags or ():
            hits[(start, flag.replace("_", " "))].append(request_id)
        for (code, _), ids in zip(checks, flagged, strict=True):
            hits[(start, code)].extend(ids or ())
    findings = []
    for (start, code), ids in sorted(hits.items()):
        if ids:
            findings.append(
                row_finding(code, start, ids, totals[start], all_rows[start], bool(comp.filter.in_city))
            )
    return findings


def row_finding(
    code: str, start: dt.date, ids: list[str], total: int, all_rows: int, in_city: bool
) -> Finding:
    n = len(ids)
    if code in ("closed without a close time", "no due time", "no area", "open, not yet due"):
        share = n / total if total else 1.0
        severity: Severity = "fail" if share > MISSING_FAIL_SHARE else "minor"
        applies: Applies = "areas" if code == "no area" and not in_city else "value"
        if code == "open, not yet due":
            detail = f"{n:,} of {total:,} rows ({share:.1%}) are open and due after the newest data"
        else:
            detail = f"{n:,} of {total:,} rows ({share:.1%}) have {code.removeprefix('no ')} missing"
        return Finding("completeness", code, severity, n, total, detail, start, applies, tuple(sorted(ids)))
    if code == "closed as duplicate":
        share = n / all_rows if all_rows else 0.0
        severity = "minor" if share > DUPLICATE_MINOR_SHARE else "pass"
        detail = f"{n:,} of {all_rows:,} requests ({share:.1%}) closed as duplicates (left out by design)"
        return Finding("duplicates", code, severity, n, all_rows, detail, start, "value", tuple(sorted(ids)))
    areas = code in ("outside city", "placeholder coordinates", "outside region", "invalid coordinates")
    where: Applies = "areas" if areas and not in_city else "value"
    detail = f"{n:,} row(s): {code}"
    return Finding("validity", code, "fail", n, total, detail, start, where, tuple(sorted(ids)))


def check_rejected_rows(
    con: duckdb.DuckDBPyConnection, measure: Measure, placer: Placer, rejected: Sequence[RejectedRow]
) -> list[Finding]:
    """Rejected rows that would have counted for the measure fail their period. A duplicate id's
    rejected copy is placed by the stored version (its period and scope)."""
    comp = measure.computation
    assert comp is not None
    scope = scope_of(comp.filter, comp.include_duplicates)
    date_col = "closed_at" if comp.date_field == "closed_at" else "created_at"
    hits: dict[tuple[dt.date | None, str, str], list[str]] = defaultdict(list)
    conflicts = [r for r in rejected if r.reason == DUPLICATE_CONFLICT and r.request_id]
    if conflicts:
        stored = con.execute(
            f"SELECT request_id, {date_col}::DATE FROM ({scope}) AS scoped"  # noqa: S608 (values bound)
            f" WHERE request_id IN (SELECT unnest(?::VARCHAR[])) AND {date_col} IS NOT NULL",
            [[r.request_id for r in conflicts]],
        ).fetchall()
        for request_id, day in stored:
            hits[(placer.place(day), "duplicates", DUPLICATE_CONFLICT)].append(str(request_id))
    for row in rejected:
        if row.reason == DUPLICATE_CONFLICT or not in_scope(row, comp.filter):
            continue
        if row.service_code is None and row.day is None:
            continue  # the source file is gone: counted per file only
        start = placer.place(row.day) if row.day is not None else None
        hits[(start, "validity", row.reason)].append(row.request_id or f"row {row.row_number}")
    findings = []
    for (start, check, reason), ids in sorted(
        hits.items(), key=lambda kv: (kv[0][0] or dt.date.min, kv[0][1:])
    ):
        detail = f"{len(ids):,} row(s) of this measure rejected at ingest: {reason}"
        if start is None:
            detail += " (no readable date: the period is unknown)"
        findings.append(
            Finding(
                "duplicates" if check == "duplicates" else "validity",
                reason,
                "fail" if start is not None else "minor",
                len(ids),
                None,
                detail,
                start,
                "value",
                tuple(sorted(ids)),
            )
        )
    return findings


def list_complete_weeks(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Mondays of the complete ISO weeks the stored requests span."""
    span = con.execute("SELECT min(created_at)::DATE, max(created_at)::DATE FROM service_requests").fetchone()
    if span is None or span[0] is None:
        return []
    first, last = span[0], span[1]
    week = first + dt.timedelta(days=(7 - first.weekday()) % 7)  # first complete week
    last_week = last - dt.timedelta(days=last.weekday())
    if last.weekday() != 6:
        last_week -= dt.timedelta(days=7)  # the newest week is not complete
    weeks = []
    while week <= last_week:
        weeks.append(week)
        week += dt.timedelta(days=7)
    return weeks


def find_volume_shifts(con: duckdb.DuckDBPyConnection) -> list[WeekShift]:
    """Complete ISO weeks whose request count for an agency is far outside its recent weeks."""
    weeks = list_complete_weeks(con)
    if not weeks:
        return []
    rows = con.execute(
        "SELECT agency, date_trunc('week', created_at)::DATE, count(*) FROM service_requests"
        " WHERE agency IS NOT NULL AND created_at::DATE BETWEEN ? AND ? GROUP BY 1, 2",
        [weeks[0], weeks[-1] + dt.timedelta(days=6)],
    ).fetchall()
    counts: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for agency, week, n in rows:
        counts[str(agency)][week] = int(n)
    return [
        shift for agency, by_week in sorted(counts.items()) for shift in detect_shifts(agency, by_week, weeks)
    ]


def find_scope_shifts(
    con: duckdb.DuckDBPyConnection, arrivals: str, group: str, weeks: Sequence[dt.date]
) -> list[WeekShift]:
    """Volume shifts of the requests a measure is about (``arrivals``: see :func:`arrivals_of`)."""
    if not weeks:
        return []
    rows = con.execute(
        f"SELECT date_trunc('week', created_at)::DATE, count(*) FROM ({arrivals}) AS scoped"  # noqa: S608
        " WHERE created_at::DATE BETWEEN ? AND ? GROUP BY 1",
        [weeks[0], weeks[-1] + dt.timedelta(days=6)],
    ).fetchall()
    return detect_shifts(group, {week: int(n) for week, n in rows}, weeks, empty_only=True)


def detect_shifts(
    group: str, by_week: dict[dt.date, int], weeks: Sequence[dt.date], *, empty_only: bool = False
) -> list[WeekShift]:
    """Weeks below ``DROP_RATIO`` or above ``SURGE_RATIO`` times the median of the weeks before,
    and that improbable as Poisson noise around it. ``empty_only``: only weeks with no request at
    all (one service's requests rise and fall with real demand and season far more than Poisson
    noise; a week with none where there are usually ``MIN_WEEKLY_BASELINE`` or more is a gap)."""
    series = [by_week.get(w, 0) for w in weeks]
    shifts = []
    for i in range(BASELINE_WEEKS, len(series)):
        baseline = statistics.median(series[i - BASELINE_WEEKS : i])
        if baseline < MIN_WEEKLY_BASELINE:
            continue
        n = series[i]
        if empty_only and n > 0:
            continue
        if n < DROP_RATIO * baseline and poisson_cdf(n, baseline) < NOISE_P:
            shifts.append(WeekShift(group, weeks[i], n, baseline, "volume drop"))
        elif n > SURGE_RATIO * baseline and 1.0 - poisson_cdf(n - 1, baseline) < NOISE_P:
            shifts.append(WeekShift(group, weeks[i], n, baseline, "volume surge"))
    return shifts


def poisson_cdf(k: int, mean: float) -> float:
    """P(X <= k) for a Poisson count with this mean."""
    term = total = math.exp(-mean)
    for i in range(1, k + 1):
        term *= mean / i
        total += term
    return min(total, 1.0)


def check_volume(
    con: duckdb.DuckDBPyConnection, measure: Measure, placer: Placer, shifts: Sequence[WeekShift]
) -> list[Finding]:
    """Fails the periods a volume shift's week touches: a shift of an agency whose requests the
    measure covers (a source outage), or of the measure's own requests (one service's feed), the
    latter only in weeks its agency did not shift already."""
    comp = measure.computation
    assert comp is not None
    arrivals = arrivals_of(comp.filter)
    agencies = {
        str(r[0])
        for r in con.execute(
            f"SELECT DISTINCT agency FROM ({arrivals}) AS scoped WHERE agency IS NOT NULL"  # noqa: S608
        ).fetchall()
    }
    found = [s for s in shifts if s.group in agencies]
    seen = {(s.week_start, s.code) for s in found}
    own = find_scope_shifts(con, arrivals, "requests of this measure", list_complete_weeks(con))
    found += [s for s in own if (s.week_start, s.code) not in seen]
    findings = []
    for shift in found:
        end = shift.week_start + dt.timedelta(days=6)
        detail = (
            f"{shift.group}: {shift.count:,} requests in the week of {shift.week_start.isoformat()},"
            f" against a median of {shift.baseline:g} in the {BASELINE_WEEKS} weeks before"
        )
        for start in placer.places(shift.week_start, end):
            findings.append(Finding("volume", shift.code, "fail", 1, None, detail, start))
    return findings


def check_timeliness(
    con: duckdb.DuckDBPyConnection, measure: Measure, placer: Placer, as_of: dt.date
) -> list[Finding]:
    """Stale data fail the measure and its newest period: the newest request older than the
    measure's cadence on ``as_of``, or the measure's own requests stopping while others kept
    coming (see :func:`check_feed_gap`)."""
    row = con.execute("SELECT max(created_at)::DATE FROM service_requests").fetchone()
    newest = row[0] if row else None
    limit = CADENCE_DAYS[measure.cadence]
    if newest is None:
        return [Finding("timeliness", "no data", "fail", 0, None, "no requests are stored")]
    age = (as_of - newest).days
    gap = check_feed_gap(con, measure, placer, newest)
    if age <= limit:
        detail = f"newest request {newest.isoformat()}, {age} day(s) before {as_of.isoformat()}"
        return [Finding("timeliness", "current", "pass", age, None, detail), *gap]
    detail = (
        f"newest request {newest.isoformat()} is {age} days old on {as_of.isoformat()};"
        f" a {measure.cadence} measure needs data within {limit} days"
    )
    return [
        Finding("timeliness", "stale data", "fail", age, None, detail),
        Finding("timeliness", "stale data", "fail", age, None, detail, placer.place(newest)),
        *gap,
    ]


def check_feed_gap(
    con: duckdb.DuckDBPyConnection, measure: Measure, placer: Placer, newest: dt.date
) -> list[Finding]:
    """The measure's own requests stopped: none since day d while the warehouse has data up to
    ``newest``, though at their rate over the ``FEED_RATE_DAYS`` days up to d at least
    ``FEED_GAP_EXPECTED`` were expected. Fails the measure and every period from d + 1 to
    ``newest``."""
    comp = measure.computation
    assert comp is not None
    arrivals = arrivals_of(comp.filter)
    row = con.execute(f"SELECT max(created_at)::DATE FROM ({arrivals}) AS scoped").fetchone()  # noqa: S608
    last = row[0] if row else None
    if last is None or last >= newest:
        return []
    counted = con.execute(
        f"SELECT count(*) FROM ({arrivals}) AS scoped WHERE created_at::DATE > ?",  # noqa: S608
        [last - dt.timedelta(days=FEED_RATE_DAYS)],
    ).fetchone()
    rate = (int(counted[0]) if counted else 0) / FEED_RATE_DAYS
    gap = (newest - last).days
    if rate * gap < FEED_GAP_EXPECTED:
        return []
    detail = (
        f"no requests of this measure after {last.isoformat()}, while other requests arrived until"
        f" {newest.isoformat()} ({gap} days); at its usual {rate:.1f} a day, {rate * gap:.0f} were expected"
    )
    periods = sorted({placer.place(last + dt.timedelta(days=d)) for d in range(1, gap + 1)})
    return [
        Finding("timeliness", "feed stopped", "fail", gap, None, detail),
        *(Finding("timeliness", "feed stopped", "fail", gap, None, detail, start) for start in periods),
    ]
