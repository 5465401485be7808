"""Plain outputs other tools read: CSV, JSON and Parquet from rows of dicts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

ExportFormat = Literal["csv", "json", "parquet"]


def plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def format_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else plain(row.get(k)) for k in columns})
    return buffer.getvalue()


def format_json(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    return json.dumps([{k: plain(row.get(k)) for k in columns} for row in rows], indent=1)


def write_parquet(rows: Sequence[dict[str, Any]], columns: Sequence[str], path: Path) -> None:
    table = pa.Table.from_pylist([{k: row.get(k) for k in columns} for row in rows])
    if not rows:
        table = pa.table({k: pa.array([], pa.string()) for k in columns})
    pq.write_table(table, path)


def export_rows(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: ExportFormat, path: Path | None
) -> str | None:
    """Write rows to ``path`` (required for Parquet) or return CSV/JSON text when ``path`` is None."""
    if fmt == "parquet":
        if path is None:
            raise ValueError("Parquet output needs a file path")
        write_parquet(rows, columns, path)
        return None
    text = format_csv(rows, columns) if fmt == "csv" else format_json(rows, columns)
    if path is None:
        return text
    path.write_text(text, encoding="utf-8")
    return None
