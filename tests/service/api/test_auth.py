"""Access control: which token kind opens which route under which configuration."""

from __future__ import annotations

import logging

import pytest

from config.settings import ApiToken
from service.api.auth import match_token
from tests.service.api.support import (
    ADMIN,
    ADMIN_TOKEN,
    READ,
    READ_TOKEN,
    TOKENS,
    MakeApi,
    bearer,
    error_of,
    sha256,
)

KINDS: dict[str, dict[str, str]] = {
    "none": {},
    "malformed": {"Authorization": "Basic cmVhZDpvbmx5"},
    "empty bearer": {"Authorization": "Bearer"},
    "unknown": bearer("not-a-configured-token"),
    "read": READ,
    "admin": ADMIN,
}
BAD = {"malformed": 401, "empty bearer": 401, "unknown": 401}

CONFIGS: dict[str, dict[str, object]] = {
    "tokens": {"tokens": TOKENS},
    "tokens+anonymous": {"tokens": TOKENS, "anonymous_read": True},
    "no tokens": {},
    "metrics token": {"tokens": TOKENS, "metrics_require_token": True},
}

READ_ROUTE = ("GET", "/api/v1/jobs/runs")
ADMIN_ROUTE = ("POST", "/api/v1/jobs/refit/requests")

#: (config, route) -> status by token kind.
EXPECTED: dict[tuple[str, tuple[str, str]], dict[str, int]] = {
    ("tokens", READ_ROUTE): {"none": 401, **BAD, "read": 200, "admin": 200},
    ("tokens", ADMIN_ROUTE): {"none": 401, **BAD, "read": 403, "admin": 202},
    ("tokens", ("GET", "/metrics")): dict.fromkeys(KINDS, 200),
    ("tokens+anonymous", READ_ROUTE): {"none": 200, **BAD, "read": 200, "admin": 200},
    ("tokens+anonymous", ADMIN_ROUTE): {"none": 401, **BAD, "read": 403, "admin": 202},
    # No tokens configured: reading is open, any token is unknown, admin is closed.
    ("no tokens", READ_ROUTE): {"none": 200, **BAD, "read": 401, "admin": 401},
    ("no tokens", ADMIN_ROUTE): dict.fromkeys(KINDS, 403),
    ("metrics token", ("GET", "/metrics")): {"none": 401, **BAD, "read": 200, "admin": 200},
    ("metrics token", ("GET", "/healthz")): dict.fromkeys(KINDS, 200),
    ("metrics token", ("GET", "/readyz")): dict.fromkeys(KINDS, 200),
}

CASES = [
    pytest.param(config, route, kind, status, id=f"{config}-{route[0]} {route[1]}-{kind}")
    for (config, route), by_kind in EXPECTED.items()
    for kind, status in by_kind.items()
]

#: Data freshness is tested in routes/test_health.py; here /readyz only needs the store.
NO_FRESHNESS = {"rates_max_age_hours": 0, "transfers_max_age_hours": 0}


@pytest.mark.parametrize(("config", "route", "kind", "expected"), CASES)
def test_access_matrix(
    make_empty_api: MakeApi, config: str, route: tuple[str, str], kind: str, expected: int
) -> None:
    api = make_empty_api(api=CONFIGS[config], readiness=NO_FRESHNESS)
    method, path = route
    response = api.client.request(method, path, headers=KINDS[kind])
    assert response.status_code == expected, response.text
    if expected == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    if expected in (401, 403):
        error_of(response)


def test_no_configured_tokens_explains_how_to_get_admin(make_empty_api: MakeApi) -> None:
    response = make_empty_api().client.post("/api/v1/jobs/refit/requests", headers=ADMIN)
    assert response.status_code == 403
    assert "admin token configured in api.tokens" in error_of(response)["message"]


def test_a_read_token_on_an_admin_route_is_told_the_scope(make_empty_api: MakeApi) -> None:
    api = make_empty_api(api={"tokens": TOKENS})
    response = api.client.post("/api/v1/jobs/refit/requests", headers=READ)
    assert response.status_code == 403
    assert "'grafana' has scope 'read'" in error_of(response)["message"]


@pytest.mark.parametrize(
    ("headers", "reason", "name"),
    [
        ({}, "no token", None),
        (bearer("wrong-" + ADMIN_TOKEN), "unknown token", None),
        ({"Authorization": f"Token {ADMIN_TOKEN}"}, "malformed Authorization header", None),
        (READ, "token lacks the admin scope", "grafana"),
    ],
    ids=["none", "unknown", "malformed", "wrong scope"],
)
def test_a_refusal_is_logged_without_the_token(
    make_empty_api: MakeApi,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
    reason: str,
    name: str | None,
) -> None:
    api = make_empty_api(api={"tokens": TOKENS})
    with caplog.at_level(logging.WARNING, logger="service.api.auth"):
        response = api.client.post("/api/v1/jobs/backtest/requests", headers=headers)
    assert response.status_code in (401, 403)
    [record] = [r for r in caplog.records if r.name == "service.api.auth"]
    assert record.levelno == logging.WARNING
    line = record.getMessage()
    assert "POST /api/v1/jobs/backtest/requests" in line
    assert "testclient" in line  # the client address
    assert reason in line
    if name is not None:
        assert repr(name) in line
    for secret in (READ_TOKEN, ADMIN_TOKEN, sha256(READ_TOKEN), sha256(ADMIN_TOKEN)):
        assert secret not in caplog.text
        assert secret not in response.text


def test_match_token_finds_the_configured_entry() -> None:
    tokens = tuple(ApiToken.model_validate(entry) for entry in TOKENS)
    matched = match_token(tokens, ADMIN_TOKEN)
    assert matched is not None and (matched.name, matched.scope) == ("ops", "admin")
    assert match_token(tokens, READ_TOKEN) == tokens[0]
    assert match_token(tokens, READ_TOKEN + " ") is None
    assert match_token((), READ_TOKEN) is None
