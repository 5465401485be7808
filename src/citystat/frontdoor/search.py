"""Finding a service in plain words: search the names, groups, descriptions and search words."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from citystat.open311.services import Service


@dataclass(frozen=True)
class ServiceGroupView:
    slug: str
    name: str
    count: int


def fold(text: str) -> str:
    """Lower case without accents: 'Basura' and 'básura' match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slug_of(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")


def list_groups(services: tuple[Service, ...], lang: str) -> list[ServiceGroupView]:
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    for service in services:
        slug = slug_of(service.group["en"])
        counts[slug] = counts.get(slug, 0) + 1
        names[slug] = service.group.get(lang) or service.group["en"]
    return sorted((ServiceGroupView(s, names[s], counts[s]) for s in counts), key=lambda g: fold(g.name))


def in_group(services: tuple[Service, ...], slug: str) -> list[Service]:
    return [s for s in services if slug_of(s.group["en"]) == slug]


def search_services(services: tuple[Service, ...], text: str) -> list[Service]:
    """Services matching every word of ``text`` somewhere (name first, then search words)."""
    words = [w for w in re.split(r"\W+", fold(text)) if w]
    if not words:
        return []
    ranked: list[tuple[int, str, Service]] = []
    for service in services:
        name = fold(f"{service.name} {service.name_es or ''}")
        extra = fold(
            " ".join(
                [
                    *service.keywords,
                    service.description,
                    service.description_es or "",
                    *service.group.values(),
                ]
            )
        )
        score = 0
        for word in words:
            if word in name:
                score += 3
            elif word in extra:
                score += 1
            else:
                score = -1
                break
        if score > 0:
            ranked.append((-score - (5 if service.keywords else 0), name, service))
    return [service for _, _, service in sorted(ranked, key=lambda r: (r[0], r[1]))]
