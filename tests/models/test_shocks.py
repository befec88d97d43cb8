"""Shock scoring, events with hysteresis, and attribution to components."""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pytest

from models.series import DateArray, FloatArray, next_periods
from models.shocks import (
    ScoredPeriod,
    ShockEvent,
    ShockRule,
    attribute,
    detect_events,
    periods_below_band,
    score,
)

RULE = ShockRule()  # warning 2.5, critical 3.5, close 1.5, both sides


def months(n: int) -> DateArray:
    return next_periods(np.datetime64("2004-12-01"), "M", n)


def scored_from_z(zscores: list[float], rule: ShockRule = RULE) -> tuple[ScoredPeriod, ...]:
    """Observations e^z against a forecast of mean 0 and std 1 on the log scale score z."""
    z: FloatArray = np.array(zscores, dtype=np.float64)
    ones = np.ones_like(z)
    return score(months(z.size), np.exp(z), 0.0 * ones, ones, rule)


def test_score_matches_a_hand_computation() -> None:
    periods = months(3)
    observed = np.array([100.0, 50.0, 200.0])
    mean_log = np.full(3, math.log(100.0))
    std_log = np.array([0.1, 0.2, 0.5])

    scored = score(periods, observed, mean_log, std_log, RULE)

    assert [s.period for s in scored] == [date(2005, 1, 1), date(2005, 2, 1), date(2005, 3, 1)]
    assert [s.zscore for s in scored] == pytest.approx(
        [0.0, math.log(0.5) / 0.2, math.log(2.0) / 0.5]
    )
    assert [s.expected for s in scored] == pytest.approx([100.0] * 3)
    assert [s.lower_95 for s in scored] == pytest.approx(
        [100.0 * math.exp(-1.959964 * sd) for sd in (0.1, 0.2, 0.5)]
    )
    assert [s.upper_95 for s in scored] == pytest.approx(
        [100.0 * math.exp(1.959964 * sd) for sd in (0.1, 0.2, 0.5)]
    )
    # z = -3.47: warning (below critical 3.5); z = 1.39: nothing.
    assert [s.severity for s in scored] == [None, "warning", None]


@pytest.mark.filterwarnings("error")
def test_score_is_safe_on_unscorable_inputs() -> None:
    observed = np.array([0.0, -5.0, np.nan, np.inf, 100.0, 100.0, 100.0])
    mean_log = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, np.nan])
    std_log = np.array([1.0, 1.0, 1.0, 1.0, 0.0, np.nan, 1.0])

    scored = score(months(7), observed, mean_log, std_log, RULE)

    assert all(math.isnan(s.zscore) for s in scored)
    assert all(s.severity is None for s in scored)
    assert detect_events("x", scored, RULE) == ()
    assert json.dumps([s.to_dict() for s in scored], allow_nan=False)
    assert scored[0].to_dict()["zscore"] is None


def test_score_rejects_arrays_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="one length"):
        score(months(3), np.ones(3), np.zeros(2), np.ones(3), RULE)


def test_severity_depends_on_the_side_watched() -> None:
    scored = scored_from_z([-4.0, 4.0, 3.0], ShockRule(direction="down"))
    assert [s.severity for s in scored] == ["critical", None, None]


@pytest.mark.parametrize("bad", [dict(close_z=3.0), dict(critical_z=2.0), dict(close_z=-1.0)])
def test_rule_rejects_unordered_thresholds(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="close_z <= warning_z <= critical_z"):
        ShockRule(**bad)  # type: ignore[arg-type]


# (start, end, peak, severity, status, periods) as indices of the z sequence.
Expected = tuple[int, int | None, int, str, str, int]
NAN = float("nan")


