"""Every operation of the OpenAPI document (so a route added later is covered too): token
checks, and hostile strings in every parameter on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from service.api.auth import SCOPE_KEY
from service.store import Store
from service.store.schema import metadata
from tests.service.api.support import ADMIN, READ, TOKENS, Api, MakeApi, error_of

#: Routes open without a token whatever the configuration (metrics: by default).
OPEN = {"/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"}
#: A plausible value for each path parameter.
PATH_VALUES = {
    "key": "remit.in.total.M",
    "job": "refit",
    "request_id": "1",
    "name": "remittance-monitor-2026-07.html",
}
INJECTIONS = (
    "' OR '1'='1",
    "1; DROP TABLE observations; --",
    "remit.in.total.M' UNION SELECT sha256 FROM received_files --",
    '"; DELETE FROM job_runs; --',
    "%' AND 1=1 --",
    "\\x00\\'",
)
LEAKS = re.compile(r"sqlite3|psycopg|syntax error|OperationalError|Traceback", re.I)


def _operations(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in api.app.openapi()["paths"].items()
        for method, operation in item.items()
    ]


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path)


def test_every_route_but_the_open_ones_asks_for_a_token(make_empty_api: MakeApi) -> None:
    api = make_empty_api(api={"tokens": TOKENS})
    operations = _operations(api)
    assert len(operations) >= 18
    for method, path, operation in operations:
        if path in OPEN:
            continue
        response = api.client.request(method, _url(path))
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.headers["www-authenticate"].startswith("Bearer")
        error_of(response)
        read = api.client.request(method, _url(path), headers=READ)
        if operation.get(SCOPE_KEY) == "admin":
            assert read.status_code == 403, (method, path)
        else:
            assert read.status_code not in (401, 403), (method, path, read.status_code)


def _counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as connection:
        return {
            name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in metadata.tables.items()
        }


def _parameters(operation: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["in"], p["name"]) for p in operation.get("parameters", []) if p["in"] != "header"]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_hostile_strings_in_every_parameter_change_nothing(
    make_store_api: MakeApi, payload: str
) -> None:
    api = make_store_api(api={"tokens": TOKENS, "rate_limit_per_second": 0})
    before = _counts(api.store)
    tried = 0
    for method, path, operation in _operations(api):
        for where, name in _parameters(operation):
            url = _url(path)
            params: dict[str, Any] = {}
            if where == "path":
                url = _url(path.replace("{" + name + "}", "\0")).replace("\0", payload)
            else:
                params[name] = payload
            response = api.client.request(method, url, params=params, headers=ADMIN)
            tried += 1
            assert response.status_code < 500, (method, path, name, response.text)
            assert not LEAKS.search(response.text), (method, path, name, response.text)
    assert tried > 30
    after = _counts(api.store)
    # Admin POSTs may queue job requests (a refused payload queues nothing); nothing
    # else is written, and nothing is ever deleted.
    assert {k: v for k, v in after.items() if k != "job_requests"} == {
        k: v for k, v in before.items() if k != "job_requests"
    }
    assert after["job_requests"] >= before["job_requests"]
