"""/metrics: the Prometheus exposition, open or behind a token."""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from service.metrics import CONTENT_TYPE
from tests.service.api.support import READ, TOKENS, Api, MakeApi


def test_the_exposition_parses(sample_api: Api) -> None:
    response = sample_api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE  # the 0.0.4 text format
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert any(name.startswith("remitwatch_") for name in names)


def test_one_registry_per_app(sample_api: Api) -> None:
    registry = sample_api.app.state.metrics_registry
    assert isinstance(registry, CollectorRegistry)
    sample_api.client.get("/metrics")
    assert sample_api.app.state.metrics_registry is registry


def test_a_token_can_be_required(make_sample_api: MakeApi) -> None:
    api = make_sample_api(api={"tokens": TOKENS, "metrics_require_token": True})
    assert api.client.get("/metrics").status_code == 401
    assert api.client.get("/metrics", headers=READ).status_code == 200
