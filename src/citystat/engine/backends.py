"""Open a compute engine as an Ibis backend, and publish warehouse tables to it.

DuckDB computes on the warehouse file itself. PostgreSQL and Spark compute on copies of warehouse tables
published to them as Arrow, so every engine sees the same rows with the same types. Timestamps in the
warehouse are naive local wall-clock times (see ``ingest``): every engine runs its session in UTC so that
no value is ever shifted by a time zone, neither on the way in nor in date arithmetic.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, get_args

import duckdb
import ibis
import psycopg
import pyarrow as pa
from ibis.backends import BaseBackend
from psycopg.conninfo import conninfo_to_dict

from citystat.errors import EngineError
from citystat.settings import Settings
from citystat.warehouse import connect

EngineName = Literal["duckdb", "postgres", "spark"]
ENGINES: tuple[EngineName, ...] = get_args(EngineName)

# Ibis' name for each engine's backend (BaseBackend.name).
IBIS_NAMES: dict[str, EngineName] = {"duckdb": "duckdb", "postgres": "postgres", "pyspark": "spark"}

SPARK_SHUFFLE_PARTITIONS = 4

# Spark's driver logs WARN lines (native Hadoop, progress) to the console by default; citystat shows
# only errors. Spark reads this through -Dlog4j2.configurationFile when it starts its JVM. Giving the
# Python gateway's logger a level of its own stops Spark announcing "Setting default log level".
SPARK_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
"""


def open_engine(name: EngineName, settings: Settings) -> BaseBackend:
    """Open the named engine as an Ibis backend configured from ``settings``.

    - ``duckdb``: the warehouse file (``settings.warehouse``), read-only: computing never writes.
    - ``postgres``: the server at ``settings.postgres_url``; publish tables to it before computing.
    - ``spark``: a Spark session on ``settings.spark_master`` (the running one, if the process has one);
      publish tables to it before computing. Its tables live in a scratch folder removed at exit.

    Close the engine with ``engine.disconnect()`` (for Spark this stops the session).
    """
    if name == "duckdb":
        return open_duckdb(settings.warehouse)
    if name == "postgres":
        return open_postgres(settings.postgres_url)
    if name == "spark":
        return open_spark(settings.spark_master)
    raise EngineError(f"unknown engine {name!r}; choose one of: {', '.join(ENGINES)}")


def open_duckdb(path: Path) -> BaseBackend:
    """The warehouse file, read-only, with citystat's session settings (UTC, memory cap)."""
    try:
        con = connect(path, read_only=True)
    except duckdb.Error as exc:
        raise EngineError(f"cannot open warehouse {path} for computing: {exc}") from exc
    return ibis.duckdb.from_connection(con)


def open_postgres(url: str | None) -> BaseBackend:
    """A PostgreSQL server; Ibis sets the session time zone to UTC."""
    if not url:
        raise EngineError(
            "the postgres engine needs CITYSTAT_POSTGRES_URL, e.g. postgresql://citystat@127.0.0.1:5432/citystat"
        )
    try:
        con = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise EngineError(f"cannot connect to PostgreSQL at {describe_postgres_url(url)}: {exc}") from exc
    return ibis.postgres.from_connection(con)


def describe_postgres_url(url: str) -> str:
    """Where a connection URL points, without its password (for error messages)."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:
        return "an unparseable URL"
    host = params.get("host") or "localhost"
    port = params.get("port") or 5432
    return f"{host}:{port}/{params.get('dbname') or params.get('user') or ''}"


def open_spark(master: str) -> BaseBackend:
    """A Spark session: small shuffles, no UI, quiet logs, UTC everywhere, scratch tables in a temp folder."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError("the spark engine needs the 'spark' extra: pip install 'citystat[spark]'") from exc
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise EngineError("the spark engine needs Java 17: put java on PATH or set JAVA_HOME")
    local = master.startswith("local")
    if local:
        # Spark picks the driver's address from the host name; on loopback-only machines that fails.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.master(master).appName("citystat")
    for key, value in spark_conf(make_spark_scratch(), local=local).items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM gateway raises several unrelated types
        raise EngineError(f"cannot start Spark on {master}: {exc}") from exc
    session.sparkContext.setLogLevel("ERROR")
    return ibis.pyspark.connect(session)