@pytest.mark.parametrize(
    ("zscores", "direction", "expected"),
    [
        pytest.param([0.0, 1.0, 2.4, -2.4, 0.0], "both", [], id="nothing-above-warning"),
        pytest.param([0.0, 3.0, 0.0], "both", [(1, 1, 1, "warning", "closed", 1)], id="single"),
        pytest.param(
            [0.0, 2.6, 2.0, 1.6, 3.0, 1.4, 0.0],
            "both",
            [(1, 4, 4, "warning", "closed", 4)],
            id="hysteresis-dip-keeps-open",
        ),
        pytest.param(
            [2.5, 1.5, 1.0], "both", [(0, 1, 0, "warning", "closed", 2)], id="close-z-inclusive"
        ),
        pytest.param(
            [0.0, 2.6, 4.0, 2.0, 0.5],
            "both",
            [(1, 3, 2, "critical", "closed", 3)],
            id="critical-peak",
        ),
        pytest.param(
            [2.6, 1.4, 2.6],
            "both",
            [(0, 0, 0, "warning", "closed", 1), (2, None, 2, "warning", "open", 1)],
            id="dip-below-close-splits",
        ),
        pytest.param(
            [3.0, -3.0, 0.0],
            "both",
            [(0, 0, 0, "warning", "closed", 1), (1, 1, 1, "warning", "closed", 1)],
            id="sign-flip-opens-another",
        ),
        pytest.param(
            [3.0, -2.0, 0.0], "both", [(0, 0, 0, "warning", "closed", 1)], id="sign-flip-closes"
        ),
        pytest.param(
            [0.0, -2.7, -1.8], "both", [(1, None, 1, "warning", "open", 2)], id="open-at-end"
        ),
        pytest.param(
            [0.0, 3.0, 4.0, 0.0, -3.0, 0.0],
            "down",
            [(4, 4, 4, "warning", "closed", 1)],
            id="down-ignores-rises",
        ),
        pytest.param(
            [-4.0, 2.6], "up", [(1, None, 1, "warning", "open", 1)], id="up-ignores-falls"
        ),
        pytest.param(
            [-2.6, -4.0, 3.0],
            "down",
            [(0, 1, 1, "critical", "closed", 2)],
            id="down-closed-by-rise",
        ),
        pytest.param(
            [2.6, NAN, 2.0, 0.0],
            "both",
            [(0, 2, 0, "warning", "closed", 3)],
            id="unscorable-period-does-not-split",
        ),
        pytest.param(
            [-3.0, -3.0, 1.0],
            "both",
            [(0, 1, 0, "warning", "closed", 2)],
            id="first-of-equal-peaks",
        ),
    ],
)
def test_detect_events(
    zscores: list[float],
    direction: str,
    expected: list[Expected],
) -> None:
    rule = ShockRule(direction=direction)  # type: ignore[arg-type]
    scored = scored_from_z(zscores, rule)

    events = detect_events("remit.in.total.M", scored, rule)

    found = [
        (
            [s.period for s in scored].index(e.start),
            None if e.end is None else [s.period for s in scored].index(e.end),
            [s.period for s in scored].index(e.period),
            e.severity,
            e.status,
            e.periods,
        )
        for e in events
    ]
    assert found == expected
    for event in events:
        peak = scored[[s.period for s in scored].index(event.period)]
        assert (event.observed, event.expected, event.zscore) == (
            peak.observed,
            peak.expected,
            peak.zscore,
        )
        assert event.series == "remit.in.total.M"


def _simulate(generator: np.random.Generator, n: int, shocks: list[int]) -> tuple[int, int, int]:
    """(injected shocks detected, injected, false events) on one simulated series."""
    zscores = generator.standard_normal(n)
    injected = np.zeros(n, dtype=bool)
    injected[shocks] = True
    zscores[injected] -= 5.0
    scored = scored_from_z(list(zscores))
    events = detect_events("sim", scored, RULE)
    index = {s.period: i for i, s in enumerate(scored)}
    detected = 0
    false_events = 0
    for event in events:
        first = index[event.start]
        last = index[event.end] if event.end is not None else n - 1
        hits = int(np.sum(injected[first : last + 1]))
        detected += hits if event.zscore < 0 else 0
        false_events += hits == 0
    return detected, int(injected.sum()), false_events


def test_simulated_shocks_are_found_with_few_false_alarms() -> None:
    # 20 years of monthly z-scores ~ N(0, 1) with 8 injected falls of -5σ a season apart.
    # A shock month has z ~ N(-5, 1): it passes -2.5 with probability Φ(2.5) = 0.9938.
    # A noise month opens an event with P(|z| >= 2.5) = 2(1 - Φ(2.5)) = 0.0124, so a
    # series has about 232 × 0.0124 ≈ 2.9 false events (merging of neighbours is
    # negligible: it needs the previous month inside a same-side event, p ≈ 0.007).
    generator = np.random.default_rng(20240417)
    replications, n = 100, 240
    shocks = [12 + 30 * k for k in range(8)]
    results = [_simulate(generator, n, shocks) for _ in range(replications)]
    detected = sum(r[0] for r in results)
    injected = sum(r[1] for r in results)
    false_events = [r[2] for r in results]
    recall = detected / injected
    mean_false = float(np.mean(false_events))
    summary = (
        f"recall {recall:.4f} of {injected} injected shocks, mean false events per"
        f" 240 months {mean_false:.2f} (expected ≈ 2.9), most in one series {max(false_events)}"
    )
    # Recall: expected 0.9938, sd sqrt(0.9938 × 0.0062 / 800) = 0.003; 0.97 is 8 sd below.
    assert recall >= 0.97, summary
    # False events per 240 months: Poisson(≈2.9) per series; over 100 series the mean
    # has sd ≈ sqrt(2.9 / 100) = 0.17, so [2.2, 3.6] is about ±4 sd.
    assert 2.2 <= mean_false <= 3.6, summary
    # One series: P(Poisson(2.9) >= 13) ≈ 1e-5 per series, 0.1% over the 100 here.
    assert max(false_events) <= 12, summary


