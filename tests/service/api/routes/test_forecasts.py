"""/api/v1/series/{key}/forecast: the stored forecast with its bands."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.service.api.support import READ, Api, error_of


@pytest.mark.parametrize("key", ["remit.in.total.M", "remit.in.country.RU.M"])
def test_the_latest_stored_forecast(sample_api: Api, key: str) -> None:
    response = sample_api.client.get(f"/api/v1/series/{key}/forecast", headers=READ)
    assert response.status_code == 200
    body = response.json()
    stored = sample_api.store.latest_forecast(key)
    assert stored is not None
    assert datetime.fromisoformat(body["made_at"]) == datetime.fromisoformat(stored["made_at"])
    assert {k: body[k] for k in ("series", "origin", "model", "points")} == {
        k: stored[k] for k in ("series", "origin", "model", "points")
    }
    assert len(body["points"]) == sample_api.settings.models.forecast_horizon
    for point in body["points"]:
        assert point["lower_95"] <= point["lower_80"] <= point["mean"]
        assert point["mean"] <= point["upper_80"] <= point["upper_95"]


def test_a_series_without_a_model_says_to_fit(sample_api: Api) -> None:
    response = sample_api.client.get("/api/v1/series/fx.USD.D/forecast", headers=READ)
    assert response.status_code == 404
    assert "remitwatch fit --series fx.USD.D" in error_of(response)["message"]


def test_an_unknown_series_is_404(sample_api: Api) -> None:
    response = sample_api.client.get("/api/v1/series/no.such.M/forecast", headers=READ)
    assert response.status_code == 404
    assert "unknown series 'no.such.M'" in error_of(response)["message"]
