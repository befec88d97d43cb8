"""The scheduled jobs as plain functions: recorded runs, failures as outcomes, API requests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from config import Settings
from jobs.impact import VAR_KEY
from jobs.scheduled import (
    JOBS,
    NO_RATES_SOURCE,
    JobOutcome,
    process_requests,
    run_backtest,
    run_ingest_rates,
    run_ingest_transfers,
    run_refit,
    run_score,
    run_watch_inbox,
)
from service.store import Store
from tests.fitted_sample import FittedSample

HEADER = "report_date,bank_code,system,country,direction,currency,amount,count\n"


def _drop(settings: Settings, name: str, body: str) -> Path:
    inbox = settings.paths.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_text(body)
    return path


def test_the_job_table_names_the_scheduled_and_requestable_jobs() -> None:
    assert sorted(JOBS) == [
        "backtest",
        "ingest_rates",
        "ingest_transfers",
        "refit",
        "score",
        "watch_inbox",
    ]


def test_ingest_transfers_records_an_ok_run_with_its_rows(store: Store, settings: Settings) -> None:
    _drop(settings, "bank-a.csv", HEADER + "2024-05-02,B1,CONTACT,US,in,USD,1000.00,3\n")
    outcome = run_ingest_transfers(store, settings)
    assert (outcome.status, outcome.rows, outcome.error, outcome.scoring) == ("ok", 1, None, None)
    [run] = store.recent_runs(job="ingest_transfers")
    assert (run.id, run.status, run.rows) == (outcome.run_id, "ok", 1)
    assert run.finished_at is not None
    assert outcome.to_dict() == {
        "job": "ingest_transfers",
        "run_id": run.id,
        "status": "ok",
        "rows": 1,
        "error": None,
        "scoring": None,
    }


def test_a_malformed_file_gives_a_failed_run_not_a_crash(store: Store, settings: Settings) -> None:
    _drop(settings, "broken.csv", "report_date,bank_code\n2024-05-02,B1\n")
    outcome = run_ingest_transfers(store, settings)
    assert outcome.status == "failed" and outcome.error is not None
    assert "broken.csv" in outcome.error
    [run] = store.recent_runs(job="ingest_transfers")
    assert (run.id, run.status, run.error) == (outcome.run_id, "failed", outcome.error)


def test_a_failing_rates_source_is_recorded_failed(store: Store, tmp_path: Path) -> None:
    settings = Settings(paths={"data_dir": tmp_path}, rates={"source": str(tmp_path / "no.xml")})
    outcome = run_ingest_rates(store, settings)
    assert outcome.status == "failed" and outcome.error is not None and "no.xml" in outcome.error
    [run] = store.recent_runs(job="ingest_rates")
    assert (run.id, run.status) == (outcome.run_id, "failed")


def test_a_job_that_raises_returns_failed_and_its_run_is_recorded(
    store: Store, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # The store loses a table the ingest needs: the job raises after its run was started.
    with store.engine.begin() as connection:
        suffix = " CASCADE" if store.engine.dialect.name == "postgresql" else ""
        connection.execute(text(f"DROP TABLE received_files{suffix}"))
    _drop(settings, "bank-a.csv", HEADER + "2024-05-02,B1,CONTACT,US,in,USD,1000.00,3\n")
    outcome = run_ingest_transfers(store, settings)
    assert outcome.status == "failed" and outcome.run_id is not None
    assert outcome.error is not None and "received_files" in outcome.error
    [run] = store.recent_runs(job="ingest_transfers")
    assert (run.id, run.status, run.error) == (outcome.run_id, "failed", outcome.error)
    assert any(
        f"run {run.id} recorded as failed" in record.getMessage() for record in caplog.records
    )


def test_an_unreachable_store_gives_a_failed_outcome_without_a_run(settings: Settings) -> None:
    closed = Store.open("postgresql+psycopg://postgres@127.0.0.1:1/remitwatch")
    try:
        outcome = run_ingest_transfers(closed, settings)
    finally:
        closed.close()
    assert (outcome.status, outcome.run_id) == ("failed", None)
    assert outcome.error is not None and "OperationalError" in outcome.error


def test_ingest_rates_without_a_source_is_skipped_and_records_nothing(
    store: Store, settings: Settings
) -> None:
    assert run_ingest_rates(store, settings) == JobOutcome(
        "ingest_rates", None, "skipped", error=NO_RATES_SOURCE
    )
    assert store.recent_runs() == []


def test_a_requested_job_runs_once_and_its_request_is_finished(
    store: Store, settings: Settings
) -> None:
    _drop(settings, "bank-a.csv", HEADER + "2024-05-02,B1,CONTACT,US,in,USD,1000.00,3\n")
    request_id = store.request_job("ingest_transfers", "analyst")
    assert store.request_job("ingest_transfers", "other") == request_id  # still pending: reused
    [outcome] = process_requests(store, settings)
    assert process_requests(store, settings) == []
    request = store.job_request(request_id)
    assert request is not None
    assert (request.status, request.run_id, request.error) == ("ok", outcome.run_id, None)
    assert request.started_at is not None and request.finished_at is not None
    [run] = store.recent_runs(job="ingest_transfers")
    assert (run.id, run.rows) == (outcome.run_id, 1)


def test_unknown_and_skipped_requests_finish_failed_with_the_reason(
    store: Store, settings: Settings
) -> None:
    unknown = store.request_job("defragment", "analyst")
    rates = store.request_job("ingest_rates", "analyst")
    outcomes = process_requests(store, settings)
    assert [(o.job, o.status) for o in outcomes] == [
        ("defragment", "failed"),
        ("ingest_rates", "skipped"),
    ]
    first, second = store.job_request(unknown), store.job_request(rates)
    assert first is not None and second is not None
    assert (first.status, first.run_id) == ("failed", None)
    assert first.error is not None and "unknown job 'defragment'" in first.error
    assert "ingest_transfers" in first.error  # names the jobs there are
    assert (second.status, second.error) == ("failed", NO_RATES_SOURCE)
    assert store.recent_runs() == []


def test_a_request_claimed_elsewhere_is_left_alone(store: Store, settings: Settings) -> None:
    request_id = store.request_job("score", "analyst")
    assert store.claim_job_request(request_id)  # another scheduler got there first
    assert process_requests(store, settings) == []
    request = store.job_request(request_id)
    assert request is not None and request.status == "running"
    assert store.recent_runs() == []


def test_a_job_function_that_raises_finishes_its_request_failed(
    store: Store, settings: Settings
) -> None:
    def broken(store: Store, settings: Settings) -> JobOutcome:
        raise RuntimeError("boom")

    request_id = store.request_job("score", "analyst")
    [outcome] = process_requests(store, settings, {"score": broken})
    assert (outcome.status, outcome.error) == ("failed", "RuntimeError: boom")
    request = store.job_request(request_id)
    assert request is not None
    assert (request.status, request.error) == ("failed", "RuntimeError: boom")


# -- on the fitted sample (one store for the module; the refit runs once) -------------------


def test_an_ingest_that_brings_data_scores_the_fitted_models(fitted_sample: FittedSample) -> None:
    store, settings = fitted_sample.store, fitted_sample.settings
    _drop(settings, "late.csv", HEADER + "2026-08-20,TESTBANK,CONTACT,RU,in,RUB,1000.00,1\n")
    outcome = run_ingest_transfers(store, settings)
    assert (outcome.status, outcome.rows) == ("ok", 1)
    scoring = outcome.scoring
    assert scoring is not None and scoring.status == "ok" and scoring.rows > 0
    [run] = store.recent_runs(limit=1, job="score")
    assert (run.id, run.status, run.rows) == (scoring.run_id, "ok", scoring.rows)
    # Nothing new in the inbox: no data, no scoring.
    assert run_ingest_transfers(store, settings).scoring is None


def test_score_updates_every_fitted_model(fitted_sample: FittedSample) -> None:
    outcome = run_score(fitted_sample.store, fitted_sample.settings)
    assert outcome.status == "ok" and outcome.error is None
    modelled = {run.series_key for run in fitted_sample.store.model_runs(limit=200)}
    assert outcome.rows == len(modelled - {VAR_KEY})


def test_backtest_stores_new_scores_for_every_modelled_series(
    fitted_sample: FittedSample,
) -> None:
    store = fitted_sample.store
    before = {score["series"]: score for score in store.latest_backtests()}
    forecasts = {key: store.latest_forecast(key) for key in before}
    outcome = run_backtest(store, fitted_sample.settings)
    assert outcome.status == "ok" and outcome.rows == len(before)
    after = {score["series"]: score for score in store.latest_backtests()}
    assert after.keys() == before.keys()
    for key, score in after.items():
        assert datetime.fromisoformat(score["made_at"]) > datetime.fromisoformat(
            before[key]["made_at"]
        )
        assert score["n_forecasts"] == fitted_sample.settings.backtest.origins
        # The stored model's parameters, re-filtered: the same accuracy as when it was fitted
        # on the same data, and no new forecast stored.
        assert score["mase"] == pytest.approx(before[key]["mase"], rel=0.05)
        assert store.latest_forecast(key) == forecasts[key]
    [run] = store.recent_runs(limit=1, job="backtest")
    assert (run.id, run.status, run.rows) == (outcome.run_id, "ok", len(after))


def test_refit_selects_the_orders_again_and_stores_new_model_runs(
    fitted_sample: FittedSample,
) -> None:
    store = fitted_sample.store
    started = max(run.fitted_at for run in store.model_runs(limit=200))
    outcome = run_refit(store, fitted_sample.settings)
    assert outcome.status == "ok", outcome.error
    newer = [run for run in store.model_runs(limit=200) if run.fitted_at > started]
    sarimax = [run for run in newer if run.kind == "sarimax"]
    assert len(sarimax) == outcome.rows > 0
    assert {run.result["mode"] for run in sarimax} == {"select"}
    assert any(run.series_key == VAR_KEY for run in newer)
    [run] = store.recent_runs(limit=1, job="refit")
    assert (run.id, run.status) == (outcome.run_id, "ok")


def test_the_inbox_watch_records_nothing_while_the_inbox_is_empty(
    store: Store, settings: Settings
) -> None:
    outcome = run_watch_inbox(store, settings)
    assert (outcome.status, outcome.run_id) == ("skipped", None)
    assert store.recent_runs() == []


def test_the_inbox_watch_ingests_the_inbox_and_not_the_remote_sources(
    store: Store, settings: Settings
) -> None:
    # A remote source that cannot be reached: the watch must not even try it.
    watching = settings.model_copy(
        update={"transfers": settings.transfers.model_copy(update={"url": "http://127.0.0.1:9/x"})}
    )
    _drop(watching, "bank-a.csv", HEADER + "2024-05-02,B1,CONTACT,US,in,USD,1000.00,3\n")
    outcome = run_watch_inbox(store, watching)
    assert (outcome.status, outcome.rows, outcome.error) == ("ok", 1, None)
    [run] = store.recent_runs()
    assert (run.job, run.status, run.id) == ("ingest_transfers", "ok", outcome.run_id)
    assert not list(watching.paths.inbox.iterdir())  # archived
