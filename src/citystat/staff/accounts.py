"""Staff users: Argon2 password hashes, roles, and checking a sign-in."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citystat.errors import CitystatError
from citystat.store.models import ROLES, AuditEntry, StaffUser

HASHER = PasswordHasher()
MIN_PASSWORD = 12
# Verified against when the e-mail is unknown, so a wrong e-mail takes as long as a wrong password.
DUMMY_HASH = HASHER.hash("citystat: no such user")


class StaffError(CitystatError):
    """A staff account cannot be created or changed as asked."""


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def create_staff(
    session: Session, *, email: str, name: str, password: str, role: str, agency: str | None, actor: str
) -> StaffUser:
    """A new staff account (the caller commits); an agency user must name their agency."""
    email = email.strip().lower()
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "agency" and not agency:
        raise StaffError("an agency user needs --agency (the agency whose requests they work on)")
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password must be at least {MIN_PASSWORD} characters")
    if session.scalars(select(StaffUser).where(StaffUser.email == email)).first() is not None:
        raise StaffError(f"there is already a staff account for {email}")
    user = StaffUser(email=email, name=name, password_hash=hash_password(password), role=role, agency=agency)
    session.add(user)
    session.flush()
    session.add(
        AuditEntry(
            actor=actor,
            action="create staff account",
            entity="staff_user",
            entity_id=str(user.id),
            after={"email": email, "role": role, "agency": agency},
        )
    )
    return user


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    """The active user with this e-mail and password, or None (same work either way)."""
    user = session.scalars(
        select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower())
    ).first()
    stored = user.password_hash if user is not None and user.active else DUMMY_HASH
    try:
        HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user
