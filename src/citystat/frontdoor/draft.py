"""A resident's answers so far, carried between pages in a signed, expiring cookie.

Nothing is stored on the server until the resident confirms; the cookie is signed with the app's
secret key (a tampered or expired draft is simply dropped) and holds a CSRF token that the
confirm form must send back.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "report_draft"
MAX_AGE_SECONDS = 2 * 60 * 60  # a draft left for two hours starts again
SALT = "citystat-report-draft"


@dataclass(frozen=True)
class Draft:
    service_code: str
    csrf: str
    address: str | None = None
    lat: float | None = None
    long: float | None = None
    answers: dict[str, Any] = field(default_factory=dict)  # attribute code -> value
    description: str | None = None
    photo: str | None = None  # the stored file name of a cleaned photo
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    done: tuple[str, ...] = ()  # steps answered, in order

    def with_step(self, step: str, **changes: Any) -> Draft:
        done = self.done if step in self.done else (*self.done, step)
        return replace(self, done=done, **changes)


def start_draft(service_code: str) -> Draft:
    return Draft(service_code=service_code, csrf=secrets.token_urlsafe(16))


def make_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def write_draft(draft: Draft, secret_key: str) -> str:
    data = asdict(draft)
    data["done"] = list(draft.done)
    return make_serializer(secret_key).dumps(data)


def read_draft(token: str | None, secret_key: str) -> Draft | None:
    """The draft in a cookie, or None when there is none, it was tampered with or it expired."""
    if not token:
        return None
    try:
        data = make_serializer(secret_key).loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    try:
        data["done"] = tuple(data.get("done", ()))
        return Draft(**data)
    except TypeError:
        return None
