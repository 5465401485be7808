"""From :mod:`citystat.site` dataclasses to the API's response models (shape only, no logic)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from citystat.api.v1 import models as m
from citystat.site.catalog import MeasureInfo
from citystat.site.equity import EquityView
from citystat.site.measure import MeasureView

PREFIX = "/api/v1"


def link_measure(measure_id: str, suffix: str = "") -> str:
    return f"{PREFIX}/measures/{quote(measure_id, safe='')}{suffix}"


def link_area(layer: str, area_id: str | None = None) -> str:
    tail = "" if area_id is None else "/" + quote(area_id, safe="")
    return f"{PREFIX}/areas/{quote(layer, safe='')}{tail}"


def with_href(obj: Any, href: str) -> dict[str, Any]:
    """A dataclass's public attributes as a dict, plus its link (for ``from_attributes`` models)."""
    fields = getattr(obj, "__dataclass_fields__", {})
    return {**{name: getattr(obj, name) for name in fields}, "href": href}


def to_card(card: Any) -> m.MeasureCardOut:
    return m.MeasureCardOut.model_validate(with_href(card, link_measure(card.id)), from_attributes=True)


def to_measure(info: MeasureInfo) -> m.MeasureOut:
    links = m.MeasureLinks(
        self=link_measure(info.id),
        values=link_measure(info.id, "/values"),
        analysis=link_measure(info.id, "/analysis"),
        equity=link_measure(info.id, "/equity"),
        csv=link_measure(info.id, "/values.csv"),
        parquet=link_measure(info.id, "/values.parquet"),
    )
    fields = {name: getattr(info, name) for name in m.MeasureOut.model_fields if name != "links"}
    return m.MeasureOut.model_validate({**fields, "links": links}, from_attributes=True)


def to_analysis(view: MeasureView) -> m.AnalysisOut:
    info = view.info
    return m.AnalysisOut.model_validate(
        {
            "measure_id": info.id,
            "name": info.name,
            "grain": view.grain,
            "unit": info.unit,
            "direction": info.direction,
            "as_of": view.as_of,
            "grade": view.quality.grade,
            "chart_status": view.chart_status,
            "chart_notes": view.chart_notes,
            "assurance": view.assurance,
            "assurance_note": view.assurance_note,
            "segments": view.segments,
            "signals": view.signals,
            "breaks": view.breaks,
            "latest": view.latest,
            "change": view.change,
            "points": view.points,
        },
        from_attributes=True,
    )


def to_equity_layer(view: EquityView) -> m.EquityLayerOut:
    fields = {name: getattr(view, name) for name in m.EquityLayerOut.model_fields if name != "requests"}
    requests = None if view.requests is None else view.requests.as_dict()
    return m.EquityLayerOut.model_validate({**fields, "requests": requests}, from_attributes=True)
