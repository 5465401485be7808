"""GeoReport v2 responses in XML (the required format) and JSON.

XML starts with the XML declaration and is sent as ``text/xml; charset=utf-8``; lists are wrapped in
their plural element (``<services><service>``, ``<service_requests><request>``,
``<errors><error>``). JSON is a bare array for lists; ids and codes are strings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from xml.etree import ElementTree as ET

from fastapi.responses import Response

Format = Literal["json", "xml"]
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
# The element each list's items get.
ITEM_TAGS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}


def write_value(parent: ET.Element, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        parent.text = "true" if value else "false"
    elif isinstance(value, Mapping):
        for key, item in value.items():
            write_value(ET.SubElement(parent, str(key)), item)
    elif isinstance(value, list | tuple):
        tag = ITEM_TAGS.get(parent.tag, "item")
        for item in value:
            write_value(ET.SubElement(parent, tag), item)
    else:
        parent.text = str(value)


def write_xml(root_tag: str, item_tag: str | None, body: Any) -> bytes:
    """``body`` as XML under ``root_tag``: a list becomes ``item_tag`` children."""
    root = ET.Element(root_tag)
    if item_tag is None:
        write_value(root, body)
    else:
        for item in body:
            write_value(ET.SubElement(root, item_tag), item)
    body_bytes: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body_bytes


def respond(
    fmt: Format,
    body: Any,
    *,
    root_tag: str,
    item_tag: str | None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    if fmt == "xml":
        content = write_xml(root_tag, item_tag, body)
        return Response(content, status_code=status_code, media_type=XML_TYPE, headers=dict(headers or {}))
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(
        text.encode("utf-8"), status_code=status_code, media_type=JSON_TYPE, headers=dict(headers or {})
    )


def respond_error(fmt: Format, status: int, description: str, *, retry_after: int | None = None) -> Response:
    """The spec's error list: ``[{"code": 403, "description": "..."}]``."""
    errors: Sequence[dict[str, Any]] = [{"code": status, "description": description}]
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return respond(
        fmt, list(errors), root_tag="errors", item_tag="error", status_code=status, headers=headers
    )
