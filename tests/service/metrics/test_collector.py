"""The Prometheus collector over the fitted sample: every figure checked against the store."""

from __future__ import annotations

import math
import shutil
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from jobs.fx import fx_stability_of
from jobs.job_run import run_recorded
from jobs.refit import ModelReport
from jobs.tasks import build_task
from models.forecast import Z_80, Z_95, one_step_ahead, usd_mean, usd_quantile
from service.metrics import CATALOGUE, CONTENT_TYPE, make_registry, render
from service.store import OfficialRate, ReceivedFile, Store
from tests.fitted_sample import FittedSample, sample_settings

#: Every metric remitwatch exposes: renaming one is a visible decision (alerts, dashboards).
PINNED_NAMES = {
    "remitwatch_info",
    "remitwatch_store_up",
    "remitwatch_metrics_snapshot_seconds",
    "remitwatch_metrics_snapshot_age_seconds",
    "remitwatch_metrics_series_omitted",
    "remitwatch_remittance_inflow_usd",
    "remitwatch_series_period_timestamp_seconds",
    "remitwatch_remittance_forecast_usd",
    "remitwatch_remittance_next_forecast_usd",
    "remitwatch_remittance_next_forecast_period_timestamp_seconds",
    "remitwatch_shock_zscore",
    "remitwatch_shock_events_open",
    "remitwatch_model_mase",
    "remitwatch_model_interval_coverage_ratio",
    "remitwatch_model_beats_seasonal_naive",
    "remitwatch_model_last_fit_timestamp_seconds",
    "remitwatch_model_last_fit_ok",
    "remitwatch_model_last_success_timestamp_seconds",
    "remitwatch_impact_pct",
    "remitwatch_impact_band_pct",
    "remitwatch_granger_pvalue",
    "remitwatch_fx_rate_som",
    "remitwatch_fx_volatility_ratio",
    "remitwatch_job_last_success_timestamp_seconds",
    "remitwatch_job_last_failure_timestamp_seconds",
    "remitwatch_job_last_run_failed",
    "remitwatch_job_running",
    "remitwatch_job_runs_total",
    "remitwatch_job_duration_seconds",
    "remitwatch_ingest_rows_total",
    "remitwatch_ingest_files_total",
    "remitwatch_data_age_seconds",
    "remitwatch_data_latest_date_timestamp_seconds",
    "remitwatch_remittance_periods_below_band",
    "remitwatch_shock_threshold_z",
    "remitwatch_shock_direction",
    "remitwatch_data_max_age_seconds",
}
TOTAL = "remit.in.total.M"
BOUNDS = ("mean", "lower_80", "upper_80", "lower_95", "upper_95")


