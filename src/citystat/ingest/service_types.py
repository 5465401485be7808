"""The city's published list of service types (e.g. Open Baltimore's request types), replaced whole.

One column of codes (``service_code``, ``request_type`` or ``SRType``, any case); blank codes are
quarantined, repeats are loaded once. Loading the same file again changes nothing; a new list
replaces the old one in one transaction.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import duckdb

from citystat.errors import IngestError
from citystat.ingest.files import describe_file
from citystat.ingest.loadlog import (
    LoadResult,
    QuarantineRow,
    find_previous_load,
    next_load_id,
    record_load,
    record_quarantine,
)

CODE_COLUMNS = ("service_code", "request_type", "srtype", "service_type")
KIND = "service_types"


def read_codes(path: Path) -> tuple[list[str], list[QuarantineRow], int, str]:
    """(codes in file order without repeats, problems, rows read, the column used)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = {name.strip().lower(): name for name in reader.fieldnames or []}
            column = next((header[c] for c in CODE_COLUMNS if c in header), None)
            if column is None:
                raise IngestError(
                    f"{path}: no column of service types; expected one of {', '.join(CODE_COLUMNS)}"
                )
            codes: dict[str, None] = {}
            problems: list[QuarantineRow] = []
            rows = 0
            for number, record in enumerate(reader, start=1):
                rows += 1
                code = (record.get(column) or "").strip()
                if not code:
                    problems.append(QuarantineRow(number, number + 1, None, column, "", "empty service type"))
                    continue
                codes.setdefault(code)
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path}: not UTF-8 text ({exc})") from exc
    return list(codes), problems, rows, column


def ingest_service_types(con: duckdb.DuckDBPyConnection, path: Path, *, force: bool = False) -> LoadResult:
    """Replace the warehouse's list of service types with the one in ``path``."""
    info = describe_file(path)
    result = LoadResult(kind=KIND, source=str(path), format="csv", detail="service types")
    previous = find_previous_load(con, KIND, info.sha256, result.detail)
    row = con.execute("SELECT max(load_id) FROM service_types").fetchone()
    if previous is not None and row is not None and row[0] == previous and not force:
        result.skipped_as_load = previous
        result.notes.append(
            f"the list of service types is this file already (load {previous}); nothing changed"
        )
        return result
    codes, problems, rows, _column = read_codes(path)
    if not codes:
        raise IngestError(f"{path}: no service types")
    started = datetime.now()
    con.execute("BEGIN TRANSACTION")
    try:
        result.load_id = next_load_id(con)
        con.execute("DELETE FROM service_types")
        con.executemany(
            "INSERT INTO service_types VALUES (?, ?, ?)",
            [(code, str(path), result.load_id) for code in codes],
        )
        result.rows_read = rows
        result.rows_loaded = len(codes)
        result.rows_quarantined = len(problems)
        for problem in problems:
            result.rejected_by_reason[problem.reason] += 1
        record_quarantine(con, result.load_id, str(path), problems)
        record_load(con, result, info, started)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return result