def make_spark_scratch() -> Path:
    """A folder for Spark's managed tables and log config, removed when the process exits.

    Spark's catalog is in memory, so its tables die with the session; a fixed warehouse folder would
    keep their files and make the next session refuse to create them again (LOCATION_ALREADY_EXISTS).
    """
    scratch = Path(tempfile.mkdtemp(prefix="citystat-spark-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    (scratch / "log4j2.properties").write_text(SPARK_LOG4J2, encoding="utf-8")
    return scratch


def spark_conf(scratch: Path, *, local: bool) -> dict[str, str]:
    java_options = (
        f"-Dlog4j2.configurationFile={(scratch / 'log4j2.properties').as_uri()} -Duser.timezone=UTC"
    )
    conf = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(SPARK_SHUFFLE_PARTITIONS),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.warehouse.dir": str(scratch / "warehouse"),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.driver.extraJavaOptions": java_options,
    }
    if local:
        conf |= {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}
    return conf


def publish_tables(
    warehouse: duckdb.DuckDBPyConnection, engine: BaseBackend, tables: Sequence[str]
) -> dict[str, int]:
    """Copy warehouse tables into a PostgreSQL or Spark engine, replacing earlier copies; return row counts.

    Each table travels as Arrow, so columns arrive with the types DuckDB holds (VARCHAR, DOUBLE, BOOLEAN,
    BIGINT, BLOB, naive TIMESTAMP with its wall-clock value unshifted). PostgreSQL replaces a table in one
    transaction; Spark overwrites it. The copy's column types and row count are checked against the
    warehouse, and any difference is an EngineError.
    """
    engine_name = IBIS_NAMES.get(engine.name)
    if engine_name not in ("postgres", "spark"):
        raise EngineError(
            f"publish_tables copies the warehouse into postgres or spark, not into {engine.name!r};"
            " the duckdb engine reads the warehouse itself"
        )
    known = list_warehouse_tables(warehouse)
    unknown = [name for name in tables if name not in known]
    if unknown:
        raise EngineError(
            f"no table {', '.join(map(repr, unknown))} in the warehouse; it has {sorted(known)}"
        )
    counts: dict[str, int] = {}
    for name in tables:
        data = warehouse.table(name).to_arrow_table()
        try:
            if engine_name == "spark":
                write_spark_table(engine, name, data)
            else:
                engine.create_table(name, data, overwrite=True)
        except Exception as exc:  # psycopg, py4j and Ibis errors alike
            raise EngineError(f"cannot publish {name} to {engine_name}: {exc}") from exc
        counts[name] = check_copy(engine, name, data)
    return counts


def list_warehouse_tables(warehouse: duckdb.DuckDBPyConnection) -> set[str]:
    rows = warehouse.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
    return {str(row[0]) for row in rows}


def write_spark_table(engine: BaseBackend, name: str, data: pa.Table) -> None:
    """Hand Spark the Arrow table itself.

    Ibis 12's own path (``create_table`` from Arrow) goes through pandas, where a BIGINT column holding a
    NULL becomes float64 and Spark then reads every value of it as NULL. Spark 4 takes Arrow directly,
    and with the session in UTC a naive timestamp keeps its wall-clock value whatever the process zone.
    """
    session: Any = engine._session  # Ibis 12 keeps the SparkSession it wraps here
    session.createDataFrame(data).write.saveAsTable(name, mode="overwrite", format="parquet")


def check_copy(engine: BaseBackend, name: str, data: pa.Table) -> int:
    """The published table's row count, after checking its column types match the warehouse's."""
    copy = engine.table(name)
    expected = ibis.Schema.from_pyarrow(data.schema)
    actual = copy.schema()
    for column, dtype in expected.items():
        got = actual.get(column)
        if got is None or not same_type(got, dtype):
            raise EngineError(
                f"{name}.{column} arrived in {engine.name} as {got}, but the warehouse holds {dtype}"
            )
    rows = int(copy.count().execute())
    if rows != data.num_rows:
        raise EngineError(f"{name} arrived in {engine.name} with {rows} rows, not {data.num_rows}")
    return rows


def fetch_arrow(engine: BaseBackend, expr: Any) -> pa.Table:
    """Run an Ibis expression on ``engine`` and return its result as an Arrow table, values exact.

    Ibis 12 reads Spark results through pandas, where a BIGINT column holding a NULL passes through
    float64 and loses precision beyond 2**53; on Spark this asks Spark for Arrow itself. Elsewhere it is
    ``engine.to_pyarrow``.
    """
    table = expr.as_table()
    if IBIS_NAMES.get(engine.name) != "spark":
        return engine.to_pyarrow(table)
    engine._run_pre_execute_hooks(table)  # registers in-memory tables the expression uses
    result = engine._session.sql(engine.compile(table)).toArrow()
    # Spark hands timestamps over as UTC instants; the session is in UTC, so dropping the zone
    # leaves the wall-clock value.
    return result.cast(table.schema().to_pyarrow())


def same_type(got: Any, want: Any) -> bool:
    """Whether two Ibis types hold the same values, whatever their nullability.

    A timestamp's scale may be unreported (Spark); PostgreSQL, Spark and DuckDB timestamps are all
    microseconds, so an unreported scale counts as 6.
    """
    if got.is_timestamp() and want.is_timestamp():
        return bool(got.timezone == want.timezone and (got.scale or 6) == (want.scale or 6))
    return bool(got.copy(nullable=True) == want.copy(nullable=True))