class Clock:
    """A settable UTC clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


Samples = dict[str, dict[frozenset[tuple[str, str]], float]]


def scrape(registry: CollectorRegistry) -> Samples:
    """{exposition sample name: {label set: value}} of one scrape."""
    found: Samples = {}
    for family in text_string_to_metric_families(render(registry).decode()):
        found.setdefault(family.name + ("_total" if family.type == "counter" else ""), {})
        for sample in family.samples:
            labels = frozenset(sample.labels.items())
            found.setdefault(sample.name, {})[labels] = sample.value
    return found


def one(samples: Samples, name: str, **labels: str) -> float:
    return samples[name][frozenset(labels.items())]


def label_values(samples: Samples, name: str, label: str) -> set[str]:
    return {dict(key)[label] for key in samples.get(name, {})}


@pytest.fixture(scope="module")
def sample(fitted_sample: FittedSample) -> Samples:
    return scrape(make_registry(fitted_sample.store, fitted_sample.settings))


def test_the_metric_names_are_pinned(sample: Samples) -> None:
    assert {spec.name for spec in CATALOGUE} == PINNED_NAMES
    assert len(CATALOGUE) == len(PINNED_NAMES)
    exposed = {name for name in sample if name.startswith("remitwatch_")}
    histogram_parts = {f"remitwatch_job_duration_seconds_{p}" for p in ("bucket", "count", "sum")}
    assert exposed - histogram_parts == PINNED_NAMES
    assert "process_cpu_seconds_total" in sample and "python_info" in sample
    assert CONTENT_TYPE.startswith("text/plain; version=0.0.4")


def test_series_figures_are_those_of_the_scored_period(
    fitted_sample: FittedSample, sample: Samples
) -> None:
    store, settings = fitted_sample.store, fitted_sample.settings
    series = label_values(sample, "remitwatch_remittance_inflow_usd", "series")
    assert TOTAL in series and len(series) == 4
    for key in series:
        run = store.latest_model_run(key)
        assert run is not None
        period = date.fromisoformat(run.result["last_scored"]["period"])
        observed = store.series_as_of(key).filter(pl.col("period") == period)["value"].item()
        assert one(sample, "remitwatch_remittance_inflow_usd", series=key) == observed
        start = datetime(period.year, period.month, period.day, tzinfo=UTC).timestamp()
        assert one(sample, "remitwatch_series_period_timestamp_seconds", series=key) == start
        # The band of the same period, recomputed from the stored fit with the models.
        task = build_task(store, settings, key, "update")
        assert task.previous is not None
        steps = one_step_ahead(task.previous, task.series, exog=task.exog)
        assert steps.periods[-1] == period
        mu, std = steps.mean_log[-1:], steps.std_log[-1:]
        expected = {
            "mean": usd_mean(mu, std, True)[0],
            "lower_80": usd_quantile(mu, std, -Z_80, True)[0],
            "upper_80": usd_quantile(mu, std, Z_80, True)[0],
            "lower_95": usd_quantile(mu, std, -Z_95, True)[0],
            "upper_95": usd_quantile(mu, std, Z_95, True)[0],
        }
        for bound, value in expected.items():
            exposed = one(sample, "remitwatch_remittance_forecast_usd", series=key, bound=bound)
            assert exposed == pytest.approx(value, rel=1e-6)
        zscore = one(sample, "remitwatch_shock_zscore", series=key)
        assert zscore == pytest.approx(steps.zscores[-1], rel=1e-9)
        # Trailing periods below their own 95% band, counted from the recomputed bands.
        lows = usd_quantile(steps.mean_log, steps.std_log, -Z_95, True)
        observed_usd = task.series.values[-len(lows) :]
        below = 0
        while below < len(lows) and observed_usd[-1 - below] < lows[-1 - below]:
            below += 1
        assert one(sample, "remitwatch_remittance_periods_below_band", series=key) == below
        first = (store.latest_forecast(key) or {})["points"][0]
        for bound in BOUNDS:
            exposed = one(
                sample, "remitwatch_remittance_next_forecast_usd", series=key, bound=bound
            )
            assert exposed == first[bound]
    # The sample's last month is still in progress: it is forecast, never exposed as inflow.
    last_observed = store.series_as_of(TOTAL)["period"].max()
    assert last_observed == date(2026, 8, 1)
    assert one(sample, "remitwatch_series_period_timestamp_seconds", series=TOTAL) == (
        datetime(2026, 7, 1, tzinfo=UTC).timestamp()
    )
    assert one(
        sample, "remitwatch_remittance_next_forecast_period_timestamp_seconds", series=TOTAL
    ) == (datetime(2026, 8, 1, tzinfo=UTC).timestamp())


def test_alert_thresholds_are_those_of_the_configuration(
    fitted_sample: FittedSample, sample: Samples
) -> None:
    settings = fitted_sample.settings
    assert one(sample, "remitwatch_shock_threshold_z", severity="warning") == (
        settings.shocks.warning_z
    )
    assert one(sample, "remitwatch_shock_threshold_z", severity="critical") == (
        settings.shocks.critical_z
    )
    for source, hours in (
        ("rates", settings.readiness.rates_max_age_hours),
        ("transfers", settings.readiness.transfers_max_age_hours),
    ):
        assert one(sample, "remitwatch_data_max_age_seconds", source=source) == hours * 3600


@pytest.mark.parametrize(("direction", "value"), [("down", -1.0), ("both", 0.0), ("up", 1.0)])
def test_the_shock_direction_is_that_of_the_configuration(
    fitted_sample: FittedSample, direction: str, value: float
) -> None:
    settings = sample_settings(fitted_sample.data_dir, shocks={"direction": direction})
    assert settings.shocks.direction == direction
    samples = scrape(make_registry(fitted_sample.store, settings))
    assert samples["remitwatch_shock_direction"] == {frozenset(): value}


def test_the_default_shock_direction_is_both(sample: Samples) -> None:
    assert sample["remitwatch_shock_direction"] == {frozenset(): 0.0}


def test_a_staleness_check_turned_off_has_no_limit(fitted_sample: FittedSample) -> None:
    settings = fitted_sample.settings.model_copy(
        update={
            "readiness": fitted_sample.settings.readiness.model_copy(
                update={"rates_max_age_hours": 0.0}
            )
        }
    )
    samples = scrape(make_registry(fitted_sample.store, settings))
    assert label_values(samples, "remitwatch_data_max_age_seconds", "source") == {"transfers"}


def test_model_quality_is_the_newest_backtest_and_run(
    fitted_sample: FittedSample, sample: Samples
) -> None:
    store = fitted_sample.store
    for score in store.latest_backtests():
        key = score["series"]
        assert one(sample, "remitwatch_model_mase", series=key) == score["mase"]
        for level in ("80", "95"):
            exposed = one(
                sample, "remitwatch_model_interval_coverage_ratio", series=key, level=level
            )
            assert exposed == score[f"coverage_{level}"]
        beats = one(sample, "remitwatch_model_beats_seasonal_naive", series=key)
        assert beats == float(score["beats_seasonal_naive"])
    for key in (*label_values(sample, "remitwatch_remittance_inflow_usd", "series"), "var"):
        run = store.latest_model_run(key, ok_only=False)
        assert run is not None
        fitted = one(sample, "remitwatch_model_last_fit_timestamp_seconds", series=key)
        assert fitted == run.fitted_at.timestamp()
        assert one(sample, "remitwatch_model_last_fit_ok", series=key) == float(run.status == "ok")


def test_impact_granger_and_fx_equal_the_store(
    fitted_sample: FittedSample, sample: Samples
) -> None:
    store = fitted_sample.store
    var = store.latest_model_run("var")
    assert var is not None
    for point in var.result["impact"]:
        horizon = str(point["horizon"])
        assert one(sample, "remitwatch_impact_pct", horizon=horizon) == point["pct"]
        for bound in ("lower", "upper"):
            exposed = one(sample, "remitwatch_impact_band_pct", horizon=horizon, bound=bound)
            assert exposed == point[bound]
    for test in var.result["granger"]:
        labels = {"cause": test["cause"], "effect": test["effect"]}
        assert one(sample, "remitwatch_granger_pvalue", **labels) == test["pvalue"]
    rates = store.current_rates().group_by("currency").agg(pl.col("som_per_unit").last())
    configured = fitted_sample.settings.rates.currencies
    expected = {ccy: value for ccy, value in rates.iter_rows() if ccy in configured}
    assert set(expected) == {"USD", "EUR", "RUB", "KZT"}  # the sample has no CNY
    assert sample["remitwatch_fx_rate_som"] == {
        frozenset({("currency", ccy)}): value for ccy, value in expected.items()
    }
    for currency in expected:
        stability = fx_stability_of(store, currency)
        for window, pct in (
            ("30d", stability.realised_vol_30d),
            ("90d", stability.realised_vol_90d),
        ):
            assert pct is not None
            exposed = one(
                sample, "remitwatch_fx_volatility_ratio", currency=currency, window=window
            )
            assert exposed == pytest.approx(pct / 100, rel=1e-12)


def _failing() -> ModelReport:
    raise RuntimeError("the source is down")


def test_jobs_events_ingest_and_freshness_equal_the_store(fitted_sample: FittedSample) -> None:
    store, clock = fitted_sample.store, Clock()
    run_recorded(store, "score", lambda: ModelReport(job="score"))
    with pytest.raises(RuntimeError):
        run_recorded(store, "score", _failing)
    run_recorded(store, "refit", lambda: ModelReport(job="refit"))
    key = "remit.in.country.TEST.M"
    open_event = {
        "series": key,
        "start": "2026-07-01",
        "end": None,
        "period": "2026-07-01",
        "observed": 1.0,
        "expected": 2.0,
        "lower_95": 1.5,
        "upper_95": 2.5,
        "zscore": -4.0,
        "severity": "critical",
        "status": "open",
        "periods": 1,
    }
    run_id = store.latest_model_run(TOTAL)
    assert run_id is not None
    store.save_scoring(
        series_key=key,
        model_run_id=run_id.id,
        forecast=None,
        events=[open_event],
        backtest=None,
        at=clock.now,
    )
    samples = scrape(make_registry(store, fitted_sample.settings, clock=clock))
    runs = store.recent_runs(limit=100)
    for job in ("score", "refit"):
        ok_ends = [
            r.finished_at for r in runs if r.job == job and r.status == "ok" and r.finished_at
        ]
        assert (
            one(samples, "remitwatch_job_last_success_timestamp_seconds", job=job)
            == max(ok_ends).timestamp()
        )
        for status in ("ok", "failed"):
            count = sum(1 for r in runs if r.job == job and r.status == status)
            assert one(samples, "remitwatch_job_runs_total", job=job, status=status) == count
        finished = sum(1 for r in runs if r.job == job and r.finished_at is not None)
        assert one(samples, "remitwatch_job_duration_seconds_count", job=job) == finished
        assert (
            one(samples, "remitwatch_job_duration_seconds_bucket", job=job, le="+Inf") == finished
        )
    assert one(samples, "remitwatch_job_last_run_failed", job="score") == 1.0
    assert one(samples, "remitwatch_job_last_run_failed", job="refit") == 0.0
    assert (
        one(samples, "remitwatch_job_runs_total", job="backtest", status="ok") == 0.0
    )  # configured
    severities = [event["severity"] for event in store.shock_events(status="open")]
    for severity in ("warning", "critical"):
        exposed = one(samples, "remitwatch_shock_events_open", severity=severity)
        assert exposed == severities.count(severity)
    assert one(samples, "remitwatch_shock_events_open", severity="critical") == 1.0
    figures = store.status_figures()
    assert (
        one(samples, "remitwatch_ingest_rows_total", source="rates", outcome="new")
        == (figures["official_rates"]["rows"])
    )
    assert (
        one(samples, "remitwatch_ingest_rows_total", source="transfers", outcome="new")
        == (figures["transfers"]["rows"])
    )
    for source in ("rates", "transfers"):
        assert (
            one(samples, "remitwatch_ingest_files_total", source=source, status="ingested")
            == (figures["files"][f"{source}_ingested"])
        )
        arrived = store.last_arrivals()[source]
        assert arrived is not None
        age = one(samples, "remitwatch_data_age_seconds", source=source)
        assert age == pytest.approx((clock.now - arrived).total_seconds(), abs=1e-6)
    latest_rate = max(
        date.fromisoformat(d) for d in figures["official_rates"]["latest_date_by_currency"].values()
    )
    latest_report = date.fromisoformat(figures["transfers"]["last_report_date"])
    for source, day in (("rates", latest_rate), ("transfers", latest_report)):
        exposed = one(samples, "remitwatch_data_latest_date_timestamp_seconds", source=source)
        assert exposed == datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def _usd_rate(samples: Samples) -> float:
    return one(samples, "remitwatch_fx_rate_som", currency="USD")


def test_scrapes_within_cache_seconds_reuse_one_read(
    fitted_sample: FittedSample, statements: list[str]
) -> None:
    store, clock = fitted_sample.store, Clock()
    settings = sample_settings(fitted_sample.data_dir, metrics={"cache_seconds": 60})
    registry = make_registry(store, settings, clock=clock)
    assert statements == []  # registering reads nothing
    before = _usd_rate(scrape(registry))
    one_read = len(statements)
    newest = store.current_rates().filter(pl.col("currency") == "USD")["rate_date"].max()
    assert isinstance(newest, date)
    received = ReceivedFile(name="fix.xml", source="rates", sha256="f" * 64, size=1)
    store.ingest_rates_file(received, [OfficialRate(newest, "USD", 1, Decimal("91.5"))], [], 1)
    statements.clear()
    clock.now += timedelta(seconds=59)
    barrier = threading.Barrier(6)
    seen: list[float] = []

    def scrape_together() -> None:
        barrier.wait()
        seen.append(_usd_rate(scrape(registry)))

    threads = [threading.Thread(target=scrape_together) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [before] * 6 and statements == []  # cached: the old figure, no read
    clock.now += timedelta(seconds=2)
    # Stale: this scrape gets the last figures and starts one read in the background.
    assert _usd_rate(scrape(registry)) == before
    assert registry.remitwatch.wait_for_refresh(timeout=30)
    assert _usd_rate(scrape(registry)) == 91.5
    assert len(statements) == 1 + one_read  # asked whether anything changed, then read
    statements.clear()
    clock.now -= timedelta(seconds=1)  # a clock that went back makes the reading stale
    scrape(registry)
    assert registry.remitwatch.wait_for_refresh(timeout=30)
    samples = scrape(registry)
    assert one(samples, "remitwatch_store_up") == 1.0
    assert len(statements) == 1  # nothing changed since: asked, not read again
    assert one(samples, "remitwatch_metrics_snapshot_age_seconds") == 0.0


def test_an_unreadable_store_keeps_the_last_figures(
    fitted_sample: FittedSample, tmp_path: Path
) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    database = data_dir / "remitwatch.db"
    shutil.copy(fitted_sample.data_dir / "remitwatch.db", database)
    settings = sample_settings(data_dir, metrics={"cache_seconds": 0})
    store, clock = Store.open(settings.database_url), Clock()
    try:
        registry = make_registry(store, settings, clock=clock)
        good = scrape(registry)
        assert one(good, "remitwatch_store_up") == 1.0
        store.engine.dispose()
        database.rename(data_dir / "moved.db")
        database.mkdir()  # a folder where the file was: SQLite cannot open it
        clock.now += timedelta(seconds=30)
        down = scrape(registry)
        assert one(down, "remitwatch_store_up") == 0.0
        assert down["remitwatch_remittance_inflow_usd"] == good["remitwatch_remittance_inflow_usd"]
        age = one(down, "remitwatch_metrics_snapshot_age_seconds")
        assert age == 30.0
        database.rmdir()
        (data_dir / "moved.db").rename(database)
        assert one(scrape(registry), "remitwatch_store_up") == 1.0
    finally:
        store.close()


def test_a_store_never_read_exposes_only_that_it_is_down(tmp_path: Path) -> None:
    settings = sample_settings(tmp_path)
    store = Store.open(f"sqlite:///{tmp_path}")  # a folder: never opens
    try:
        samples = scrape(make_registry(store, settings))
    finally:
        store.close()
    assert one(samples, "remitwatch_store_up") == 0.0
    exposed = {name for name in samples if name.startswith("remitwatch_")}
    assert exposed == {"remitwatch_info", "remitwatch_store_up"}


def test_an_empty_store_gives_a_valid_exposition(tmp_path: Path) -> None:
    settings = sample_settings(tmp_path)
    store = Store.open(settings.database_url)
    try:
        store.upgrade()
        samples = scrape(make_registry(store, settings))
    finally:
        store.close()
    assert one(samples, "remitwatch_store_up") == 1.0
    assert one(samples, "remitwatch_shock_events_open", severity="critical") == 0.0
    assert samples["remitwatch_remittance_inflow_usd"] == {}
    assert one(samples, "remitwatch_ingest_rows_total", source="rates", outcome="new") == 0.0
    assert samples["remitwatch_data_age_seconds"] == {}


@pytest.mark.parametrize(
    ("limit", "chosen"),
    [
        (2, {TOTAL, "var"}),
        (4, {TOTAL, "var", "var.som_usd", "remit.in.country.RU.M"}),
    ],
)
def test_the_series_label_is_bounded_by_max_series(
    fitted_sample: FittedSample, limit: int, chosen: set[str]
) -> None:
    settings = sample_settings(fitted_sample.data_dir, metrics={"max_series": limit})
    samples = scrape(make_registry(fitted_sample.store, settings))
    labelled = set().union(
        *(
            label_values(samples, spec.name, "series")
            for spec in CATALOGUE
            if "series" in spec.labels
        )
    )
    assert labelled == chosen
    assert one(samples, "remitwatch_metrics_series_omitted") == 6 - limit
    assert math.isfinite(one(samples, "remitwatch_store_up"))
