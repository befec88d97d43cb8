"""The report's charts, each drawn from gathered data into PNG bytes."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from service.reports.gather import FanPanel, FxPanel
from service.reports.series_frames import Series, sentence_case
from service.reports.style import (
    FAN_80,
    FAN_95,
    INK,
    PALETTE,
    SHOCK,
    dates_on_x,
    figure,
    png_bytes,
    usd_millions,
)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _days(values: list[Any]) -> np.ndarray[Any, np.dtype[np.datetime64]]:
    return np.array([np.datetime64(str(value), "D") for value in values])


def fan_chart(panels: list[FanPanel], month: date) -> bytes:
    """Inflows (USD m) with the latest forecast's 80%/95% fan; shocks as markers."""
    with figure(2.6 * len(panels)) as fig:
        axes_list = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
        for axes, panel in zip(axes_list, panels, strict=True):
            axes.plot(panel.actual.periods, panel.actual.values, color=INK, lw=1.3, label="Inflows")
            if panel.forecast:
                when = _days([p["period"] for p in panel.forecast])
                pick = {
                    k: np.array([p[k] for p in panel.forecast])
                    for k in panel.forecast[0]
                    if k != "period"
                }
                axes.fill_between(
                    when, pick["lower_95"], pick["upper_95"], color=FAN_95, label="95% band"
                )
                axes.fill_between(
                    when, pick["lower_80"], pick["upper_80"], color=FAN_80, label="80% band"
                )
                axes.plot(when, pick["mean"], color=PALETTE[0], lw=1.2, ls="--", label="Forecast")
            first = panel.actual.periods[0] if len(panel.actual) else None
            shocks = [
                (d, s)
                for d, s in panel.shocks
                if first is not None and np.datetime64(d, "D") >= first
            ]
            if shocks:
                shown = Series(
                    "shocks",
                    _days([d for d, _ in shocks]),
                    np.array([panel.actual.at(d) or np.nan for d, _ in shocks]),
                )
                axes.scatter(
                    shown.periods,
                    shown.values,
                    color=SHOCK,
                    zorder=3,
                    s=22,
                    marker="v",
                    label="Shock",
                )
            axes.axvline(np.datetime64(month, "D"), color="#888888", lw=0.8, ls=":")
            axes.set_title(panel.label, loc="left")
            axes.set_ylabel("USD million per month")
            usd_millions(axes)
            dates_on_x(axes)
            axes.legend(loc="upper left", ncols=5)
        return png_bytes(fig)


def stacked_chart(parts: dict[str, Series], title: str) -> bytes:
    """Monthly inflows (USD m) stacked by component."""
    with figure(2.7) as fig:
        axes = fig.subplots()
        names = list(parts)
        if not names:
            axes.text(
                0.5,
                0.5,
                "No inflows stored by this breakdown",
                ha="center",
                transform=axes.transAxes,
            )
            axes.set_title(title, loc="left")
            return png_bytes(fig)
        periods = parts[names[0]].periods
        axes.stackplot(
            periods,
            *[parts[n].values for n in names],
            labels=names,
            colors=PALETTE[: len(names)],
            alpha=0.9,
        )
        axes.set_title(title, loc="left")
        axes.set_ylabel("USD million per month")
        usd_millions(axes)
        dates_on_x(axes)
        axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
        return png_bytes(fig)


def seasonal_shares(history: Series) -> tuple[dict[int, list[float]], dict[int, float]]:
    """Per calendar year, each month's inflows as % of that year's monthly average."""
    years: dict[int, list[float]] = {}
    for period, value in zip(history.periods.astype(object), history.values, strict=True):
        years.setdefault(period.year, [np.nan] * 12)[period.month - 1] = float(value)
    profile: dict[int, list[float]] = {}
    for year, values in years.items():
        full = [v for v in values if not np.isnan(v)]
        level = float(np.mean(full)) if full else np.nan
        profile[year] = [100.0 * v / level for v in values]
    complete = [p for y, p in profile.items() if not np.isnan(p).any()]
    mean = (
        {m: float(np.mean([p[m - 1] for p in complete])) for m in range(1, 13)} if complete else {}
    )
    return profile, mean


