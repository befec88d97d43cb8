"""Holiday regressors from the Kyrgyz and Russian calendars."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from models.calendar import future_holiday_regressors, holiday_regressors
from models.series import DateArray, expected_periods


def days_of(*isodates: str) -> DateArray:
    return np.array(isodates, dtype="datetime64[D]")


@pytest.mark.parametrize(
    ("day", "kyrgyz", "russian"),
    [
        ("2024-04-10", 1.0, 0.0),  # Orozo Ait (Eid al-Fitr)
        ("2024-06-17", 1.0, 0.0),  # Kurman Ait (Eid al-Adha)
        ("2024-01-03", 1.0, 1.0),  # Russian New Year holidays; a moved day off in KG
        ("2024-01-08", 0.0, 1.0),  # the last Russian New Year holiday
        ("2024-06-12", 0.0, 1.0),  # Russia Day
        ("2024-08-31", 1.0, 0.0),  # Kyrgyz Independence Day
        ("2024-04-16", 0.0, 0.0),  # an ordinary Tuesday
    ],
)
def test_daily_indicator_on_known_dates(day: str, kyrgyz: float, russian: float) -> None:
    regressors = holiday_regressors(days_of(day), "D")

    assert regressors.names == ("holiday_KG", "holiday_RU")
    assert regressors.values.tolist() == [[kyrgyz, russian]]


def test_weekly_count_of_the_first_iso_week_of_2024() -> None:
    # Monday 2024-01-01 to Sunday 2024-01-07: Russia is off all seven days (New Year
    # holidays 1–6 and 8 January, Christmas on the 7th).
    regressors = holiday_regressors(days_of("2024-01-01", "2024-01-08"), "W", ("RU",))

    assert regressors.values.shape == (2, 1)
    assert regressors.values[0, 0] == 7.0
    assert regressors.values[1, 0] == 1.0  # 8 January only


def test_weekly_counts_are_sums_of_the_daily_indicators() -> None:
    days = expected_periods(np.datetime64("2023-01-02"), np.datetime64("2025-12-28"), "D")
    mondays = days[::7]

    daily = holiday_regressors(days, "D")
    weekly = holiday_regressors(mondays, "W")

    assert daily.values.shape == (days.size, 2)
    assert weekly.values.shape == (mondays.size, 2)
    np.testing.assert_array_equal(weekly.values, daily.values.reshape(-1, 7, 2).sum(axis=1))
    assert weekly.values.max() <= 7.0
    assert set(np.unique(daily.values)) <= {0.0, 1.0}


def test_future_regressors_continue_the_grid() -> None:
    daily = future_holiday_regressors(date(2023, 12, 31), "D", 10)
    weekly = future_holiday_regressors(date(2023, 12, 25), "W", 2)

    assert daily.values.shape == (10, 2)
    np.testing.assert_array_equal(
        daily.values,
        holiday_regressors(np.datetime64("2024-01-01") + np.arange(10), "D").values,
    )
    np.testing.assert_array_equal(
        weekly.values, holiday_regressors(days_of("2024-01-01", "2024-01-08"), "W").values
    )


def test_notes_name_years_with_estimated_or_missing_lunar_dates() -> None:
    assert holiday_regressors(days_of("2024-04-10"), "D").notes == ()

    future = future_holiday_regressors(date(2026, 12, 31), "D", 365, ("KG",))
    assert future.notes == (
        "KG: dates of Eid al-Fitr, Eid al-Adha for 2027 are the library's astronomical"
        " estimates, not dates fixed by decree (the day may differ by one)",
    )
    beyond = holiday_regressors(days_of("2101-01-05"), "D", ("KG",))
    assert beyond.values.tolist() == [[0.0]]
    assert beyond.notes == ("KG: the holidays library has no holidays for 2101",)


def test_empty_periods_and_bad_weeks() -> None:
    empty = holiday_regressors(np.array([], dtype="datetime64[D]"), "W")
    assert empty.values.shape == (0, 2)
    with pytest.raises(ValueError, match="Mondays"):
        holiday_regressors(days_of("2024-01-02"), "W")


def test_to_dict_is_json_ready() -> None:
    data = holiday_regressors(days_of("2024-01-01"), "W").to_dict()
    assert data == {"names": ["holiday_KG", "holiday_RU"], "values": [[6.0, 7.0]], "notes": []}
    assert json.dumps(data, allow_nan=False)
