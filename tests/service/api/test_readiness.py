"""The readiness checks, against a known clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from service.api.readiness import readiness
from service.store import Store
from tests.fitted_sample import FittedSample
from tests.service.api.support import settings_for, unreachable_url


def test_ages_are_measured_from_the_last_arrival(fitted_sample: FittedSample) -> None:
    arrivals = fitted_sample.store.last_arrivals()
    rates, transfers = arrivals["rates"], arrivals["transfers"]
    assert rates is not None and transfers is not None
    now = max(rates, transfers) + timedelta(hours=10)
    settings = settings_for(
        fitted_sample.data_dir,
        readiness={"rates_max_age_hours": 5, "transfers_max_age_hours": 12},
    )
    result = readiness(fitted_sample.store, settings, now=now)
    checks = {check.name: check for check in result.checks}
    assert result.ready is False
    assert checks["rates_freshness"].ok is False
    assert checks["rates_freshness"].age_hours == round((now - rates).total_seconds() / 3600, 3)
    assert checks["transfers_freshness"].ok is True
    assert checks["transfers_freshness"].max_age_hours == 12


def test_an_unreachable_store_is_not_ready(tmp_path: Path) -> None:
    store = Store.open(unreachable_url("secret-pw"))
    try:
        result = readiness(store, settings_for(tmp_path))
    finally:
        store.close()
    checks = {check.name: check for check in result.checks}
    assert result.ready is False
    assert checks["store"].ok is False and checks["store"].detail == "the store cannot be reached"
    assert "unknown" in checks["rates_freshness"].detail
