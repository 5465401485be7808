"""Loads are idempotent and atomic: same file twice changes nothing; a killed load leaves no trace."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from citystat.ingest import ingest_requests
from citystat.warehouse import open_warehouse
from tests.conftest import REPO, SAMPLE_2018, SAMPLE_2019, table_snapshot


def test_same_file_twice_changes_nothing(baltimore_warehouse) -> None:
    con, profile = baltimore_warehouse
    ingest_requests(con, [SAMPLE_2019], profile=profile)
    before = table_snapshot(con)
    (again,) = ingest_requests(con, [SAMPLE_2019], profile=profile)
    assert again.skipped and again.rows_loaded == 0
    assert table_snapshot(con) == before


def test_same_rows_in_a_new_file_are_unchanged(baltimore_warehouse, tmp_path) -> None:
    con, profile = baltimore_warehouse
    ingest_requests(con, [SAMPLE_2019], profile=profile)
    before = con.execute(
        "SELECT * EXCLUDE (load_id, source_file) FROM service_requests ORDER BY request_id"
    ).fetchall()
    copy = tmp_path / "copy.csv"
    copy.write_bytes(SAMPLE_2019.read_bytes() + b"\n")  # different bytes, same rows
    (result,) = ingest_requests(con, [copy], profile=profile)
    assert (result.rows_loaded, result.rows_updated, result.rows_unchanged) == (0, 0, 3000)
    after = con.execute(
        "SELECT * EXCLUDE (load_id, source_file) FROM service_requests ORDER BY request_id"
    ).fetchall()
    assert after == before


def rewrite_2019(tmp_path: Path, name: str, changes: dict[str, dict[str, str]]) -> Path:
    with SAMPLE_2019.open(newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    for row in rows:
        row.update(changes.get(row["ServiceRequestNum"], {}))
    out = tmp_path / name
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, quoting=csv.QUOTE_NONNUMERIC)
        writer.writeheader()
        writer.writerows(rows)
    return out


def test_newer_export_updates_and_older_export_is_kept_out(baltimore_warehouse, tmp_path) -> None:
    con, profile = baltimore_warehouse
    ingest_requests(con, [SAMPLE_2019], profile=profile)
    # Row 2 of the extract (19-00711544) is 'New', status date 10/21/2019 11:49:45 AM.
    newer = rewrite_2019(
        tmp_path,
        "newer.csv",
        {
            "19-00711544": {
                "SRStatus": "Closed",
                "StatusDate": "10/22/2019 09:00:00 AM",
                "CloseDate": "10/22/2019 09:00:00 AM",
            }
        },
    )
    (result,) = ingest_requests(con, [newer], profile=profile)
    assert (result.rows_loaded, result.rows_updated, result.rows_unchanged) == (0, 1, 2999)
    row = con.execute(
        "SELECT status, open311_status, closed_at::VARCHAR, load_id = first_load_id FROM service_requests"
        " WHERE request_id = '19-00711544'"
    ).fetchone()
    assert row == ("Closed", "closed", "2019-10-22 09:00:00", False)
    older = rewrite_2019(
        tmp_path, "older.csv", {"19-00711544": {"SRStatus": "Open", "StatusDate": "10/21/2019 11:50:00 AM"}}
    )
    (stale,) = ingest_requests(con, [older], profile=profile)
    assert (stale.rows_updated, stale.rows_stale) == (0, 1)
    assert con.execute("SELECT status FROM service_requests WHERE request_id = '19-00711544'").fetchone() == (
        "Closed",
    )
    assert con.execute("SELECT count(*) FROM service_requests").fetchone() == (3000,)


KILLER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import citystat.ingest.requests as requests
    from citystat.profiles import load_profile
    from citystat.warehouse import open_warehouse

    original = requests._merge

    def merge_then_hang(con, load_id):
        counts = original(con, load_id)   # rows are now inserted, inside the open transaction
        print("MERGED", sum(counts.values()), flush=True)
        time.sleep(600)
        return counts

    requests._merge = merge_then_hang
    con = open_warehouse(Path(sys.argv[1]))
    requests.ingest_requests(con, [Path(sys.argv[2])], profile=load_profile("baltimore"))
    """
)


@pytest.mark.slow
def test_killed_load_leaves_the_warehouse_as_it_was(real, tmp_path) -> None:
    db = tmp_path / "kill.duckdb"
    con = open_warehouse(db)
    from citystat.profiles import load_profile

    ingest_requests(con, [SAMPLE_2018], profile=load_profile("baltimore"))
    before = table_snapshot(con)
    con.close()
    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db), str(SAMPLE_2019)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("MERGED 3000"), line
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    con = open_warehouse(db)
    assert table_snapshot(con) == before
    assert con.execute("SELECT count(*) FROM service_requests").fetchone() == (500,)
    # And the same load, run again to completion, works.
    (result,) = ingest_requests(con, [SAMPLE_2019], profile=load_profile("baltimore"))
    assert result.rows_loaded == 3000
    con.close()


