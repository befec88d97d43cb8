"""Every error is JSON with a status and a clear message; causes stay in the log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.api import create_app
from service.api.errors import validation_message
from service.store import Store
from tests.service.api.support import MakeApi, error_of, settings_for, unreachable_url


def test_a_bad_parameter_names_it_and_what_was_expected(make_empty_api: MakeApi) -> None:
    response = make_empty_api().client.get("/api/v1/jobs/runs", params={"offset": "soon"})
    assert response.status_code == 422
    error = error_of(response)
    assert error["message"].startswith("invalid request: query parameter 'offset'")
    assert "valid integer" in error["message"] and "'soon'" in error["message"]
    [detail] = error["details"]
    assert detail["loc"] == ["query", "offset"] and detail["type"] == "int_parsing"


def test_a_limit_above_the_page_size_is_refused(make_empty_api: MakeApi) -> None:
    client = make_empty_api(api={"max_page_size": 50}).client
    assert client.get("/api/v1/jobs/runs", params={"limit": 50}).status_code == 200
    response = client.get("/api/v1/jobs/runs", params={"limit": 51})
    assert response.status_code == 422
    assert "'limit'" in error_of(response)["message"]
    assert "less than or equal to 50" in error_of(response)["message"]
    assert client.get("/api/v1/jobs/runs", params={"limit": 0}).status_code == 422
    # No limit given: the default page, cut to the largest page allowed.
    assert client.get("/api/v1/jobs/runs").json()["limit"] == 50


def test_a_bad_body_names_the_field(make_empty_api: MakeApi) -> None:
    response = make_empty_api().client.post(
        "/api/v1/scenarios", json={"change_pct": -150, "months": 3}
    )
    assert response.status_code == 422
    message = error_of(response)["message"]
    assert "body field 'change_pct'" in message and "greater than -100" in message


def test_validation_message_joins_every_error() -> None:
    message = validation_message(
        [
            {"loc": ("query", "start"), "msg": "Input should be a valid date", "input": "x"},
            {"loc": ("body",), "msg": "Field required", "input": None},
        ]
    )
    assert message == (
        "invalid request: query parameter 'start': Input should be a valid date (got 'x'); "
        "the body: Field required"
    )


def test_an_unexpected_error_is_a_generic_logged_500(
    make_empty_api: MakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    api = make_empty_api()

    def broken() -> None:
        raise RuntimeError("secret detail sk-12345")

    api.app.add_api_route("/broken", broken)
    with caplog.at_level(logging.ERROR, logger="service.api.errors"):
        response = api.client.get("/broken")
    assert response.status_code == 500
    assert "internal error" in error_of(response)["message"]
    assert "sk-12345" not in response.text and "Traceback" not in response.text
    [record] = [r for r in caplog.records if r.name == "service.api.errors"]
    assert "GET /broken" in record.getMessage()
    assert record.exc_info is not None and "sk-12345" in str(record.exc_info[1])


PASSWORD = "hunter2-do-not-show"


@pytest.fixture
def unreachable(tmp_path: Path) -> Iterator[TestClient]:
    """An app over a PostgreSQL store nobody answers for (the password must not leak)."""
    store = Store.open(unreachable_url(PASSWORD))
    app = create_app(settings_for(tmp_path), store)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    store.close()


@pytest.mark.parametrize(
    "path", ["/api/v1/series", "/api/v1/jobs/requests/1", "/api/v1/shocks", "/api/v1/impact"]
)
def test_an_unreachable_store_is_a_503(unreachable: TestClient, path: str) -> None:
    response = unreachable.get(path)
    assert response.status_code == 503
    assert "store cannot be reached" in error_of(response)["message"]
    assert PASSWORD not in response.text and "127.0.0.1" not in response.text
    assert response.headers["retry-after"] == "30"


def test_liveness_does_not_need_the_store(unreachable: TestClient) -> None:
    assert unreachable.get("/healthz").json() == {"status": "ok"}


def test_a_body_that_is_not_json_is_a_400(make_empty_api: MakeApi) -> None:
    response = make_empty_api().client.post(
        "/api/v1/scenarios", content=b"\xff{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "could not be read as JSON" in error_of(response)["message"]
    broken = make_empty_api().client.post(
        "/api/v1/scenarios", content=b"{bad", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert error_of(broken)["message"] == (
        "invalid request: the body is not valid JSON at character 1: "
        "Expecting property name enclosed in double quotes"
    )
