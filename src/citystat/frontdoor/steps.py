"""Which pages a service's form asks, in order, and checking one page's answers.

Pages: ``where`` (address, or a location from the device), ``nearby`` (open requests of the same
kind close by), one page per question of the service definition (``q-CODE``), ``describe``,
``photo``, ``contact``, then ``check`` (review and confirm). Answers are checked here in plain
words; the final submission goes through :func:`citystat.open311.intake.read_request_input`, the
same rules as the Open311 API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from citystat.frontdoor.draft import Draft
from citystat.open311.catalogue import AttributeSpec
from citystat.open311.intake import EMAIL, PHONE
from citystat.open311.services import Service
from citystat.store.models import DESCRIPTION_MAX

FIXED_BEFORE = ("where", "nearby")
FIXED_AFTER = ("describe", "photo", "contact", "check")
ADDRESS_MAX = 500
NAME_MAX = 200


@dataclass(frozen=True)
class FieldError:
    """A problem with one field: ``field`` is the input id; ``message`` is English, translated on the page."""

    field: str
    message: str
    values: tuple[tuple[str, str], ...] = ()  # placeholders for the message

    def params(self) -> dict[str, str]:
        return dict(self.values)


def question_step(code: str) -> str:
    return f"q-{code}"


def list_steps(service: Service) -> tuple[str, ...]:
    questions = tuple(question_step(a.code) for a in service.attributes if a.variable)
    return (*FIXED_BEFORE, *questions, *FIXED_AFTER)


def next_step(service: Service, step: str) -> str:
    steps = list_steps(service)
    return steps[min(steps.index(step) + 1, len(steps) - 1)]


def previous_step(service: Service, step: str) -> str | None:
    steps = list_steps(service)
    index = steps.index(step)
    return steps[index - 1] if index > 0 else None


def first_missing_step(service: Service, draft: Draft) -> str:
    """The first page not answered yet (the check page once all are)."""
    for step in list_steps(service):
        if step != "check" and step not in draft.done:
            return step
    return "check"


def find_attribute(service: Service, step: str) -> AttributeSpec | None:
    if not step.startswith("q-"):
        return None
    code = step[2:]
    return next((a for a in service.attributes if a.code == code), None)


def read_text(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def check_where(
    form: Mapping[str, Any], region: tuple[float, float, float, float]
) -> tuple[dict[str, Any], list[FieldError]]:
    address = read_text(form, "address")
    lat_text, long_text = read_text(form, "lat"), read_text(form, "long")
    lat = long = None
    if lat_text and long_text:
        try:
            lat, long = float(lat_text), float(long_text)
        except ValueError:
            lat = long = None
        min_lon, min_lat, max_lon, max_lat = region
        if (
            lat is not None
            and long is not None
            and not (min_lat <= lat <= max_lat and min_lon <= long <= max_lon)
        ):
            return {}, [FieldError("address", "That location is outside the city. Enter the address instead")]
    if address is None and lat is None:
        return {}, [FieldError("address", "Enter the address or describe where the problem is")]
    if address is not None and len(address) > ADDRESS_MAX:
        return {}, [
            FieldError(
                "address", "The address must be {limit} characters or fewer", (("limit", str(ADDRESS_MAX)),)
            )
        ]
    return {"address": address, "lat": lat, "long": long}, []


def check_question(
    spec: AttributeSpec, form: Mapping[str, Any], zone: ZoneInfo
) -> tuple[dict[str, Any], list[FieldError]]:
    """One question's answer, as the Open311 attribute value."""
    field = f"attr-{spec.code}"
    keys = {v.key for v in spec.values}
    if spec.datatype == "multivaluelist":
        raw = form.get("answer")
        chosen = [v for v in (raw if isinstance(raw, list) else [raw]) if isinstance(v, str) and v]
        if not chosen:
            return (
                ({}, [FieldError(field, "Select at least one answer")])
                if spec.required
                else ({"answer": None}, [])
            )
        if any(v not in keys for v in chosen):
            return {}, [FieldError(field, "Select from the list")]
        return {"answer": list(dict.fromkeys(chosen))}, []
    text = read_text(form, "answer")
    if text is None:
        if spec.required:
            message = "Select an answer" if spec.datatype == "singlevaluelist" else "Answer this question"
            return {}, [FieldError(field, message)]
        return {"answer": None}, []
    if spec.datatype == "singlevaluelist":
        return ({"answer": text}, []) if text in keys else ({}, [FieldError(field, "Select from the list")])
    if spec.datatype == "number":
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            return {}, [FieldError(field, "Enter a number, like 3")]
        return {"answer": number}, []
    if spec.datatype == "datetime":
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            return {}, [FieldError(field, "Enter a real date, like 2026-11-30")]
        return {"answer": dt.datetime.combine(day, dt.time(), zone).isoformat()}, []
    limit = DESCRIPTION_MAX if spec.datatype == "text" else 1000
    if len(text) > limit:
        return {}, [
            FieldError(field, "The answer must be {limit} characters or fewer", (("limit", str(limit)),))
        ]
    return {"answer": text}, []


def check_describe(form: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    text = read_text(form, "description")
    if text is not None and len(text) > DESCRIPTION_MAX:
        return {}, [
            FieldError(
                "description", "The description must be {limit} characters or fewer", (("limit", "4,000"),)
            )
        ]
    return {"description": text}, []


def check_contact(form: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    values = {name: read_text(form, name) for name in ("first_name", "last_name", "email", "phone")}
    errors: list[FieldError] = []
    for name in ("first_name", "last_name"):
        if values[name] is not None and len(values[name] or "") > NAME_MAX:
            errors.append(
                FieldError(name, "Names must be {limit} characters or fewer", (("limit", str(NAME_MAX)),))
            )
    if values["email"] is not None and not EMAIL.match(values["email"] or ""):
        errors.append(
            FieldError("email", "Enter an email address in the right format, like name@example.com")
        )
    if values["phone"] is not None and not PHONE.match(values["phone"] or ""):
        errors.append(FieldError("phone", "Enter a phone number, like 410 555 0100"))
    return (values, []) if not errors else ({}, errors)


def build_submission(draft: Draft, lang: str) -> dict[str, list[str]]:
    """The draft as Open311 POST parameters, for :func:`read_request_input`."""
    params: dict[str, list[str]] = {"service_code": [draft.service_code]}
    optional = {
        "address_string": draft.address,
        "lat": None if draft.lat is None else repr(draft.lat),
        "long": None if draft.long is None else repr(draft.long),
        "description": draft.description,
        "first_name": draft.first_name,
        "last_name": draft.last_name,
        "email": draft.email,
        "phone": draft.phone,
        "locale": lang,
    }
    for name, value in optional.items():
        if value is not None:
            params[name] = [value]
    for code, answer in draft.answers.items():
        if answer is None:
            continue
        if isinstance(answer, list):
            params[f"attribute[{code}][]"] = [str(v) for v in answer]
        else:
            params[f"attribute[{code}]"] = [answer if isinstance(answer, str) else repr(answer)]
    return params
