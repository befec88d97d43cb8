"""Re-derive every series from the raw layer and write what changed as new vintages."""

from __future__ import annotations

from datetime import UTC, datetime

from config import Settings
from jobs.report import SeriesRefresh
from jobs.series_build import derive_series
from service.store import Store


def refresh_series(store: Store, settings: Settings, at: datetime | None = None) -> SeriesRefresh:
    """Rebuild all series; unchanged values are left alone, changed ones become vintages."""
    derived = derive_series(
        store.transfer_totals(), store.current_rates(), settings.rates.currencies
    )
    written = store.write_series(derived.specs, derived.observations, at or datetime.now(UTC))
    return SeriesRefresh(
        series=len(derived.specs),
        new_vintages=written.new_vintages,
        unchanged=written.unchanged,
        waiting_rows=derived.waiting_rows,
        waiting_first_date=derived.waiting_first_date,
    )
