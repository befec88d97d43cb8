"""Reading stored forecasts back: the newest, the newest made before a moment, and the
one made from a past period (what a past month's report shows)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from service.store import Store
from tests.service.store.forecast_points import forecast_point

KEY = "remit.in.total.M"


def _scored(store: Store, origin: str, first: str, mean: float, at: datetime) -> None:
    run = store.record_model_run(
        series_key=KEY,
        kind="sarimax",
        status="ok",
        reason=None,
        spec={"order": [0, 1, 1]},
        params=[0.1],
        result={},
        last_period=date.fromisoformat(origin),
        data_as_of=at,
        fitted_at=at,
        seconds=0.1,
    )
    forecast = {"series": KEY, "origin": origin, "points": [forecast_point(first, mean)]}
    store.save_scoring(
        series_key=KEY, model_run_id=run, forecast=forecast, events=[], backtest=None, at=at
    )


def test_forecasts_by_time_made_and_by_origin(store: Store) -> None:
    # Scored monthly; then May's figures were rescored later (a refit after a revision).
    _scored(store, "2026-05-01", "2026-06-01", 100.0, datetime(2026, 6, 3, tzinfo=UTC))
    _scored(store, "2026-06-01", "2026-07-01", 110.0, datetime(2026, 7, 3, tzinfo=UTC))
    _scored(store, "2026-07-01", "2026-08-01", 120.0, datetime(2026, 8, 3, tzinfo=UTC))
    _scored(store, "2026-05-01", "2026-06-01", 101.0, datetime(2026, 8, 4, tzinfo=UTC))

    def first_mean(forecast: dict[str, object] | None) -> object:
        assert forecast is not None
        return forecast["points"][0]["mean"]  # type: ignore[index]

    assert first_mean(store.latest_forecast(KEY)) == 101.0
    assert first_mean(store.latest_forecast(KEY, datetime(2026, 8, 3, 12, tzinfo=UTC))) == 120.0
    assert first_mean(store.latest_forecast(KEY, origin_until=date(2026, 7, 1))) == 120.0
    assert first_mean(store.latest_forecast(KEY, origin_until=date(2026, 6, 30))) == 110.0
    assert first_mean(store.latest_forecast(KEY, origin_until=date(2026, 5, 1))) == 101.0
    assert store.latest_forecast(KEY, origin_until=date(2026, 4, 1)) is None
