"""Property-based contract test: every operation, generated requests, no server error.

Schemathesis reads the OpenAPI document and generates requests from it, valid ones and
invalid ones, sent to the app over the fitted sample. Every response must match the
document (status, content type, body) and none may be a 5xx; invalid requests must be
refused. Admin operations are exercised with the admin token (which also reads).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from service.api import create_app
from service.store import Store
from tests.service.api.support import ADMIN, Api, settings_for


def _document() -> dict[str, Any]:
    # The document does not depend on the data: an app over a store it never opens.
    store = Store.open("sqlite://")
    try:
        return create_app(settings_for(Path("unused")), store).openapi()
    finally:
        store.close()


# One pytest test per operation and mode, each a plain hypothesis test: schemathesis'
# own @schema.parametrize() reports through subtests, whose failures pytest-xdist
# (how the suite runs) does not report.
DOCUMENT = _document()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPERATIONS = {
    f"{method.upper()} {path}": SCHEMA[path][method]
    for path, methods in DOCUMENT["paths"].items()
    for method in methods
}


def _can_be_wrong(path: str, method: str) -> bool:
    """Whether a request can break the document: a query parameter, a body, or a path
    parameter that is more than any text."""
    operation = DOCUMENT["paths"][path][method]
    return "requestBody" in operation or any(
        parameter["in"] == "query" or parameter["schema"].get("type") != "string"
        for parameter in operation.get("parameters", [])
    )


CASES = [
    pytest.param(label, mode, id=f"{label}-{mode.value}")
    for path, methods in DOCUMENT["paths"].items()
    for method in methods
    for label in [f"{method.upper()} {path}"]
    for mode in GenerationMode
    if mode is GenerationMode.POSITIVE or _can_be_wrong(path, method)
]


def _beyond_the_document(case: schemathesis.Case[Any]) -> list[schemathesis.CheckFunction]:
    """Checks a case cannot pass for reasons OpenAPI cannot state.

    `start` after `end` is valid to the document (each is a date) but refused (422).
    """
    query = case.query or {}
    start, end = query.get("start"), query.get("end")
    if isinstance(start, str) and isinstance(end, str) and start > end:
        return [positive_data_acceptance]
    return []


def test_every_route_is_exercised() -> None:
    assert len(OPERATIONS) == 18


@pytest.mark.parametrize(("label", "mode"), CASES)
def test_operation_keeps_its_contract(sample_api: Api, label: str, mode: GenerationMode) -> None:
    operation = OPERATIONS[label]
    # What schemathesis.openapi.from_asgi sets: requests, and the checks' own probes
    # (e.g. the same request without its token), go to this app.
    SCHEMA.app = operation.app = sample_api.app

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def keeps_contract(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=ADMIN, excluded_checks=_beyond_the_document(case))

    keeps_contract()
