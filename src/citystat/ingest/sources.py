"""Turning a source file into a raw staging table of canonical string columns.

Every source format (Baltimore's CSV exports, any CSV through a mapping, Open311 JSON) ends up
as the same temp table ``_raw(row_number, line_number, <canonical field> VARCHAR ...)``;
typing and validation happen once, in SQL, in :mod:`citystat.ingest.validate`.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from citystat.errors import IngestError
from citystat.ingest.files import ProgressFn, RowProblem, check_unique_header, printable, read_csv
from citystat.ingest.loadlog import QuarantineRow
from citystat.profiles import CANONICAL_FIELDS, SourceMapping

CHUNK_ROWS = 100_000


@dataclass
class StagedSource:
    """What reading a source produced: rows staged, structural rejects, and the column map."""

    rows_read: int = 0
    problems: list[QuarantineRow] = field(default_factory=list)
    source_columns: dict[str, str] = field(default_factory=dict)  # canonical -> source column


def create_raw_table(con: duckdb.DuckDBPyConnection) -> None:
    columns = ", ".join(f"{name} VARCHAR" for name in CANONICAL_FIELDS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _raw (row_number BIGINT, line_number BIGINT, {columns})")


def resolve_columns(mapping: SourceMapping, header: list[str], path: Path) -> dict[str, str]:
    """Map canonical fields to the file's columns; refuse a file missing required columns."""
    found = {}
    readable = [name for name in header if not mapping.is_ignored(name)]
    for canonical in CANONICAL_FIELDS:
        column = mapping.source_column(canonical, readable)
        if column is not None:
            found[canonical] = column
    missing = [mapping.columns.get(c, [c])[0] for c in mapping.required if c not in found]
    if missing:
        what = mapping.description or mapping.name
        raise IngestError(
            f"{path}: not a {what} file: missing column(s) {', '.join(missing)}"
            f" (found: {', '.join(h for h in header[:12] if h) or 'no named columns'}"
            f"{' ...' if len(header) > 12 else ''}). For another layout use --format csv --mapping MAP.yaml"
        )
    return found


def _append_chunk(con: duckdb.DuckDBPyConnection, columns: dict[str, list[Any]]) -> None:
    table = pa.table(
        {
            name: pa.array(values, pa.int64() if name.endswith("_number") else pa.string())
            for name, values in columns.items()
        }
    )
    con.register("_raw_chunk", table)
    try:
        names = ", ".join(columns)
        con.execute(f"INSERT INTO _raw ({names}) SELECT {names} FROM _raw_chunk")
    finally:
        con.unregister("_raw_chunk")


def _empty_chunk(fields: Iterable[str]) -> dict[str, list[Any]]:
    chunk: dict[str, list[Any]] = {"row_number": [], "line_number": []}
    for name in fields:
        chunk[name] = []
    return chunk


def stage_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    mapping: SourceMapping,
    *,
    max_field_chars: int,
    value_chars: int,
    progress: ProgressFn | None = None,
) -> StagedSource:
    """Read a CSV file into ``_raw`` through ``mapping``."""
    header, rows = read_csv(
        path,
        delimiter=mapping.delimiter,
        max_field_chars=max_field_chars,
        is_ignored=mapping.is_ignored,
        progress=progress,
    )
    check_unique_header(
        header, path, fold_case=mapping.case_insensitive_headers, is_ignored=mapping.is_ignored
    )
    source_columns = resolve_columns(mapping, header, path)
    positions = {canonical: header.index(column) for canonical, column in source_columns.items()}
    pick = operator.itemgetter(*positions.values())
    staged = StagedSource(source_columns=source_columns)
    create_raw_table(con)
    numbers: list[tuple[int, int]] = []
    picked: list[Any] = []
    for item in rows:
        staged.rows_read += 1
        if isinstance(item, RowProblem):
            staged.problems.append(_problem_to_quarantine(item, header, value_chars))
            continue
        numbers.append((item.row_number, item.line_number))
        picked.append(pick(item.fields))
        if len(numbers) >= CHUNK_ROWS:
            _append_rows(con, list(positions), numbers, picked)
            numbers, picked = [], []
    if numbers:
        _append_rows(con, list(positions), numbers, picked)
    return staged


def _append_rows(
    con: duckdb.DuckDBPyConnection, fields: list[str], numbers: list[tuple[int, int]], picked: list[Any]
) -> None:
    """Append one chunk of rows (values as read; trimming and null markers are handled in SQL)."""
    row_numbers, line_numbers = zip(*numbers, strict=True)
    columns: dict[str, list[Any]] = {"row_number": list(row_numbers), "line_number": list(line_numbers)}
    if len(fields) == 1:
        columns[fields[0]] = list(picked)
    else:
        for name, values in zip(fields, zip(*picked, strict=True), strict=True):
            columns[name] = list(values)
    _append_chunk(con, columns)


def _problem_to_quarantine(problem: RowProblem, header: list[str], value_chars: int) -> QuarantineRow:
    return QuarantineRow(
        row_number=problem.row_number,
        line_number=problem.line_number,
        request_id=None,
        column=problem.column,
        raw_value=printable(problem.raw_value, value_chars),
        reason=problem.reason,
    )


def stage_json(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    mapping: SourceMapping,
    *,
    value_chars: int,
    progress: ProgressFn | None = None,
) -> StagedSource:
    """Read an Open311 GeoReport v2 ``requests.json`` (a bare array of objects) into ``_raw``."""
    records = [flatten_record(r) if isinstance(r, dict) else r for r in _load_json_array(path)]
    keys: set[str] = set()
    for record in records:  # every record: a key may first appear anywhere in the file
        if isinstance(record, dict):
            keys.update(record)
    source_columns = resolve_columns(mapping, sorted(keys), path)
    nulls = frozenset(mapping.null_values)
    staged = StagedSource(source_columns=source_columns)
    create_raw_table(con)
    chunk = _empty_chunk(source_columns)
    for index, record in enumerate(records, start=1):
        staged.rows_read += 1
        if not isinstance(record, dict):
            staged.problems.append(
                QuarantineRow(
                    index,
                    None,
                    None,
                    None,
                    printable(json.dumps(record), value_chars),
                    "array element is not a JSON object",
                )
            )
            continue
        chunk["row_number"].append(index)
        chunk["line_number"].append(None)
        for canonical, key in source_columns.items():
            chunk[canonical].append(_json_text(record.get(key), nulls))
        if len(chunk["row_number"]) >= CHUNK_ROWS:
            _append_chunk(con, chunk)
            chunk = _empty_chunk(source_columns)
        if progress is not None and index % 50_000 == 0:
            progress(index, len(records))
    if chunk["row_number"]:
        _append_chunk(con, chunk)
    if progress is not None:
        progress(len(records), len(records))
    return staged


def flatten_record(record: dict[str, Any]) -> dict[str, Any]:
    """A request with its nested objects' fields also under dotted keys, one level deep.

    Open311 extensions nest (``extended_attributes.channel``); a mapping can name such a field.
    """
    flat = dict(record)
    for key, value in record.items():
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                flat.setdefault(f"{key}.{inner}", inner_value)
    return flat


def _load_json_array(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path}: not UTF-8 text: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise IngestError(
            f"{path}: not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("service_requests"), list):
        data = data["service_requests"]  # the XML-style wrapper some servers also use in JSON
    if not isinstance(data, list):
        raise IngestError(f"{path}: an Open311 requests.json must be a JSON array of requests")
    return data


def _json_text(value: Any, nulls: frozenset[str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True)
    text = str(value).strip()
    return None if text in nulls else text
