"""Errors the site layer raises for things a visitor asked for that do not exist."""

from __future__ import annotations

from citystat.errors import CitystatError


class NotFoundError(CitystatError):
    """A measure, agency, area or layer the warehouse does not hold (pages and the API: 404)."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"no {kind} {key!r}")
        self.kind = kind
        self.key = key


class InvalidRequestError(CitystatError):
    """A request that cannot be answered as asked (a period range that ends before it starts...)."""
