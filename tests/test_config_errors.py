"""A wrong mapping or profile value is a ConfigError naming the file and the field, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from citystat.errors import ConfigError
from citystat.ingest import ingest_requests
from citystat.profiles import load_profile
from tests.conftest import OPEN311_TSV, REPO

GOOD_MAPPING = {
    "name": "six-cities",
    "delimiter": '"\\t"',
    "columns": "{request_id: service_request_id, service_code: service_code, status: status,"
    " created_at: requested_datetime}",
    "timestamps": "[{format: iso8601, zone: iso8601}]",
}


def write_mapping(tmp_path: Path, **changes: str) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text("".join(f"{key}: {value}\n" for key, value in {**GOOD_MAPPING, **changes}.items()))
    return path


def refused(warehouse, baltimore, mapping: Path) -> str:
    with pytest.raises(ConfigError) as error:
        ingest_requests(warehouse, [OPEN311_TSV], profile=baltimore, fmt="csv", mapping_file=mapping)
    message = str(error.value)
    assert "\n" not in message
    assert warehouse.execute("SELECT count(*) FROM load_log").fetchone() == (0,)
    return message


def test_a_good_mapping_loads(real, warehouse, baltimore, tmp_path) -> None:
    (result,) = ingest_requests(
        warehouse, [OPEN311_TSV], profile=baltimore, fmt="csv", mapping_file=write_mapping(tmp_path)
    )
    assert (result.rows_read, result.rows_quarantined) == (701, 0)


def test_delimiter_written_as_backslash_t(warehouse, baltimore, tmp_path) -> None:
    mapping = write_mapping(tmp_path, delimiter="'\\t'")  # single quotes: the two characters \ and t
    assert refused(warehouse, baltimore, mapping) == (
        f"{mapping}: invalid mapping: delimiter: must be one character, not '\\\\t' (2 characters);"
        ' for a tab write delimiter: "\\t" (double quotes)'
    )


def test_empty_column_list(warehouse, baltimore, tmp_path) -> None:
    mapping = write_mapping(
        tmp_path, columns="{request_id: [], service_code: service_code, created_at: requested_datetime}"
    )
    assert refused(warehouse, baltimore, mapping) == (
        f"{mapping}: invalid mapping: columns: request_id: names no source column"
    )


def test_mapping_file_that_is_not_utf8(warehouse, baltimore, tmp_path) -> None:
    mapping = write_mapping(tmp_path)
    mapping.write_bytes(mapping.read_bytes().replace(b"six-cities", b"six-cit\xe9s"))
    message = refused(warehouse, baltimore, mapping)
    assert message.startswith(f"{mapping}: cannot read mapping file: not UTF-8 text:")


def test_bad_strptime_format(warehouse, baltimore, tmp_path) -> None:
    mapping = write_mapping(tmp_path, timestamps="[{format: '%Y-%m-%d %Q', zone: local}]")
    assert refused(warehouse, baltimore, mapping) == (
        f"{mapping}: invalid mapping: timestamps.0.format: '%Y-%m-%d %Q' is not a valid date format:"
        " Failed to parse format specifier %Y-%m-%d %Q: Unrecognized format for strftime/strptime: %Q"
    )
    mapping = write_mapping(tmp_path, timestamps="[{format: '%Y-%m-%d %H:%M:%S', zone: offset}]")
    assert refused(warehouse, baltimore, mapping) == (
        f"{mapping}: invalid mapping: timestamps.0: zone 'offset' needs %z or %Z in the format"
    )


def test_unknown_time_zone_in_a_profile(tmp_path) -> None:
    text = (REPO / "src/citystat/profiles/baltimore.yaml").read_text(encoding="utf-8")
    assert "time_zone: America/New_York\n" in text
    path = tmp_path / "mars.yaml"
    path.write_text(text.replace("time_zone: America/New_York", "time_zone: Mars/Olympus_Mons"))
    with pytest.raises(ConfigError) as error:
        load_profile(str(path))
    assert str(error.value) == (
        f"{path}: invalid city profile: time_zone: unknown time zone 'Mars/Olympus_Mons'"
        " (use an IANA name such as America/New_York)"
    )
