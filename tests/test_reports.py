"""Reports on the synthetic demo city: the Transportation briefing (Markdown and HTML), and the
judge, score, equity and report commands run as real processes. Expected values are computed here
straight from the warehouse tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from citystat.analysis.quality import DATA_ISSUE, check_measures, label_status
from citystat.catalog.load import builtin_catalog_dir, load_catalog
from citystat.demo.load import build_demo
from citystat.reports.agency import build_agency_briefing, render_html, render_markdown, write_agency_briefing
from citystat.warehouse import connect
from tests.conftest import REPO

END = date(2026, 7, 1)
POTHOLE = "trm-pothole-median-hours"
POTHOLE_CODES = ["TRM-Pothole Repair", "TRM-Potholes", "TRM-Pickup Pothole"]
CITYSTAT = [sys.executable, "-m", "citystat.cli"]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reports")
    return build_demo(root / "demo.duckdb", root / "data", rows=20000, seed=5, end=END).warehouse


def run(args: list[str], warehouse: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CITYSTAT_WAREHOUSE": str(warehouse),
        "COLUMNS": "200",
        "NO_COLOR": "1",
        "PYTHONPATH": str(REPO / "src"),
    }
    done = subprocess.run([*CITYSTAT, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def pothole_median_hours(warehouse: Path, month_start: date, month_end: date) -> tuple[float, int]:
    """The median hours to close of closed pothole requests created (local time) in the month."""
    con = connect(warehouse, read_only=True)
    row = con.execute(
        """
        SELECT median((epoch(closed_utc) - epoch(created_utc)) / 3600.0), count(*)
        FROM service_requests
        WHERE service_code IN (SELECT unnest(?::VARCHAR[])) AND closed_utc IS NOT NULL
          AND (status_flag IS NULL OR status_flag <> 'duplicate')
          AND created_at >= ? AND created_at < ?
        """,
        [POTHOLE_CODES, month_start, month_end],
    ).fetchone()
    con.close()
    assert row is not None
    return float(row[0]), int(row[1])


def test_transportation_briefing_holds_the_real_numbers(city: Path) -> None:
    con = connect(city, read_only=True)
    briefing = build_agency_briefing(
        con, load_catalog(builtin_catalog_dir("baltimore")), "Transportation", today=END
    )
    con.close()
    ids = [b.measure.id for b in briefing.measures]
    assert ids == [
        "tr-requests",
        POTHOLE,
        "trm-pothole-requests",
        "trm-pothole-within-48h",
        "trm-street-repairs-on-time",
        "trs-abandoned-vehicle-p90-days",
        "trs-parking-median-hours",
        "trt-signal-within-24h",
    ]
    pothole = next(b for b in briefing.measures if b.measure.id == POTHOLE)
    assert pothole.judgement is not None and pothole.judgement.latest is not None
    latest = pothole.judgement.latest
    assert latest.label == "2026-06"
    median, rows = pothole_median_hours(city, date(2026, 6, 1), date(2026, 7, 1))
    assert rows >= 10
    assert latest.value == pytest.approx(median, rel=1e-12)
    assert latest.status == "missed" and latest.target == 48.0
    markdown = render_markdown(briefing)
    assert f"| 2026-06 | {median:,.1f} hours | 48.0 hours | missed |" in markdown
    # The planted slowdown (pothole close times double from 9 months before the end, 2025-10):
    # points above the upper natural process limit after it, none in the months before it.
    limits = pothole.judgement.chart.limits
    assert limits is not None
    above = {
        p
        for s in pothole.judgement.chart.signals
        if s.rule == "outside_limits" and s.side == "above"
        for p in s.points
    }
    after = {p for p in above if p >= "2025-10"}
    assert len(after) >= 2
    assert any(s.title.startswith("rule 1") for s in pothole.recent_signals)
    assert "rule 1: a point outside the natural process limits (above)" in markdown
    for label in after:
        start = date(int(label[:4]), int(label[5:]), 1)
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        assert pothole_median_hours(city, start, end)[0] > limits.upper
    # Equity: worst and best CSAs of the pothole median in FY2026, from the stored values by area.
    assert pothole.equity is not None and pothole.equity.period == "FY2026"
    worst = pothole.equity.worst[0]
    best = pothole.equity.best[0]
    assert worst.value > best.value
    # Data quality, graded by month on the briefing's date: the column and the status use it.
    con = connect(city, read_only=True)
    graded = check_measures(con, ids, as_of=END, grain="month")
    con.close()
    for brief in briefing.measures:
        quality, latest_status = graded[brief.measure.id], brief.judgement.latest  # type: ignore[union-attr]
        assert brief.grade_text == quality.grade_of(latest_status.label)  # type: ignore[union-attr]
        assert brief.status_text == label_status(latest_status.status, brief.grade_text)  # type: ignore[union-attr, arg-type]
    assert pothole.grade_text == "A" and pothole.status_text == "missed"  # June's data pass every check
    # Forty days later with no new data, June's numbers are stale: the same "missed" is a data issue.
    con = connect(city, read_only=True)
    later = build_agency_briefing(
        con, load_catalog(builtin_catalog_dir("baltimore")), "Transportation", today=date(2026, 8, 10)
    )
    con.close()
    stale = next(b for b in later.measures if b.measure.id == POTHOLE)
    june = stale.latest_quality
    assert june is not None and june.grade == "C" and stale.status_text == DATA_ISSUE
    reason = (
        "newest request 2026-06-30 is 41 days old on 2026-08-10; a monthly measure needs data within 31 days"
    )
    assert june.reasons == (reason,)
    stale_markdown = render_markdown(later)
    assert f"| 2026-06 | {median:,.1f} hours | 48.0 hours | data issue |" in stale_markdown
    assert f"  - {reason}" in stale_markdown
    # Signal repairs rest on fewer than 10 requests in June 2026: said plainly, not judged.
    signal = next(b for b in briefing.measures if b.measure.id == "trt-signal-within-24h")
    assert signal.judgement is not None and signal.judgement.latest is not None
    assert signal.judgement.latest.status == "not enough data"
    assert any(p.startswith("latest period 2026-06: not enough data") for p in signal.problems)


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.h1: list[str] = []
        self.title = ""
        self.lang = ""
        self.tables = 0
        self.captions = 0
        self.scripts = 0
        self.th_without_scope = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)
        if tag == "html":
            self.lang = dict(attrs).get("lang") or ""
        self.tables += tag == "table"
        self.captions += tag == "caption"
        self.scripts += tag == "script"
        if tag == "th" and "scope" not in dict(attrs):
            self.th_without_scope += 1
        if tag == "h1":
            self.h1.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "title" in self.stack:
            self.title += data
        if "h1" in self.stack:
            self.h1[-1] += data


def test_briefing_html_is_plain_and_accessible(city: Path, tmp_path: Path) -> None:
    con = connect(city, read_only=True)
    briefing = build_agency_briefing(con, load_catalog(builtin_catalog_dir("baltimore")), "Transportation")
    con.close()
    markdown_path, html_path = write_agency_briefing(briefing, tmp_path)
    assert markdown_path.read_text(encoding="utf-8") == render_markdown(briefing)
    html = html_path.read_text(encoding="utf-8")
    assert html == render_html(briefing)
    page = Page()
    page.feed(html)
    assert page.h1 == ["CitiStat briefing: Transportation"]
    assert page.title.startswith(page.h1[0])
    assert page.lang == "en"
    assert page.tables >= 3 and page.captions == page.tables
    assert page.scripts == 0 and page.th_without_scope == 0
    assert '<th scope="col">Data quality grade</th>' in html


def test_cli_judge_score_equity_and_report(city: Path, tmp_path: Path) -> None:
    judged = json.loads(run(["judge", POTHOLE, "--format", "json"], city).stdout)
    median, _ = pothole_median_hours(city, date(2026, 6, 1), date(2026, 7, 1))
    assert judged["target_status"][-1]["label"] == "2026-06"
    assert judged["target_status"][-1]["value"] == pytest.approx(median, rel=1e-12)
    rules = {s["rule"] for s in judged["chart"]["signals"]}
    assert "outside_limits" in rules
    assert judged["assurance"]["target"] == 48.0
    table = run(["judge", POTHOLE], city).stdout
    assert "rule 1: a point outside the natural process limits (above)" in table
    assert "target assurance:" in table

    scored = json.loads(run(["score", "--format", "json"], city).stdout)
    scopes = {c["scope"]: c["latest"] for c in scored["composites"]}
    transport = scopes["Transportation"]
    parts = [c for c in transport["contributions"] if c["status"] == "scored"]
    assert transport["score"] == pytest.approx(sum(c["score"] for c in parts) / len(parts))
    pothole = next(c for c in transport["contributions"] if c["measure_id"] == POTHOLE)
    assert pothole["score"] == pytest.approx(min(2.0, 48.0 / median))

    equity = json.loads(
        run(["equity", "--agency", "Solid Waste", "--layer", "csa", "--format", "json"], city).stdout
    )
    con = connect(city, read_only=True)
    counts = dict(
        con.execute(
            "SELECT csa, count(*) FROM service_requests WHERE agency = 'Solid Waste' AND csa IS NOT NULL"
            " AND (status_flag IS NULL OR status_flag <> 'duplicate') GROUP BY csa"
        ).fetchall()
    )
    people = dict(
        con.execute(
            "SELECT area_key, value FROM demographics WHERE layer = 'csa' AND variable = 'Population'"
            " AND NOT is_citywide"
        ).fetchall()
    )
    con.close()
    total_requests, total_people = sum(counts.values()), sum(people.values())
    for row in equity["areas"]:
        area = row["area"]
        assert row["requests"] == counts.get(area, 0)
        assert row["per_1000"] == pytest.approx(counts.get(area, 0) / people[area] * 1000)
        assert row["geographic_disparity"] == pytest.approx(
            counts.get(area, 0) / total_requests - people[area] / total_people
        )
    assert equity["city_rate_per_1000"] == pytest.approx(total_requests / total_people * 1000)
    assert 0 < equity["rate_disparity"]["gini"] < 1
    assert "Gini" in run(["equity", "--agency", "Solid Waste", "--layer", "csa"], city).stdout

    out = run(["report", "agency", "Transportation", "--out", str(tmp_path)], city).stdout
    assert "8 measures" in out
    assert (tmp_path / "briefing-transportation.md").exists()
    assert (tmp_path / "briefing-transportation.html").exists()
