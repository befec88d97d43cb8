"""The model jobs over a real store: the bundled sample's episodes, contracts, replay, scoring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config import Settings
from jobs.executor import InlineExecutor
from jobs.ingest_sample import ingest_sample
from jobs.ingest_transfers import ingest_transfers
from jobs.refit import run_models
from jobs.replay import replay
from jobs.score import score_models
from service.store import Store

TOTAL = "remit.in.total.M"
KEYS = (TOTAL, "remit.in.country.RU.M", "remit.in.country.KZ.M")
REMITWATCH = str(Path(sys.executable).parent / "remitwatch")


@dataclass
class Fitted:
    store: Store
    settings: Settings
    data_dir: Path
    fitted_at: datetime


def _settings(data_dir: Path) -> Settings:
    # A small grid and few bootstrap replications keep the suite quick; the statistics
    # of each model are tested in tests/models against statsmodels itself.
    return Settings(
        paths={"data_dir": data_dir},
        models={
            "orders": [[0, 1, 1], [1, 1, 0]],
            "seasonal_orders": [[0, 1, 1]],
            "top_countries": 2,
            "top_systems": 1,
        },
        var={"bootstrap_reps": 50},
        backtest={"origins": 12},
        compute={"workers": 1},
    )


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fitted]:
    """The bundled sample ingested and its models fitted, once for this module."""
    data_dir = tmp_path_factory.mktemp("sample") / "var"
    settings = _settings(data_dir)
    store = Store.open(settings.database_url)
    store.upgrade()
    assert not ingest_sample(store, settings).failed
    report = run_models(store, settings, mode="select", executor=InlineExecutor())
    assert not report.failed, report.errors
    yield Fitted(store, settings, data_dir, datetime.now(UTC))
    store.close()


def _cli(fitted: Fitted, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REMITWATCH_")}
    environment["REMITWATCH_PATHS__DATA_DIR"] = str(fitted.data_dir)
    return subprocess.run(
        [REMITWATCH, *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def test_the_sample_episodes_of_2015_and_2020_are_shocks(fitted: Fitted) -> None:
    events = fitted.store.shock_events(series_key=TOTAL)
    peaks = {event["period"][:7] for event in events}
    assert any(p.startswith("2015-0") for p in peaks), peaks  # the rouble collapse
    assert "2020-04" in peaks or "2020-03" in peaks, peaks  # the pandemic trough
    april_2020 = next(e for e in events if e["start"] <= "2020-04-01" <= (e["end"] or "9"))
    assert april_2020["zscore"] < -2.5 and april_2020["observed"] < april_2020["expected"]
    names = [c["name"] for c in april_2020["contributors"]]
    assert names and names[0] == "RU"  # Russia carries most of the fall


def test_the_modelled_series_are_the_total_and_the_top_components(fitted: Fitted) -> None:
    fitted_keys = {run.series_key for run in fitted.store.model_runs(limit=50)}
    assert set(KEYS) | {"remit.in.system.ZOLOTAYA_KORONA.M", "var"} >= fitted_keys >= set(KEYS)


def test_forecast_contract(fitted: Fitted) -> None:
    result = _cli(fitted, "forecast", TOTAL, "--horizon", "6", "--json")
    assert result.returncode == 0, result.stderr
    forecast = json.loads(result.stdout)
    assert forecast["series"] == TOTAL and set(forecast["model"]) >= {"order", "seasonal_order"}
    assert len(forecast["points"]) == 6
    for point in forecast["points"]:
        assert point["lower_95"] < point["lower_80"] < point["mean"] < point["upper_80"]
        assert point["upper_80"] < point["upper_95"]
    stored = fitted.store.latest_forecast(TOTAL)
    assert stored is not None and len(stored["points"]) == fitted.settings.models.forecast_horizon


def test_shocks_impact_backtest_and_scenario_contracts(fitted: Fitted) -> None:
    shocks = json.loads(_cli(fitted, "shocks", "--json").stdout)
    assert shocks["events"]
    assert set(shocks["events"][0]) >= {
        "series",
        "period",
        "observed",
        "expected",
        "zscore",
        "severity",
        "status",
        "contributors",
    }
    impact = json.loads(_cli(fitted, "impact", "--json").stdout)
    assert set(impact) >= {"variables", "lags", "impact", "granger", "fevd", "irf"}
    assert [p["horizon"] for p in impact["impact"]] == [1, 3, 6, 12]
    assert impact["lags"] >= 1
    backtest = json.loads(_cli(fitted, "backtest", "--json").stdout)
    assert "var.som_usd" in {model["series"] for model in backtest["models"]}
    for model in backtest["models"]:
        assert set(model) >= {
            "series",
            "mase",
            "coverage_80",
            "coverage_95",
            "false_alarms_per_year",
            "beats_seasonal_naive",
        }
    scenario = _cli(
        fitted,
        "scenario",
        "--series",
        "remit.in.country.RU.M",
        "--change",
        "-20%",
        "--months",
        "3",
        "--json",
    )
    assert scenario.returncode == 0, scenario.stderr
    projection = json.loads(scenario.stdout)
    assert 0.5 < projection["share"] < 1.0
    assert len(projection["points"]) >= 3


def test_readable_tables(fitted: Fitted) -> None:
    for args in (("shocks",), ("impact",), ("backtest",), ("forecast", TOTAL)):
        result = _cli(fitted, *args)
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.splitlines()) >= 2


def test_replay_as_of_shows_what_was_known_then(fitted: Fitted) -> None:
    # Before any data for 2020 was known, the pandemic trough cannot be an event.
    before = replay(fitted.store, fitted.settings, datetime(2000, 1, 1, tzinfo=UTC), backtest=False)
    assert all(not outcome.events for outcome in before)
    now = replay(fitted.store, fitted.settings, fitted.fitted_at, backtest=False)
    total = next(o for o in now if o.key == TOTAL)
    assert any(e.period.isoformat().startswith("2020-0") for e in total.events)
    assert all(e.contributors for e in total.events)  # replayed as raised, with the causes


def test_a_new_month_far_below_normal_opens_an_event_on_scoring(
    fitted: Fitted, tmp_path: Path
) -> None:
    # September 2026 from one bank only: a collapse of inflows against the forecast.
    inbox = fitted.settings.paths.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    rows = ["report_date,bank_code,system,country,direction,currency,amount,count"]
    rows += [f"2026-09-{day:02d},BANK01,CONTACT,RU,in,USD,1000.00,3" for day in range(1, 31)]
    (inbox / "september.csv").write_text("\n".join(rows) + "\n")
    # Reports must cover August to its end before August counts as a complete month.
    (inbox / "august-end.csv").write_text(
        rows[0]
        + "\n"
        + "\n".join(f"2026-08-{day},BANK01,CONTACT,RU,in,USD,1.00,1" for day in range(23, 32))
        + "\n"
    )
    assert not ingest_transfers(fitted.store, fitted.settings).failed
    report = score_models(fitted.store, fitted.settings)
    assert [row["series"] for row in report.series]
    opened = fitted.store.shock_events(series_key=TOTAL, status="open")
    assert opened and opened[0]["period"] == "2026-09-01"
    assert opened[0]["severity"] == "critical"
