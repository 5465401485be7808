"""Stored values as files to download: CSV (plain, one header line) and Parquet.

Both hold the columns of :data:`citystat.site.values.VALUE_FIELDS`, in that order, one row per
value: the same rows, in the same order, as the API's JSON pages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from citystat.site.values import VALUE_FIELDS, ValueRow

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"

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


def write_values_csv(rows: Sequence[ValueRow]) -> bytes:
    """UTF-8 CSV with a header line; floats written so they read back exactly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(VALUE_FIELDS)
    for row in rows:
        writer.writerow([format_cell(getattr(row, name)) for name in VALUE_FIELDS])
    return buffer.getvalue().encode("utf-8")


def write_values_parquet(rows: Sequence[ValueRow]) -> bytes:
    """A Parquet file (zstd) of the rows with :data:`PARQUET_SCHEMA`."""
    columns = {name: [getattr(r, name) for r in rows] for name in VALUE_FIELDS}
    table = pa.Table.from_pydict(columns, schema=PARQUET_SCHEMA)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())
