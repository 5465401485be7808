"""The same catalog on DuckDB, PostgreSQL and Spark gives the same values (one shared suite).

The DuckDB run on the warehouse itself is the reference; each engine computes the whole built-in
catalog over its published copy of the real 2019 extract, and every stored value must agree.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from ibis.backends import BaseBackend

from citystat.catalog.load import builtin_catalog_dir, load_catalog
from citystat.engine.compute import compute_catalog
from citystat.warehouse import open_warehouse, resolve_profile

GRAINS = ("week", "fiscal_quarter")
KEY = "measure_id, version, grain, period_start, dimension, dimension_value"


def compute_values(
    sample: Path, folder: Path, engine: BaseBackend | None, name: str
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    path = folder / f"{name}.duckdb"
    shutil.copy(sample, path)
    con = open_warehouse(path)
    try:
        profile = resolve_profile(con, "baltimore")
        catalog = load_catalog(builtin_catalog_dir("baltimore"))
        result = compute_catalog(con, catalog, profile, engine=engine, engine_name=name, grains=GRAINS)
        assert result.engine == name and result.values_written > 0
        rows = con.execute(
            f"SELECT {KEY}, value, numerator, denominator, engine FROM measure_values"
        ).fetchall()
    finally:
        con.close()
    assert {r[-1] for r in rows} == {name}
    return {r[:6]: r[6:9] for r in rows}


@pytest.fixture(scope="module")
def reference(
    sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    return compute_values(sample_warehouse, tmp_path_factory.mktemp("reference"), None, "duckdb")


def test_every_engine_computes_the_same_values(
    engine: BaseBackend, reference, sample_warehouse: Path, tmp_path: Path
) -> None:
    name = {"duckdb": "duckdb", "postgres": "postgres", "pyspark": "spark"}[engine.name]
    got = compute_values(sample_warehouse, tmp_path, engine, name)
    assert got.keys() == reference.keys()
    assert len(reference) > 5000  # 41 measures, two grains, citywide and by area/agency/type
    for key, want in reference.items():
        for mine, theirs in zip(got[key], want, strict=True):
            if theirs is None:
                assert mine is None, key
            else:
                assert math.isclose(mine, theirs, rel_tol=1e-9, abs_tol=1e-9), (key, mine, theirs)
