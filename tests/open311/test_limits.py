"""Abuse limits over real HTTP: bounded bodies (declared or streamed) and rate limits per IP and per
api_key, answered in the spec's error shape with Retry-After; the limiter's window, by a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from citystat.open311.keys import issue_api_key
from citystat.settings import Settings
from citystat.store import create_session_factory, open_store, upgrade_store
from citystat.web.limits import RateLimiter
from tests.api.conftest import ServerThread

POST = {
    "service_code": "TRM-Pothole Repair",
    "attribute[SIZE]": "small",
    "lat": "39.2904",
    "long": "-76.6122",
}


def start(warehouse: Path, folder: Path, **limits: int) -> tuple[ServerThread, list[str]]:
    store_url = f"sqlite:///{folder / 'limits-store.db'}"
    engine = open_store(store_url)
    upgrade_store(engine)
    with create_session_factory(engine).begin() as session:
        keys = [issue_api_key(session, "one"), issue_api_key(session, "two")]
    engine.dispose()
    settings = Settings(warehouse=warehouse, store_url=store_url, **limits)
    return ServerThread(warehouse, settings=settings), keys


@pytest.fixture
def tight(real_warehouse: Path, tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    server, keys = start(
        real_warehouse, tmp_path, rate_limit_ip=3, rate_limit_api_key=1000, max_body_bytes=2000
    )
    with server:
        yield f"{server.url}/open311/v2", keys


def test_a_body_over_the_limit_is_refused(tight) -> None:
    url, keys = tight
    big = {**POST, "api_key": keys[0], "description": "x" * 3000}
    response = httpx.post(f"{url}/requests.json", data=big)
    assert response.status_code == 413
    assert response.json() == [{"code": 413, "description": "the request body is larger than 2,000 bytes"}]

    def stream() -> Iterator[bytes]:  # no Content-Length: the server counts what arrives
        yield b"api_key=" + keys[0].encode() + b"&description="
        for _ in range(10):
            yield b"y" * 500

    streamed = httpx.post(
        f"{url}/requests.json",
        content=stream(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert streamed.status_code == 413


def test_rate_limit_per_ip(tight) -> None:
    url, keys = tight
    statuses = [
        httpx.post(f"{url}/requests.json", data={**POST, "api_key": keys[i % 2]}).status_code
        for i in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    refused = httpx.post(f"{url}/requests.xml", data={**POST, "api_key": keys[0]})
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert b"<code>429</code>" in refused.content


def test_rate_limit_per_api_key(real_warehouse: Path, tmp_path: Path) -> None:
    server, keys = start(real_warehouse, tmp_path, rate_limit_ip=1000, rate_limit_api_key=2)
    with server:
        url = f"{server.url}/open311/v2/requests.json"
        first = [httpx.post(url, data={**POST, "api_key": keys[0]}).status_code for _ in range(3)]
        other = httpx.post(url, data={**POST, "api_key": keys[1]}).status_code
    assert first == [201, 201, 429]
    assert other == 201


def test_the_window_slides() -> None:
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.allow("a") is None
    now[0] = 30.0
    assert limiter.allow("a") is None
    assert limiter.allow("a") == pytest.approx(30.0)  # the first event leaves the window at 60 s
    assert limiter.allow("b") is None  # keys are counted apart
    now[0] = 60.0
    assert limiter.allow("a") is None
    assert limiter.allow("a") == pytest.approx(30.0)
