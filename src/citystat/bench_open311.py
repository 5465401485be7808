"""Open311 benchmark: POST and GET throughput and latency of the front door under concurrency.

``citystat serve`` runs as its own process over a synthetic city (reused from ``bench web``'s cache)
with a fresh SQLite store, next to the baseline: a bare FastAPI app doing one SQLite insert per POST
and one primary-key read per GET (:mod:`citystat.bench_open311_baseline`), same server, same
durability settings, measured in the same run. Targets, each with ``clients`` keep-alive clients:

* ``POST requests``: a pothole with its answer and a location (validation, insert, audit entry);
* ``GET request``: ``requests/{id}.json`` for ids the POSTs created;
* ``GET requests``: the default 90-day window, 50 a page.

Reports p50/p95 latency, requests/s, statuses and errors, and each citystat target's cost as a
ratio to the baseline's matching operation. Never a CI gate: wall-clock numbers depend on the
machine and its load.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from citystat.bench_web import (
    REQUEST_TIMEOUT,
    Connection,
    ProgressFn,
    Sample,
    StageFn,
    Target,
    free_port,
    prepare_web_city,
    run_async,
    serve_command,
    start_server,
    stop_server,
    summarize,
    wait_until_listening,
)

POTHOLE = {"service_code": "TRM-Pothole Repair", "attribute[SIZE]": "medium", "lat": "38.9", "long": "-76.4"}
LIST_PATH = "/open311/v2/requests.json?page_size=50"


class FormConnection(Connection):
    """A keep-alive connection that can also POST a form and read the answer's body."""

    async def send(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.reader is None or self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
        if method == "POST":
            head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        self.writer.write((head + "\r\n").encode("latin-1") + body)
        await self.writer.drain()
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.partition(":") for line in lines[1:] if ":" in line)
        }
        content = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, content


async def drive_form(
    port: int, requests: Sequence[tuple[str, str, bytes]], *, clients: int
) -> tuple[list[Sample], list[bytes], float]:
    """Send ``requests`` (method, path, body) over ``clients`` connections; samples, bodies, wall time."""
    pending = iter(requests)
    samples: list[Sample] = []
    bodies: list[bytes] = []

    async def client() -> None:
        connection = FormConnection(port)
        try:
            for method, path, body in pending:
                start = time.perf_counter()
                try:
                    status, content = await asyncio.wait_for(
                        connection.send(method, path, body), REQUEST_TIMEOUT
                    )
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                    status, content = 0, b""
                    await connection.close()
                samples.append(Sample(status, time.perf_counter() - start))
                bodies.append(content)
        finally:
            await connection.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return samples, bodies, time.perf_counter() - start


def read_ids(bodies: Sequence[bytes]) -> list[str]:
    ids = []
    for body in bodies:
        try:
            ids.append(str(json.loads(body)[0]["service_request_id"]))
        except (ValueError, KeyError, IndexError, TypeError):
            continue
    return ids


def time_side(
    name: str,
    port: int,
    post_path: str,
    get_path: str,
    key: str | None,
    *,
    clients: int,
    requests: int,
    list_path: str | None,
) -> list[dict[str, Any]]:
    """POSTs, then GETs of what they made (and a list call): one summary per operation."""
    form = dict(POTHOLE, description="Deep pothole by the kerb, bench")
    if key:
        form["api_key"] = key
    body = urlencode(form).encode()
    run_async(drive_form(port, [("POST", post_path, body)] * clients, clients=clients))  # warm up
    samples, bodies, seconds = run_async(
        drive_form(port, [("POST", post_path, body)] * requests, clients=clients)
    )
    steps = [summarize(Target(f"{name}: POST", (post_path,)), samples, seconds)]
    ids = read_ids(bodies) or ["1"]
    gets = [("GET", get_path.format(id=ids[n % len(ids)]), b"") for n in range(requests)]
    samples, _, seconds = run_async(drive_form(port, gets, clients=clients))
    steps.append(summarize(Target(f"{name}: GET one", (get_path,)), samples, seconds))
    if list_path:
        lists = [("GET", list_path, b"")] * requests
        samples, _, seconds = run_async(drive_form(port, lists, clients=clients))
        steps.append(summarize(Target(f"{name}: GET list", (list_path,)), samples, seconds))
    return steps


def issue_key(store_url: str) -> str:
    from citystat.open311.keys import issue_api_key
    from citystat.store import create_session_factory, open_store, upgrade_store

    engine = open_store(store_url)
    upgrade_store(engine)
    with create_session_factory(engine).begin() as session:
        key = issue_api_key(session, "bench")
    engine.dispose()
    return key


def bench_open311(
    work_dir: Path,
    *,
    rows: int = 20_000,
    seed: int = 7,
    clients: int = 20,
    requests: int = 1000,
    progress: ProgressFn | None = None,
    stage: StageFn | None = None,
) -> dict[str, Any]:
    """Time the front door and the bare baseline (see the module)."""
    say = stage or (lambda _m: None)
    warehouse, _ = prepare_web_city(
        work_dir, rows=rows, seed=seed, reuse=True, progress=progress, stage=stage
    )
    run = work_dir / "open311-run"
    run.mkdir(parents=True, exist_ok=True)
    for old in run.glob("*.db*"):
        old.unlink()
    store_url = f"sqlite:///{run / 'store.db'}"
    key = issue_key(store_url)
    env = {
        "CITYSTAT_STORE_URL": store_url,
        "CITYSTAT_RATE_LIMIT_IP": "100000000",
        "CITYSTAT_RATE_LIMIT_API_KEY": "100000000",
    }
    steps: list[dict[str, Any]] = []
    port = free_port()
    baseline_cmd = [
        sys.executable,
        "-m",
        "citystat.bench_open311_baseline",
        str(port),
        str(run / "baseline.db"),
    ]
    say(f"timing the baseline (bare FastAPI + one SQLite insert) on 127.0.0.1:{port}")
    server = start_server(warehouse, port, run / "baseline.log", command=baseline_cmd)
    try:
        wait_until_listening(server, port, run / "baseline.log")
        steps += time_side(
            "baseline",
            port,
            "/requests",
            "/requests/{id}",
            None,
            clients=clients,
            requests=requests,
            list_path=None,
        )
    finally:
        stop_server(server)
    port = free_port()
    say(f"timing citystat serve's Open311 server on 127.0.0.1:{port}")
    server = start_server(warehouse, port, run / "server.log", extra_env=env)
    try:
        wait_until_listening(server, port, run / "server.log")
        steps += time_side(
            "citystat",
            port,
            "/open311/v2/requests.json",
            "/open311/v2/requests/{id}.json",
            key,
            clients=clients,
            requests=requests,
            list_path=LIST_PATH,
        )
    finally:
        stop_server(server)
    by_name = {s["name"]: s for s in steps}
    for step in steps:
        operation = step["name"].partition(": ")[2]
        match = by_name.get("baseline: POST" if operation == "POST" else "baseline: GET one")
        rps = step["requests_per_second"]
        step["ratio_to_baseline"] = match["requests_per_second"] / rps if match and rps else None
    return {
        "rows": rows,
        "clients": clients,
        "requests_per_target": requests,
        "server": " ".join(["citystat", *serve_command(0)[3:5]]),
        "cpus": os.cpu_count(),
        "steps": steps,
    }
