"""The application factory: the route surface, the OpenAPI page, and a real server."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from importlib.metadata import version

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from tests.service.api.support import ADMIN, READ, TOKENS, Api, MakeApi, error_of

#: The public route surface: a rename must be a visible decision.
ROUTES = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/series"),
    ("GET", "/api/v1/series/{key}/observations"),
    ("GET", "/api/v1/series/{key}/forecast"),
    ("GET", "/api/v1/shocks"),
    ("GET", "/api/v1/impact"),
    ("POST", "/api/v1/scenarios"),
    ("GET", "/api/v1/backtests"),
    ("GET", "/api/v1/jobs/runs"),
    ("POST", "/api/v1/jobs/{job}/requests"),
    ("GET", "/api/v1/jobs/requests"),
    ("GET", "/api/v1/jobs/requests/{request_id}"),
    ("GET", "/api/v1/quarantine"),
    ("GET", "/api/v1/reports"),
    ("GET", "/api/v1/reports/latest"),
    ("GET", "/api/v1/reports/{name}"),
}

LISTS = {
    "/api/v1/series",
    "/api/v1/series/{key}/observations",
    "/api/v1/shocks",
    "/api/v1/backtests",
    "/api/v1/jobs/runs",
    "/api/v1/jobs/requests",
    "/api/v1/quarantine",
    "/api/v1/reports",
}


def test_the_route_surface_is_pinned(sample_api: Api) -> None:
    paths = sample_api.app.openapi()["paths"]
    found = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert found == ROUTES


def test_openapi_describes_the_api(sample_api: Api) -> None:
    response = sample_api.client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "remitwatch"
    assert schema["info"]["version"] == version("remitwatch")
    assert "som/US dollar" in schema["info"]["description"]
    scheme = schema["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "Authorization: Bearer" in scheme["description"]
    for path in LISTS:
        [limit] = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "limit"]
        assert limit["schema"]["maximum"] == sample_api.settings.api.max_page_size
    admin = schema["paths"]["/api/v1/jobs/{job}/requests"]["post"]
    assert admin["security"] == [{"bearer": []}]
    job = next(p for p in admin["parameters"] if p["name"] == "job")
    assert set(job["schema"]["enum"]) == {
        "ingest_rates",
        "ingest_transfers",
        "score",
        "refit",
        "backtest",
    }


def test_the_docs_page_is_served(sample_api: Api) -> None:
    response = sample_api.client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "/openapi.json" in response.text


def test_the_docs_page_needs_no_network(sample_api: Api) -> None:
    page = sample_api.client.get("/docs").text
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    assert assets and all(url.startswith("/docs/static/") for url in assets), assets
    for url in assets:
        response = sample_api.client.get(url)
        assert response.status_code == 200 and len(response.content) > 100, url
    assert "validatorUrl" in page  # the online validator is switched off


def test_an_unknown_route_is_a_json_404(sample_api: Api) -> None:
    response = sample_api.client.get("/api/v1/nothing-here", headers=READ)
    assert response.status_code == 404
    assert "/api/v1/nothing-here" in error_of(response)["message"]


def test_a_wrong_method_is_a_json_405(sample_api: Api) -> None:
    response = sample_api.client.delete("/api/v1/series", headers=READ)
    assert response.status_code == 405
    message = error_of(response)["message"]
    assert "DELETE" in message and "GET" in message
    assert "GET" in response.headers["allow"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(make_sample_api: MakeApi) -> Iterator[str]:
    """The app in a real uvicorn server on 127.0.0.1; yields its base URL."""
    app: FastAPI = make_sample_api(api={"tokens": TOKENS}).app
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)
    assert not thread.is_alive()


@pytest.mark.integration
def test_a_real_server_answers(served: str) -> None:
    with httpx.Client(base_url=served, timeout=30) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json()["ready"] is True
        series = client.get("/api/v1/series", params={"prefix": "remit.in.total"}, headers=READ)
        assert series.status_code == 200
        assert {item["key"] for item in series.json()["items"]} == {
            "remit.in.total.D",
            "remit.in.total.W",
            "remit.in.total.M",
        }
        assert client.get("/api/v1/series").status_code == 401
        assert client.post("/api/v1/jobs/score/requests", headers=ADMIN).status_code == 202
        metrics = client.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        families = list(text_string_to_metric_families(metrics.text))
        assert any(family.name.startswith("remitwatch_") for family in families)


def test_the_document_says_which_routes_need_a_token(make_sample_api: MakeApi) -> None:
    def security(api: Api, method: str, path: str) -> object:
        return api.app.openapi()["paths"][path][method].get("security")

    closed = make_sample_api(api={"tokens": TOKENS, "metrics_require_token": True})
    assert security(closed, "get", "/api/v1/series") == [{"bearer": []}]
    assert security(closed, "post", "/api/v1/scenarios") == [{"bearer": []}]
    assert security(closed, "get", "/metrics") == [{"bearer": []}]
    assert security(closed, "get", "/healthz") is None
    anonymous = make_sample_api(api={"tokens": TOKENS, "anonymous_read": True})
    assert security(anonymous, "get", "/api/v1/series") == [{}, {"bearer": []}]
    assert security(anonymous, "post", "/api/v1/scenarios") == [{}, {"bearer": []}]
    assert security(anonymous, "post", "/api/v1/jobs/{job}/requests") == [{"bearer": []}]
    assert security(anonymous, "get", "/metrics") is None
