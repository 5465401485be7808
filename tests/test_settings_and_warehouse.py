"""Settings, versioned schema, city profiles."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from pydantic import ValidationError

from citystat.errors import ConfigError, WarehouseError
from citystat.profiles import list_profiles, load_profile
from citystat.settings import Settings
from citystat.warehouse import (
    SCHEMA_VERSION,
    connect,
    current_version,
    migrate,
    open_warehouse,
    resolve_profile,
)
from citystat.warehouse.migrations import list_migrations


def test_settings_read_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(tmp_path / "x.duckdb"))
    monkeypatch.setenv("CITYSTAT_PORT", "8123")
    settings = Settings()
    assert settings.warehouse == tmp_path / "x.duckdb"
    assert settings.port == 8123
    assert Settings.model_fields["warehouse"].default == Path("./citystat.duckdb")


def test_every_setting_is_documented() -> None:
    undocumented = [name for name, field in Settings.model_fields.items() if not field.description]
    assert undocumented == []


def test_placeholder_secret_is_refused_outside_dev(monkeypatch) -> None:
    monkeypatch.setenv("CITYSTAT_ENVIRONMENT", "prod")
    with pytest.raises(ValidationError, match="placeholder"):
        Settings()
    monkeypatch.setenv("CITYSTAT_SECRET_KEY", "k3Jx9-a-real-random-value-0f1e2d")
    assert Settings().environment == "prod"


def test_migrations_apply_in_order_once(tmp_path) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    versions = [m.version for m in list_migrations()]
    assert versions == sorted(versions) and versions[0] == 1
    assert current_version(con) == SCHEMA_VERSION
    assert migrate(con) == []  # nothing left to apply
    tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {
        "service_requests",
        "boundaries",
        "demographics",
        "load_log",
        "quarantine",
        "schema_migrations",
        "meta",
    } <= tables


def test_a_newer_warehouse_is_refused(tmp_path) -> None:
    path = tmp_path / "w.duckdb"
    open_warehouse(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'x', now())")
    con.close()
    with pytest.raises(WarehouseError, match="newer than this citystat"):
        open_warehouse(path)


def test_profiles_load_and_a_warehouse_keeps_its_city(tmp_path) -> None:
    assert {"baltimore", "synthetic", "open311"} <= set(list_profiles())
    baltimore = load_profile("baltimore")
    assert baltimore.fiscal_year_start_month == 7
    assert baltimore.mapping("baltimore-csv").columns["created_at"] == ["CreatedDate"]
    assert load_profile("synthetic").synthetic is True
    con = open_warehouse(tmp_path / "w.duckdb")
    assert resolve_profile(con, None).name == "baltimore"  # default for a new warehouse
    with pytest.raises(ConfigError, match="holds city 'baltimore', not 'synthetic'"):
        resolve_profile(con, "synthetic")
    with pytest.raises(ConfigError, match="unknown city profile 'atlantis'"):
        load_profile("atlantis")


def hold_read_only(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process with the warehouse open read-only (as citystat serve has while it builds)."""
    code = (
        "import duckdb, sys, time\n"
        f"con = duckdb.connect({str(path)!r}, read_only=True)\n"
        "print('open', flush=True)\n"
        f"time.sleep({seconds})\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
    return holder


def test_a_writer_waits_for_a_reader_to_close_the_file(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    open_warehouse(path).close()
    holder = hold_read_only(path, 3.0)
    try:
        with pytest.raises(WarehouseError, match=r"waited 0.2 s for another process to close it"):
            connect(path, lock_wait=0.2)
        start = time.monotonic()
        con = connect(path, lock_wait=30)  # the holder lets go after 3 s
        waited = time.monotonic() - start
        con.execute("CREATE TABLE written AS SELECT 1 AS x")
        con.close()
    finally:
        holder.wait(timeout=30)
    assert 0.5 < waited < 30
    # A reader never waits (the server shows its last good build instead): refused at once.
    writer = connect(path)
    try:
        start = time.monotonic()
        other = subprocess.run(
            [
                sys.executable,
                "-c",
                f"from citystat.warehouse import connect; connect({str(path)!r}, read_only=True)",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        refused_after = time.monotonic() - start
    finally:
        writer.close()
    error = other.stderr.strip().splitlines()[-1]
    assert other.returncode != 0 and error.startswith("citystat.errors.WarehouseError: cannot open warehouse")
    assert "Could not set lock" in error and "waited" not in error
    assert refused_after < 30  # a writer would have waited the default 60 s
