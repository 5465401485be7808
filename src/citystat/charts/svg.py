"""Writing SVG markup by hand: elements, numbers, the accessible root and stable ids.

The root is ``<svg role="img" aria-labelledby=… aria-describedby=…>`` with a ``<title>`` (the
accessible name: the chart's title) and a ``<desc>`` (the summary) as its first children. Only
presentation attributes are used (no ``style`` attributes or elements), so a strict Content
Security Policy does not strip anything, and there are no scripts and no external references.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from xml.sax.saxutils import escape, quoteattr

from citystat.charts.colours import FONT_FAMILY, TEXT

SVG_NS = "http://www.w3.org/2000/svg"

Attributes = Mapping[str, object]


def format_coordinate(value: float) -> str:
    """A coordinate with one decimal, without a trailing ``.0`` (``12.0`` → ``12``)."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def render_attributes(attributes: Attributes) -> str:
    parts = []
    for name, value in attributes.items():
        if value is None:
            continue
        text = format_coordinate(value) if isinstance(value, float) else str(value)
        parts.append(f" {name.rstrip('_').replace('_', '-')}={quoteattr(text)}")
    return "".join(parts)


def element(tag: str, attributes: Attributes | None = None, *children: str, text: str | None = None) -> str:
    """``<tag a="…">children</tag>``; attribute names use ``_`` for ``-`` (``stroke_width``)."""
    attrs = render_attributes(attributes or {})
    inner = (escape(text) if text is not None else "") + "".join(children)
    return f"<{tag}{attrs}>{inner}</{tag}>" if inner else f"<{tag}{attrs}/>"


def tooltip(text: str) -> str:
    """A ``<title>`` child: the browser shows it on hover."""
    return element("title", text=text)


def draw_text(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "start",
    size: int = 12,
    fill: str = TEXT,
    weight: str | None = None,
    halo: bool = False,
    class_: str | None = None,
) -> str:
    """Text; ``halo`` paints a white outline under the letters so a line behind them cannot cut
    through them."""
    return element(
        "text",
        {
            "class": class_,
            "x": float(x),
            "y": float(y),
            "text-anchor": None if anchor == "start" else anchor,
            "font-size": size,
            "font-weight": weight,
            "fill": fill,
            "stroke": "#ffffff" if halo else None,
            "stroke-width": 3 if halo else None,
            "stroke-linejoin": "round" if halo else None,
            "paint-order": "stroke" if halo else None,
        },
        text=text,
    )


def draw_line(
    x1: float,
    y1: float,
    x2: float,
    y2: float,
    *,
    stroke: str,
    width: float = 1.0,
    dash: str | None = None,
    class_: str | None = None,
) -> str:
    return element(
        "line",
        {
            "class": class_,
            "x1": float(x1),
            "y1": float(y1),
            "x2": float(x2),
            "y2": float(y2),
            "stroke": stroke,
            "stroke-width": float(width),
            "stroke-dasharray": dash,
        },
    )


def make_chart_id(kind: str, *parts: object) -> str:
    """A stable id from what the chart shows: the same chart gets the same id (cache-friendly),
    different charts on one page get different ones."""
    digest = hashlib.sha1(repr((kind, *parts)).encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"chart-{kind}-{digest[:10]}"


def wrap_svg(
    chart_id: str,
    width: float,
    height: float,
    title: str,
    description: str,
    body: Iterable[str],
    *,
    defs: Iterable[str] = (),
) -> str:
    """The whole ``<svg>``: accessible name from ``<title>``, description from ``<desc>``."""
    title_id = f"{chart_id}-title"
    desc_id = f"{chart_id}-desc"
    definitions = "".join(defs)
    return element(
        "svg",
        {
            "xmlns": SVG_NS,
            "id": chart_id,
            "class": "cs-chart",
            "role": "img",
            "aria-labelledby": title_id,
            "aria-describedby": desc_id,
            "width": float(width),
            "height": float(height),
            "viewBox": f"0 0 {format_coordinate(width)} {format_coordinate(height)}",
            "font-family": FONT_FAMILY,
            "font-size": 12,
        },
        element("title", {"id": title_id}, text=title),
        element("desc", {"id": desc_id}, text=description),
        element("defs", {}, definitions) if definitions else "",
        element("rect", {"width": "100%", "height": "100%", "fill": "#ffffff"}),
        *body,
    )