def seasonal_chart(history: Series, month: date) -> bytes:
    """Each month's inflows as % of its year's monthly average: past years and their mean."""
    profile, mean = seasonal_shares(history)
    with figure(2.5) as fig:
        axes = fig.subplots()
        x = np.arange(1, 13)
        for year, values in sorted(profile.items()):
            if year != month.year:
                axes.plot(x, values, color="#bbbbbb", lw=0.8)
        if mean:
            axes.plot(
                x,
                [mean[m] for m in range(1, 13)],
                color=PALETTE[0],
                lw=2,
                label="Average of full years",
            )
        if month.year in profile:
            axes.plot(
                x,
                profile[month.year],
                color=SHOCK,
                lw=1.6,
                marker="o",
                ms=3,
                label=f"{month.year} (to date)",
            )
        axes.axhline(100, color="#888888", lw=0.8)
        axes.set_xticks(x, MONTHS)
        axes.set_xlabel("Calendar month")
        axes.set_ylabel("% of the year's monthly average")
        axes.set_title("Seasonal profile of total inflows", loc="left")
        axes.legend(loc="upper left")
        return png_bytes(fig)


def fx_chart(panels: list[FxPanel]) -> bytes:
    """Each rate (top) and its 30/90-day realised volatility in % per year (bottom)."""
    with figure(4.4) as fig:
        grid = fig.subplots(
            2, len(panels), squeeze=False, sharex="col", gridspec_kw={"height_ratios": [3, 2]}
        )
        for column, panel in enumerate(panels):
            top, bottom = grid[0, column], grid[1, column]
            top.plot(panel.rate.periods, panel.rate.values, color=PALETTE[column], lw=1.2)
            top.set_title(sentence_case(panel.label), loc="left")
            top.set_ylabel(panel.label)
            bottom.plot(
                panel.vol_30.periods,
                panel.vol_30.values,
                lw=1,
                label="30-day",
                color=PALETTE[column],
            )
            bottom.plot(
                panel.vol_90.periods, panel.vol_90.values, lw=1.4, label="90-day", color=INK
            )
            bottom.set_ylabel("Volatility, % per year")
            bottom.legend(loc="upper left", ncols=2)
            dates_on_x(bottom)
        return png_bytes(fig)


def irf_chart(irf: list[dict[str, Any]], shock_pct: float) -> bytes:
    """Cumulative % response of som per USD to the remittance shock, with its band."""
    with figure(2.6, 3.5) as fig:
        axes = fig.subplots()
        h = np.array([p["horizon"] for p in irf])
        axes.fill_between(
            h, [p["lower"] for p in irf], [p["upper"] for p in irf], color=FAN_80, label="95% band"
        )
        axes.plot(
            h,
            [p["response"] for p in irf],
            color=PALETTE[0],
            lw=1.6,
            marker="o",
            ms=3,
            label="Response",
        )
        axes.axhline(0, color="#888888", lw=0.8)
        axes.set_xlabel("Months after the shock")
        axes.set_ylabel("Som per USD, cumulative % change")
        axes.set_title(f"Response to a {shock_pct:+.0f}% remittance shock", loc="left")
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2)
        return png_bytes(fig)


def fevd_chart(fevd: list[dict[str, Any]]) -> bytes:
    """Share (%) of the som/USD forecast error variance due to each variable's shocks."""
    with figure(2.6, 3.5) as fig:
        axes = fig.subplots()
        h = np.array([p["horizon"] for p in fevd])
        bottom = np.zeros(h.size)
        for index, name in enumerate(fevd[0]["shares"]):
            share = np.array([100.0 * p["shares"][name] for p in fevd])
            axes.bar(h, share, bottom=bottom, color=PALETTE[index], label=name.replace("_", "/"))
            bottom += share
        axes.set_ylim(0, 100)
        axes.set_xlabel("Months ahead")
        axes.set_ylabel("% of som/USD variance")
        axes.set_title("Variance decomposition", loc="left")
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=3)
        return png_bytes(fig)


def mase_chart(backtests: list[dict[str, Any]]) -> bytes:
    """MASE of each model and of its benchmark over the same origins (seasonal-naive; no
    change for the VAR's som/USD)."""
    rows = [b for b in backtests if b.get("mase") is not None]
    with figure(0.9 + 0.38 * max(len(rows), 1)) as fig:
        axes = fig.subplots()
        y = np.arange(len(rows))
        axes.barh(y + 0.2, [b["mase"] for b in rows], height=0.38, label="Model", color=PALETTE[0])
        axes.barh(
            y - 0.2,
            [b.get("naive_mase") or 0.0 for b in rows],
            height=0.38,
            label="Benchmark: seasonal naive (VAR: no change)",
            color=PALETTE[6],
        )
        axes.set_yticks(y, [b["series"] for b in rows])
        axes.invert_yaxis()
        axes.axvline(1.0, color="#888888", lw=0.8, ls=":")
        axes.set_xlabel("MASE (mean absolute error / in-sample seasonal-naive error)")
        axes.set_title("Forecast accuracy, one month ahead", loc="left")
        axes.legend(loc="lower right")
        return png_bytes(fig)
