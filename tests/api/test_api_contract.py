"""A bounded schemathesis run against the live servers (the demo city and Baltimore's real data): for every operation of the OpenAPI
document, generated requests get no 5xx, and every answer conforms to the document (status code,
content type, body schema).

Path parameters are drawn half from real ids (so the query parameters are fuzzed against real
measures, agencies and areas) and half as schemathesis generates them (mostly unknown ids: 404).
Schema-valid requests the API still refuses (a range ending before it starts, a cursor it did not
give out, a grain the measure has no values at) are answered 400 with the error object by
design (see :mod:`tests.contract`, the driver). Few examples per operation: a contract check,
not a load test."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import strategies as st

from tests.contract import fuzz_openapi

PREFIX = "/api/v1"
EXAMPLES = 10


def read_real_ids(base: str) -> dict[str, list[Any]]:
    with httpx.Client(base_url=base + PREFIX, timeout=60) as client:
        measures = [m["id"] for m in client.get("/measures", params={"limit": 500}).json()["items"]]
        agencies = [a["id"] for a in client.get("/agencies").json()["items"]]
        layers = [layer["layer"] for layer in client.get("/areas").json()["items"]]
        areas = [(a["layer"], a["area_id"]) for a in client.get("/areas/csa").json()["items"][:4]]
    return {"measure_id": measures[:8], "agency_id": agencies, "layer": layers, "area": areas}


def with_real_ids(strategy: Any, path: str, ids: dict[str, list[Any]]) -> Any:
    """``strategy``'s cases, half of them with real ids in the path."""
    names = [
        n for n in ("measure_id", "agency_id", "area") if "{" + ("area_id" if n == "area" else n) in path
    ]
    if "{layer}" in path and "{area_id}" not in path:
        names.append("layer")
    if not names:
        return strategy

    def replace(case: Any, picked: tuple[Any, ...], real: bool) -> Any:
        if real:
            for name, value in zip(names, picked, strict=True):
                if name == "area":
                    case.path_parameters["layer"], case.path_parameters["area_id"] = value
                else:
                    case.path_parameters[name] = value
        return case

    return st.builds(replace, strategy, st.tuples(*(st.sampled_from(ids[n]) for n in names)), st.booleans())


@pytest.mark.parametrize("server", ["demo_api", "real_api"])
def test_api_conforms_to_its_openapi(server: str, request: pytest.FixtureRequest) -> None:
    base: str = request.getfixturevalue(server)
    ids = read_real_ids(base)
    seen = fuzz_openapi(
        f"{base}{PREFIX}/openapi.json",
        base,
        examples=EXAMPLES,
        prepare=lambda strategy, operation: with_real_ids(strategy, operation.path, ids),
    )
    assert len(seen) == 17
    # Real ids were reached: every operation answered 200 at least once.
    assert [name for name, statuses in seen.items() if 200 not in statuses] == [], seen
