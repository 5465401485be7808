"""Engine fixtures: a real PostgreSQL server and a local Spark session, started once per test session.

Under pytest-xdist each worker starts its own PostgreSQL server (about a second) on its own port, only
if one of its tests asks for it. A Spark JVM costs several seconds and two cores, so `make test` runs the
tests marked ``spark`` as a second, serial group. Without PostgreSQL binaries, pyspark or Java the tests
that need them are skipped, saying why; when CI=true they fail instead, because CI installs them.

``engine`` runs a test once per engine ("duckdb", "postgres", "spark") on the real 2019 sample:
DuckDB reads the warehouse file, PostgreSQL and Spark get a copy published with ``publish_tables``.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import pytest
from ibis.backends import BaseBackend

from citystat.engine.backends import open_engine, publish_tables
from citystat.ingest import ingest_requests
from citystat.settings import Settings
from citystat.warehouse import connect, open_warehouse, resolve_profile
from tests.conftest import SAMPLE_2019, load_baltimore_boundaries, need_real_data

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_TOOLS = ("initdb", "pg_ctl", "postgres")
POSTGRES_USER = "citystat"
POSTGRES_DB = "citystat"
# Tables the engine fixture publishes to PostgreSQL and Spark (boundaries carries a WKB BLOB column).
PUBLISHED_TABLES = ("service_requests", "boundaries")
ENGINE_PARAMS = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("postgres", id="postgres"),
    pytest.param("spark", id="spark", marks=pytest.mark.spark),
]


def skip_or_fail(reason: str) -> NoReturn:
    """Skip locally; fail in CI, where every engine must be present."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: .ci/run installs it, so this is a failure)", pytrace=False)
    pytest.skip(reason)


def find_postgres_bindir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: PATH, then pg_config, then Debian's layout."""
    candidates: list[Path] = []
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    if pg_config := shutil.which("pg_config"):
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    debian = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(
        debian, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True
    )
    for folder in candidates:
        if all(os.access(folder / tool, os.X_OK) for tool in POSTGRES_TOOLS):
            return folder
    return None


def unprivileged_user() -> pwd.struct_passwd | None:
    """PostgreSQL refuses to run as root: as root, run it as the 'postgres' system user, else 'nobody'."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    skip_or_fail("running as root, and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A throwaway PostgreSQL cluster in a temp folder, listening on 127.0.0.1 and a socket in that folder."""

    bindir: Path
    root: Path
    user: pwd.struct_passwd | None
    port: int = 0

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, dbname: str = POSTGRES_DB) -> str:
        return f"postgresql://{POSTGRES_USER}@127.0.0.1:{self.port}/{dbname}"

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        as_user: dict[str, Any] = {}
        if self.user is not None:
            as_user = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        return subprocess.run(
            [str(self.bindir / tool), *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=self.root,
            timeout=120,
            **as_user,
        )

    def init(self) -> None:
        result = self.run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            POSTGRES_USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed in {self.root}: {result.stdout}{result.stderr}")

    def start(self, attempts: int = 3) -> None:
        """Start on a free port; another worker may take the port first, so try a new one on failure."""
        for _ in range(attempts):
            self.port = free_port()
            options = " ".join(
                [
                    f"-h 127.0.0.1 -p {self.port} -k {shlex.quote(str(self.root))}",
                    # A test cluster: durability off, small memory.
                    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                    "-c shared_buffers=32MB -c max_connections=30",
                ]
            )
            result = self.run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start"
            )
            if result.returncode == 0:
                with psycopg.connect(self.url("postgres"), autocommit=True) as con:
                    con.execute(f"CREATE DATABASE {POSTGRES_DB}")
                return
        log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {result.stdout}{result.stderr}\n{log}")

    def stop(self) -> None:
        try:
            if self.port:
                self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PostgresServer:
    bindir = find_postgres_bindir()
    if bindir is None:
        skip_or_fail(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH, through pg_config or in"
            " /usr/lib/postgresql/*/bin; install Debian's postgresql package"
        )
    user = unprivileged_user()
    root = Path(tempfile.mkdtemp(prefix="citystat-pg-"))
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    server = PostgresServer(bindir=bindir, root=root, user=user)
    try:
        server.init()
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a real PostgreSQL server started for this test session (this xdist worker), empty database."""
    server = start_postgres()
    try:
        yield server.url()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def spark_engine() -> Iterator[BaseBackend]:
    """A local Spark session (local[2]) wrapped as an Ibis backend; stopped at the end of the session."""
    if importlib.util.find_spec("pyspark") is None:
        skip_or_fail("pyspark is not installed (pip install -e '.[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        skip_or_fail("Java is not installed; Spark needs Java 17")
    engine = open_engine("spark", Settings(spark_master="local[2]"))
    try:
        yield engine
    finally:
        engine.disconnect()


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed warehouse file: Baltimore's boundary layers and the real 2019 sample (3,000 requests)."""
    need_real_data()
    path = tmp_path_factory.mktemp("engines") / "baltimore-2019.duckdb"
    con = open_warehouse(path)
    try:
        profile = resolve_profile(con, "baltimore")
        load_baltimore_boundaries(con, profile)
        (result,) = ingest_requests(con, [SAMPLE_2019], profile=profile)
        assert result.rows_loaded == 3000
    finally:
        con.close()
    return path


@pytest.fixture(scope="session", params=ENGINE_PARAMS)
def engine(request: pytest.FixtureRequest, sample_warehouse: Path) -> Iterator[BaseBackend]:
    """The sample warehouse on each engine, for tests that must give the same answer on all three."""
    name = request.param
    if name == "duckdb":
        target = open_engine("duckdb", Settings(warehouse=sample_warehouse))
    elif name == "postgres":
        target = open_engine("postgres", Settings(postgres_url=request.getfixturevalue("postgres_url")))
    else:
        target = request.getfixturevalue("spark_engine")
    if name != "duckdb":
        warehouse = connect(sample_warehouse, read_only=True)
        try:
            publish_tables(warehouse, target, PUBLISHED_TABLES)
        finally:
            warehouse.close()
    try:
        yield target
    finally:
        if name != "spark":  # the Spark session belongs to spark_engine
            target.disconnect()
