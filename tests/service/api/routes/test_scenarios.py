"""POST /api/v1/scenarios: projections from the stored VAR, as the command line gives them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import polars as pl
import pytest
from click.testing import CliRunner

from service.cli.main import cli
from service.store import OBSERVATION_SCHEMA, SeriesSpec, Store
from tests.fitted_sample import FittedSample
from tests.service.api.support import READ, Api, MakeApi, error_of

URL = "/api/v1/scenarios"


def _cli_scenario(sample: FittedSample, series: str, change: str, months: int) -> object:
    result = CliRunner().invoke(
        cli,
        ["scenario", "--series", series, "--change", change, "--months", str(months), "--json"],
        env={"REMITWATCH_PATHS__DATA_DIR": str(sample.data_dir), "REMITWATCH_CONFIG": ""},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("series", "change", "months"),
    [
        ("remit.in.total.M", -20.0, 3),
        ("remit.in.country.RU.M", -35.5, 6),
        ("remit.in.total.M", 10, 24),
    ],
)
def test_the_same_projection_as_the_command_line(
    sample_api: Api, fitted_sample: FittedSample, series: str, change: float, months: int
) -> None:
    body = {"series": series, "change_pct": change, "months": months}
    response = sample_api.client.post(URL, json=body, headers=READ)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload == _cli_scenario(fitted_sample, series, f"{change}%", months)
    assert payload["status"] == "ok"
    assert len(payload["points"]) == max(sample_api.settings.var.horizon, months)
    assert len(payload["changes_pct"]) == months
    assert payload["changes_pct"][0] == pytest.approx(change * payload["share"])
    if series == "remit.in.total.M":
        assert payload["share"] == 1.0


def test_no_change_is_the_baseline(sample_api: Api) -> None:
    # 1.0 months is one month (JSON does not tell 1 from 1.0).
    response = sample_api.client.post(URL, json={"change_pct": 0, "months": 1.0}, headers=READ)
    assert response.status_code == 200 and response.json()["months"] == 1
    points = response.json()["points"]
    assert all(p["projected"] == pytest.approx(p["baseline"]) for p in points)
    assert all(p["lower"] < p["projected"] < p["upper"] for p in points)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"change_pct": -100}, "change_pct"),
        ({"change_pct": 1000.5}, "change_pct"),
        ({"change_pct": -10, "months": 0}, "months"),
        ({"change_pct": -10, "months": 37}, "months"),
        ({"months": 3}, "change_pct"),
        ({"change_pct": -10, "colour": "red"}, "colour"),
        ({"change_pct": -10, "series": "fx.USD.M"}, "series"),
        ({"change_pct": -10, "series": "remit.in.total.D"}, "series"),
        ({"change_pct": True}, "change_pct"),
        ({"change_pct": "-10"}, "change_pct"),
        ({"change_pct": -10, "months": True}, "months"),
        ({"change_pct": -10, "months": 2.5}, "months"),
    ],
)
def test_an_impossible_scenario_is_422(
    sample_api: Api, body: dict[str, object], named: str
) -> None:
    response = sample_api.client.post(URL, json=body, headers=READ)
    assert response.status_code == 422
    assert f"'{named}'" in error_of(response)["message"]


def test_an_unknown_series_is_404(sample_api: Api) -> None:
    body = {"series": "remit.in.country.XX.M", "change_pct": -10}
    response = sample_api.client.post(URL, json=body, headers=READ)
    assert response.status_code == 404
    assert "remit.in.country.XX.M" in error_of(response)["message"]


def test_without_a_var_the_projection_is_refused(
    make_empty_api: MakeApi, empty_store: Store
) -> None:
    spec = SeriesSpec("remit.in.total.M", "remittance", "M", "USD", {}, "Total inflows")
    frame = pl.DataFrame(
        {
            "key": ["remit.in.total.M"] * 12,
            "period": [date(2024, month, 1) for month in range(1, 13)],
            "value": [1e8] * 12,
        },
        schema=OBSERVATION_SCHEMA,
    )
    empty_store.write_series([spec], frame, datetime.now(UTC))
    response = make_empty_api().client.post(URL, json={"change_pct": -10})
    assert response.status_code == 409
    assert "no VAR fitted yet" in error_of(response)["message"]
    empty_store.record_model_run(
        series_key="var",
        kind="var",
        status="insufficient_data",
        reason="40 months of data, 60 needed",
        spec=None,
        params=None,
        result={"status": "insufficient_data", "reason": "40 months of data, 60 needed"},
        last_period=None,
        data_as_of=None,
        fitted_at=datetime.now(UTC),
        seconds=0.1,
    )
    response = make_empty_api().client.post(URL, json={"change_pct": -10})
    assert response.status_code == 409
    assert "40 months of data, 60 needed" in error_of(response)["message"]
