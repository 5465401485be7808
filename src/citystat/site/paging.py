"""Pages of a list by number (lists other than stored values, which page by cursor too)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from citystat.site.errors import InvalidRequestError

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    total: int  # items over every page
    page: int  # 1-based
    page_size: int
    pages: int  # at least 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_items(items: Sequence[T], *, page: int = 1, page_size: int = 50) -> Page[T]:
    """Page ``page`` of ``items`` (past the last page: no items)."""
    if page < 1 or page_size < 1:
        raise InvalidRequestError("page and page_size start at 1")
    total = len(items)
    first = (page - 1) * page_size
    return Page(
        tuple(items[first : first + page_size]), total, page, page_size, max(1, -(-total // page_size))
    )
