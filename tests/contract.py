"""One schemathesis driver for the contract tests of both OpenAPI documents (the JSON API's and
Open311's): every operation's generated requests against a live server, bounded, derandomized.

schemathesis's own pytest plugin does not run under this pytest version, so each operation's
strategy is driven by hypothesis here. Schema-valid requests a server still refuses by design
(400 with the error object) are allowed: schemathesis's "positive data acceptance" check is left
out; every other check (no 5xx, status code, content type and body schema) runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

# (an operation's strategy, the operation) -> the strategy to draw from, e.g. with real ids mixed in
Prepare = Callable[[Any, Any], Any]


def fuzz_openapi(
    schema_url: str, base_url: str, *, examples: int, prepare: Prepare | None = None
) -> dict[str, set[int]]:
    """Run ``examples`` generated requests per operation; the status codes seen, by operationId
    (or path). Fails on the first answer that breaks the contract."""
    schema = schemathesis.openapi.from_url(schema_url)
    seen: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        name = str(operation.definition.raw.get("operationId") or operation.path)
        strategy = operation.as_strategy()
        if prepare is not None:
            strategy = prepare(strategy, operation)
        drive(strategy, base_url, examples, seen.setdefault(name, set()))
    return seen


def drive(strategy: Any, base_url: str, examples: int, statuses: set[int]) -> None:
    @given(case=strategy)
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    def check(case: Any) -> None:
        response = case.call_and_validate(
            base_url=base_url, timeout=60, excluded_checks=[positive_data_acceptance]
        )
        assert response.status_code < 500
        statuses.add(response.status_code)

    check()
