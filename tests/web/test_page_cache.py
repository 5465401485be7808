"""Dashboard pages are kept per warehouse revision and language; store-backed pages never are.

On an app of its own (TestClient), so the cache's counters belong to this test alone."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from citystat.settings import Settings
from citystat.web import create_app
from citystat.web.caching import KEEP_HEADER, ResponseCache, make_etag
from tests.api.conftest import move_revision_on


@pytest.fixture
def app(demo_warehouse: Path, tmp_path: Path) -> FastAPI:
    warehouse = tmp_path / "copy.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    return create_app(Settings(warehouse=warehouse, data_dir=tmp_path))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def counters(app: FastAPI) -> tuple[int, int, int]:
    cache: ResponseCache = app.state.response_cache
    return cache.hits, cache.misses, len(cache.entries)


def test_a_page_is_built_once_then_served_from_memory(app: FastAPI, client: TestClient) -> None:
    first = client.get("/measures/city-requests")
    assert first.status_code == 200 and counters(app) == (0, 1, 1)
    again = client.get("/measures/city-requests")
    assert counters(app) == (1, 1, 1)
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"] == "text/html; charset=utf-8"
    assert (
        again.headers["content-language"] == "en" and again.headers["cache-control"] == "public, max-age=60"
    )
    assert KEEP_HEADER not in first.headers and KEEP_HEADER not in again.headers
    revision = app.state.reader.revision().tag
    assert first.headers["etag"] == again.headers["etag"] == make_etag(revision, "/measures/city-requests#en")


def test_the_etag_gives_a_304(client: TestClient) -> None:
    first = client.get("/")
    not_modified = client.get("/", headers={"if-none-match": first.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == first.headers["etag"]
    assert not_modified.headers["vary"] == first.headers["vary"] == "Accept-Language, Cookie"


def test_each_language_is_kept_apart(app: FastAPI, client: TestClient) -> None:
    english = client.get("/agencies")
    spanish = client.get("/agencies", headers={"accept-language": "es-US,es;q=0.9"})
    client.cookies.set("lang", "es")
    by_cookie = client.get("/agencies")
    client.cookies.clear()
    switched = client.get("/agencies?lang=es")
    assert english.headers["content-language"] == "en" and '<html lang="en"' in english.text
    assert spanish.headers["content-language"] == "es" and '<html lang="es"' in spanish.text
    assert by_cookie.content == spanish.content and by_cookie.headers["etag"] == spanish.headers["etag"]
    assert spanish.headers["etag"] != english.headers["etag"]
    # The switch's link sets the cookie, also when the answer comes from memory.
    client.cookies.clear()
    switched_again = client.get("/agencies?lang=es")
    assert "lang=es" in switched.headers["set-cookie"] and "lang=es" in switched_again.headers["set-cookie"]
    hits, misses, entries = counters(app)
    assert (misses, entries) == (3, 3) and hits == 2  # en, es, ?lang=es; then the cookie and the repeat


def test_errors_and_store_pages_are_not_kept(app: FastAPI, client: TestClient) -> None:
    assert client.get("/measures/no-such-measure").status_code == 404
    assert client.get("/status/NO-SUCH").status_code == 404
    assert client.get("/report").status_code == 200
    assert client.get("/staff/login").status_code == 200
    assert client.get("/static/citystat.css").status_code == 200
    assert counters(app)[2] == 0
    assert "etag" not in client.get("/report").headers


def test_a_new_revision_rebuilds_the_page(app: FastAPI, client: TestClient) -> None:
    before = client.get("/about")
    warehouse: Path = app.state.settings.warehouse
    move_revision_on(warehouse)
    after = client.get("/about", headers={"if-none-match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert counters(app) == (0, 2, 1)


def test_a_page_built_while_a_load_holds_the_file_is_not_kept(app: FastAPI, client: TestClient) -> None:
    """A load holding the warehouse: the page shows the last good build, and is not kept as the
    new revision's; once the load lets go, the page is built again and kept."""
    warehouse: Path = app.state.settings.warehouse
    assert client.get("/agencies").status_code == 200 and counters(app)[2] == 1
    move_revision_on(warehouse)  # a load begins
    code = (
        "import duckdb, sys\n"
        f"con = duckdb.connect({str(warehouse)!r})\n"
        "print('writing', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "writing"
        during = client.get("/agencies")
        assert during.status_code == 200 and "etag" not in during.headers
        assert counters(app)[2] == 0  # the new revision's cache holds nothing
    finally:
        assert holder.stdin is not None
        holder.stdin.write("done\n")
        holder.stdin.close()
        holder.wait(timeout=60)
    after = client.get("/agencies")
    assert after.status_code == 200 and "etag" in after.headers and counters(app)[2] == 1
