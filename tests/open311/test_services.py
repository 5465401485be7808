"""The Open311 service list built from Baltimore's real service types (the October 2019 sample)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from citystat.demo.generate import SERVICE_TYPES
from citystat.errors import ConfigError
from citystat.open311.catalogue import load_service_catalogue
from citystat.open311.services import build_services, read_service_types
from citystat.warehouse import connect
from tests.conftest import REAL, SAMPLE_2019
from tests.test_cli_and_server import run

TIME = "%m/%d/%Y %I:%M:%S %p"


def expected_types() -> pd.DataFrame:
    """Count, agencies and median days to due date per SRType, straight from the CSV with pandas."""
    raw = pd.read_csv(SAMPLE_2019, dtype=str, keep_default_na=False)
    raw["created"] = pd.to_datetime(raw["CreatedDate"], format=TIME)
    raw["due"] = pd.to_datetime(raw["DueDate"], format=TIME, errors="coerce")
    raw["days"] = (raw["due"] - raw["created"]).dt.total_seconds() / 86_400
    raw.loc[raw["due"] < raw["created"], "days"] = float("nan")
    return raw.groupby("SRType").agg(
        requests=("SRType", "size"),
        agencies=("Agency", lambda s: tuple(sorted(set(s)))),
        days=("days", "median"),
    )


@pytest.fixture(scope="module")
def service_types(sample_warehouse: Path) -> list:
    con = connect(sample_warehouse, read_only=True)
    try:
        return read_service_types(con)
    finally:
        con.close()


def test_service_types_match_an_independent_count(service_types) -> None:
    expected = expected_types()
    assert len(service_types) == len(expected) == 147  # PROVENANCE.md: 147 distinct SRType
    assert sum(t.requests for t in service_types) == 3000
    for kind in service_types:
        row = expected.loc[kind.code]
        assert kind.requests == row["requests"], kind.code
        if len(row["agencies"]) == 1:
            assert kind.agency == row["agencies"][0], kind.code
        if pd.isna(row["days"]):
            assert kind.expected_days is None, kind.code
        else:
            assert kind.expected_days == pytest.approx(round(row["days"], 1), abs=0.051), kind.code


def test_the_resident_list_leaves_out_staff_work_and_groups_in_plain_words(service_types) -> None:
    services = build_services(service_types, load_service_catalogue("baltimore"))
    codes = {s.code for s in services}
    proactive = {t.code for t in service_types if "Proactive" in t.code}
    assert proactive == {
        "SW-Dirty Alley Proactive",
        "SW-Dirty Street Proactive",
        "SW-Graffiti Removal Proactive",
        "SW-Rat Rubout Proactive",
    }
    assert codes == {t.code for t in service_types} - proactive
    pothole = next(s for s in services if s.code == "TRM-Pothole Repair")
    assert pothole.name == "Pothole Repair"
    assert pothole.group == {
        "en": "Streets, sidewalks and street lights",
        "es": "Calles, aceras y alumbrado público",
    }
    assert (pothole.agency, pothole.requests, pothole.expected_days) == ("Transportation", 17, 2.0)
    assert pothole.metadata and [a.code for a in pothole.attributes] == ["SIZE", "LANE"]
    rats = next(s for s in services if s.code == "SW-Rat Rubout")
    assert (rats.agency, rats.requests, rats.expected_days) == ("Solid Waste", 22, 14.0)
    alley = next(s for s in services if s.code == "SW-Dirty Alley")
    assert alley.group_name("es") == "Basura, reciclaje y calles limpias"
    animal = next(s for s in services if s.code.startswith('"HLTH-'))  # a stray quote in the real data
    assert (animal.name, animal.group["en"]) == (
        "Animal Failure to Restrain Animal, Known Owner/Known Address",
        "Health, food and animals",
    )
    # no group left unnamed: every code of the sample falls in a group of the catalogue
    assert all(s.group["en"] != "Other city services" for s in services), [
        s.code for s in services if s.group["en"] == "Other city services"
    ]


def test_every_defined_service_is_a_real_or_demo_service_type() -> None:
    seen: set[str] = set()
    sample_2018 = REAL / "baltimore-311-sample-2018" / "311_Customer_Service_Requests_2018_sample500.csv"
    for path, column in ((SAMPLE_2019, "SRType"), (sample_2018, "srtype")):
        seen |= set(pd.read_csv(path, dtype=str, usecols=[column])[column])
    seen |= {t.code for t in SERVICE_TYPES}
    assert set(load_service_catalogue("baltimore").services) <= seen


def test_a_list_question_without_answers_is_refused(tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "services:\n  X-Thing:\n    attributes:\n"
        "      - {code: SIZE, datatype: singlevaluelist, order: 1, description: 'How big'}\n"
    )
    with pytest.raises(ConfigError, match=r"bad\.yaml.*SIZE: a singlevaluelist needs values"):
        load_service_catalogue(str(path))


def test_the_city_s_published_types_join_the_list(sample_warehouse: Path, tmp_path: Path) -> None:
    """Open Baltimore's list of request types (320, January 2019 - October 2020) loads through the
    CLI; the service list is then every type of the list or the requests, less staff work."""
    published = REAL / "baltimore-boundaries" / "311_request_types_2019_2020.csv"
    warehouse = tmp_path / "types.duckdb"
    shutil.copy(sample_warehouse, warehouse)
    done = run(["ingest", "service-types", str(published)], warehouse)
    assert "320" in done.stdout
    again = run(["ingest", "service-types", str(published)], warehouse)
    assert "nothing changed" in again.stdout

    listed = set(pd.read_csv(published, dtype=str)["request_type"].str.strip())
    in_requests = set(pd.read_csv(SAMPLE_2019, dtype=str, usecols=["SRType"])["SRType"])
    con = connect(warehouse, read_only=True)
    try:
        types = read_service_types(con)
    finally:
        con.close()
    assert {t.code for t in types} == listed | in_requests
    services = build_services(types, load_service_catalogue("baltimore"))
    everything = listed | in_requests
    assert {s.code for s in services} == {c for c in everything if not re.search(r"\bProactive\b", c, re.I)}
    unused = next(s for s in services if s.code in listed - in_requests and s.code.startswith("TRM-"))
    assert (unused.requests, unused.expected_days, unused.agency) == (0, None, "Transportation")
