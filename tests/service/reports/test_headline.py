"""The headline figures equal what the store holds, and the HTML shows them."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest

from service.reports.gather import default_month
from service.reports.headline import compute_headline
from service.reports.readings import pct, usd
from tests.fitted_sample import FittedSample, sample_settings
from tests.service.reports.conftest import SampleReports


def _value(fitted: FittedSample, key: str, period: date) -> float:
    frame = fitted.store.series_as_of(key).filter(pl.col("period") == period)
    assert frame.height == 1
    return float(frame["value"][0])


def _last_rate(fitted: FittedSample, day: date) -> float:
    frame = fitted.store.series_as_of("fx.USD.D").filter(pl.col("period") <= day)
    return float(frame.sort("period")["value"][-1])


def test_the_default_month_is_the_last_complete_one(fitted_sample: FittedSample) -> None:
    last_day = fitted_sample.store.series_as_of("remit.in.total.D")["period"].max()
    assert last_day == date(2026, 8, 22)  # the sample ends mid-August
    assert default_month(fitted_sample.store) == date(2026, 7, 1)


def test_every_headline_figure_matches_the_store(fitted_sample: FittedSample) -> None:
    settings = sample_settings(fitted_sample.data_dir, reports={"gdp_usd": {2025: 14e9}})
    h = compute_headline(fitted_sample.store, settings, date(2026, 7, 1))
    july = _value(fitted_sample, "remit.in.total.M", date(2026, 7, 1))
    june = _value(fitted_sample, "remit.in.total.M", date(2026, 6, 1))
    year_ago = _value(fitted_sample, "remit.in.total.M", date(2025, 7, 1))
    assert h.inflows_usd == july
    assert h.mom_pct == pytest.approx(100 * (july / june - 1))
    assert h.yoy_pct == pytest.approx(100 * (july / year_ago - 1))
    twelve = float(
        fitted_sample.store.series_as_of("remit.in.total.M")
        .filter(pl.col("period").is_between(date(2025, 8, 1), date(2026, 7, 1)))["value"]
        .sum()
    )
    assert h.inflows_12m_usd == pytest.approx(twelve)
    assert h.gdp_year == 2025
    assert h.gdp_share_pct == pytest.approx(100 * twelve / 14e9)
    end_july, end_june = (
        _last_rate(fitted_sample, date(2026, 7, 31)),
        _last_rate(fitted_sample, date(2026, 6, 30)),
    )
    assert (h.som_usd, h.som_usd_date) == (end_july, date(2026, 7, 31))
    assert h.som_usd_change_pct == pytest.approx(100 * (end_july / end_june - 1))


def test_without_gdp_no_share_is_made_up(fitted_sample: FittedSample) -> None:
    h = compute_headline(fitted_sample.store, fitted_sample.settings, date(2026, 7, 1))
    assert h.gdp_share_pct is None and h.gdp_year is None


def _figure(html: str, name: str) -> str:
    match = re.search(
        rf'data-figure="{name}">.*?<div class="value">([^<]*)</div>', html, flags=re.S
    )
    assert match, name
    return match[1]


def test_the_html_headline_shows_the_store_figures(
    fitted_sample: FittedSample, sample_reports: SampleReports
) -> None:
    html = sample_reports.html.read_text(encoding="utf-8")
    h = compute_headline(fitted_sample.store, fitted_sample.settings, date(2026, 7, 1))
    assert _figure(html, "inflows_usd") == usd(h.inflows_usd)
    assert _figure(html, "yoy_pct") == pct(h.yoy_pct)
    assert _figure(html, "mom_pct") == pct(h.mom_pct)
    assert _figure(html, "som_usd") == f"{h.som_usd:.2f}"
    assert _figure(html, "som_usd_change_pct") == pct(h.som_usd_change_pct)
    assert _figure(html, "inflows_12m_usd") == usd(h.inflows_12m_usd)
