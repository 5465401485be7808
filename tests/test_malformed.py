"""Bad rows are quarantined with file, row, column and reason; good rows still load."""

from __future__ import annotations

import csv
import io

import pytest

from citystat.errors import IngestError
from citystat.ingest import ingest_requests
from tests.conftest import OPEN311_TSV, REAL, SAMPLE_2018, SAMPLE_2019, table_snapshot


def real_rows(n: int) -> tuple[list[str], list[list[str]]]:
    with SAMPLE_2019.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, [next(reader) for _ in range(n)]


def encode(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def test_malformed_rows_are_quarantined(baltimore_warehouse, tmp_path) -> None:
    con, profile = baltimore_warehouse
    header, rows = real_rows(40)
    col = {name: i for i, name in enumerate(header)}
    rows[2] = rows[2][:-3]  # row 3: wrong column count
    rows[5][col["CreatedDate"]] = "13/45/2019 99:00:00 PM"  # row 6: bad date
    rows[9][col["Address"]] = "x" * 10_000_000  # row 10: a 10 MB field
    rows[12][col["CloseDate"]] = "10/01/2019 08:00:00 AM"  # row 13: closed before created
    rows[15][col["Agency"]] = "Solid Wast"  # row 16: unknown agency
    rows[20] = list(rows[19])  # row 21: exact repeat of row 20
    rows[21] = list(rows[19])
    rows[21][col["SRStatus"]] = "Closed"  # row 22: same id, other content
    rows[25][col["Latitude"]] = "north"  # row 26: coordinate not a number
    data = encode(header, rows)
    marker = rows[30][col["Address"]].encode()
    data = data.replace(marker, marker[:4] + b"\xff\xfe" + marker[4:], 1)  # row 31: invalid UTF-8
    path = tmp_path / "malformed.csv"
    path.write_bytes(data)

    (result,) = ingest_requests(con, [path], profile=profile)
    assert result.rows_read == 40
    assert result.rows_quarantined == 7
    assert result.rows_loaded == 40 - 7 - 1  # minus the rejected rows and the exact repeat
    assert "1 exact repeat row(s)" in result.notes[0]
    assert dict(result.rejected_by_reason) == {
        "wrong number of columns: 20 instead of 23": 1,
        "unparseable date": 1,
        "field too long: 10,000,000 characters (limit 65,536)": 1,
        "closed before created": 1,
        "unknown agency": 1,
        "duplicate request id with different content": 1,
        "invalid UTF-8 bytes": 1,
    }
    quarantined = con.execute(
        "SELECT row_number, line_number, column_name, left(raw_value, 30), reason FROM quarantine"
        " WHERE action = 'rejected' ORDER BY row_number"
    ).fetchall()
    assert [(q[0], q[2], q[4]) for q in quarantined] == [
        (3, None, "wrong number of columns: 20 instead of 23"),
        (6, "CreatedDate", "unparseable date"),
        (10, "Address", "field too long: 10,000,000 characters (limit 65,536)"),
        (13, "CloseDate", "closed before created"),
        (16, "Agency", "unknown agency"),
        (22, "ServiceRequestNum", "duplicate request id with different content"),
        (31, "Address", "invalid UTF-8 bytes"),
    ]
    assert quarantined[1][3] == "13/45/2019 99:00:00 PM"
    assert quarantined[4][3] == "Solid Wast"
    assert "\\xff\\xfe" in quarantined[6][3]
    assert all(q[1] == q[0] + 1 for q in quarantined)  # one line per row here, after the header
    stored_long = con.execute("SELECT max(length(raw_value)) FROM quarantine").fetchone()
    assert stored_long is not None and stored_long[0] < 1000  # the 10 MB value is not copied whole
    # The flagged coordinate: row kept, location cleared.
    assert con.execute(
        "SELECT lat, lon, geo_flag FROM service_requests WHERE source_row = 26"
    ).fetchone() == (None, None, "invalid_coordinates")


def test_not_a_311_export_is_refused_naming_missing_columns(baltimore_warehouse) -> None:
    con, profile = baltimore_warehouse
    before = table_snapshot(con)
    nhp = REAL / "baltimore-demographics" / "nhp2017_csa_indicators.csv"
    with pytest.raises(IngestError) as error:
        ingest_requests(con, [nhp], profile=profile)
    message = str(error.value)
    assert "not a Baltimore City 311 Customer Service Requests (Open Baltimore export) file" in message
    assert "missing column(s) ServiceRequestNum, SRType, Agency, SRStatus, CreatedDate, CloseDate" in message
    assert str(nhp) in message
    assert table_snapshot(con) == before


def test_empty_and_binary_files_are_refused(baltimore_warehouse, tmp_path) -> None:
    con, profile = baltimore_warehouse
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(IngestError, match="file is empty"):
        ingest_requests(con, [empty], profile=profile)
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xff")
    with pytest.raises(IngestError, match=r"header line is not valid UTF-8|missing column"):
        ingest_requests(con, [binary], profile=profile)
    missing = tmp_path / "nope.csv"
    with pytest.raises(IngestError, match="no such file"):
        ingest_requests(con, [missing], profile=profile)


SIX_CITY_MAPPING = (
    "name: six-cities\n"
    'delimiter: "\\t"\n'
    "columns:\n"
    "  request_id: service_request_id\n  service_code: service_code\n  service_name: service_name\n"
    "  status: status\n  created_at: requested_datetime\n  status_at: updated_datetime\n"
    "  address: address\n  lat: lat\n  lon: long\n"
    "timestamps:\n  - {format: iso8601, zone: iso8601}\n"
)


@pytest.mark.parametrize("field_limit", [None, 2_000])
def test_unbalanced_quote_does_not_swallow_the_rest_of_the_file(
    warehouse, real, tmp_path, monkeypatch, field_limit
) -> None:
    """The six-city TSV has no quote characters at all, so one stray quote used to run to end of file.

    With a small parser field limit the run-on field hits the limit (a CSV error) part way: same result.
    """
    from citystat.ingest import files
    from citystat.warehouse import resolve_profile

    if field_limit is not None:
        monkeypatch.setattr(files, "CSV_HARD_FIELD_LIMIT", field_limit)

    lines = OPEN311_TSV.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split("\t")
    rows = [line.rstrip("\n").split("\t") for line in lines[1:]]
    assert len(rows) == 701 and not any('"' in line for line in lines)
    address = header.index("address")
    lines[100] = lines[100].replace("\t" + rows[99][address], '\t"' + rows[99][address], 1)  # row 100
    lines[600] = lines[600].rstrip("\n") + "\textra\n"  # row 600: 11 columns
    path = tmp_path / "stray-quote.tsv"
    path.write_text("".join(lines), encoding="utf-8")
    mapping = tmp_path / "six-cities.yaml"
    mapping.write_text(SIX_CITY_MAPPING)
    profile = resolve_profile(warehouse, "open311")

    (result,) = ingest_requests(warehouse, [path], profile=profile, fmt="csv", mapping_file=mapping)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (701, 699, 2)
    quarantined = warehouse.execute(
        "SELECT row_number, line_number, column_name, raw_value, reason FROM quarantine ORDER BY row_number"
    ).fetchall()
    assert quarantined == [
        (
            100,
            101,
            "address",
            lines[100].rstrip("\n"),
            "unbalanced quote: a quoted field is not closed on its line",
        ),
        (
            600,
            601,
            None,
            lines[600].rstrip("\n").replace("\t", ","),
            "wrong number of columns: 11 instead of 10",
        ),
    ]
    id_column = header.index("service_request_id")
    expected = {r[id_column]: n for n, r in enumerate(rows, start=1) if n not in (100, 600)}
    stored = dict(warehouse.execute("SELECT request_id, source_row FROM service_requests").fetchall())
    assert stored == expected


def test_unclosed_quote_in_the_last_column_and_a_real_multiline_field(baltimore_warehouse, tmp_path) -> None:
    con, profile = baltimore_warehouse
    lines = SAMPLE_2018.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(lines) == 501
    assert lines[10].endswith(')"\n')
    lines[10] = lines[10][: -len('"\n')] + "\n"  # row 10: the GeoLocation value never closes
    assert '"5700 THE ALAMEDA, Baltimore City, 21239"' not in lines[20]
    old_address = lines[20].split('"')[1]
    lines[20] = lines[20].replace(old_address, old_address.replace(", ", ",\n", 1), 1)  # row 20 spans 2 lines
    lines[30] = lines[30].replace(",", ",,", 1)  # row 30 (physical line 32): 24 columns
    path = tmp_path / "quotes-2018.csv"
    path.write_text("".join(lines), encoding="utf-8")

    (result,) = ingest_requests(con, [path], profile=profile)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (500, 498, 2)
    quarantined = con.execute(
        "SELECT row_number, line_number, column_name, reason FROM quarantine WHERE action = 'rejected'"
        " ORDER BY row_number"
    ).fetchall()
    assert quarantined == [
        (10, 11, "geolocation", "unbalanced quote: a quoted field is not closed on its line"),
        (30, 32, None, "wrong number of columns: 24 instead of 23"),
    ]
    # Row 11, which the open quote used to swallow, loads with its own row number.
    row_11_id = lines[11].split(",")[2]
    assert con.execute(
        "SELECT source_row FROM service_requests WHERE request_id = ?", [row_11_id]
    ).fetchone() == (11,)
    row_20_id = lines[20].split(",")[2]
    assert con.execute(
        "SELECT address, source_row FROM service_requests WHERE request_id = ?", [row_20_id]
    ).fetchone() == (
        old_address.replace(", ", ",\n", 1),
        20,
    )


def test_duplicate_header_names_are_refused(baltimore_warehouse, tmp_path) -> None:
    """Which of two 'Agency' columns would feed the field? Neither: the file is refused, naming them."""
    con, profile = baltimore_warehouse
    header, rows = real_rows(20)
    assert (header[11], header[13]) == ("LastActivity", "Outcome")
    header[11] = "SRStatus"  # the same name twice
    header[13] = "AGENCY"  # the same as 'Agency' to a case-insensitive layout
    path = tmp_path / "duplicate-headers.csv"
    path.write_bytes(encode(header, rows))
    before = table_snapshot(con)
    with pytest.raises(IngestError) as error:
        ingest_requests(con, [path], profile=profile)
    assert str(error.value) == (
        f"{path}: duplicate column names in the header: SRStatus (columns 7 and 12),"
        " Agency/AGENCY (columns 11 and 14)"
    )
    assert table_snapshot(con) == before


def test_duplicate_header_names_in_demographics_are_refused(real, warehouse, baltimore, tmp_path) -> None:
    from citystat.ingest import ingest_demographics

    original = real / "baltimore-demographics" / "nhp2017_csa_indicators.csv"
    text = original.read_text(encoding="utf-8")
    assert text.startswith("CSA,NHPLink,Population,PercentUnder18,")
    path = tmp_path / "nhp.csv"
    path.write_text(text.replace("PercentUnder18,", "Population,", 1), encoding="utf-8")
    with pytest.raises(IngestError) as error:
        ingest_demographics(warehouse, path, layer="csa", key="CSA", profile=baltimore)
    assert str(error.value) == f"{path}: duplicate column names in the header: Population (columns 3 and 4)"
    assert warehouse.execute("SELECT count(*) FROM demographics").fetchone() == (0,)


def test_ignored_columns_are_not_read_or_checked(baltimore_warehouse, tmp_path) -> None:
    """baltimore-csv ignores LastActivity, LastActivityDate, Outcome, PolicePost and GeoLocation."""
    con, profile = baltimore_warehouse
    header, rows = real_rows(10)
    col = {name: i for i, name in enumerate(header)}
    header[col["LastActivityDate"]] = "Outcome"  # two 'Outcome' columns: both ignored, so no clash
    rows[1][col["LastActivity"]] = "x" * 100_000  # row 2: an oversized value nobody reads
    rows[3][col["GeoLocation"]] = "(39.3, -76.6) marker"  # row 4: bytes that are not UTF-8, below
    rows[5][col["Address"]] = "x" * 100_000  # row 6: an oversized value that is read
    data = encode(header, rows).replace(b"-76.6) marker", b"-76.6) \xff\xfe", 1)
    path = tmp_path / "ignored.csv"
    path.write_bytes(data)
    (result,) = ingest_requests(con, [path], profile=profile)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (10, 9, 1)
    assert con.execute(
        "SELECT row_number, column_name, reason FROM quarantine WHERE action = 'rejected'"
    ).fetchall() == [(6, "Address", "field too long: 100,000 characters (limit 65,536)")]


def test_an_ignored_column_is_never_mapped(warehouse, real, tmp_path) -> None:
    """address: [address, city] with address ignored: the city column feeds the field."""
    from citystat.warehouse import resolve_profile

    mapping = tmp_path / "six-cities.yaml"
    mapping.write_text(
        SIX_CITY_MAPPING.replace("address: address", "address: [address, city]")
        + "ignore_columns: [ADDRESS]\n"
    )
    profile = resolve_profile(warehouse, "open311")
    ingest_requests(warehouse, [OPEN311_TSV], profile=profile, fmt="csv", mapping_file=mapping)
    with OPEN311_TSV.open(newline="") as handle:
        expected = {r["service_request_id"]: r["city"] for r in csv.DictReader(handle, delimiter="\t")}
    assert dict(warehouse.execute("SELECT request_id, address FROM service_requests").fetchall()) == expected


def test_the_newer_copy_of_a_request_in_one_file_wins(baltimore_warehouse, tmp_path) -> None:
    con, profile = baltimore_warehouse
    header, rows = real_rows(10)
    col = {name: i for i, name in enumerate(header)}
    # Row 2 of the extract: 19-00711544, 'New', status date 10/21/2019 11:49:45 AM.
    assert (rows[1][col["ServiceRequestNum"]], rows[1][col["StatusDate"]]) == (
        "19-00711544",
        "10/21/2019 11:49:45 AM",
    )
    newer = list(rows[1])
    newer[col["SRStatus"]] = "Closed"
    newer[col["StatusDate"]] = newer[col["CloseDate"]] = "10/22/2019 09:00:00 AM"
    older = list(rows[1])
    older[col["SRStatus"]] = "Open"
    older[col["StatusDate"]] = "10/21/2019 11:49:46 AM"  # one second later than row 2, earlier than row 11
    path = tmp_path / "copies.csv"
    path.write_bytes(encode(header, [*rows, newer, older]))  # rows 11 and 12
    (result,) = ingest_requests(con, [path], profile=profile)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (12, 10, 2)
    assert con.execute(
        "SELECT status, source_row FROM service_requests WHERE request_id = '19-00711544'"
    ).fetchone() == ("Closed", 11)
    assert con.execute(
        "SELECT row_number, raw_value, reason FROM quarantine WHERE action = 'rejected' ORDER BY row_number"
    ).fetchall() == [
        (2, "19-00711544 (row 11 kept: a newer status date)", "duplicate request id with different content"),
        (12, "19-00711544 (row 11 kept: a newer status date)", "duplicate request id with different content"),
    ]
