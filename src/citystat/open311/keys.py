"""Open311 API keys: issued once, kept only as a SHA-256 hash, checked on every POST."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from citystat.open311.errors import Open311Error
from citystat.store.models import ApiKey, AuditEntry


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue_api_key(session: Session, label: str, *, channel: str = "api", actor: str = "admin") -> str:
    """A new key for ``label``; the key itself is returned once and never stored."""
    key = secrets.token_urlsafe(24)
    row = ApiKey(key_hash=hash_key(key), label=label, channel=channel, active=True)
    session.add(row)
    session.flush()
    session.add(
        AuditEntry(
            actor=actor,
            action="issue api key",
            entity="api_key",
            entity_id=str(row.id),
            after={"label": label, "channel": channel},
        )
    )
    return key


def check_api_key(session: Session, key: str | None) -> ApiKey:
    """The active key row, or a 403."""
    if key is None:
        raise Open311Error(403, "api_key is required to submit a request")
    row = session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).one_or_none()
    if row is None or not row.active:
        raise Open311Error(403, "api_key is not valid")
    return row
