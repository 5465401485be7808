"""What the app factory keeps on ``app.state``, read the same way by the pages and the APIs."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from citystat.open311.directory import Directory, get_directory
from citystat.warehouse.city import DEFAULT_CITY


def sessions_of(request: Request) -> sessionmaker[Session]:
    """Sessions on the transactional store."""
    sessions: sessionmaker[Session] = request.app.state.store_sessions
    return sessions


def open_directory(request: Request) -> Directory:
    """The front door's service directory (the warehouse's city, or the configured one without it)."""
    return get_directory(request.app.state.reader, request.app.state.settings.city or DEFAULT_CITY)


def client_of(request: Request) -> str:
    """The client's address, the key of the per-IP rate limits."""
    return request.client.host if request.client else "unknown"
