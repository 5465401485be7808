"""The CLI and the server, run as a user runs them: real processes, real HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import BOUNDARIES, REPO, SAMPLE_2019

CITYSTAT = [sys.executable, "-m", "citystat.cli"]


def run(
    args: list[str], warehouse: Path, check: bool = True, columns: int = 200
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CITYSTAT_WAREHOUSE": str(warehouse), "COLUMNS": str(columns), "NO_COLOR": "1"}
    done = subprocess.run([*CITYSTAT, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_ingest_and_loads_commands(real, tmp_path) -> None:
    db = tmp_path / "cli.duckdb"
    out = run(
        [
            "ingest",
            "boundaries",
            str(BOUNDARIES / "council_districts_2012.geojson"),
            "--layer",
            "council_district",
        ],
        db,
    )
    assert "read" in out.stdout and "14" in out.stdout
    out = run(["ingest", "requests", str(SAMPLE_2019)], db)
    assert "loaded (new)" in out.stdout and "3,000" in out.stdout
    assert "flagged: outside the city boundary" in out.stdout and "25" in out.stdout
    again = run(["ingest", "requests", str(SAMPLE_2019)], db)
    assert "unchanged" in again.stdout and "already loaded as load 2" in again.stdout
    listed = json.loads(run(["loads", "--json"], db).stdout)
    assert [(r["load_id"], r["kind"], r["rows_loaded"]) for r in listed] == [
        (2, "requests", 3000),
        (1, "boundaries", 14),
    ]
    table = run(["loads"], db).stdout
    assert "311_Customer_Service_Requests_2019-10_sample.csv" in table


def test_errors_are_one_clear_line(real, tmp_path) -> None:
    db = tmp_path / "cli.duckdb"
    nhp = REPO.parent / "shared/data/real/baltimore-demographics/nhp2017_csa_indicators.csv"
    done = run(
        ["ingest", "requests", str(nhp)], db, check=False, columns=40
    )  # a narrow terminal never wraps it
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "missing column(s) ServiceRequestNum" in lines[0]
    assert "Traceback" not in done.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_when_up(port: int, path: str = "/") -> httpx.Response:
    """GET a page from a server that is still starting, waiting up to 30 s for it to listen."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2)
        except httpx.TransportError:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)


@pytest.mark.slow
def test_server_serves_the_home_page(real, tmp_path) -> None:
    db = tmp_path / "web.duckdb"
    run(["ingest", "requests", str(SAMPLE_2019)], db)
    port = free_port()
    env = {**os.environ, "CITYSTAT_WAREHOUSE": str(db)}
    server = subprocess.Popen(
        [*CITYSTAT, "serve", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        response = get_when_up(port)
        assert response.status_code == 200
        html = response.text
        assert html.count("<h1>") == 1
        assert "<h1>How Baltimore City is doing</h1>" in html
        assert "<title>How Baltimore City is doing – Baltimore City</title>" in html
        assert 'href="#main"' in html
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"ok": True, "warehouse": True}
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow
def test_make_run_path_demo_then_serve(tmp_path) -> None:
    """What `make run` does: build the synthetic city, then serve it; the page says it is synthetic."""
    db = tmp_path / "demo.duckdb"
    env_extra = {"CITYSTAT_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [*CITYSTAT, "demo", "--rows", "3000", "--seed", "5", "--end", "2026-07-01"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        env={**os.environ, "CITYSTAT_WAREHOUSE": str(db), "COLUMNS": "200", **env_extra},
    )
    assert done.returncode == 0, done.stderr
    assert "synthetic demo city ready" in done.stdout
    port = free_port()
    server = subprocess.Popen(
        [*CITYSTAT, "serve", "--port", str(port)],
        cwd=REPO,
        env={**os.environ, "CITYSTAT_WAREHOUSE": str(db)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        html = get_when_up(port).text
        assert "<h1>How Chesapeake Point (synthetic demo city) is doing</h1>" in html
        assert "<strong>Synthetic data.</strong>" in html
    finally:
        server.terminate()
        server.wait(timeout=10)
