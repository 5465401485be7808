"""Incremental compute, versioned definitions, series breaks and the audit trail."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from citystat.catalog.load import CatalogError, builtin_catalog_dir, load_catalog
from citystat.engine.compile import compile_scan, plan_scans
from citystat.engine.compute import compute_catalog
from citystat.engine.query import query_series
from citystat.errors import UnsupportedMeasureError
from citystat.ingest import ingest_requests
from citystat.warehouse import open_warehouse, resolve_profile
from citystat.warehouse.audit import list_audit
from tests.conftest import SAMPLE_2018, SAMPLE_2019, load_baltimore_boundaries, need_real_data

ALL_VALUES = "SELECT * EXCLUDE (computed_at) FROM measure_values ORDER BY ALL"


def copy_catalog(tmp_path: Path, ids: list[str]) -> Path:
    folder = tmp_path / "catalog"
    folder.mkdir()
    for measure_id in ids:
        shutil.copy(builtin_catalog_dir("baltimore") / f"{measure_id}.yaml", folder)
    return folder


def edit_measure(folder: Path, measure_id: str, **changes: object) -> None:
    path = folder / f"{measure_id}.yaml"
    data = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        if key == "hours":
            data["computation"]["numerator"]["closed_within_hours"] = value
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def open_city(path: Path) -> tuple[duckdb.DuckDBPyConnection, object]:
    con = open_warehouse(path)
    profile = resolve_profile(con, "baltimore")
    load_baltimore_boundaries(con, profile)
    return con, profile


def test_new_loads_recompute_only_the_periods_they_touch(tmp_path: Path) -> None:
    need_real_data()
    catalog = load_catalog(
        copy_catalog(tmp_path, ["city-requests", "trm-pothole-within-48h", "city-median-days"])
    )
    con, profile = open_city(tmp_path / "inc.duckdb")
    ingest_requests(con, [SAMPLE_2019], profile=profile)
    first = compute_catalog(con, catalog, profile)
    assert first.up_to_date == 0 and first.values_written > 0
    october = con.execute(
        "SELECT computed_at FROM measure_values WHERE period_start = DATE '2019-10-01' AND grain = 'fiscal_quarter'"
        " AND dimension = '' AND measure_id = 'city-requests'"
    ).fetchone()
    again = compute_catalog(con, catalog, profile)
    assert (again.scans, again.values_written, again.up_to_date) == (0, 0, 3)

    ingest_requests(con, [SAMPLE_2018], profile=profile)  # 2018 requests: other periods entirely
    later = compute_catalog(con, catalog, profile)
    assert later.up_to_date == 0
    untouched = con.execute(
        "SELECT computed_at FROM measure_values WHERE period_start = DATE '2019-10-01' AND grain = 'fiscal_quarter'"
        " AND dimension = '' AND measure_id = 'city-requests'"
    ).fetchone()
    assert untouched == october  # the 2019 quarter was not recomputed
    incremental = con.execute(ALL_VALUES).fetchall()

    full_con, full_profile = open_city(tmp_path / "full.duckdb")
    ingest_requests(full_con, [SAMPLE_2019, SAMPLE_2018], profile=full_profile)
    compute_catalog(full_con, catalog, full_profile)
    full = full_con.execute(ALL_VALUES).fetchall()
    strip = lambda rows: [r[:-2] + r[-1:] for r in rows]  # noqa: E731 - catalog/load ids differ by load order
    assert strip(incremental) == strip(full)
    fy2018 = query_series(con, "city-requests", grain="fiscal_year")
    # 2018 sample: 500 rows over calendar 2018, none duplicate-flagged per its PROVENANCE counts
    counts = {r["period_label"]: r["value"] for r in fy2018.rows}
    raw = duckdb.sql(
        "SELECT count(*) FILTER (WHERE month(ts) < 7), count(*) FILTER (WHERE month(ts) >= 7) FROM ("
        "  SELECT strptime(createddate, '%Y/%m/%d %H:%M:%S%z') AT TIME ZONE 'America/New_York' AS ts"
        f"  FROM read_csv('{SAMPLE_2018}', all_varchar = true) WHERE srstatus NOT ILIKE '%duplicate%')"
    ).fetchone()
    assert raw is not None
    assert counts == {"FY2018": raw[0], "FY2019": raw[1], "FY2020": 2943.0}


def test_a_changed_definition_needs_a_new_version_and_shows_a_break(tmp_path: Path) -> None:
    need_real_data()
    folder = copy_catalog(tmp_path, ["trm-pothole-within-48h"])
    con, profile = open_city(tmp_path / "ver.duckdb")
    ingest_requests(con, [SAMPLE_2019], profile=profile)
    compute_catalog(con, load_catalog(folder), profile)
    before = query_series(con, "trm-pothole-within-48h", grain="week")

    edit_measure(folder, "trm-pothole-within-48h", hours=72)
    with pytest.raises(CatalogError, match="still version 1"):
        compute_catalog(con, load_catalog(folder), profile)

    edit_measure(folder, "trm-pothole-within-48h", version=2, effective_from="2019-10-21")
    result = compute_catalog(con, load_catalog(folder), profile)
    assert result.definitions == {"trm-pothole-within-48h": "redefined"}
    after = query_series(con, "trm-pothole-within-48h", grain="week")
    assert [(b.version, b.effective_from) for b in after.breaks] == [(2, dt.date(2019, 10, 21))]
    versions = {r["period_start"]: r["version"] for r in after.rows}
    assert versions == {dt.date(2019, 10, 14): 1, dt.date(2019, 10, 21): 2}  # potholes: two weeks
    old = {r["period_start"]: r["value"] for r in before.rows}
    new = {r["period_start"]: r["value"] for r in after.rows}
    assert new[dt.date(2019, 10, 14)] == old[dt.date(2019, 10, 14)] == 1 / 11  # history is not rewritten
    everything = query_series(con, "trm-pothole-within-48h", grain="week", all_versions=True)
    assert len(everything.rows) == len(before.rows) + 1  # version 1 kept for the week version 2 replaced
    actions = [(a["action"], a["entity_id"]) for a in list_audit(con) if a["entity"] == "measure"]
    assert actions == [("define", "trm-pothole-within-48h"), ("redefine", "trm-pothole-within-48h")]


def test_target_changes_are_audited(tmp_path: Path) -> None:
    folder = copy_catalog(tmp_path, ["city-on-time"])
    con = open_warehouse(tmp_path / "targets.duckdb")
    profile = resolve_profile(con, "baltimore")
    compute_catalog(con, load_catalog(folder), profile)
    targets = load_catalog(folder).get("city-on-time").targets
    edit_measure(folder, "city-on-time", targets={**targets, 2020: 0.85})
    compute_catalog(con, load_catalog(folder), profile)
    assert con.execute(
        "SELECT value FROM measure_targets WHERE measure_id = 'city-on-time' AND fiscal_year = 2020"
    ).fetchone() == (0.85,)
    changes = [
        (a["entity_id"], a["before"], a["after"]) for a in list_audit(con) if a["action"] == "set_target"
    ]
    assert len(changes) == len(targets) + 1
    assert changes[-1] == ("city-on-time/FY2020", "0.8", "0.85")


def test_exact_median_is_refused_where_an_engine_cannot_compute_it(tmp_path: Path) -> None:
    import ibis

    from citystat.engine.compile import compile_sql

    catalog = load_catalog(builtin_catalog_dir("baltimore"))
    measure = catalog.get("trm-pothole-median-hours")
    table = ibis.table(
        {
            "service_code": "string",
            "status_flag": "string",
            "created_at": "timestamp",
            "closed_at": "timestamp",
            "created_utc": "timestamp",
            "closed_utc": "timestamp",
            "load_id": "int64",
        },
        name="service_requests",
    )
    (scan, measures), *_ = plan_scans([measure], ["month"]).items()
    expr = compile_scan(table, scan, measures, 7)
    assert "PERCENTILE_CONT" in compile_sql(expr, "postgres").upper()
    with pytest.raises(
        UnsupportedMeasureError, match="trino cannot compute trm-pothole-median-hours exactly"
    ):
        compile_sql(expr, "trino", [measure.id])
    approximate = measure.model_copy(
        update={"computation": measure.computation.model_copy(update={"exact": False})}
    )  # type: ignore[union-attr]
    expr = compile_scan(table, scan, [approximate], 7)
    assert "APPROX" in compile_sql(expr, "trino").upper()


def test_bad_measure_files_name_the_file_and_field(tmp_path: Path) -> None:
    folder = copy_catalog(tmp_path, ["city-on-time"])
    edit_measure(folder, "city-on-time", unit="count")
    with pytest.raises(CatalogError, match=r"city-on-time.yaml: .*a ratio measure has unit 'percent'"):
        load_catalog(folder)
    (folder / "city-on-time.yaml").write_text("id: x\ntitle: a measure\ncomputation: {aggregate: median}\n")
    with pytest.raises(CatalogError, match=r"computation: .*needs a 'value'"):
        load_catalog(folder)
