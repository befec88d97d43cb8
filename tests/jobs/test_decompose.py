"""Decomposition of stored monthly series: month values equal the store's, hand-made cases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from config import Settings
from jobs.decompose import DecomposeError, decompose_series, select_series
from jobs.ingest_rates import ingest_rates
from jobs.ingest_transfers import ingest_transfers
from service.store import Store

MAY, JUNE, JULY, AUGUST = (date(2024, month, 1) for month in (5, 6, 7, 8))

# Som per unit. RUB: 0.968 / 88 = 0.011 USD in May, 0.010 from June, 0.009 then 0.011
# within August; KZT: 0.176 / 88 = 0.002 USD until the dollar moves on 15 August.
RATES_CSV = """date,currency,nominal,value
2024-05-01,USD,1,88.0000
2024-05-01,RUB,1,0.9680
2024-05-01,KZT,1,0.1760
2024-06-01,RUB,1,0.8800
2024-08-01,RUB,1,0.7920
2024-08-15,RUB,1,0.9680
2024-08-15,USD,1,89.0000
"""

# June repeats May's amounts (only the rouble moved); July cuts amounts at June's rates.
TRANSFERS_CSV = """report_date,bank_code,system,country,direction,currency,amount,count
2024-05-02,B1,Contact,RU,in,RUB,1000000.00,100
2024-05-02,B1,Golden Crown,KZ,in,KZT,1000000.00,40
2024-05-02,B1,Western Union,US,out,USD,500.00,2
2024-06-03,B1,Contact,RU,in,RUB,1000000.00,100
2024-06-03,B1,Golden Crown,KZ,in,KZT,1000000.00,40
2024-06-03,B1,Western Union,US,out,USD,500.00,2
2024-07-02,B1,Contact,RU,in,RUB,900000.00,90
2024-07-02,B1,Golden Crown,KZ,in,KZT,500000.00,20
2024-07-02,B1,Western Union,US,out,USD,500.00,2
2024-08-02,B1,Contact,RU,in,RUB,600000.00,60
2024-08-16,B1,Contact,RU,in,RUB,400000.00,40
2024-08-16,B2,Golden Crown,KZ,in,KZT,500000.00,20
2024-08-16,B2,Golden Crown,RU,out,RUB,100000.00,10
2024-08-16,B1,Western Union,US,out,USD,700.00,3
"""

KEYS = (
    "remit.in.total.M",
    "remit.out.total.M",
    "remit.net.total.M",
    "remit.in.country.RU.M",
    "remit.in.country.KZ.M",
    "remit.in.system.CONTACT.M",
    "remit.in.system.GOLDEN_CROWN.M",
)


@pytest.fixture
def filled(store: Store, settings: Settings, tmp_path: Path) -> Store:
    rates, transfers = tmp_path / "rates.csv", tmp_path / "transfers.csv"
    rates.write_text(RATES_CSV)
    transfers.write_text(TRANSFERS_CSV)
    assert not ingest_rates(store, settings, str(rates)).failed
    report = ingest_transfers(store, settings, str(transfers))
    assert not report.failed and report.outcomes[0].rows_quarantined == 0
    return store


@pytest.mark.parametrize("key", KEYS)
def test_month_values_equal_the_stored_series(filled: Store, key: str) -> None:
    stored = dict(filled.series_as_of(key).select("period", "value").iter_rows())
    for start, end in ((MAY, JUNE), (JUNE, JULY), (JULY, AUGUST), (MAY, AUGUST)):
        result = decompose_series(filled, key, start, end)
        assert result.value_from == pytest.approx(stored[start], abs=0.005)
        assert result.value_to == pytest.approx(stored[end], abs=0.005)
        assert result.volume + result.valuation == pytest.approx(result.change, abs=1e-6)


def test_a_month_where_only_the_rouble_fell_is_all_valuation(filled: Store) -> None:
    result = decompose_series(filled, "remit.in.total.M", MAY, JUNE)
    assert result.change == pytest.approx(1_000_000 * (0.010 - 0.011))  # -1,000 USD
    assert result.volume == pytest.approx(0.0, abs=1e-6)
    assert result.valuation == pytest.approx(-1_000.0)
    parts = {p.currency: (p.volume, p.valuation) for p in result.by_currency}
    assert parts == {"RUB": pytest.approx((0.0, -1_000.0)), "KZT": pytest.approx((0.0, 0.0))}
    assert result.by_country[0].country == "RU"
    net = decompose_series(filled, "remit.net.total.M", MAY, JUNE)  # outflows in USD, unchanged
    assert (net.volume, net.valuation) == pytest.approx((0.0, -1_000.0))


def test_a_month_where_only_volumes_fell_is_all_volume(filled: Store) -> None:
    result = decompose_series(filled, "remit.in.total.M", JUNE, JULY)
    # RUB: -100,000 x 0.010 = -1,000; KZT: -500,000 x 0.002 = -1,000.
    assert (result.volume, result.valuation) == pytest.approx((-2_000.0, 0.0), abs=1e-6)
    assert {p.country: p.volume for p in result.by_country} == pytest.approx(
        {"RU": -1_000.0, "KZ": -1_000.0}
    )
    kazakh = decompose_series(filled, "remit.in.system.GOLDEN_CROWN.M", JUNE, JULY)
    assert [p.currency for p in kazakh.by_currency] == ["KZT"]
    assert kazakh.volume == pytest.approx(-1_000.0)


def test_net_series_subtracts_outflows_by_currency(filled: Store) -> None:
    into = decompose_series(filled, "remit.in.total.M", JULY, AUGUST)
    out = decompose_series(filled, "remit.out.total.M", JULY, AUGUST)
    net = decompose_series(filled, "remit.net.total.M", JULY, AUGUST)
    assert (net.volume, net.valuation) == pytest.approx(
        (into.volume - out.volume, into.valuation - out.valuation)
    )
    # New in August: 100,000 RUB out at 0.968 / 89 USD: all volume (net counts it negative).
    rub_out = next(p for p in out.by_currency if p.currency == "RUB")
    assert (rub_out.volume, rub_out.valuation) == pytest.approx((100_000 * 0.968 / 89, 0.0))


@pytest.mark.parametrize(
    ("key", "start", "end", "message"),
    [
        ("remit.in.total.D", MAY, JUNE, "remit.in.total.M"),
        ("remit.in.total.W", MAY, JUNE, "not monthly"),
        ("fx.RUB.M", MAY, JUNE, "not a remittance series"),
        ("remit.in.corridor.RU.M", MAY, JUNE, "not a known"),
        ("remit.in.country.XX.M", MAY, JUNE, "remitwatch series list"),
        ("remit.in.total.M", date(2024, 1, 1), JUNE, "no converted transfers in 2024-01"),
        ("remit.in.total.M", JUNE, date(2024, 9, 1), "no converted transfers in 2024-09"),
        ("remit.in.total.M", JUNE, date(2024, 6, 20), "earlier month first"),
    ],
)
def test_errors_say_what_to_do(
    filled: Store, key: str, start: date, end: date, message: str
) -> None:
    with pytest.raises(DecomposeError, match=message):
        decompose_series(filled, key, start, end)


def test_key_selection() -> None:
    assert select_series("remit.net.total.M").signs == {"in": 1, "out": -1}
    assert select_series("remit.in.system.WESTERN_UNION.M").system_code == "WESTERN_UNION"
    assert select_series("remit.in.country.KZ.M").country == "KZ"
