"""HTTP behaviour of the API: ETags and 304s, Cache-Control, the response cache, error objects
and the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from citystat.site import WarehouseReader
from citystat.web.caching import Kept, ResponseCache, make_etag, matches_etag
from tests.api.conftest import move_revision_on

PREFIX = "/api/v1"


def test_etag_and_not_modified(demo_api: str, demo_reader: WarehouseReader) -> None:
    url = f"{PREFIX}/measures/city-requests/values?grain=month&limit=5"
    with httpx.Client(base_url=demo_api) as client:
        first = client.get(url)
        again = client.get(url)
        other = client.get(f"{PREFIX}/measures/city-requests/values?grain=month&limit=6")
        not_modified = client.get(url, headers={"if-none-match": first.headers["etag"]})
        weak = client.get(url, headers={"if-none-match": f'"nope", W/{first.headers["etag"]}'})
        stale = client.get(url, headers={"if-none-match": '"something-else"'})
        csv = client.get(f"{PREFIX}/measures/city-requests/values.csv?grain=month")
        csv_304 = client.get(
            f"{PREFIX}/measures/city-requests/values.csv?grain=month",
            headers={"if-none-match": csv.headers["etag"]},
        )
    assert first.status_code == 200 and first.headers["cache-control"] == "public, max-age=60"
    # Strong, from the revision and the request; the same answer again, byte for byte.
    etag = make_etag(demo_reader.revision().tag, url)
    assert first.headers["etag"] == etag and not etag.startswith("W/")
    assert again.headers["etag"] == etag and again.content == first.content
    assert other.headers["etag"] != etag
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    assert not_modified.headers["cache-control"] == "public, max-age=60"
    assert weak.status_code == 304
    assert stale.status_code == 200 and stale.content == first.content
    assert csv_304.status_code == 304 and csv_304.content == b""
    assert csv.headers["content-disposition"].startswith("attachment;")


def test_repeated_calls_are_served_from_the_cache(demo_root: Path, demo_warehouse: Path) -> None:
    """On an app of its own: the cache's counters show the second call never reached the view."""
    from fastapi.testclient import TestClient

    from citystat.settings import Settings
    from citystat.web import create_app

    app = create_app(Settings(warehouse=demo_warehouse))
    with TestClient(app) as client:
        first = client.get(f"{PREFIX}/measures/city-requests")
        cache: ResponseCache = app.state.response_cache
        assert (cache.hits, cache.misses, len(cache.entries)) == (0, 1, 1)
        second = client.get(f"{PREFIX}/measures/city-requests")
        assert (cache.hits, cache.misses) == (1, 1)
        assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
        assert second.headers["content-type"] == "application/json"
        client.get(f"{PREFIX}/measures/no-such-measure")  # errors are not kept
        assert len(cache.entries) == 1


def test_cache_bounds_and_revisions() -> None:
    cache = ResponseCache(max_entries=2, max_bytes=10)
    cache.put("r1", "/a", Kept(b"aaaa", ()))
    cache.put("r1", "/b", Kept(b"bbbb", ()))
    assert cache.get("r1", "/a") is not None  # /a is now the most recently used
    cache.put("r1", "/c", Kept(b"cccc", ()))  # over both bounds: /b goes
    assert list(cache.entries) == ["/a", "/c"] and cache.size == 8
    assert cache.get("r2", "/a") is None and not cache.entries  # a new revision empties it
    assert matches_etag("*", '"x"') and matches_etag('W/"x"', '"x"') and not matches_etag(None, '"x"')


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/measures/no-such-measure", 404, "not_found"),
        ("GET", "/agencies/no-such-agency", 404, "not_found"),
        ("GET", "/areas/no-such-layer", 404, "not_found"),
        ("GET", "/measures?agency=no-such-agency", 404, "not_found"),
        ("GET", "/measures?page=0", 400, "bad_request"),
        ("GET", "/measures/city-requests/analysis?grain=day", 400, "bad_request"),
        ("GET", "/no-such-endpoint", 404, "not_found"),
        ("POST", "/measures", 405, "method_not_allowed"),
    ],
)
def test_error_objects(demo_api: str, method: str, path: str, status: int, code: str) -> None:
    response = httpx.request(method, f"{demo_api}{PREFIX}{path}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message"}
    assert (body["error"]["status"], body["error"]["code"]) == (status, code)
    assert body["error"]["message"]
    if status == 405:
        assert response.headers["allow"] == "GET"


