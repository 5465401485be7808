"""The same Ibis computations on DuckDB, PostgreSQL and Spark give the same answers on the real 2019 sample.

Expected values come from the raw CSV, read here with the csv module and datetime (independent of the
ingest and of every engine), and from the extract's PROVENANCE.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, get_args

import ibis
import pytest
from ibis.backends import BaseBackend
from ibis.common.exceptions import OperationNotDefinedError

from citystat.engine.backends import ENGINES, EngineName, fetch_arrow, open_engine, publish_tables
from citystat.errors import EngineError, UnsupportedMeasureError, WarehouseError
from citystat.settings import Settings
from citystat.warehouse import connect, open_warehouse
from tests.conftest import AGENCY_COUNTS_2019, SAMPLE_2019

CSV_TIME = "%m/%d/%Y %I:%M:%S %p"


def read_sample() -> list[dict[str, str]]:
    with SAMPLE_2019.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def median_hours_from_csv() -> dict[str, float]:
    """Exact median hours from creation to closure per agency, computed from the raw CSV in Python."""
    hours: dict[str, list[float]] = defaultdict(list)
    for row in read_sample():
        if row["CloseDate"] in ("", "NA"):
            continue
        created = dt.datetime.strptime(row["CreatedDate"], CSV_TIME)
        closed = dt.datetime.strptime(row["CloseDate"], CSV_TIME)
        hours[row["Agency"]].append((closed - created).total_seconds() / 3600)
    return {agency: statistics.median(values) for agency, values in hours.items()}


def hours_to_close(t: Any) -> Any:
    return (t.closed_at.epoch_seconds() - t.created_at.epoch_seconds()) / 3600


def test_row_count(engine: BaseBackend) -> None:
    assert engine.table("service_requests").count().execute() == 3000


def test_count_per_agency_equals_duckdb(engine: BaseBackend, sample_warehouse: Path) -> None:
    t = engine.table("service_requests")
    got = t.group_by("agency").agg(n=t.count()).to_pyarrow().to_pylist()
    counts = {row["agency"]: row["n"] for row in got}
    with connect(sample_warehouse, read_only=True) as duck:
        in_duckdb = dict(
            duck.execute("SELECT agency, count(*) FROM service_requests GROUP BY agency").fetchall()
        )
    assert counts == in_duckdb == AGENCY_COUNTS_2019
    assert Counter(row["Agency"] for row in read_sample()) == AGENCY_COUNTS_2019


def test_exact_median_hours_to_close_per_agency(engine: BaseBackend) -> None:
    t = engine.table("service_requests")
    closed = t.filter(t.closed_at.notnull())
    expr = closed.group_by("agency").agg(n=closed.count(), median_hours=hours_to_close(closed).median())
    got = {row["agency"]: (row["n"], row["median_hours"]) for row in expr.to_pyarrow().to_pylist()}
    expected = median_hours_from_csv()
    assert sum(n for n, _ in got.values()) == 1404  # PROVENANCE.md: CloseDate present on 1,404 rows
    assert set(got) == set(expected)
    for agency, (_, median) in got.items():
        assert median == pytest.approx(expected[agency], rel=0, abs=1e-9), agency
    # Hand-checked: Recreation & Parks closed two requests, in 12:03:01 (43,381 s) and 45:53:59 (165,239 s);
    # the median is their mean, 104,310 s = 28.975 h.
    assert got["Recreation & Parks"] == (2, pytest.approx(28.975, rel=0, abs=1e-9))


def test_timestamps_keep_their_wall_clock_value(engine: BaseBackend) -> None:
    # The CSV says 10/20/2019 11:55:22 PM -> 10/21/2019 09:26:40 AM: any zone shift moves the date.
    t = engine.table("service_requests")
    expr = t.filter(t.request_id == "19-00710806").select(
        "created_at", "closed_at", hour=t.created_at.hour(), day=t.created_at.date()
    )
    expected = [
        {
            "created_at": dt.datetime(2019, 10, 20, 23, 55, 22),
            "closed_at": dt.datetime(2019, 10, 21, 9, 26, 40),
            "hour": 23,
            "day": dt.date(2019, 10, 20),
        }
    ]
    assert expr.to_pyarrow().to_pylist() == expected
    assert fetch_arrow(engine, expr).to_pylist() == expected


def test_engine_columns_have_the_warehouse_types(engine: BaseBackend) -> None:
    schema = engine.table("service_requests").schema()
    kinds = {name: str(dtype.copy(nullable=True)).split("(")[0] for name, dtype in schema.items()}
    assert kinds["request_id"] == "string"
    assert kinds["lat"] == "float64"
    assert kinds["outside_city"] == "boolean"
    assert kinds["source_row"] == "int64"
    assert kinds["created_at"] == "timestamp"
    assert schema["created_at"].timezone is None


def test_wkb_geometry_bytes_arrive_unchanged(engine: BaseBackend, sample_warehouse: Path) -> None:
    b = engine.table("boundaries")
    got = b.filter((b.layer == "council_district") & (b.label == "1")).geometry_wkb.to_pyarrow().to_pylist()
    with connect(sample_warehouse, read_only=True) as duck:
        (expected,) = duck.execute(
            "SELECT geometry_wkb FROM boundaries WHERE layer = 'council_district' AND label = '1'"
        ).fetchone() or (None,)
    assert isinstance(expected, bytes) and len(expected) > 1000
    assert got == [expected]


# --- publishing: edge values, errors ---------------------------------------------------------------


def edge_warehouse(path: Path) -> Path:
    """A warehouse table with the values that go wrong in transit: NULL BIGINT, a DST-gap wall time."""
    with open_warehouse(path) as con:
        con.execute(
            """
            CREATE TABLE edge AS SELECT * FROM (VALUES
                (1, 10::BIGINT, TIMESTAMP '2019-03-10 02:30:00', 1.5::DOUBLE, true, 'x', '\\x00\\x01'::BLOB),
                (2, NULL, NULL, NULL, NULL, NULL, NULL),
                (3, 9007199254740993::BIGINT, TIMESTAMP '2019-11-03 01:30:00.123456', -0.0, false, 'é', ''::BLOB)
            ) AS v(k, n, ts, x, flag, s, raw)
            """
        )
    return path


EDGE_ROWS = [
    {
        "k": 1,
        "n": 10,
        "ts": dt.datetime(2019, 3, 10, 2, 30),
        "x": 1.5,
        "flag": True,
        "s": "x",
        "raw": b"\x00\x01",
    },
    {"k": 2, "n": None, "ts": None, "x": None, "flag": None, "s": None, "raw": None},
    {
        "k": 3,
        "n": 9007199254740993,
        "ts": dt.datetime(2019, 11, 3, 1, 30, 0, 123456),
        "x": -0.0,
        "flag": False,
        "s": "é",
        "raw": b"",
    },
]


def check_edge_round_trip(target: BaseBackend, tmp_path: Path) -> None:
    path = edge_warehouse(tmp_path / "edge.duckdb")
    with connect(path, read_only=True) as warehouse:
        assert publish_tables(warehouse, target, ["edge"]) == {"edge": 3}
        assert publish_tables(warehouse, target, ["edge"]) == {"edge": 3}  # replaces, does not append
    t = target.table("edge")
    assert fetch_arrow(target, t.order_by("k")).to_pylist() == EDGE_ROWS


def test_postgres_publish_keeps_nulls_big_integers_and_wall_times(postgres_url: str, tmp_path: Path) -> None:
    target = open_engine("postgres", Settings(postgres_url=postgres_url))
    try:
        check_edge_round_trip(target, tmp_path)
    finally:
        target.disconnect()


@pytest.mark.spark
def test_spark_publish_keeps_nulls_big_integers_and_wall_times(
    spark_engine: BaseBackend, tmp_path: Path
) -> None:
    # Ibis' own create_table(pyarrow) path would turn every value of the nullable BIGINT column into NULL,
    # and its to_pyarrow() reads 2**53 + 1 back as 2**53 (through pandas float64): fetch_arrow does not.
    check_edge_round_trip(spark_engine, tmp_path)


def test_publishing_refuses_unknown_tables_and_the_duckdb_engine(
    postgres_url: str, sample_warehouse: Path
) -> None:
    target = open_engine("postgres", Settings(postgres_url=postgres_url))
    duck = open_engine("duckdb", Settings(warehouse=sample_warehouse))
    try:
        with connect(sample_warehouse, read_only=True) as warehouse:
            with pytest.raises(EngineError, match="no table 'nope' in the warehouse"):
                publish_tables(warehouse, target, ["service_requests", "nope"])
            with pytest.raises(EngineError, match="not into 'duckdb'"):
                publish_tables(warehouse, duck, ["service_requests"])
    finally:
        target.disconnect()
        duck.disconnect()


def test_opening_an_engine_fails_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="needs CITYSTAT_POSTGRES_URL"):
        open_engine("postgres", Settings())
    with pytest.raises(
        EngineError, match=re.escape("cannot connect to PostgreSQL at 127.0.0.1:1/db")
    ) as info:
        open_engine("postgres", Settings(postgres_url="postgresql://u:s3cret@127.0.0.1:1/db"))
    assert "s3cret" not in str(info.value)
    with pytest.raises(WarehouseError, match="no warehouse at"):
        open_engine("duckdb", Settings(warehouse=tmp_path / "missing.duckdb"))


def test_engine_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().engine == "duckdb"
    assert Settings().postgres_url is None
    assert Settings().spark_master == "local[2]"
    monkeypatch.setenv("CITYSTAT_ENGINE", "spark")
    monkeypatch.setenv("CITYSTAT_POSTGRES_URL", "postgresql://citystat@127.0.0.1:5432/citystat")
    settings = Settings()
    assert (settings.engine, settings.postgres_url) == (
        "spark",
        "postgresql://citystat@127.0.0.1:5432/citystat",
    )
    assert get_args(Settings.model_fields["engine"].annotation) == get_args(EngineName) == ENGINES


# --- exact quantiles where Ibis has none --------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["trino", "bigquery"])
def test_exact_median_does_not_compile_for_trino_or_bigquery(dialect: str) -> None:
    """Ibis 12 refuses exact median/quantile on Trino and BigQuery rather than approximating.

    The measure compiler must turn this into UnsupportedMeasureError; it must never fall back to
    approx_median, which compiles to approximate SQL there.
    """
    t = ibis.table({"agency": "string", "hours": "float64"}, name="service_requests")
    with pytest.raises(OperationNotDefinedError, match="Median"):
        ibis.to_sql(t.group_by("agency").agg(m=t.hours.median()), dialect=dialect)
    with pytest.raises(OperationNotDefinedError, match="Quantile"):
        ibis.to_sql(t.group_by("agency").agg(m=t.hours.quantile(0.9)), dialect=dialect)
    approximate = ibis.to_sql(t.group_by("agency").agg(m=t.hours.approx_median()), dialect=dialect)
    assert "APPROX_" in approximate.upper()
    assert issubclass(UnsupportedMeasureError, EngineError)


@pytest.mark.parametrize(
    ("dialect", "exact"), [("duckdb", "QUANTILE_CONT"), ("postgres", "PERCENTILE_CONT(0.5) WITHIN GROUP")]
)
def test_exact_median_compiles_to_an_exact_function(dialect: str, exact: str) -> None:
    t = ibis.table({"agency": "string", "hours": "float64"}, name="service_requests")
    assert exact in ibis.to_sql(t.group_by("agency").agg(m=t.hours.median()), dialect=dialect).upper()


@pytest.mark.spark
def test_exact_median_compiles_to_spark_percentile(spark_engine: BaseBackend) -> None:
    # ibis.to_sql(dialect="pyspark") needs a live session, so compile through the engine.
    t = ibis.table({"agency": "string", "hours": "float64"}, name="service_requests")
    sql = str(spark_engine.compile(t.group_by("agency").agg(m=t.hours.median()))).upper()
    assert "PERCENTILE(" in sql and "APPROX" not in sql


def test_every_engine_is_known() -> None:
    assert ENGINES == ("duckdb", "postgres", "spark")
    with pytest.raises(EngineError, match="unknown engine"):
        open_engine("oracle", Settings())  # type: ignore[arg-type]


def test_ibis_can_replace_a_table_with_the_pinned_sqlglot() -> None:
    # sqlglot >= 30.18 makes Ibis 12 emit a nameless "DROP TABLE IF EXISTS" (ibis-project/ibis#12101).
    con = ibis.duckdb.connect()
    con.create_table("t", ibis.memtable({"x": [1]}), overwrite=True)
    con.create_table("t", ibis.memtable({"x": [2, 3]}), overwrite=True)
    con.drop_table("t", force=True)
    assert "t" not in con.list_tables()
    con.disconnect()
