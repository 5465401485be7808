"""GeoReport v2 contract: every endpoint, both formats, every error case of the spec, over real HTTP.

The server runs over Baltimore's real warehouse (the October 2019 sample), so the service list is
the city's real service types; the community JSON Schemas in ../shared are the JSON contract.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import jsonschema_rs
import pytest

from tests.open311.conftest import SCHEMAS, FrontDoor

POTHOLE = "TRM-Pothole Repair"
SERVICES_IN_SAMPLE = 147 - 4  # distinct service types minus the four 'Proactive' staff types
A_PLACE = {"lat": "39.2904", "long": "-76.6122"}  # City Hall


def validator(name: str) -> Any:
    return jsonschema_rs.validator_for(json.loads((SCHEMAS / name).read_text()))


def post(door: FrontDoor, fmt: str = "json", **fields: Any) -> httpx.Response:
    data = {"api_key": door.api_key, "service_code": POTHOLE, "attribute[SIZE]": "small", **A_PLACE, **fields}
    data = {k: v for k, v in data.items() if v is not None}
    return httpx.post(f"{door.open311}/requests.{fmt}", data=data)


def parse_xml(response: httpx.Response) -> ET.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def error_of(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {"code", "description"}
    assert body[0]["code"] == response.status_code
    return body[0]["code"], body[0]["description"]


def test_discovery_in_both_formats(front_door: FrontDoor) -> None:
    body = httpx.get(f"{front_door.open311}/discovery.json").json()
    (endpoint,) = body["endpoints"]
    assert endpoint["url"] == front_door.open311
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = parse_xml(httpx.get(f"{front_door.open311}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.iter("format")] == ["text/xml", "application/json"]


def test_service_list_is_the_city_s_real_service_types(front_door: FrontDoor) -> None:
    services = httpx.get(f"{front_door.open311}/services.json").json()
    check = validator("service.json")
    for service in services:
        check.validate(service)
    assert len(services) == SERVICES_IN_SAMPLE
    pothole = next(s for s in services if s["service_code"] == POTHOLE)
    assert pothole == {
        "service_code": POTHOLE,
        "service_name": "Pothole Repair",
        "description": "A hole in the road surface.",
        "metadata": True,
        "type": "realtime",
        "keywords": "pothole, hole, road, street, bache",
        "group": "Streets, sidewalks and street lights",
    }
    root = parse_xml(httpx.get(f"{front_door.open311}/services.xml"))
    assert root.tag == "services" and len(root.findall("service")) == SERVICES_IN_SAMPLE
    xml_pothole = next(s for s in root.findall("service") if s.findtext("service_code") == POTHOLE)
    assert xml_pothole.findtext("metadata") == "true" and xml_pothole.findtext("type") == "realtime"


def test_service_definition_in_both_formats(front_door: FrontDoor) -> None:
    body = httpx.get(f"{front_door.open311}/services/{POTHOLE}.json").json()
    validator("service-definition.json").validate(body)
    assert body["service_code"] == POTHOLE
    size, lane = body["attributes"]
    assert (size["code"], size["datatype"], size["required"], size["order"]) == (
        "SIZE",
        "singlevaluelist",
        True,
        1,
    )
    assert [v["key"] for v in size["values"]] == ["small", "medium", "large"]
    assert (lane["code"], lane["required"]) == ("LANE", False)
    root = parse_xml(httpx.get(f"{front_door.open311}/services/{POTHOLE}.xml"))
    assert root.tag == "service_definition"
    assert [a.findtext("code") for a in root.iter("attribute")] == ["SIZE", "LANE"]
    assert [v.findtext("key") for v in root.find("attributes/attribute/values").iter("value")] == [
        "small",
        "medium",
        "large",
    ]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("services/No Such Service.json", 404),
        ("services/SW-Dirty Street.json", 404),  # a real service without a definition (metadata false)
        ("requests/CS-9999999.json", 404),
        ("tokens/nope.json", 404),
        ("services.html", 404),
        ("requests.json?status=pending", 400),
        ("requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", 400),
        ("requests.json?start_date=2026-01-01T00:00:00", 400),
        ("requests.json?page_size=1001", 400),
        ("requests.json?page=0", 400),
    ],
)
def test_get_errors_are_the_spec_s_error_list(front_door: FrontDoor, path: str, status: int) -> None:
    response = httpx.get(f"{front_door.open311}/{path}")
    assert response.status_code == status
    if path.split("?")[0].endswith(".json"):
        assert error_of(response)[0] == status


def test_get_errors_in_xml(front_door: FrontDoor) -> None:
    response = httpx.get(f"{front_door.open311}/requests.xml?status=pending")
    root = parse_xml(response)
    assert response.status_code == 400 and root.tag == "errors"
    (error,) = root.findall("error")
    assert error.findtext("code") == "400" and "status" in (error.findtext("description") or "")


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"api_key": None}, 403, "api_key is required"),
        ({"api_key": "not-a-key"}, 403, "api_key is not valid"),
        ({"api_key": ""}, 403, "api_key is required"),  # empty is the same as absent
        ({"service_code": None}, 400, "service_code is required"),
        ({"service_code": "NOPE"}, 400, "not a service"),
        ({"lat": None, "long": None}, 400, "a location is required"),
        ({"long": None}, 400, "lat and long go together"),
        ({"lat": "91"}, 400, "lat must be between"),
        ({"lat": "40.7", "long": "-74.0"}, 400, "outside the area"),
        ({"description": "x" * 4001}, 400, "longer than 4,000"),
        ({"attribute[SIZE]": None}, 400, "attribute[SIZE] is required"),
        ({"attribute[SIZE]": "huge"}, 400, "not among the choices"),
        ({"attribute[COLOUR]": "red"}, 400, "has no attribute COLOUR"),
        ({"email": "not-an-address"}, 400, "email"),
        ({"media_url": "ftp://x"}, 400, "media_url"),
    ],
)
def test_post_errors(front_door: FrontDoor, fields: dict[str, Any], status: int, words: str) -> None:
    response = post(front_door, **fields)
    assert response.status_code == status
    assert words in error_of(response)[1]


def test_post_then_get_in_both_formats(front_door: FrontDoor) -> None:
    response = post(
        front_door,
        description="Deep pothole by the kerb",
        email="resident@example.org",
        phone="410-555-0100",
        first_name="Ada",
        last_name="Resident",
        **{"attribute[LANE]": "parking"},
    )
    assert response.status_code == 201
    (made,) = response.json()
    assert set(made) == {"service_request_id", "service_notice", "account_id"}  # an id, never a token too
    request_id = made["service_request_id"]
    assert isinstance(request_id, str) and request_id.startswith("CS-")

    for query in ("", "?extensions=true"):
        got = httpx.get(f"{front_door.open311}/requests/{request_id}.json{query}")
        assert got.status_code == 200
        text = got.text
        for private in ("resident@example.org", "410-555-0100", "Ada", "Resident"):
            assert private not in text
        (shown,) = got.json()
        validator("request.json").validate(shown)
        assert shown["service_code"] == POTHOLE and shown["status"] == "open"
        assert shown["description"] == "Deep pothole by the kerb"
        assert shown["agency_responsible"] == "Transportation"
        assert (shown["lat"], shown["long"]) == (39.2904, -76.6122)
        assert shown["requested_datetime"][-6:] in ("-05:00", "-04:00")  # Baltimore's zone, with offset
    extended = got.json()[0]["extended_attributes"]
    assert extended["attributes"] == {"SIZE": "small", "LANE": "parking"}
    assert (extended["channel"], extended["locale"]) == ("api", "en")

    xml_made = parse_xml(post(front_door, fmt="xml"))
    assert xml_made.tag == "service_requests"
    xml_id = xml_made.findtext("request/service_request_id")
    assert xml_id and xml_id != request_id
    root = parse_xml(httpx.get(f"{front_door.open311}/requests/{xml_id}.xml"))
    assert root.findtext("request/service_code") == POTHOLE


def test_get_requests_filters(front_door: FrontDoor) -> None:
    first = post(front_door).json()[0]["service_request_id"]
    second = post(front_door, **{"attribute[SIZE]": "large"}).json()[0]["service_request_id"]
    listed = httpx.get(f"{front_door.open311}/requests.json").json()
    ids = [r["service_request_id"] for r in listed]
    root = parse_xml(httpx.get(f"{front_door.open311}/requests.xml"))
    assert root.tag == "service_requests"
    assert [r.findtext("service_request_id") for r in root.findall("request")] == ids
    assert first in ids and second in ids
    assert ids.index(second) < ids.index(first)  # newest first
    # service_request_id overrides every other filter, even an impossible status
    both = httpx.get(f"{front_door.open311}/requests.json?service_request_id={first},{second}&status=closed")
    assert sorted(r["service_request_id"] for r in both.json()) == sorted([first, second])
    assert httpx.get(f"{front_door.open311}/requests.json?status=closed").json() == []
    # an empty parameter is the same as an absent one
    assert httpx.get(f"{front_door.open311}/requests.json?status=&service_code=").json() == listed
    assert httpx.get(f"{front_door.open311}/requests.json?service_code=SW-Dirty%20Alley").json() == []
    page = httpx.get(f"{front_door.open311}/requests.json?page_size=1&page=2").json()
    assert [r["service_request_id"] for r in page] == [ids[1]]
    old = httpx.get(
        f"{front_door.open311}/requests.json?start_date=2019-10-01T00:00:00-04:00&end_date=2019-10-31T00:00:00-04:00"
    )
    assert old.status_code == 200 and old.json() == []


def test_a_batch_service_answers_with_a_token_that_resolves(front_door: FrontDoor) -> None:
    services = httpx.get(f"{front_door.open311}/services.json").json()
    assert next(s for s in services if s["service_code"] == "SW-Bulk Scheduled")["type"] == "batch"
    response = post(
        front_door,
        service_code="SW-Bulk Scheduled",
        **{"attribute[SIZE]": None, "attribute[ITEMS][]": ["mattress", "appliance"]},
    )
    assert response.status_code == 201
    (made,) = response.json()
    assert set(made) == {"token", "service_notice", "account_id"}  # a token, never an id too
    token = made["token"]
    deadline = time.monotonic() + 10
    while True:
        (resolved,) = httpx.get(f"{front_door.open311}/tokens/{token}.json").json()
        if resolved["service_request_id"] is not None or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert resolved["token"] == token and resolved["service_request_id"].startswith("CS-")
    root = parse_xml(httpx.get(f"{front_door.open311}/tokens/{token}.xml"))
    assert root.findtext("request/service_request_id") == resolved["service_request_id"]
    (shown,) = httpx.get(
        f"{front_door.open311}/requests/{resolved['service_request_id']}.json?extensions=true"
    ).json()
    assert shown["service_code"] == "SW-Bulk Scheduled"
    assert shown["extended_attributes"]["attributes"] == {"ITEMS": ["mattress", "appliance"]}
