"""Open311 errors: the spec's ``{code, description}`` list with the HTTP status it goes with."""

from __future__ import annotations

from citystat.errors import CitystatError


class Open311Error(CitystatError):
    """403 for a missing or bad api_key, 404 for an unknown resource, 400 for everything else."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after  # seconds, for a 429


def fail_input(description: str) -> Open311Error:
    return Open311Error(400, description)