def test_openapi_covers_the_api_only(demo_api: str) -> None:
    document = httpx.get(f"{demo_api}{PREFIX}/openapi.json").json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert all(p.startswith("/api/v1/") for p in paths)
    assert {
        "/api/v1/",
        "/api/v1/agencies",
        "/api/v1/agencies/{agency_id}",
        "/api/v1/measures",
        "/api/v1/measures/{measure_id}",
        "/api/v1/measures/{measure_id}/values",
        "/api/v1/measures/{measure_id}/values.csv",
        "/api/v1/measures/{measure_id}/values.parquet",
        "/api/v1/measures/{measure_id}/analysis",
        "/api/v1/measures/{measure_id}/equity",
        "/api/v1/score",
        "/api/v1/areas",
        "/api/v1/areas/{layer}",
        "/api/v1/areas/{layer}/{area_id}",
        "/api/v1/about",
        "/api/v1/values.csv",
        "/api/v1/values.parquet",
    } == set(paths)
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in paths.items():
        (operation,) = operations.values()
        responses = operation["responses"]
        assert set(responses) == {"200", "400", "404", "503"}, path
        for status in ("400", "404", "503"):
            assert responses[status]["content"]["application/json"]["schema"] == error_ref
    assert "HTTPValidationError" not in document["components"]["schemas"]
    csv = paths["/api/v1/measures/{measure_id}/values.csv"]["get"]["responses"]["200"]["content"]
    assert list(csv) == ["text/csv"]
    values = paths["/api/v1/measures/{measure_id}/values"]["get"]
    assert {p["name"] for p in values["parameters"]} == {
        "measure_id",
        "grain",
        "dimension",
        "dimension_value",
        "period",
        "from",
        "to",
        "page",
        "limit",
        "cursor",
    }
    ids = [op["operationId"] for operations in paths.values() for op in operations.values()]
    assert len(set(ids)) == len(ids) == 17 and "list_values" in ids and "download_all_parquet" in ids
    # The pages' own routes are not in it.
    assert "/" not in paths and "/healthz" not in paths


def test_no_warehouse_and_bugs_answer_the_error_object(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from citystat.settings import Settings
    from citystat.web import create_app

    app = create_app(Settings(warehouse=tmp_path / "nothing-yet.duckdb"))
    with TestClient(app) as client:
        missing = client.get(f"{PREFIX}/measures")
    assert missing.status_code == 503
    assert missing.json()["error"]["code"] == "unavailable" and missing.json()["error"]["status"] == 503

    class BrokenReader:
        def revision(self) -> None:
            raise RuntimeError("a bug")

    app.state.reader = BrokenReader()
    with TestClient(app, raise_server_exceptions=False) as client:
        broken = client.get(f"{PREFIX}/measures")
    assert broken.status_code == 500
    assert broken.json() == {"error": {"status": 500, "code": "error", "message": "internal server error"}}


def test_a_new_warehouse_revision_changes_the_etag(demo_warehouse: Path, tmp_path: Path) -> None:
    """After a load (here: the file's modification time moves on) the old ETag no longer matches
    and the kept answers are dropped."""
    import shutil

    from fastapi.testclient import TestClient

    from citystat.settings import Settings
    from citystat.web import create_app

    warehouse = tmp_path / "copy.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    app = create_app(Settings(warehouse=warehouse))
    url = f"{PREFIX}/measures/city-requests/values?grain=month&limit=3"
    with TestClient(app) as client:
        before = client.get(url)
        assert client.get(url, headers={"if-none-match": before.headers["etag"]}).status_code == 304
        move_revision_on(warehouse)
        after = client.get(url, headers={"if-none-match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert after.json()["items"] == before.json()["items"]  # same data, new revision
    cache: ResponseCache = app.state.response_cache
    assert cache.revision == app.state.reader.revision().tag and list(cache.entries) == [url]
