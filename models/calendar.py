"""Public-holiday regressors for daily and weekly remittance models.

Transfers pause on the holidays of the sending country (Russia's New Year holidays,
1–8 January) and of the receiving one (Kyrgyzstan, including the lunar Orozo Ait =
Eid al-Fitr and Kurman Ait = Eid al-Adha). Dates come from the `holidays` package,
which computes them without I/O; days off moved by decree ("Day off (substituted from
...)") are included for the years the package knows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import holidays
import numpy as np

from models.series import DateArray, FloatArray, next_periods

#: The lunar holidays a country's calendar should hold each year (English names).
LUNAR_HOLIDAYS: dict[str, tuple[str, ...]] = {"KG": ("Eid al-Fitr", "Eid al-Adha")}

_ESTIMATED = "(estimated)"


@dataclass(frozen=True)
class HolidayRegressors:
    """One column per country: holiday indicator (daily) or holiday days in the week (weekly).

    `notes` names the years whose lunar holiday dates the library only estimates (no
    decree recorded: for KG before 2006 and after 2026 in holidays 0.109) or lacks, and
    the years it has no holidays for at all (before independence, after 2100).
    """

    names: tuple[str, ...]  # "holiday_KG", "holiday_RU", ...
    values: FloatArray  # shape (n_periods, n_names); 0/1 daily, 0..7 days weekly
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "names": list(self.names),
            "values": [[float(value) for value in row] for row in self.values],
            "notes": list(self.notes),
        }


def _is_monday(days: DateArray) -> bool:
    # 1970-01-01 was a Thursday: day number + 3 is 0 mod 7 on Mondays.
    return bool(np.all((days.astype(np.int64) + 3) % 7 == 0))


def _year_ranges(years: list[int]) -> str:
    """2027, 2028, 2029, 2031 -> "2027–2029, 2031"."""
    runs: list[list[int]] = []
    for year in years:
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(f"{run[0]}–{run[-1]}" if len(run) > 1 else f"{run[0]}" for run in runs)


def _notes(code: str, years: range, calendar: holidays.HolidayBase) -> list[str]:
    """Years of `calendar` with no holidays, or missing or estimated lunar holidays."""
    empty: list[int] = []
    missing: list[int] = []
    estimated: list[int] = []
    for year in years:
        names = [name for day, name in calendar.items() if day.year == year]
        if not names:
            empty.append(year)
        elif not all(
            any(lunar in name for name in names) for lunar in LUNAR_HOLIDAYS.get(code, ())
        ):
            missing.append(year)
        if any(_ESTIMATED in name for name in names):
            estimated.append(year)
    lunar = ", ".join(LUNAR_HOLIDAYS.get(code, ())) or "lunar holidays"
    notes = []
    if empty:
        notes.append(f"{code}: the holidays library has no holidays for {_year_ranges(empty)}")
    if missing:
        notes.append(
            f"{code}: the holidays library has no dates of {lunar} for {_year_ranges(missing)}"
        )
    if estimated:
        notes.append(
            f"{code}: dates of {lunar} for {_year_ranges(estimated)} are the library's"
            " astronomical estimates, not dates fixed by decree (the day may differ by one)"
        )
    return notes


def holiday_regressors(
    periods: DateArray,
    frequency: Literal["D", "W"],
    countries: tuple[str, ...] = ("KG", "RU"),
) -> HolidayRegressors:
    """Holiday regressors for `periods` (days, or the Mondays of ISO weeks).

    Daily: 1.0 on a public holiday of the country, else 0.0. Weekly: the number of
    public-holiday days of the country from that Monday to the Sunday (0..7).
    """
    if frequency not in ("D", "W"):
        raise ValueError(f"expected frequency 'D' or 'W', got {frequency!r}")
    days = np.asarray(periods).astype("datetime64[D]")
    if frequency == "W" and not _is_monday(days):
        raise ValueError("expected weekly periods on Mondays (the start of each ISO week)")
    names = tuple(f"holiday_{code}" for code in countries)
    values: FloatArray = np.zeros((days.size, len(countries)), dtype=np.float64)
    if days.size == 0:
        return HolidayRegressors(names, values)
    span = 7 if frequency == "W" else 1
    first: date = days.min().item()
    last: date = (days.max() + (span - 1)).item()
    years = range(first.year, last.year + 1)
    notes: list[str] = []
    for column, code in enumerate(countries):
        calendar = holidays.country_holidays(code, years=years, language="en_US")
        holiday_days = np.array(sorted(calendar), dtype="datetime64[D]")
        for offset in range(span):
            values[:, column] += np.isin(days + offset, holiday_days)
        notes.extend(_notes(code, years, calendar))
    return HolidayRegressors(names, values, tuple(notes))


def future_holiday_regressors(
    last: date,
    frequency: Literal["D", "W"],
    horizon: int,
    countries: tuple[str, ...] = ("KG", "RU"),
) -> HolidayRegressors:
    """Holiday regressors for the `horizon` periods after `last` (for forecasts)."""
    periods = next_periods(np.datetime64(last, "D"), frequency, horizon)
    return holiday_regressors(periods, frequency, countries)
