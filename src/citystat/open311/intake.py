"""Validating a new request (Open311 ``POST requests``, the web forms, staff entry).

:func:`read_request_input` turns the posted parameters into a :class:`RequestInput` or raises a
400 naming the parameter: a location is required (lat and long, ``address_string`` or
``address_id``), ``description`` is at most 4,000 characters, and every ``attribute[CODE]`` is
checked against the service definition (unknown codes, required answers, numbers, date-times,
list keys). Multi-value answers arrive as ``attribute[CODE][]``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from citystat.open311.catalogue import AttributeSpec
from citystat.open311.errors import Open311Error, fail_input
from citystat.open311.params import Params, parse_datetime, parse_float, read_param
from citystat.open311.services import Service
from citystat.store.models import CHANNELS, DESCRIPTION_MAX

ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^[0-9+().\- ]{7,30}$")
LIMITS = {
    "address_string": 500,
    "address_id": 100,
    "first_name": 200,
    "last_name": 200,
    "email": 320,
    "phone": 50,
    "device_id": 200,
    "account_id": 200,
    "media_url": 1000,
}
STRING_MAX = 1000


@dataclass(frozen=True)
class RequestInput:
    service: Service
    lat: float | None
    long: float | None
    address: str | None
    address_id: str | None
    description: str | None
    media_url: str | None
    attributes: dict[str, Any]
    channel: str
    locale: str
    contact: dict[str, str | None] = field(default_factory=dict)  # private: first/last name, email, phone
    device_id: str | None = None
    account_id: str | None = None


def read_text(params: Params, name: str) -> str | None:
    text = read_param(params, name)
    if text is not None and len(text) > LIMITS[name]:
        raise fail_input(f"{name} is longer than {LIMITS[name]:,} characters")
    return text


def read_location(
    params: Params, region: tuple[float, float, float, float]
) -> tuple[float | None, float | None, str | None, str | None]:
    lat_text, long_text = read_param(params, "lat"), read_param(params, "long")
    address, address_id = read_text(params, "address_string"), read_text(params, "address_id")
    if (lat_text is None) != (long_text is None):
        raise fail_input("lat and long go together: give both, or give address_string or address_id instead")
    lat = long = None
    if lat_text is not None and long_text is not None:
        lat = parse_float(lat_text, "lat", -90, 90)
        long = parse_float(long_text, "long", -180, 180)
        min_lon, min_lat, max_lon, max_lat = region
        if not (min_lat <= lat <= max_lat and min_lon <= long <= max_lon):
            raise fail_input(f"the location {lat}, {long} is outside the area this city serves")
    if lat is None and address is None and address_id is None:
        raise fail_input("a location is required: lat and long, address_string or address_id")
    return lat, long, address, address_id


def collect_attributes(params: Params) -> dict[str, list[str]]:
    """``attribute[CODE]`` and ``attribute[CODE][]`` values by code (empty values dropped)."""
    found: dict[str, list[str]] = {}
    for name, values in params.items():
        match = ATTRIBUTE.match(name)
        if match is None:
            continue
        kept = [v.strip() for v in values if v.strip() != ""]
        if kept:
            found.setdefault(match.group(1), []).extend(kept)
    return found


def check_answer(spec: AttributeSpec, values: Sequence[str]) -> Any:
    name = f"attribute[{spec.code}]"
    keys = {v.key for v in spec.values}
    if spec.datatype == "multivaluelist":
        unknown = [v for v in values if v not in keys]
        if unknown:
            raise fail_input(
                f"{name}: {', '.join(unknown)} not among the choices ({', '.join(sorted(keys))})"
            )
        return list(dict.fromkeys(values))
    if len(values) > 1:
        raise fail_input(f"{name} takes one value, got {len(values)}")
    value = values[0]
    if spec.datatype == "singlevaluelist":
        if value not in keys:
            raise fail_input(f"{name}: {value!r} is not among the choices ({', '.join(sorted(keys))})")
        return value
    if spec.datatype == "number":
        return parse_float(value, name, -1e12, 1e12)
    if spec.datatype == "datetime":
        return parse_datetime(value, name).isoformat()
    limit = DESCRIPTION_MAX if spec.datatype == "text" else STRING_MAX
    if len(value) > limit:
        raise fail_input(f"{name} is longer than {limit:,} characters")
    return value


def check_attributes(service: Service, given: dict[str, list[str]]) -> dict[str, Any]:
    specs = {a.code: a for a in service.attributes}
    unknown = sorted(set(given) - set(specs))
    if unknown:
        raise fail_input(f"service {service.code} has no attribute {', '.join(unknown)}")
    answers: dict[str, Any] = {}
    for spec in service.attributes:
        if spec.code in given:
            answers[spec.code] = check_answer(spec, given[spec.code])
        elif spec.required and spec.variable:
            raise fail_input(f"attribute[{spec.code}] is required: {spec.description}")
    return answers


def check_contact(params: Params) -> dict[str, str | None]:
    email, phone = read_text(params, "email"), read_text(params, "phone")
    if email is not None and not EMAIL.match(email):
        raise fail_input("email is not an e-mail address")
    if phone is not None and not PHONE.match(phone):
        raise fail_input("phone is not a phone number")
    return {
        "first_name": read_text(params, "first_name"),
        "last_name": read_text(params, "last_name"),
        "email": email,
        "phone": phone,
    }


def read_request_input(
    params: Params,
    services: dict[str, Service],
    *,
    channel: str,
    locale: str,
    region: tuple[float, float, float, float],
) -> RequestInput:
    """A new request from posted parameters, or an :class:`Open311Error` (400) naming what is wrong."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    code = read_param(params, "service_code")
    if code is None:
        raise fail_input("service_code is required")
    service = services.get(code)
    if service is None:
        raise fail_input(f"service_code {code!r} is not a service of this city (see services.json)")
    lat, long, address, address_id = read_location(params, region)
    description = read_param(params, "description")
    if description is not None and len(description) > DESCRIPTION_MAX:
        raise fail_input(f"description is longer than {DESCRIPTION_MAX:,} characters ({len(description):,})")
    media_url = read_text(params, "media_url")
    if media_url is not None and not re.match(r"^https?://[^\s]+$", media_url):
        raise fail_input("media_url must be an http or https address")
    return RequestInput(
        service=service,
        lat=lat,
        long=long,
        address=address,
        address_id=address_id,
        description=description,
        media_url=media_url,
        attributes=check_attributes(service, collect_attributes(params)),
        channel=channel,
        locale=locale,
        contact=check_contact(params),
        device_id=read_text(params, "device_id"),
        account_id=read_text(params, "account_id"),
    )


__all__ = ["Open311Error", "RequestInput", "read_request_input"]
