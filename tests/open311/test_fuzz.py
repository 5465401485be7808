"""schemathesis against the Open311 server's own OpenAPI document, on the live server over the real
service list: no 5xx, and every answer conforms (status code, content type, body schema).

Half the POSTs carry the real api_key and a real service code, so the fuzzing reaches location,
description and attribute validation instead of stopping at 403. A bounded run: a contract check,
not a load test (the driver is :mod:`tests.contract`, shared with the API v1 contract test).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.contract import fuzz_openapi
from tests.open311.conftest import FrontDoor

EXAMPLES = 40
FREE_TEXT = (
    "description",
    "address_string",
    "address_id",
    "first_name",
    "last_name",
    "device_id",
    "account_id",
)
REAL_CODES = [
    "TRM-Pothole Repair",
    "SW-Dirty Alley",
    "SW-Bulk Scheduled",
    "SW-Dirty Street",
    "SW-Dirty Street",
]


def with_real_values(strategy: Any, operation_id: str, key: str) -> Any:
    if operation_id == "createRequest":

        def fill(case: Any, real: bool, code: str, placed: bool) -> Any:
            if real and isinstance(case.body, dict):
                case.body = {**case.body, "api_key": key, "service_code": code}
                if placed:  # a real place; free-text fields stay fuzzed, checked ones are dropped
                    kept = {k: v for k, v in case.body.items() if k in FREE_TEXT}
                    case.body = {
                        **kept,
                        "api_key": key,
                        "service_code": code,
                        "lat": "39.2904",
                        "long": "-76.6122",
                    }
            return case

        return st.builds(fill, strategy, st.booleans(), st.sampled_from(REAL_CODES), st.booleans())
    if operation_id == "getServiceDefinition":

        def pick(case: Any, real: bool, code: str) -> Any:
            if real:
                case.path_parameters["service_code"] = code
            return case

        return st.builds(pick, strategy, st.booleans(), st.sampled_from(REAL_CODES))
    return strategy


def test_open311_conforms_to_its_openapi(front_door: FrontDoor) -> None:
    seen = fuzz_openapi(
        f"{front_door.open311}/openapi.json",
        front_door.open311,
        examples=EXAMPLES,
        prepare=lambda strategy, operation: with_real_values(
            strategy, operation.definition.raw["operationId"], front_door.api_key
        ),
    )
    assert set(seen) == {
        "discovery",
        "listServices",
        "getServiceDefinition",
        "listRequests",
        "createRequest",
        "getRequest",
        "getToken",
    }
    assert 201 in seen["createRequest"] and 403 in seen["createRequest"], seen
    assert 200 in seen["getServiceDefinition"] and 404 in seen["getServiceDefinition"], seen
