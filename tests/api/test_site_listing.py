"""The site-layer pieces the API adds: measure filters, pages by number, value selections and the
CSV and Parquet files, on the demo city."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pyarrow.parquet as pq
import pytest

from citystat.engine.query import query_values
from citystat.site import InvalidRequestError, NotFoundError, WarehouseReader
from citystat.site.catalog import filter_measures, get_catalog, search_measures
from citystat.site.downloads import read_values_table, write_values_csv, write_values_parquet
from citystat.site.paging import page_items
from citystat.site.values import VALUE_FIELDS, find_values, read_value_rows
from tests.api.test_site_catalog import read_yaml_catalog


def test_filter_measures(demo_reader: WarehouseReader) -> None:
    files = read_yaml_catalog()
    assert len(filter_measures(demo_reader)) == len(files) == 41
    transport = filter_measures(demo_reader, agency_id="transportation")
    assert {m.id for m in transport} == {k for k, raw in files.items() if raw["agency"] == "Transportation"}
    pillar = filter_measures(demo_reader, pillar_id="6")
    assert {m.id for m in pillar} == {
        k for k, raw in files.items() if str((raw.get("action_plan") or {}).get("pillar", "")) == "6"
    }
    # Text: the search's order, narrowed by the other filters.
    hits = [h.measure.id for h in search_measures(demo_reader, "pothole", limit=None)]
    assert [m.id for m in filter_measures(demo_reader, text="pothole")] == hits
    assert [m.id for m in filter_measures(demo_reader, agency_id="transportation", text="pothole")] == [
        i for i in hits if i in {m.id for m in transport}
    ]
    assert filter_measures(demo_reader, text="   ") == get_catalog(demo_reader).active()
    with pytest.raises(NotFoundError):
        filter_measures(demo_reader, pillar_id="99")
    with pytest.raises(NotFoundError):
        filter_measures(demo_reader, agency_id="nobody")


def test_page_items() -> None:
    items = list(range(23))
    pages = [page_items(items, page=n, page_size=5) for n in range(1, 6)]
    assert [i for p in pages for i in p.items] == items
    assert [p.has_next for p in pages] == [True, True, True, True, False]
    assert pages[0].pages == 5 and pages[0].total == 23
    assert page_items(items, page=6, page_size=5).items == ()
    assert page_items([], page=1, page_size=5).pages == 1
    with pytest.raises(InvalidRequestError):
        page_items(items, page=0)


def test_find_values(demo_reader: WarehouseReader) -> None:
    default = find_values(demo_reader, "trm-pothole-median-hours")
    assert (default.grain, default.dimension, len(default.rows)) == ("month", "", 36)
    assert default.rows == read_value_rows(demo_reader, "trm-pothole-median-hours", "month")
    assert default.file_stem == "trm-pothole-median-hours-month"
    june = find_values(demo_reader, "city-requests", grain="month", dimension="csa", period="2026-06")
    assert {r.period_label for r in june.rows} == {"2026-06"} and len(june.rows) == 13
    assert june.file_stem == "city-requests-month-csa"
    place = june.rows[1].dimension_value
    one = find_values(
        demo_reader,
        "city-requests",
        grain="month",
        dimension="csa",
        dimension_value=place,
        start=dt.date(2026, 1, 1),
    )
    assert [r.period_label for r in one.rows] == [f"2026-0{m}" for m in range(1, 7)]
    assert all(r.dimension_value == place for r in one.rows)
    with pytest.raises(InvalidRequestError, match="needs a dimension"):
        find_values(demo_reader, "city-requests", dimension_value=place)
    with pytest.raises(NotFoundError):
        find_values(demo_reader, "no-such-measure")


def test_files_hold_the_rows(demo_reader: WarehouseReader) -> None:
    rows = find_values(demo_reader, "trm-pothole-median-hours", grain="month", dimension="neighborhood").rows
    assert len(rows) > 100
    text = write_values_csv(rows).decode()
    read = list(csv.reader(io.StringIO(text)))
    assert tuple(read[0]) == VALUE_FIELDS and len(read) == len(rows) + 1
    for line, row in zip(read[1:], rows, strict=True):
        cells = dict(zip(VALUE_FIELDS, line, strict=True))
        assert cells["period_start"] == row.period_start.isoformat()
        assert (float(cells["value"]) if cells["value"] else None) == row.value
        assert dt.datetime.fromisoformat(cells["computed_at"]) == row.computed_at.replace(tzinfo=dt.UTC)
    table = pq.read_table(io.BytesIO(write_values_parquet(rows)))
    assert table.column_names == list(VALUE_FIELDS) and table.num_rows == len(rows)
    assert table.column("value").to_pylist() == [r.value for r in rows]
    assert table.column("denominator").to_pylist() == [r.denominator for r in rows]
    assert table.column("computed_at").to_pylist() == [r.computed_at.replace(tzinfo=dt.UTC) for r in rows]
    empty = pq.read_table(io.BytesIO(write_values_parquet(())))
    assert empty.num_rows == 0 and empty.column_names == list(VALUE_FIELDS)


def test_values_table_is_every_measure(demo_reader: WarehouseReader) -> None:
    found = read_values_table(demo_reader, grain="fiscal_quarter", dimension="council_district")
    with demo_reader.connect() as con:
        expected = query_values(con, measure_id=None, grain="fiscal_quarter", dimension="council_district")
    assert found.file_stem == "values-fiscal_quarter-council_district"
    assert found.table.to_pylist() == [
        {**r, "computed_at": r["computed_at"].replace(tzinfo=dt.UTC)} for r in expected
    ]
    with pytest.raises(InvalidRequestError):
        read_values_table(demo_reader, grain="month", start=dt.date(2026, 2, 1), end=dt.date(2026, 1, 1))
