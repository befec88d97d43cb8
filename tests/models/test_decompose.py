"""Volume/valuation decomposition: closed forms by hand, and the exact-sum property."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.decompose import GROUPS_SCHEMA, Decomposition, decompose

MAY, JUNE = date(2024, 5, 1), date(2024, 6, 1)

Row = tuple[date, str, str, int, float, float]  # month, currency, country, sign, amount, usd


def _groups(rows: list[Row]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=GROUPS_SCHEMA, orient="row")


def _decompose(rows: list[Row], series: str = "remit.in.total.M") -> Decomposition:
    return decompose(series, MAY, JUNE, _groups(rows))


def test_rouble_volume_up_and_rate_down_cancel() -> None:
    # RUB 1,000,000 at 0.011 USD -> 1,100,000 at 0.010 USD: 11,000 USD both months.
    result = _decompose(
        [
            (MAY, "RUB", "RU", 1, 1_000_000.0, 11_000.0),
            (JUNE, "RUB", "RU", 1, 1_100_000.0, 11_000.0),
        ]
    )
    assert result.volume == pytest.approx(100_000 * 0.011)  # +1,100
    assert result.valuation == pytest.approx(1_100_000 * (0.010 - 0.011))  # -1,100
    assert result.change == pytest.approx(0.0, abs=1e-9)
    assert (result.value_from, result.value_to) == (11_000.0, 11_000.0)


@pytest.mark.parametrize(
    ("currency", "a0", "v0", "a1", "v1", "volume", "valuation"),
    [
        ("RUB", 1e6, 11_000.0, 1e6, 10_000.0, 0.0, -1_000.0),  # only the rouble fell
        ("RUB", 1e6, 11_000.0, 9e5, 9_900.0, -1_100.0, 0.0),  # only the volume fell
        ("RUB", 1e6, 11_000.0, 5e5, 4_500.0, -5e5 * 0.011, 5e5 * (0.009 - 0.011)),  # both
        ("USD", 1_000.0, 1_000.0, 1_200.0, 1_200.0, 200.0, 0.0),  # dollars have no valuation
        ("KZT", 0.0, 0.0, 1e6, 2_000.0, 2_000.0, 0.0),  # a zero amount before: all volume
        ("KZT", 1e6, 2_200.0, 0.0, 0.0, -2_200.0, 0.0),  # a zero amount after: all volume
    ],
)
def test_one_group_closed_forms(
    currency: str, a0: float, v0: float, a1: float, v1: float, volume: float, valuation: float
) -> None:
    result = _decompose([(MAY, currency, "XX", 1, a0, v0), (JUNE, currency, "XX", 1, a1, v1)])
    assert result.volume == pytest.approx(volume, abs=1e-9)
    assert result.valuation == pytest.approx(valuation, abs=1e-9)
    assert result.change == pytest.approx(v1 - v0)
    [part] = result.by_currency
    assert (part.currency, part.volume, part.valuation) == (
        currency,
        result.volume,
        result.valuation,
    )


def test_effective_rate_is_amount_weighted_over_report_dates() -> None:
    # May: 500,000 at 0.011 and 500,000 at 0.010 -> r0 = 0.0105; June: 1,000,000 at 0.010.
    result = _decompose(
        [
            (MAY, "RUB", "RU", 1, 500_000.0, 5_500.0),
            (MAY, "RUB", "RU", 1, 500_000.0, 5_000.0),
            (JUNE, "RUB", "RU", 1, 1_000_000.0, 10_000.0),
        ]
    )
    assert result.volume == pytest.approx(0.0, abs=1e-9)
    assert result.valuation == pytest.approx(1_000_000 * (0.010 - 0.0105))


def test_new_and_vanished_currencies_are_all_volume() -> None:
    result = _decompose(
        [
            (MAY, "RUB", "RU", 1, 1e6, 11_000.0),
            (MAY, "EUR", "DE", 1, 100.0, 108.0),  # gone in June
            (JUNE, "RUB", "RU", 1, 1e6, 10_000.0),
            (JUNE, "KZT", "KZ", 1, 1e6, 2_000.0),  # new in June
        ]
    )
    parts = {p.currency: (p.volume, p.valuation, p.change) for p in result.by_currency}
    assert parts["KZT"] == (2_000.0, 0.0, 2_000.0)
    assert parts["EUR"] == (-108.0, 0.0, -108.0)
    assert parts["RUB"] == pytest.approx((0.0, -1_000.0, -1_000.0))
    assert [p.currency for p in result.by_currency] == ["KZT", "RUB", "EUR"]  # largest first
    assert result.volume == pytest.approx(2_000.0 - 108.0)
    assert result.valuation == pytest.approx(-1_000.0)


def test_net_series_subtracts_the_outflows() -> None:
    inflows: list[Row] = [
        (MAY, "RUB", "RU", 1, 1e6, 11_000.0),
        (JUNE, "RUB", "RU", 1, 1e6, 10_000.0),
    ]
    outflows: list[Row] = [
        (MAY, "RUB", "RU", 1, 2e5, 2_200.0),
        (JUNE, "RUB", "RU", 1, 3e5, 3_000.0),
        (JUNE, "USD", "US", 1, 500.0, 500.0),
    ]
    net = _decompose(
        inflows + [(m, c, k, -1, a, u) for m, c, k, _, a, u in outflows], "remit.net.total.M"
    )
    into, out = _decompose(inflows), _decompose(outflows, "remit.out.total.M")
    assert net.value_from == pytest.approx(11_000.0 - 2_200.0)
    assert net.value_to == pytest.approx(10_000.0 - 3_500.0)
    for field in ("change", "volume", "valuation"):
        assert getattr(net, field) == pytest.approx(getattr(into, field) - getattr(out, field))
    # Outflows of RUB: volume (3e5 - 2e5) x 0.011 = 1,100, valuation 3e5 x -0.001 = -300.
    rub = next(p for p in net.by_currency if p.currency == "RUB")
    assert (rub.volume, rub.valuation) == pytest.approx((0.0 - 1_100.0, -1_000.0 + 300.0))
    us = next(p for p in net.by_country if p.country == "US")
    assert (us.volume, us.valuation, us.change) == (-500.0, 0.0, -500.0)


def test_countries_sum_their_currencies() -> None:
    result = _decompose(
        [
            (MAY, "RUB", "RU", 1, 1e6, 11_000.0),
            (MAY, "USD", "RU", 1, 1_000.0, 1_000.0),
            (JUNE, "RUB", "RU", 1, 1e6, 10_000.0),
            (JUNE, "USD", "RU", 1, 1_500.0, 1_500.0),
        ]
    )
    [russia] = result.by_country
    assert russia.country == "RU"
    assert (russia.volume, russia.valuation) == pytest.approx((500.0, -1_000.0))


def test_to_dict_is_json_ready_with_months_and_cents() -> None:
    result = decompose(
        "remit.in.total.M",
        date(2024, 5, 17),  # any day names its month
        date(2024, 6, 30),
        _groups([(MAY, "RUB", "RU", 1, 1e6, 11_000.004), (JUNE, "RUB", "RU", 1, 1e6, 10_000.001)]),
    )
    shown = json.loads(json.dumps(result.to_dict()))
    assert set(shown) >= {
        "series", "from", "to", "value_from", "value_to", "change", "volume", "valuation",
        "by_currency", "by_country",
    }  # fmt: skip
    assert (shown["from"], shown["to"]) == ("2024-05", "2024-06")
    assert (shown["change"], shown["volume"], shown["valuation"]) == (-1_000.0, 0.0, -1_000.0)
    assert shown["by_currency"] == [
        {"currency": "RUB", "volume": 0.0, "valuation": -1_000.0, "change": -1_000.0}
    ]
    assert shown["by_country"][0]["country"] == "RU"


@pytest.mark.parametrize(
    ("frame", "start", "end", "message"),
    [
        (_groups([]), JUNE, MAY, "before"),
        (_groups([]), MAY, date(2024, 5, 31), "before"),
        (_groups([]).drop("usd"), MAY, JUNE, "usd"),
        (_groups([(MAY, "RUB", "RU", 2, 1.0, 1.0)]), MAY, JUNE, "sign"),
    ],
)
def test_malformed_input_is_a_programming_error(
    frame: pl.DataFrame, start: date, end: date, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        decompose("remit.in.total.M", start, end, frame)


_cells = st.tuples(
    st.sampled_from(["RUB", "KZT", "USD", "EUR"]),
    st.sampled_from(["RU", "KZ", "US"]),
    st.sampled_from([1, -1]),
    st.one_of(st.none(), st.floats(0.0, 1e9)),  # amount in May (None: absent)
    st.floats(1e-5, 2.0),  # USD per unit in May
    st.one_of(st.none(), st.floats(0.0, 1e9)),  # amount in June
    st.floats(1e-5, 2.0),  # USD per unit in June
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_cells, max_size=12))
def test_parts_add_up_to_the_change(cells: list[tuple[object, ...]]) -> None:
    rows: list[Row] = []
    for currency, country, sign, a0, r0, a1, r1 in cells:
        assert isinstance(currency, str) and isinstance(country, str) and isinstance(sign, int)
        for month, amount, rate in ((MAY, a0, r0), (JUNE, a1, r1)):
            if isinstance(amount, float) and isinstance(rate, float):
                rows.append((month, currency, country, sign, amount, amount * rate))
    result = _decompose(rows)
    scale = sum(abs(row[5]) for row in rows) or 1.0
    signed = {m: sum(r[3] * r[5] for r in rows if r[0] == m) for m in (MAY, JUNE)}
    assert result.value_from == pytest.approx(signed[MAY], rel=1e-9, abs=1e-9 * scale)
    assert result.value_to == pytest.approx(signed[JUNE], rel=1e-9, abs=1e-9 * scale)
    assert result.volume + result.valuation == pytest.approx(result.change, abs=1e-6 * scale)
    for parts in (result.by_currency, result.by_country):
        assert sum(p.change for p in parts) == pytest.approx(result.change, abs=1e-6 * scale)
        for part in parts:
            assert part.volume + part.valuation == pytest.approx(part.change, abs=1e-6 * scale)