def _event(zscore: float, observed: float, expected: float) -> ShockEvent:
    return ShockEvent(
        series="remit.in.total.M",
        start=date(2022, 3, 1),
        end=date(2022, 4, 1),
        period=date(2022, 3, 1),
        observed=observed,
        expected=expected,
        lower_95=expected * 0.8,
        upper_95=expected * 1.2,
        zscore=zscore,
        severity="critical",
        status="closed",
        periods=2,
    )


# Observed and expected USD (millions) at the peak; each cut sums to the total 80 / 100.
COMPONENTS = {
    ("country", "RU"): (60.0, 75.0),
    ("country", "KZ"): (12.0, 19.0),
    ("country", "US"): (5.0, 5.0),
    ("country", "TR"): (3.0, 1.0),
    ("system", "Zolotaya Korona"): (50.0, 65.0),
    ("system", "Unistream"): (30.0, 35.0),
}


def test_attribute_orders_contributors_by_the_gap_they_explain() -> None:
    event = attribute(_event(-4.2, 80.0, 100.0), COMPONENTS)

    order = [(c.dimension, c.name) for c in event.contributors]
    assert order == [
        ("country", "RU"),
        ("system", "Zolotaya Korona"),
        ("country", "KZ"),
        ("system", "Unistream"),
        ("country", "US"),
        ("country", "TR"),
    ]
    russia = event.contributors[0]
    assert (russia.observed, russia.expected, russia.gap) == (60.0, 75.0, -15.0)
    assert russia.share_of_gap == pytest.approx(0.75)
    for dimension in ("country", "system"):
        shares = [c.share_of_gap for c in event.contributors if c.dimension == dimension]
        assert sum(s for s in shares if s is not None) == pytest.approx(1.0)


def test_attribute_keeps_the_top_of_each_dimension() -> None:
    event = attribute(_event(-4.2, 80.0, 100.0), COMPONENTS, top=1)
    assert [c.name for c in event.contributors] == ["RU", "Zolotaya Korona"]


def test_attribute_ranks_rises_for_an_upward_shock() -> None:
    components = {("country", "RU"): (90.0, 70.0), ("country", "KZ"): (25.0, 30.0)}
    event = attribute(_event(3.0, 115.0, 100.0), components)
    assert [c.name for c in event.contributors] == ["RU", "KZ"]
    assert [c.share_of_gap for c in event.contributors] == pytest.approx([20 / 15, -5 / 15])


def test_attribute_skips_unusable_components() -> None:
    components = {("country", "RU"): (math.nan, 70.0), ("country", "KZ"): (25.0, 30.0)}
    event = attribute(_event(-3.0, 100.0, 100.0), components)
    assert [c.name for c in event.contributors] == ["KZ"]
    assert event.contributors[0].share_of_gap is None  # the series' gap is zero
    assert attribute(event, {}).contributors == ()


def test_event_to_dict_is_the_json_contract() -> None:
    scored = scored_from_z([0.0, -3.0, -4.0, -2.0])
    (event,) = detect_events("remit.in.total.M", scored, RULE)
    event = attribute(event, {("country", "RU"): (1.0, 2.0)})

    data = event.to_dict()

    assert list(data) == [
        "series",
        "start",
        "end",
        "period",
        "observed",
        "expected",
        "lower_95",
        "upper_95",
        "zscore",
        "severity",
        "status",
        "periods",
        "contributors",
    ]
    assert data["start"] == "2005-02-01"
    assert data["end"] is None
    assert data["period"] == "2005-03-01"
    assert data["status"] == "open"
    assert data["severity"] == "critical"
    assert data["zscore"] == pytest.approx(-4.0)
    assert data["contributors"] == [
        {
            "name": "RU",
            "dimension": "country",
            "observed": 1.0,
            "expected": 2.0,
            "gap": -1.0,
            "share_of_gap": pytest.approx(-1.0 / (math.exp(-4.0) - 1.0)),
        }
    ]
    assert json.loads(json.dumps(data, allow_nan=False))["series"] == "remit.in.total.M"


def _scored(observed: float, lower: float) -> ScoredPeriod:
    return ScoredPeriod(date(2024, 1, 1), observed, 100.0, lower, 150.0, 0.0, None)


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], 0),
        ([(90, 80)], 0),  # inside the band
        ([(70, 80)], 1),
        ([(70, 80), (60, 80), (75, 80)], 3),
        ([(70, 80), (90, 80), (75, 80)], 1),  # the run restarts after a period inside
        ([(70, 80), (float("nan"), 80)], 0),  # an unscorable last period ends the run
        ([(70, 80), (160, 80)], 0),  # above the band is not below it
    ],
)
def test_periods_below_band_counts_the_trailing_run(
    pairs: list[tuple[float, float]], expected: int
) -> None:
    assert periods_below_band([_scored(o, lower) for o, lower in pairs]) == expected
