"""Charts as markup: accessible name and description, nothing active or external, contrast of every
colour drawn (computed here from the WCAG 2.2 formula, not taken from the code), the Spanish
catalogue complete, and the helpers other chart tests read the SVG with."""

from __future__ import annotations

import ast
import re
import string
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

import citystat.charts
from citystat.charts import (
    SIGNAL_NAMES,
    ChartPoint,
    MeasureChart,
    RenderedChart,
    render_bars,
    render_measure_chart,
)
from citystat.charts.scale import build_scale, choose_step, spread_labels
from citystat.charts.values import UNIT_HEADINGS, UNIT_WORDS
from citystat.i18n import read_catalogue

SVG = "{http://www.w3.org/2000/svg}"
CHARTS_SOURCE = Path(citystat.charts.__file__).parent
CHARTS_CATALOGUE = Path(citystat.charts.__file__).parents[1] / "i18n" / "es" / "charts.yaml"


# --- helpers shared by the chart tests -------------------------------------------------------


def parse_svg(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def classes(node: ET.Element) -> set[str]:
    return set(node.get("class", "").split())


def find_by_class(root: ET.Element, name: str, tag: str | None = None) -> list[ET.Element]:
    return [n for n in root.iter() if name in classes(n) and (tag is None or n.tag == SVG + tag)]


def read_number(text: str, lang: str = "en") -> float:
    """A tick or cell value back to a number: "82%" → 0.82, "1.234,5" (es) → 1234.5."""
    cleaned = text.replace("\u00a0", "").replace("US$", "").replace("$", "").strip()
    thousands, decimal = (".", ",") if lang == "es" else (",", ".")
    cleaned = cleaned.replace(thousands, "").replace(decimal, ".")
    if cleaned.endswith("%"):
        return float(cleaned[:-1]) / 100
    return float(cleaned)


def read_axis(
    root: ET.Element, attribute: str, lang: str = "en", offset: float = 0.0
) -> Callable[[float], float]:
    """Pixel → value along an axis, from two of its tick labels (their position and their text)."""
    ticks = [
        (float(t.get(attribute, "nan")) - offset, read_number(t.text or "", lang))
        for t in find_by_class(root, "cs-tick")
    ]
    (p0, v0), (p1, v1) = ticks[0], ticks[-1]
    return lambda pixel: v0 + (pixel - p0) * (v1 - v0) / (p1 - p0)


def relative_luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(colour: str) -> float:
    return 1.05 / (relative_luminance(colour) + 0.05)


def check_accessible(rendered: RenderedChart) -> ET.Element:
    """One accessible name (the title) and description (the summary); nothing active or external."""
    svg = rendered.svg
    assert svg.startswith("<svg ") and not svg.startswith("<?xml")
    root = parse_svg(svg)
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    assert root.get("id") == rendered.chart_id
    ids = [n.get("id") for n in root.iter() if n.get("id")]
    assert len(ids) == len(set(ids)), "ids must be unique"
    assert all(i.startswith(rendered.chart_id) for i in ids), "ids stay in the chart's namespace"
    named_by = root.get("aria-labelledby", "").split()
    described_by = root.get("aria-describedby", "").split()
    assert len(named_by) == 1 and len(described_by) == 1
    by_id = {n.get("id"): n for n in root.iter()}
    assert by_id[named_by[0]].tag == SVG + "title" and by_id[named_by[0]].text == rendered.title
    assert by_id[described_by[0]].tag == SVG + "desc" and by_id[described_by[0]].text == rendered.summary
    assert root[0].tag == SVG + "title" and root[1].tag == SVG + "desc"
    assert [n for n in root if n.tag == SVG + "title"] == [root[0]], "one title on the root"
    assert root.get("aria-label") is None
    for node in root.iter():
        assert node.tag not in (
            SVG + "script",
            SVG + "foreignObject",
            SVG + "style",
            SVG + "image",
            SVG + "a",
        )
        for name, value in node.attrib.items():
            assert not name.lower().startswith("on"), f"event handler {name}"
            assert name not in ("style", "href", "{http://www.w3.org/1999/xlink}href")
            assert "javascript:" not in value.lower()
            assert not (value.startswith("url(") and not value.startswith("url(#")), "only local references"
    assert "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in svg
    return root


def check_contrast(root: ET.Element) -> None:
    """Text ≥ 4.5:1 and the data's graphical objects ≥ 3:1 against the white background."""
    texts = [t for t in root.iter(SVG + "text")]
    assert texts
    for text in texts:
        assert contrast_with_white(text.get("fill", "#000000")) >= 4.5, (text.text, text.get("fill"))
    graphics = {
        "cs-values",
        "cs-point",
        "cs-signal",
        "cs-limit",
        "cs-centre",
        "cs-target",
        "cs-reference",
        "cs-bar",
        "cs-axis",
    }
    outlined = {"cs-areas", "cs-legend-class", "cs-legend-no-data"}  # map fills are pale: the outline counts
    drawn = 0
    for node in root.iter():
        if classes(node) & outlined:
            assert contrast_with_white(node.get("stroke", "#ffffff")) >= 3.0, node.get("class")
            drawn += 1
        elif classes(node) & graphics and node.tag != SVG + "text":
            colour = node.get("stroke") if node.get("fill") in (None, "none") else node.get("fill")
            assert colour is not None and contrast_with_white(colour) >= 3.0, (node.get("class"), colour)
            drawn += 1
    assert drawn


# --- tests -----------------------------------------------------------------------------------


def test_wcag_contrast_formula_matches_published_values() -> None:
    # WebAIM's checker: #767676 on white is 4.54:1, #595959 is 7.0:1, black is 21:1.
    assert contrast_with_white("#767676") == pytest.approx(4.54, abs=0.01)
    assert contrast_with_white("#595959") == pytest.approx(7.0, abs=0.01)
    assert contrast_with_white("#000000") == pytest.approx(21.0)


def sample_chart() -> MeasureChart:
    values = [0.82, 0.80, 0.85, 0.79, 0.83, 0.81, 0.84, 0.80, 0.82, 0.64]
    points = tuple(ChartPoint(f"2025-{m:02d}", v) for m, v in enumerate(values, start=1))
    points = (*points[:-1], ChartPoint("2025-10", 0.64, "outside the limits"))
    return MeasureChart("On-time repair", "percent", True, points, 0.82, 0.74, 0.90, target=0.8)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_measure_chart_is_accessible_and_passes_contrast(lang: str) -> None:
    rendered = render_measure_chart(sample_chart(), lang)  # type: ignore[arg-type]
    root = check_accessible(rendered)
    check_contrast(root)
    # a signal is told by shape as well as colour: a diamond path, where other points are circles
    signals = find_by_class(root, "cs-signal")
    assert [s.tag for s in signals] == [SVG + "path"]
    assert {p.tag for p in find_by_class(root, "cs-point")} - {SVG + "path"} == {SVG + "circle"}
    assert signals[0].get("fill") != find_by_class(root, "cs-point", "circle")[0].get("fill")


def test_bars_and_empty_charts_are_accessible() -> None:
    bars = render_bars(
        "Requests by district",
        "count",
        [("Central", 120.0), ("Eastern", None)],
        "en",
        reference=100.0,
        reference_label="City average",
    )
    check_contrast(check_accessible(bars))
    empty = render_measure_chart(MeasureChart("Requests", "count", None, ()), "en")
    root = check_accessible(empty)
    assert [t.text for t in root.iter(SVG + "text")] == ["No values yet"]
    assert empty.summary == "Requests: no values yet."


def test_chart_ids_are_stable_and_differ_between_charts() -> None:
    first = render_measure_chart(sample_chart(), "en")
    again = render_measure_chart(sample_chart(), "en")
    spanish = render_measure_chart(sample_chart(), "es")
    named = render_measure_chart(sample_chart(), "en", chart_id="pothole")
    assert first.svg == again.svg
    assert first.chart_id != spanish.chart_id
    assert named.chart_id == "pothole" and 'aria-labelledby="pothole-title"' in named.svg
    assert re.fullmatch(r"chart-measure-[0-9a-f]{10}", first.chart_id)


def test_titles_are_escaped() -> None:
    rendered = render_bars('Fish & chips <"quoted">', "count", [("A & B", 1.0)], "en")
    root = check_accessible(rendered)
    assert root[0].text == 'Fish & chips <"quoted">'
    assert rendered.table.rows == (("A & B", "1"),)


def test_scale_steps_and_ticks_by_hand() -> None:
    # span 0.254 over 5 intervals = 0.0508 → power 0.01, ratio 5.08 ≥ √10 → step 0.05
    assert choose_step(0.254, 5) == pytest.approx(0.05)
    assert choose_step(100, 5) == 20  # 20 → power 10, ratio 2 ≥ √2
    scale = build_scale([0.64, 0.894], 272, 48, floor=0.0, ceiling=1.0)
    assert scale.ticks == (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
    assert (scale.low, scale.high) == pytest.approx((0.6, 0.9))
    assert scale.place(0.75) == pytest.approx(160)
    # a share never gets an axis above 100% or below 0 when its values are inside
    assert build_scale([0.05, 0.97], 0, 100, floor=0.0, ceiling=1.0).ticks[-1] == 1.0
    # constant values get ±10%: span 0.6 / 5 = 0.12 → power 0.1, ratio 1.2 < √2 → step 0.1
    assert build_scale([3.0, 3.0], 0, 100, floor=0.0).ticks == (2.7, 2.8, 2.9, 3.0, 3.1, 3.2, 3.3)
    assert build_scale([5.0, 9.0], 0, 100, include_zero=True).ticks == (0, 2, 4, 6, 8, 10)


def test_direct_labels_are_spread_apart() -> None:
    assert spread_labels([100, 105, 200], 14, 0, 300) == [100, 114, 200]
    assert spread_labels([105, 100], 14, 0, 300) == [114, 100]
    assert spread_labels([295, 298], 14, 0, 300) == [286, 300]


def test_spanish_catalogue_is_complete_and_keeps_placeholders() -> None:
    used = collect_messages()
    catalogue = read_catalogue("es")
    assert sorted(used - catalogue.keys()) == []
    own = set(__import__("yaml").safe_load(CHARTS_CATALOGUE.read_text(encoding="utf-8")))
    assert sorted(own - used) == [], "entries no chart uses"
    fields = string.Formatter()
    for message in used:
        names = {f for _, f, _, _ in fields.parse(message) if f}
        assert {f for _, f, _, _ in fields.parse(catalogue[message]) if f} == names, message


def collect_messages() -> set[str]:
    """Every English text the charts translate: the literal (or either branch of a conditional)
    given to ``translate``, texts assigned to ``message`` and the tables of names."""
    found = set(SIGNAL_NAMES.values()) | set(UNIT_HEADINGS.values())
    found |= {w for pair in UNIT_WORDS.values() for w in pair}

    def literals(node: ast.expr) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return literals(node.body) | literals(node.orelse)
        return set()

    for path in CHARTS_SOURCE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "translate"
                and len(node.args) > 1
            ):
                found |= literals(node.args[1])
            if isinstance(node, ast.Assign) and any(
                getattr(t, "id", None) == "message" for t in node.targets
            ):
                found |= literals(node.value)
    return found
