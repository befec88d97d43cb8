"""Store series as plain arrays for the report: monthly inflows, daily rates, month arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from service.store import Store

TOTAL_INFLOWS = "remit.in.total.M"
TOTAL_INFLOWS_DAILY = "remit.in.total.D"
SOM_USD_DAILY = "fx.USD.D"
SOM_RUB_DAILY = "fx.RUB.D"

DateArray = npt.NDArray[np.datetime64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Series:
    """One series as read from the store: periods (first day of the period) and values."""

    key: str
    periods: DateArray
    values: FloatArray

    def __len__(self) -> int:
        return int(self.periods.size)

    def at(self, period: date) -> float | None:
        """The value of `period`, None when the store has none."""
        hits = np.flatnonzero(self.periods == np.datetime64(period, "D"))
        return float(self.values[hits[0]]) if hits.size else None

    def until(self, last: date) -> Series:
        keep = self.periods <= np.datetime64(last, "D")
        return Series(self.key, self.periods[keep], self.values[keep])

    def since(self, first: date) -> Series:
        keep = self.periods >= np.datetime64(first, "D")
        return Series(self.key, self.periods[keep], self.values[keep])


def read_series(store: Store, key: str) -> Series:
    """The current vintage of series `key`, sorted by period (empty when unknown)."""
    frame = store.series_as_of(key).sort("period")
    return Series(
        key,
        frame["period"].to_numpy().astype("datetime64[D]"),
        frame["value"].to_numpy().astype(np.float64),
    )


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after `month` (negative: before)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return date.fromordinal(add_months(month, 1).toordinal() - 1)


def latest_complete_month(daily: Series) -> date | None:
    """The last month whose every day is in the daily series (the month in progress is
    never reported by default: its total would look like a collapse)."""
    if not len(daily):
        return None
    last_day = daily.periods[-1].astype(object)
    month = date(last_day.year, last_day.month, 1)
    return month if month_end(month) == last_day else add_months(month, -1)


def month_label(month: date) -> str:
    """`Jul 2026`."""
    return month.strftime("%b %Y")


def sentence_case(text: str) -> str:
    """The first letter capitalised, the rest as written ("som per US dollar")."""
    return text[:1].upper() + text[1:]
