"""Stored values as files to download: CSV (plain, one header line) and Parquet.

Both hold the columns of :data:`citystat.site.values.VALUE_FIELDS`, in that order, one row per
value: for one measure the same rows, in the same order, as the API's JSON pages; for every
measure at once (:func:`read_values_table`) the rows read straight from DuckDB to Arrow.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from citystat.catalog.model import Grain
from citystat.engine.query import select_values
from citystat.site.errors import InvalidRequestError
from citystat.site.reader import WarehouseReader
from citystat.site.values import VALUE_FIELDS, ValueRow

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"
CSV_BATCH = 65_536

PARQUET_SCHEMA = pa.schema(
    [
        ("measure_id", pa.string()),
        ("version", pa.int32()),
        ("grain", pa.string()),
        ("period_label", pa.string()),
        ("period_start", pa.date32()),
        ("dimension", pa.string()),
        ("dimension_value", pa.string()),
        ("value", pa.float64()),
        ("numerator", pa.float64()),
        ("denominator", pa.float64()),
        ("note", pa.string()),
        ("engine", pa.string()),
        ("catalog_version", pa.string()),
        ("load_ids", pa.string()),
        ("computed_at", pa.timestamp("us", tz="UTC")),
    ]
)
assert tuple(PARQUET_SCHEMA.names) == VALUE_FIELDS


def format_cell(value: object) -> str:
    """CSV text of a cell: empty for a missing value, ISO 8601 for dates, repr-exact floats.
    A time without an offset is UTC (the only one among the values is ``computed_at``)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC).isoformat()
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def write_table_csv(table: pa.Table) -> bytes:
    """UTF-8 CSV with a header line; floats written so they read back exactly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.column_names)
    for batch in table.to_batches(max_chunksize=CSV_BATCH):
        columns = [column.to_pylist() for column in batch.columns]
        writer.writerows([format_cell(v) for v in row] for row in zip(*columns, strict=True))
    return buffer.getvalue().encode("utf-8")


def write_table_parquet(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def table_rows(rows: Sequence[ValueRow]) -> pa.Table:
    columns = {name: [getattr(r, name) for r in rows] for name in VALUE_FIELDS}
    return pa.Table.from_pydict(columns, schema=PARQUET_SCHEMA)


def write_values_csv(rows: Sequence[ValueRow]) -> bytes:
    """The rows as CSV (:func:`write_table_csv`)."""
    return write_table_csv(table_rows(rows))


def write_values_parquet(rows: Sequence[ValueRow]) -> bytes:
    """A Parquet file (zstd) of the rows with :data:`PARQUET_SCHEMA`."""
    return write_table_parquet(table_rows(rows))


# --- every measure at once --------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueTable:
    """The values of every measure at one grain and dimension (the API's whole-warehouse files)."""

    grain: Grain
    dimension: str  # '' for citywide values
    table: pa.Table

    @property
    def file_stem(self) -> str:
        return "-".join(p for p in ("values", self.grain, self.dimension) if p)


def read_values_table(
    reader: WarehouseReader,
    *,
    grain: Grain,
    dimension: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ValueTable:
    """Every measure's values in force at ``grain`` and ``dimension`` ('' citywide), periods
    starting within [start, end], by measure, period and dimension value. Read straight to Arrow
    (not cached: it can be large); raises InvalidRequestError for a range ending before it starts."""
    if start is not None and end is not None and end < start:
        raise InvalidRequestError(f"the range ends ({end}) before it starts ({start})")
    with reader.connect() as con:
        cursor = select_values(con, measure_id=None, grain=grain, dimension=dimension, start=start, end=end)
        table = cursor.fetch_arrow_table()
    return ValueTable(grain, dimension, table.cast(PARQUET_SCHEMA))
