"""Building a series' unit of work: regressors by frequency, the stored fit for updates."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from config import Settings
from jobs.ingest_rates import ingest_rates
from jobs.ingest_transfers import ingest_transfers
from jobs.tasks import build_task
from service.store import Store

HEADER = "report_date,bank_code,system,country,direction,currency,amount,count\n"


def _store_with_weeks(store: Store, settings: Settings, tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("date,currency,nominal,value\n2023-12-01,USD,1,89.0000\n")
    ingest_rates(store, settings, str(rates))
    days = np.arange(np.datetime64("2024-01-01"), np.datetime64("2024-03-01"))
    body = "".join(f"{day},B1,C,RU,in,USD,100.00,1\n" for day in days)
    report = tmp_path / "weeks.csv"
    report.write_text(HEADER + body)
    ingest_transfers(store, settings, str(report))


def test_weekly_models_get_holiday_regressors(store: Store, tmp_path: Path) -> None:
    settings = Settings(paths={"data_dir": tmp_path / "var"})
    _store_with_weeks(store, settings, tmp_path)
    task = build_task(store, settings, "remit.in.total.W", "select")
    assert task.exog is not None and task.future_exog is not None
    assert task.exog_names == ("holiday_KG", "holiday_RU")
    assert task.exog.shape == (len(task.series), 2)
    assert task.future_exog.shape == (settings.models.forecast_horizon, 2)
    # The ISO week of 2024-01-01 holds the Russian New Year holidays.
    assert task.exog[0, 1] >= 5
    assert task.season == 52 and task.mode == "select"


def test_monthly_models_take_the_rouble_only_when_asked(store: Store, tmp_path: Path) -> None:
    settings = Settings(paths={"data_dir": tmp_path / "var"})
    _store_with_weeks(store, settings, tmp_path)
    plain = build_task(store, settings, "remit.in.total.M", "update")
    assert plain.exog is None and plain.mode == "select"  # nothing fitted yet to update
    with_rouble = Settings(paths={"data_dir": tmp_path / "var"}, models={"rub_regressor": True})
    task = build_task(store, with_rouble, "remit.in.total.M", "select")
    assert task.exog_names == ("rub_usd_change",)
    assert task.future_exog is not None and not task.future_exog.any()  # no change projected
