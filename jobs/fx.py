"""FX stability of the som from the stored daily official rates."""

from __future__ import annotations

from datetime import datetime

from jobs.model_inputs import load_series
from models.volatility import FxStability, fx_stability
from service.store import Store


def fx_stability_of(
    store: Store, currency: str = "USD", as_of: datetime | None = None
) -> FxStability:
    """Realised (30/90-day) and EWMA volatility of som per `currency`, and the largest move."""
    daily = load_series(store, f"fx.{currency}.D", as_of)
    return fx_stability(daily.periods, daily.values, currency=currency)