def test_error_mid_load_rolls_back(baltimore_warehouse, monkeypatch) -> None:
    con, profile = baltimore_warehouse
    ingest_requests(con, [SAMPLE_2018], profile=profile)
    before = table_snapshot(con)
    import citystat.ingest.requests as requests

    def broken_record_load(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(requests, "record_load", broken_record_load)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_requests(con, [SAMPLE_2019], profile=profile)
    assert table_snapshot(con) == before


def test_a_missing_status_date_does_not_overwrite_a_dated_row(baltimore_warehouse, tmp_path) -> None:
    """No status date counts as older than any date; two undated versions: the later load wins."""
    con, profile = baltimore_warehouse
    request = "19-00711544"  # 'New', status date 10/21/2019 11:49:45 AM in the real extract
    undated_new = rewrite_2019(tmp_path, "undated-new.csv", {request: {"StatusDate": ""}})
    undated_open = rewrite_2019(
        tmp_path, "undated-open.csv", {request: {"StatusDate": "", "SRStatus": "Open"}}
    )
    closed = {
        "SRStatus": "Closed",
        "StatusDate": "10/22/2019 09:00:00 AM",
        "CloseDate": "10/22/2019 09:00:00 AM",
    }
    dated_closed = rewrite_2019(tmp_path, "dated-closed.csv", {request: closed})
    undated_pending = rewrite_2019(
        tmp_path, "undated-pending.csv", {request: {"StatusDate": "", "SRStatus": "Pending"}}
    )

    def load(path: Path) -> tuple[int, int, int, str]:
        (result,) = ingest_requests(con, [path], profile=profile)
        row = con.execute("SELECT status FROM service_requests WHERE request_id = ?", [request]).fetchone()
        assert row is not None
        return result.rows_loaded, result.rows_updated, result.rows_stale, row[0]

    assert load(undated_new) == (3000, 0, 0, "New")
    assert load(undated_open) == (0, 1, 0, "Open")  # both undated: the newer load wins
    assert load(dated_closed) == (0, 1, 0, "Closed")  # a date beats no date
    assert load(undated_pending) == (0, 0, 1, "Closed")  # no date never beats a date


def quarantine_rows(con) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT source, row_number, request_id, reason, action FROM quarantine ORDER BY ALL"
    ).fetchall()


def test_force_and_re_exports_do_not_repeat_quarantine_rows(baltimore_warehouse, tmp_path) -> None:
    """The real extract has 25 points outside the city (flagged); we add one row closed before created."""
    con, profile = baltimore_warehouse
    # Row 1 of the extract, 19-00711545, created 10/21/2019 11:49:49 AM.
    export = rewrite_2019(tmp_path, "export.csv", {"19-00711545": {"CloseDate": "10/20/2019 09:00:00 AM"}})
    (first,) = ingest_requests(con, [export], profile=profile)
    assert (first.rows_quarantined, first.rows_flagged) == (1, 25)
    once = quarantine_rows(con)
    assert len(once) == 26
    assert [r[3:] for r in once if r[4] == "rejected"] == [("closed before created", "rejected")]

    (forced,) = ingest_requests(con, [export], profile=profile, force=True)
    assert (forced.rows_unchanged, forced.rows_quarantined, forced.rows_flagged) == (2999, 1, 25)
    assert quarantine_rows(con) == once  # replaced, not repeated

    re_export = tmp_path / "re-export.csv"
    re_export.write_bytes(export.read_bytes() + b"\n")  # same rows, other bytes and name
    (again,) = ingest_requests(con, [re_export], profile=profile)
    assert (again.rows_unchanged, again.rows_quarantined, again.rows_flagged) == (2999, 1, 0)
    assert len(quarantine_rows(con)) == 26 + 1  # only its own rejected row; no flags for stored rows

    # A re-export where one outside-city request changed: that row (updated) is flagged again.
    outside = con.execute(
        "SELECT request_id FROM service_requests WHERE outside_city ORDER BY request_id LIMIT 1"
    ).fetchone()
    assert outside is not None
    changed = {
        "19-00711545": {"CloseDate": "10/20/2019 09:00:00 AM"},
        outside[0]: {
            "SRStatus": "Closed",
            "StatusDate": "10/22/2019 09:00:00 AM",
            "CloseDate": "10/22/2019 09:00:00 AM",
        },
    }
    newer = rewrite_2019(tmp_path, "newer.csv", changed)
    (update,) = ingest_requests(con, [newer], profile=profile)
    assert (update.rows_updated, update.rows_quarantined, update.rows_flagged) == (1, 1, 1)
    assert con.execute(
        "SELECT request_id, reason FROM quarantine WHERE source = ? AND action = 'flagged'", [str(newer)]
    ).fetchall() == [(outside[0], "outside the city boundary")]
