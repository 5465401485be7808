"""citystat.site.values: rows equal `citystat query`'s and a hand SQL query; filters, pages and
cursors cover every row exactly once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from citystat.site import InvalidRequestError, NotFoundError, WarehouseReader
from citystat.site.values import decode_cursor, page_value_rows, read_value_rows, select_value_rows
from citystat.warehouse import connect


def test_rows_are_the_stored_values_in_force(demo_reader: WarehouseReader, demo_warehouse: Path) -> None:
    rows = read_value_rows(demo_reader, "city-requests", "month", "csa")
    con = connect(demo_warehouse, read_only=True)
    expected = con.execute(
        "SELECT period_label, dimension_value, value FROM measure_values"
        " WHERE measure_id = 'city-requests' AND grain = 'month' AND dimension = 'csa'"
        " ORDER BY period_start, dimension_value"
    ).fetchall()
    # And the counts themselves, straight from the request rows (duplicates left out).
    counted = con.execute(
        "SELECT strftime(created_at, '%Y-%m'), coalesce(csa, ''), count(*) FROM service_requests"
        " WHERE status_flag IS DISTINCT FROM 'duplicate' GROUP BY ALL"
    ).fetchall()
    con.close()
    assert [(r.period_label, r.dimension_value, r.value) for r in rows] == expected
    assert {(r.period_label, r.dimension_value): r.value for r in rows} == {
        (m, c): float(n) for m, c, n in counted
    }
    assert all(r.version == 1 and r.engine == "duckdb" for r in rows)
    with pytest.raises(NotFoundError):
        read_value_rows(demo_reader, "no-such-measure", "month")
    assert read_value_rows(demo_reader, "city-requests", "day") == ()


def test_filters_pages_and_cursors(demo_reader: WarehouseReader) -> None:
    rows = read_value_rows(demo_reader, "city-requests", "week", "neighborhood")
    picked = select_value_rows(rows, start=dt.date(2025, 1, 1), end=dt.date(2025, 6, 30))
    assert picked == tuple(r for r in rows if dt.date(2025, 1, 1) <= r.period_start <= dt.date(2025, 6, 30))
    one = select_value_rows(rows, dimension_value=rows[0].dimension_value)
    assert one and all(r.dimension_value == rows[0].dimension_value for r in one)
    assert len({r.key for r in rows}) == len(rows)  # (period, place) is unique: a stable order
    # Every row exactly once, by pages and by cursor, with a page size that does not divide.
    by_page = []
    first = page_value_rows(picked, page=1, page_size=97)
    for number in range(1, first.pages + 1):
        page = page_value_rows(picked, page=number, page_size=97)
        assert page.total == len(picked) and page.pages == -(-len(picked) // 97)
        by_page += page.rows
    assert by_page == list(picked)
    by_cursor, page = list(first.rows), first
    while page.next_cursor is not None:
        page = page_value_rows(picked, page_size=97, cursor=page.next_cursor)
        by_cursor += page.rows
    assert by_cursor == list(picked)
    assert page_value_rows(picked, page=first.pages + 1, page_size=97).rows == ()
    with pytest.raises(InvalidRequestError):
        decode_cursor("not-a-cursor")
    with pytest.raises(InvalidRequestError):
        select_value_rows(rows, start=dt.date(2025, 2, 1), end=dt.date(2025, 1, 1))
