"""Settings, versioned schema, city profiles."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from pydantic import ValidationError

from citystat.errors import ConfigError, WarehouseError
from citystat.profiles import list_profiles, load_profile
from citystat.settings import Settings
from citystat.warehouse import SCHEMA_VERSION, current_version, migrate, open_warehouse, resolve_profile
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
