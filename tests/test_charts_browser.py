"""The charts inside a page in real Chromium: axe-core (WCAG 2.2 AA) finds nothing, Chromium's own
accessibility tree names each chart by its title and describes it by its summary, and the SVG
draws with JavaScript turned off."""

from __future__ import annotations

import html
from typing import Any

import pytest

from citystat.charts import (
    ChartPoint,
    MeasureChart,
    RenderedChart,
    render_bars,
    render_choropleth,
    render_measure_chart,
)
from citystat.i18n import Lang
from tests.test_charts_maps import csa_values, read_shapes

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def write_table(rendered: RenderedChart) -> str:
    table = rendered.table
    head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in table.columns)
    body = "".join(
        "<tr>"
        + f'<th scope="row">{html.escape(row[0])}</th>'
        + "".join(f"<td>{html.escape(cell)}</td>" for cell in row[1:])
        + "</tr>"
        for row in table.rows
    )
    return f"<table><caption>{html.escape(table.caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_page(lang: Lang, charts: list[RenderedChart]) -> str:
    """A page laid out the way the dashboard shows a chart: heading, SVG, summary, table."""
    sections = "".join(
        f"<section><h2>{html.escape(c.title)}</h2><figure>{c.svg}<figcaption>{html.escape(c.summary)}</figcaption></figure>"
        f"{write_table(c)}</section>"
        for c in charts
    )
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Charts</title></head>'
        f"<body><main><h1>Charts</h1>{sections}</main></body></html>"
    )


def build_charts(lang: Lang) -> list[RenderedChart]:
    from tests.conftest import BOUNDARIES, REAL

    values = [0.80, 0.83, 0.79, 0.81, 0.84, 0.82, 0.64]
    points = [ChartPoint(f"2025-{i:02d}", v) for i, v in enumerate(values, start=1)]
    points[-1] = ChartPoint(points[-1].label, 0.64, "outside the limits")
    measure = MeasureChart(
        "On-time pothole repair", "percent", True, tuple(points), 0.815, 0.74, 0.89, target=0.8
    )
    charts = [
        render_measure_chart(measure, lang),
        render_bars(
            "On-time repair by district",
            "percent",
            [("Central", 0.81), ("Eastern", 0.62), ("Northeastern", None)],
            lang,
            reference=0.74,
            reference_label="City average",
        ),
    ]
    if REAL.is_dir():
        csas = read_shapes(BOUNDARIES / "csa_2010.geojson")
        charts.append(render_choropleth("Requests per CSA", "count", csas, csa_values(csas), lang))
    return charts


def read_chromium_images(page: Any) -> list[tuple[str, str]]:
    """(name, description) of every image in Chromium's own accessibility tree."""
    session = page.context.new_cdp_session(page)
    nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    images = []
    for node in nodes:
        if node.get("role", {}).get("value") != "image":
            continue
        properties = {p["name"]: p.get("value", {}).get("value") for p in node.get("properties", [])}
        description = node.get("description", {}).get("value") or properties.get("description") or ""
        images.append((node.get("name", {}).get("value", ""), description))
    return images


@pytest.mark.parametrize("lang", ["en", "es"])
def test_charts_pass_axe_and_are_named_in_chromium(browser: Any, lang: Lang) -> None:
    from axe_playwright_python.sync_playwright import Axe

    charts = build_charts(lang)
    page = browser.new_page()
    try:
        page.set_content(write_page(lang, charts))
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        violations = results.response["violations"]
        assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
        assert read_chromium_images(page) == [(c.title, c.summary) for c in charts]
    finally:
        page.close()


def test_charts_draw_without_javascript(browser: Any) -> None:
    charts = build_charts("en")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_content(write_page("en", charts))
        for chart in charts:
            svg = page.locator(f"#{chart.chart_id}")
            box = svg.bounding_box()
            assert box is not None
            assert box["width"] == pytest.approx(float(svg.get_attribute("width") or "nan"), abs=0.5)
            assert box["height"] == pytest.approx(float(svg.get_attribute("height") or "nan"), abs=0.5)
            assert box["height"] > 100
        assert page.locator("path.cs-area").count() in (0, 56)
    finally:
        context.close()
