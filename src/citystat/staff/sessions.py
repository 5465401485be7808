"""Signed-in staff sessions: a random token in the cookie, its SHA-256 in the store, an expiry.

Sessions end when they expire or on sign-out; a CSRF token for the session's forms is an HMAC of
the session token with the app's secret key, so it needs no storage and changes with every session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import delete
from sqlalchemy.orm import Session

from citystat.store.models import StaffSession, StaffUser

COOKIE = "staff_session"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, user: StaffUser, *, now: dt.datetime, lifetime: dt.timedelta) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(token_hash=hash_token(token), user_id=user.id, created_at=now, expires_at=now + lifetime)
    )
    session.execute(delete(StaffSession).where(StaffSession.expires_at < now))  # tidy expired ones
    return token


def read_session(session: Session, token: str | None, *, now: dt.datetime) -> StaffUser | None:
    """The signed-in user, or None for no, unknown or expired sessions and inactive users."""
    if not token:
        return None
    found = session.get(StaffSession, hash_token(token))
    if found is None or found.expires_at <= now:
        return None
    user = session.get(StaffUser, found.user_id)
    return user if user is not None and user.active else None


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == hash_token(token)))


def make_csrf(secret_key: str, token: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), f"csrf:{token}".encode(), hashlib.sha256).hexdigest()


def check_csrf(secret_key: str, token: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(make_csrf(secret_key, token), given)
