"""FX stability figures of the daily official rate."""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pytest

from models.series import DateArray, FloatArray
from models.volatility import ewma_variance, fx_stability, rolling_volatility

FIRST_DAY = np.datetime64("2024-01-01")


def calendar_days(n: int) -> DateArray:
    days: DateArray = FIRST_DAY + np.arange(n)
    return days


def official_rate(n: int, seed: int = 7) -> FloatArray:
    """Som per USD on every calendar day; weekends carry Friday's rate (zero change)."""
    generator = np.random.default_rng(seed)
    changes = generator.normal(0.0, 0.003, n - 1)
    weekday = (calendar_days(n)[1:].astype(np.int64) + 3) % 7  # Monday = 0
    changes[weekday >= 5] = 0.0
    rate: FloatArray = 87.5 * np.exp(np.concatenate([[0.0], np.cumsum(changes)]))
    return rate


def test_realised_volatility_matches_numpy() -> None:
    rate = official_rate(200)
    changes = np.diff(np.log(rate))

    stability = fx_stability(calendar_days(200), rate)

    assert stability.as_of == date(2024, 7, 18)
    assert stability.observations == 200
    assert stability.realised_vol_30d == pytest.approx(
        100 * math.sqrt(365) * np.std(changes[-30:], ddof=1)
    )
    assert stability.realised_vol_90d == pytest.approx(
        100 * math.sqrt(365) * np.std(changes[-90:], ddof=1)
    )
    # Annualised with trading days instead: the same input, a different convention.
    assert fx_stability(calendar_days(200), rate, days_per_year=252).realised_vol_30d == (
        pytest.approx(100 * math.sqrt(252) * np.std(changes[-30:], ddof=1))
    )


def test_ewma_matches_its_closed_form_and_a_direct_loop() -> None:
    rate = official_rate(200)
    r = np.diff(np.log(rate))
    lam, seed = 0.94, 30
    # Unrolled recursion: σ² = λ^k σ²_seed + (1 − λ) Σ_j λ^(k−1−j) r²_(seed+j), k = n − seed.
    tail = r[seed:]
    k = tail.size
    closed_form = lam**k * np.var(r[:seed], ddof=1) + (1 - lam) * np.sum(
        lam ** np.arange(k - 1, -1, -1) * tail**2
    )
    looped = float(np.var(r[:seed], ddof=1))
    for change in tail:
        looped = lam * looped + (1 - lam) * change**2

    assert ewma_variance(r, lam, seed) == pytest.approx(closed_form, rel=1e-12)
    assert ewma_variance(r, lam, seed) == pytest.approx(looped, rel=1e-12)
    stability = fx_stability(calendar_days(200), rate, lam=lam)
    assert stability.ewma_vol == pytest.approx(100 * math.sqrt(365 * closed_form))


def test_constant_rate_has_zero_volatility() -> None:
    stability = fx_stability(calendar_days(120), np.full(120, 89.45))

    assert stability.realised_vol_30d == 0.0
    assert stability.realised_vol_90d == 0.0
    assert stability.ewma_vol == 0.0
    assert stability.largest_move_pct == 0.0
    assert stability.largest_move_date is None


def test_largest_move_is_the_known_jump_with_its_date() -> None:
    rate = np.full(150, 87.0)
    rate[:20] = 80.0  # a larger move on day 20, outside the last 90 days
    rate[120:] = 87.6  # the som weakens 0.69% on 2024-04-30 (day 120)

    stability = fx_stability(calendar_days(150), rate)

    assert stability.largest_move_pct == pytest.approx(100 * (87.6 / 87.0 - 1))
    assert stability.largest_move_date == date(2024, 4, 30)
    falls = fx_stability(calendar_days(150), 1 / rate)
    assert falls.largest_move_pct == pytest.approx(100 * (87.0 / 87.6 - 1))  # signed


@pytest.mark.parametrize("n", [0, 1, 2, 10])
def test_short_input_gives_none_not_a_crash(n: int) -> None:
    stability = fx_stability(calendar_days(n), official_rate(max(n, 2))[:n])

    assert stability.observations == n
    assert stability.realised_vol_30d is None
    assert stability.realised_vol_90d is None
    assert stability.ewma_vol is None
    assert (stability.as_of is None) == (n == 0)
    assert (stability.largest_move_pct is None) == (n < 2)
    assert json.dumps(stability.to_dict(), allow_nan=False)


def test_a_window_needs_rates_back_to_its_start() -> None:
    rate = official_rate(60)
    stability = fx_stability(calendar_days(60), rate)

    assert stability.realised_vol_30d is not None
    assert stability.realised_vol_90d is None
    # 31 days give the 30 changes of the 30-day window; 30 days do not.
    assert fx_stability(calendar_days(31), rate[:31]).realised_vol_30d is not None
    assert fx_stability(calendar_days(30), rate[:30]).realised_vol_30d is None


def test_unusable_rates_are_skipped() -> None:
    rate = official_rate(100)
    broken = rate.copy()
    broken[40] = np.nan
    broken[41] = 0.0

    stability = fx_stability(calendar_days(100), broken)

    kept = np.delete(rate, [40, 41])
    assert stability.observations == 98
    assert stability.realised_vol_30d == pytest.approx(
        100 * math.sqrt(365) * np.std(np.diff(np.log(kept))[-30:], ddof=1)
    )


def test_rolling_volatility_matches_each_window_and_the_last_one() -> None:
    rate = official_rate(200)
    changes = np.diff(np.log(rate))
    expected = [
        100 * math.sqrt(365) * np.std(changes[end - 30 : end], ddof=1)
        for end in range(30, changes.size + 1)
    ]

    days, volatility = rolling_volatility(calendar_days(200), rate, window=30)

    assert days[0] == np.datetime64("2024-01-31")
    assert days[-1] == np.datetime64("2024-07-18")
    np.testing.assert_allclose(volatility, expected, rtol=1e-10)
    assert volatility[-1] == pytest.approx(fx_stability(calendar_days(200), rate).realised_vol_30d)


def test_rolling_volatility_of_short_input_is_empty() -> None:
    days, volatility = rolling_volatility(calendar_days(30), official_rate(30), window=30)
    assert days.size == 0
    assert volatility.size == 0


def test_to_dict_is_json_ready() -> None:
    data = fx_stability(calendar_days(200), official_rate(200), currency="USD").to_dict()

    assert list(data) == [
        "currency",
        "as_of",
        "realised_vol_30d",
        "realised_vol_90d",
        "ewma_vol",
        "largest_move_pct",
        "largest_move_date",
        "observations",
    ]
    assert data["as_of"] == "2024-07-18"
    assert isinstance(data["realised_vol_30d"], float)
    assert json.dumps(data, allow_nan=False)
