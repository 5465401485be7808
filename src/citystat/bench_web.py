"""Web benchmark: latency and throughput of the real server against a static file it serves.

``citystat serve`` runs as its own process (uvicorn, one worker) on a free loopback port over a
synthetic city (built once per rows/seed and cached under ``bench/``, see :func:`prepare_web_city`).
Then, target after target, ``clients`` concurrent clients send ``requests`` GETs in all, each
client on one keep-alive HTTP/1.1 connection:

* ``static``: ``/static/citystat.css``, the baseline: what the same server does with no work;
* ``home``: the home page ``/``;
* ``measure page``: ``/measures/{id}``;
* ``api values``: ``/api/v1/measures/{id}/values`` pages 1 to ``VALUE_PAGES`` of a weekly series
  by neighbourhood, in turn;
* ``home, rendered`` and ``measure page, rendered``: the same pages with a query parameter that
  changes with every request (``?fresh=N``, which the pages ignore), so no answer is ever served
  from the kept responses: what a page costs to render from the site's cached data.

Pages and API answers are kept per warehouse revision (:mod:`citystat.web.caching`), so the first
three targets measure what visitors get between loads; the rendered ones what the first visitor of
each page (and language) gets after a load, once the site's data are built.

Every URL is requested once before timing (the site builds and caches per warehouse revision),
then each target gets a concurrent warm-up burst. The client is a few lines of asyncio over raw
sockets, so it takes little of the CPU the server needs. Each target reports p50 and p95 latency,
requests per second, the status codes it got, errors (no answer, or a 5xx) and its ratio to the
static baseline. Never a CI gate: wall-clock numbers depend on the machine and its load.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import citystat
from citystat.errors import CitystatError

T = TypeVar("T")
ProgressFn = Callable[[int, int], None]
StageFn = Callable[[str], None]

MEASURE_ID = "trm-pothole-median-hours"
VALUES_MEASURE = "city-requests"
VALUE_PAGES = 10
STATIC_PATH = "/static/citystat.css"
START_TIMEOUT = 120.0
REQUEST_TIMEOUT = 120.0
WARMUP_TIMEOUT = 900.0  # a first request builds the site's caches: 40 s for every measure on 1M rows


class BenchWebError(CitystatError):
    """The server did not start, or the benchmark could not run."""


@dataclass(frozen=True)
class Target:
    name: str
    paths: tuple[str, ...]  # requested in turn
    fresh: bool = False  # add ``fresh=N``, new for every request: never a kept answer


@dataclass(frozen=True)
class Sample:
    status: int  # 0: no answer (connection error or timeout)
    seconds: float


def list_targets(measure_id: str = MEASURE_ID, values_measure: str = VALUES_MEASURE) -> tuple[Target, ...]:
    """What is timed, the static baseline first."""
    values = tuple(
        f"/api/v1/measures/{values_measure}/values?grain=week&dimension=neighborhood&limit=100&page={n}"
        for n in range(1, VALUE_PAGES + 1)
    )
    return (
        Target("static", (STATIC_PATH,)),
        Target("home", ("/",)),
        Target("measure page", (f"/measures/{measure_id}",)),
        Target("api values", values),
        Target("home, rendered", ("/",), fresh=True),
        Target("measure page, rendered", (f"/measures/{measure_id}",), fresh=True),
    )


def make_fresh(path: str, tag: str) -> str:
    """``path`` with a ``fresh`` parameter no other request carries."""
    return f"{path}{'&' if '?' in path else '?'}fresh={tag}"


# --- the synthetic city and the server ------------------------------------------------------------


def city_folder(work_dir: Path, rows: int, seed: int) -> Path:
    return work_dir / f"web-r{rows}-s{seed}"


def prepare_web_city(
    work_dir: Path,
    *,
    rows: int,
    seed: int,
    reuse: bool,
    progress: ProgressFn | None = None,
    stage: StageFn | None = None,
) -> tuple[Path, bool]:
    """The warehouse of a synthetic city of ``rows`` requests: built (replacing any earlier one),
    or with ``reuse`` the one an earlier run built. Returns it and whether it was reused."""
    from citystat.demo.load import build_demo

    folder = city_folder(work_dir, rows, seed)
    warehouse = folder / "warehouse.duckdb"
    if reuse and warehouse.exists():
        return warehouse, True
    (stage or (lambda _m: None))(
        f"building a synthetic city of {rows:,} requests (generate, ingest, compute)"
    )
    build_demo(warehouse, folder / "city", rows=rows, seed=seed, replace=True, progress=progress)
    shutil.rmtree(folder / "city", ignore_errors=True)  # the warehouse is the cache
    return warehouse, False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "citystat.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def start_server(
    warehouse: Path,
    port: int,
    log: Path,
    *,
    command: Sequence[str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``citystat serve`` (or ``command``) over ``warehouse``, this very citystat leading PYTHONPATH."""
    source = str(Path(citystat.__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "CITYSTAT_WAREHOUSE": str(warehouse), "PYTHONPATH": path, "NO_COLOR": "1"}
    env.update(extra_env or {})
    with log.open("wb") as handle:
        return subprocess.Popen(
            list(command or serve_command(port)), env=env, stdout=handle, stderr=subprocess.STDOUT
        )


def wait_until_listening(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-15:]
            raise BenchWebError(f"the server exited ({server.returncode}):\n" + "\n".join(tail))
        try:
            status = run_async(fetch_once(port, "/healthz"))
        except OSError:
            status = 0
        if status == 200:
            return
        time.sleep(0.1)
    raise BenchWebError(f"the server did not answer on port {port} within {START_TIMEOUT:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run``, also from a thread whose event loop is already running (a caller inside
    an async framework, or Playwright's sync API in the same test process): then in a fresh thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


# --- a small keep-alive HTTP/1.1 client -----------------------------------------------------------


class Connection:
    """One keep-alive connection; ``get`` returns the status after reading the whole body."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def get(self, path: str) -> int:
        if self.reader is None or self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAccept-Encoding: identity\r\n\r\n"
        self.writer.write(request.encode("latin-1"))
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            await self.read_chunks()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status

    async def read_chunks(self) -> None:
        assert self.reader is not None
        while True:
            size = int((await self.reader.readline()).split(b";")[0].strip(), 16)
            await self.reader.readexactly(size + 2)
            if size == 0:
                return

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def fetch_once(port: int, path: str, timeout: float = REQUEST_TIMEOUT) -> int:
    connection = Connection(port)
    try:
        return await asyncio.wait_for(connection.get(path), timeout)
    finally:
        await connection.close()


async def drive(
    port: int, paths: Sequence[str], *, clients: int, requests: int, fresh: str | None = None
) -> tuple[list[Sample], float]:
    """``requests`` GETs over ``clients`` connections (paths in turn); the samples and the wall time.
    With ``fresh`` (a tag), every request's address is new (see :func:`make_fresh`)."""
    counter = iter(range(requests))
    samples: list[Sample] = []

    async def client() -> None:
        connection = Connection(port)
        try:
            for n in counter:
                path = paths[n % len(paths)]
                if fresh is not None:
                    path = make_fresh(path, f"{fresh}{n}")
                start = time.perf_counter()
                try:
                    status = await asyncio.wait_for(connection.get(path), REQUEST_TIMEOUT)
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                    status = 0
                    await connection.close()
                samples.append(Sample(status, time.perf_counter() - start))
        finally:
            await connection.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return samples, time.perf_counter() - start


# --- the report -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile (nearest rank) of ``values``; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


def summarize(target: Target, samples: Sequence[Sample], seconds: float) -> dict[str, Any]:
    latencies = [s.seconds for s in samples]
    statuses = Counter(s.status for s in samples if s.status)
    errors = sum(1 for s in samples if s.status == 0 or s.status >= 500)
    return {
        "name": target.name,
        "path": target.paths[0]
        if len(target.paths) == 1
        else f"{target.paths[0]} (+{len(target.paths) - 1})",
        "requests": len(samples),
        "seconds": seconds,
        "requests_per_second": len(samples) / seconds if seconds else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else 0.0,
        "max_ms": max(latencies, default=0.0) * 1000,
        "statuses": {str(code): n for code, n in sorted(statuses.items())},
        "no_answer": sum(1 for s in samples if s.status == 0),
        "errors": errors,
    }


def compare_to_static(steps: list[dict[str, Any]]) -> None:
    """Each step's cost against the static file's: time per request (1 / throughput) and p50."""
    static = steps[0]
    for step in steps:
        rps = step["requests_per_second"]
        step["ratio_to_static"] = static["requests_per_second"] / rps if rps else None
        step["p50_ratio_to_static"] = step["p50_ms"] / static["p50_ms"] if static["p50_ms"] else None


async def warm_up(port: int, targets: Sequence[Target], clients: int) -> dict[str, dict[str, Any]]:
    """Every URL once (builds the caches), then a concurrent burst per target. Returns each
    target's first answer: its status and how long it took (a cold cache: the site's builds)."""
    first: dict[str, dict[str, Any]] = {}
    for target in targets:
        for path in target.paths:
            start = time.perf_counter()
            status = await fetch_once(
                port, make_fresh(path, "first") if target.fresh else path, WARMUP_TIMEOUT
            )
            first.setdefault(target.name, {"status": status, "ms": (time.perf_counter() - start) * 1000})
        await drive(
            port, target.paths, clients=clients, requests=clients, fresh="warm" if target.fresh else None
        )
    return first


def run_targets(
    port: int, targets: Sequence[Target], *, clients: int, requests: int, stage: StageFn | None = None
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    say = stage or (lambda _m: None)
    say(f"warming up: every URL once, then {clients} requests per target")
    first = run_async(warm_up(port, targets, clients))
    steps = []
    for target in targets:
        say(f"timing {target.name}: {requests:,} requests from {clients} clients")
        fresh = "timed" if target.fresh else None
        samples, seconds = run_async(
            drive(port, target.paths, clients=clients, requests=requests, fresh=fresh)
        )
        steps.append(summarize(target, samples, seconds))
    compare_to_static(steps)
    return first, steps


def count_requests(warehouse: Path) -> int:
    from citystat.warehouse import connect

    con = connect(warehouse, read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM service_requests").fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def bench_web(
    work_dir: Path,
    *,
    rows: int,
    seed: int,
    clients: int = 50,
    requests: int = 2000,
    reuse: bool = False,
    measure_id: str = MEASURE_ID,
    progress: ProgressFn | None = None,
    stage: StageFn | None = None,
) -> dict[str, Any]:
    """Serve a synthetic city with ``citystat serve`` and time each target (see the module)."""
    if clients < 1 or requests < 1:
        raise BenchWebError("clients and requests start at 1")
    say = stage or (lambda _m: None)
    warehouse, reused = prepare_web_city(
        work_dir, rows=rows, seed=seed, reuse=reuse, progress=progress, stage=stage
    )
    service_requests = count_requests(warehouse)
    targets = list_targets(measure_id)
    port = free_port()
    log = warehouse.with_name("server.log")
    say(f"starting citystat serve on 127.0.0.1:{port}")
    server = start_server(warehouse, port, log)
    try:
        wait_until_listening(server, port, log)
        load_before = os.getloadavg()[0]
        first, steps = run_targets(port, targets, clients=clients, requests=requests, stage=stage)
        load_after = os.getloadavg()[0]
    finally:
        stop_server(server)
    return {
        "rows": rows,
        "seed": seed,
        "service_requests": service_requests,
        "reused": reused,
        "clients": clients,
        "requests_per_target": requests,
        "server": " ".join(["citystat", *serve_command(port)[3:]]),
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": load_after,
        "first_requests": first,
        "steps": steps,
    }
