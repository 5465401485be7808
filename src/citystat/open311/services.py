"""The Open311 service list: every service type the city's data holds, grouped in plain words.

Service types come from the warehouse (``service_requests``): the code, the agency that most often
handles it, how many requests it has, and its expected days (the median time from a request to its
due date). Staff-initiated types (e.g. Baltimore's "Proactive" work) are left out. The catalogue
file adds groups, search words and service definitions; a service with attributes has
``metadata: true`` and a definition at ``services/{code}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from citystat.i18n import Lang
from citystat.open311.catalogue import AttributeSpec, ServiceCatalogue

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class ServiceType:
    """A service type as the warehouse's requests show it."""

    code: str
    agency: str | None
    requests: int
    expected_days: float | None  # median days from request to due date; None without due dates


@dataclass(frozen=True)
class Service:
    code: str
    name: str  # the code's words without the agency prefix: "Pothole Repair"
    description: str
    group: dict[str, str]  # by language
    agency: str | None
    expected_days: float | None
    requests: int
    keywords: tuple[str, ...]
    attributes: tuple[AttributeSpec, ...]
    type: str = "realtime"  # Open311: realtime | batch (queued, answered with a token) | blackbox
    name_es: str | None = None
    description_es: str | None = None

    def title(self, lang: Lang) -> str:
        """The name residents read, in their language when the catalogue has it."""
        return (self.name_es if lang == "es" else None) or self.name

    def summary(self, lang: Lang) -> str:
        return (self.description_es if lang == "es" else None) or self.description

    @property
    def metadata(self) -> bool:
        """Whether the service has a definition with attributes (Open311 ``metadata``)."""
        return bool(self.attributes)

    def group_name(self, lang: Lang) -> str:
        return self.group.get(lang) or self.group["en"]


def read_service_types(con: duckdb.DuckDBPyConnection) -> list[ServiceType]:
    """Every service code the requests hold or the city's published list names, with its usual
    agency, volume and expected days (none for a type no request has used yet)."""
    rows = con.execute(
        """
        WITH seen AS (
            SELECT service_code,
                   mode(agency) AS agency,
                   count(*) AS requests,
                   median(date_diff('second', created_at, due_at))
                       FILTER (WHERE due_at >= created_at) / ? AS expected_days
            FROM service_requests
            GROUP BY service_code
        )
        SELECT coalesce(seen.service_code, listed.service_code) AS service_code,
               seen.agency, coalesce(seen.requests, 0), seen.expected_days
        FROM seen FULL OUTER JOIN service_types AS listed USING (service_code)
        ORDER BY 1
        """,
        [SECONDS_PER_DAY],
    ).fetchall()
    return [
        ServiceType(code, agency, int(requests), None if days is None else round(float(days), 1))
        for code, agency, requests, days in rows
    ]


def trim_code(code: str) -> str:
    """The code without stray quotes around it (a real Baltimore type reads '"HLTH-Animal ...')."""
    return code.strip("\"' ")


def name_service(code: str, prefix: str | None) -> str:
    """'TRM-Pothole Repair' → 'Pothole Repair' (the group already says which agency)."""
    code = trim_code(code)
    if prefix and code.startswith(prefix):
        return code[len(prefix) :].strip(" -") or code
    head, sep, rest = code.partition("-")
    return rest.strip() if sep and head.isupper() and rest.strip() else code


def is_staff_only(code: str, words: Iterable[str]) -> bool:
    return any(re.search(rf"\b{re.escape(w)}\b", code, flags=re.IGNORECASE) for w in words)


def find_group(code: str, catalogue: ServiceCatalogue) -> tuple[str | None, dict[str, str], str | None]:
    """The code's group prefix, its names by language, and the agency that usually handles it."""
    for group in catalogue.groups:
        if trim_code(code).startswith(group.prefix):
            return group.prefix, {"en": group.en, "es": group.es}, group.agency
    return None, dict(catalogue.other_group), None


def build_services(types: Iterable[ServiceType], catalogue: ServiceCatalogue) -> tuple[Service, ...]:
    """The resident service list, by group then name; staff-only types left out."""
    services: list[Service] = []
    for kind in types:
        if is_staff_only(kind.code, catalogue.staff_only):
            continue
        prefix, group, usual_agency = find_group(kind.code, catalogue)
        spec = catalogue.services.get(kind.code)
        services.append(
            Service(
                code=kind.code,
                name=name_service(kind.code, prefix),
                description=spec.description if spec else "",
                group=group,
                agency=kind.agency or usual_agency,
                expected_days=kind.expected_days,
                requests=kind.requests,
                keywords=tuple(spec.keywords) if spec else (),
                attributes=tuple(sorted(spec.attributes, key=lambda a: a.order)) if spec else (),
                type=spec.type if spec else "realtime",
                name_es=spec.name_es if spec else None,
                description_es=spec.description_es if spec else None,
            )
        )
    return tuple(sorted(services, key=lambda s: (s.group["en"], s.name.lower(), s.code)))
