"""/api/v1/impact: the stored VAR analysis without its bulky entries."""

from __future__ import annotations

from datetime import datetime

from tests.service.api.support import READ, Api, MakeApi, error_of


def test_the_stored_var_analysis(sample_api: Api) -> None:
    response = sample_api.client.get("/api/v1/impact", headers=READ)
    assert response.status_code == 200
    body = response.json()
    run = sample_api.store.latest_model_run("var", ok_only=False)
    assert run is not None
    assert "input" not in body and "params" not in body
    shown = {k: v for k, v in body.items() if k not in ("fitted_at", "fx_stability")}
    assert shown == {k: v for k, v in run.result.items() if k not in ("input", "params")}
    assert datetime.fromisoformat(body["fitted_at"]) == run.fitted_at
    assert body["status"] == "ok"
    assert [p["horizon"] for p in body["impact"]] == list(sample_api.settings.var.impact_horizons)
    assert all(p["lower"] <= p["pct"] <= p["upper"] for p in body["impact"])
    assert {(g["cause"], g["effect"]) for g in body["granger"]} >= {("remittances", "som_usd")}
    fx = body["fx_stability"]
    last_usd = sample_api.store.series_as_of("fx.USD.D")["period"].max()
    assert fx["currency"] == "USD" and fx["as_of"] == last_usd.isoformat()  # type: ignore[union-attr]
    assert fx["realised_vol_30d"] is not None and fx["realised_vol_30d"] >= 0


def test_no_var_yet_is_404(make_empty_api: MakeApi) -> None:
    response = make_empty_api().client.get("/api/v1/impact")
    assert response.status_code == 404
    assert "remitwatch fit" in error_of(response)["message"]
