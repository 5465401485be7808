"""Loading area demographics (CSV, or GeoJSON feature properties) into ``demographics`` (long form)."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from citystat.errors import IngestError
from citystat.ingest.boundaries import read_feature_collection
from citystat.ingest.files import check_unique_header, describe_file, printable
from citystat.ingest.loadlog import (
    LoadResult,
    QuarantineRow,
    clear_quarantine,
    find_previous_load,
    next_load_id,
    record_load,
    record_quarantine,
)
from citystat.profiles import CityProfile
from citystat.warehouse.connection import transaction

DEMOGRAPHIC_LAYERS = ("csa", "tract", "neighborhood", "council_district")
_NUMBER = re.compile(r"^[-+]?[$]?[0-9][0-9,]*(\.[0-9]+)?%?$|^[-+]?\.[0-9]+$")
MOE_SUFFIXES = ("_moe", "_MOE", "MOE", "_me")


def parse_number(text: str | None) -> float | None:
    """'41,819' -> 41819.0, '$5,890' -> 5890.0, '62.8%' -> 62.8 (kept on the published scale)."""
    if text is None:
        return None
    cleaned = text.strip()
    if not cleaned or not _NUMBER.match(cleaned):
        return None
    return float(cleaned.replace(",", "").replace("$", "").rstrip("%"))


def _read_records(path: Path) -> list[dict[str, Any]]:
    if path.suffix.lower() in (".geojson", ".json"):
        return [f.get("properties") or {} for f in read_feature_collection(path) if isinstance(f, dict)]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path}: not UTF-8 text: {exc}") from exc
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, [])
    check_unique_header(header, path, fold_case=False)
    return [dict(zip(header, row, strict=False)) for row in rows if row]


def _moe_partner(column: str, columns: list[str]) -> str | None:
    """The margin-of-error column for ``column``: 'estimate' <-> 'moe', 'X' <-> 'X_moe'."""
    if column == "estimate" and "moe" in columns:
        return "moe"
    for suffix in MOE_SUFFIXES:
        if column + suffix in columns:
            return column + suffix
    return None


def latest_load(con: duckdb.DuckDBPyConnection, layer: str, file_name: str) -> int | None:
    """The load whose rows ``layer`` now holds for files named ``file_name`` (a load replaces them)."""
    row = con.execute(
        "SELECT max(load_id) FROM demographics"
        " WHERE layer = ? AND regexp_replace(source_file, '^.*/', '') = ?",
        [layer, file_name],
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def ingest_demographics(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    layer: str,
    key: str,
    profile: CityProfile,
    force: bool = False,
    value_chars: int = 500,
) -> LoadResult:
    """Replace the demographics that ``path`` provides for ``layer``, keyed by column ``key``."""
    if layer not in DEMOGRAPHIC_LAYERS:
        raise IngestError(f"unknown layer {layer!r}; choose one of {', '.join(DEMOGRAPHIC_LAYERS)}")
    info = describe_file(path)
    result = LoadResult(
        kind="demographics", source=str(path), format=path.suffix.lstrip("."), detail=f"{layer}:{key}"
    )
    previous = find_previous_load(con, "demographics", info.sha256, result.detail)
    if previous is not None and previous == latest_load(con, layer, path.name) and not force:
        result.skipped_as_load = previous
        result.notes.append(f"layer {layer} already holds this file (load {previous}); nothing changed")
        return result
    records = _read_records(path)
    if not records:
        raise IngestError(f"{path}: no rows")
    columns = list(records[0].keys())
    if key not in columns:
        raise IngestError(f"{path}: key column {key!r} not found; columns are: {', '.join(columns)}")
    moe_columns = {p for c in columns if (p := _moe_partner(c, columns))}
    values = [c for c in columns if c != key and c not in moe_columns]
    out: dict[str, list[Any]] = {
        k: [] for k in ("area_key", "is_citywide", "variable", "value", "value_text", "moe")
    }
    problems: list[QuarantineRow] = []
    seen: dict[str, int] = {}
    citywide = {name.lower() for name in profile.citywide_area_names}
    for number, record in enumerate(records, start=1):
        area = str(record.get(key) or "").strip()
        if not area:
            problems.append(QuarantineRow(number, number + 1, None, key, None, "missing area key"))
            continue
        if area in seen:
            problems.append(
                QuarantineRow(
                    number, number + 1, area, key, area, f"duplicate area key (first in row {seen[area]})"
                )
            )
            continue
        seen[area] = number
        for column in values:
            raw = record.get(column)
            text = None if raw is None else str(raw).strip()
            partner = _moe_partner(column, columns)
            moe_text = record.get(partner) if partner else None
            out["area_key"].append(area)
            out["is_citywide"].append(area.lower() in citywide)
            out["variable"].append(column)
            out["value"].append(
                raw if isinstance(raw, (int, float)) and not isinstance(raw, bool) else parse_number(text)
            )
            out["value_text"].append(printable(text, value_chars) if text else None)
            out["moe"].append(
                moe_text
                if isinstance(moe_text, (int, float))
                else parse_number(None if moe_text is None else str(moe_text))
            )
    started = datetime.now()
    with transaction(con):
        result.load_id = next_load_id(con)
        result.rows_read = len(records)
        result.rows_loaded = len(seen)
        result.rows_quarantined = len(problems)
        result.rejected_by_reason.update(p.reason.split(" (")[0] for p in problems)
        n = len(out["area_key"])
        table = pa.table(
            {
                **{k: v for k, v in out.items() if k not in ("value", "moe")},
                "value": pa.array(out["value"], pa.float64()),
                "moe": pa.array(out["moe"], pa.float64()),
                "layer": [layer] * n,
                "source_file": [str(path)] * n,
                "load_id": pa.array([result.load_id] * n, pa.int64()),
            }
        )
        con.execute(
            "DELETE FROM demographics WHERE layer = ? AND regexp_replace(source_file, '^.*/', '') = ?",
            [layer, path.name],
        )
        con.register("_demo_batch", table)
        con.execute(
            "INSERT INTO demographics SELECT layer, area_key, is_citywide, variable, value, value_text, moe,"
            " source_file, load_id FROM _demo_batch"
        )
        con.unregister("_demo_batch")
        clear_quarantine(con, result.source)
        record_quarantine(con, result.load_id, result.source, problems)
        record_load(con, result, info, started)
    result.notes.append(f"{len(values)} variable(s) for {len(seen)} area(s)")
    if moe_columns:
        result.notes.append(f"margins of error from: {', '.join(sorted(moe_columns))}")
    return result
