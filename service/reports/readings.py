"""One-line readings of each chart and table, written from the numbers (never by hand)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from service.reports.gather import FanPanel, FxPanel, ReportData
from service.reports.headline import Headline
from service.reports.series_frames import Series, month_label, sentence_case


def usd(value: float | None) -> str:
    """`$320.1m`, `$1.25bn`, `n/a`."""
    if value is None:
        return "n/a"
    if abs(value) >= 1e9:
        return f"${value / 1e9:,.2f}bn"
    return f"${value / 1e6:,.1f}m"


def pct(value: float | None, signed: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.1f}%" if signed else f"{value:.1f}%"


def headline_reading(h: Headline) -> str:
    parts = [f"Inflows in {month_label(h.month)} were {usd(h.inflows_usd)}"]
    parts.append(f"{pct(h.yoy_pct)} on a year earlier and {pct(h.mom_pct)} on the month")
    line = ", ".join(parts)
    if h.som_usd is not None:
        change = pct(h.som_usd_change_pct)
        line += f"; the som closed the month at {h.som_usd:.2f} per US dollar ({change})"
    return line + "."


def fan_reading(panel: FanPanel, month: date) -> str:
    """Where the report month fell against the forecast, or what comes next."""
    value = panel.actual.at(month)
    point = next((p for p in panel.forecast if str(p["period"]) == month.isoformat()), None)
    recent = [d for d, _ in panel.shocks if (month - d).days < 366 and d <= month]
    shocks = (
        f"; {len(recent)} shock(s) in the last 12 months"
        if recent
        else "; no shocks in the last 12 months"
    )
    if point is not None and value is not None:
        where = (
            "inside the 80% band"
            if point["lower_80"] <= value <= point["upper_80"]
            else "outside the 80% band"
        )
        return (
            f"{panel.label}: {usd(value)} in {month_label(month)} against a forecast of "
            f"{usd(point['mean'])}, {where}{shocks}."
        )
    if panel.forecast:
        nxt = panel.forecast[0]
        when = month_label(date.fromisoformat(str(nxt["period"])))
        return (
            f"{panel.label}: {usd(value)} in {month_label(month)}; the model expects "
            f"{usd(nxt['mean'])} in {when} (80% band {usd(nxt['lower_80'])}–{usd(nxt['upper_80'])})"
            f"{shocks}."
        )
    return f"{panel.label}: {usd(value)} in {month_label(month)}; no forecast stored{shocks}."


def share_reading(parts: dict[str, Series], month: date, what: str) -> str:
    """The largest component's share this month and a year earlier."""
    if not parts:
        return f"No inflows by {what} are stored."

    def shares(period: date) -> dict[str, float]:
        values = {n: s.at(period) or 0.0 for n, s in parts.items()}
        total = sum(values.values())
        return {n: 100.0 * v / total for n, v in values.items()} if total else {}

    now = shares(month)
    if not now:
        return f"No inflows by {what} in {month_label(month)}."
    leader = max(now, key=lambda n: now[n])
    before = shares(date(month.year - 1, month.month, 1)).get(leader)
    was = f" (a year earlier {pct(before, signed=False)})" if before is not None else ""
    share = pct(now[leader], signed=False)
    return f"{leader} carried {share} of inflows in {month_label(month)}{was}."


def seasonal_reading(shares: dict[int, list[float]], mean: dict[int, float], month: date) -> str:
    if not mean:
        return "Not enough full years of inflows for a seasonal profile."
    peak = max(mean, key=lambda m: mean[m])
    trough = min(mean, key=lambda m: mean[m])
    line = (
        f"Inflows peak in {date(2000, peak, 1):%B} ({mean[peak]:.0f}% of the monthly average) "
        f"and are lowest in {date(2000, trough, 1):%B} ({mean[trough]:.0f}%)"
    )
    return line + "."


def _last(series: Series) -> float | None:
    return float(series.values[-1]) if len(series) else None


def _vol(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def fx_reading(panel: FxPanel) -> str:
    rate = panel.rate
    if not len(rate):
        return f"No {panel.label} rates stored."
    first_of_month = rate.periods[-1].astype("datetime64[M]").astype("datetime64[D]")
    before = rate.values[rate.periods < first_of_month]
    change = 100.0 * (rate.values[-1] / before[-1] - 1.0) if before.size else None
    v30, v90 = _last(panel.vol_30), _last(panel.vol_90)
    trend = "rising" if v30 is not None and v90 is not None and v30 > v90 else "easing"
    return (
        f"{sentence_case(panel.label)}: {rate.values[-1]:.2f} on {rate.periods[-1]} "
        f"({pct(change)} on the month); volatility {_vol(v30)} per year over 30 days "
        f"against {_vol(v90)} over 90 days ({trend})."
    )


def irf_reading(impact: dict[str, Any]) -> str:
    points = {p["horizon"]: p for p in impact.get("impact", [])}
    if not points:
        return "The VAR gave no impulse responses."
    h = 1 if 1 in points else min(points)
    p, last = points[h], points[max(points)]
    significant = "significant" if p["lower"] > 0 or p["upper"] < 0 else "not significant"
    return (
        f"A {impact['shock_pct']:+.0f}% fall in remittances moves som per USD by "
        f"{pct(p['pct'])} after {h} month(s) (95% band {pct(p['lower'])} to {pct(p['upper'])}, "
        f"{significant}) and {pct(last['pct'])} after {last['horizon']} months."
    )


def fevd_reading(fevd: list[dict[str, Any]]) -> str:
    if not fevd:
        return "No variance decomposition stored."
    last = fevd[-1]
    share = 100.0 * float(last["shares"].get("remittances", np.nan))
    return (
        f"At {last['horizon']} months remittance shocks explain {share:.0f}% of the "
        "som/USD forecast error variance."
    )


def granger_reading(granger: list[dict[str, Any]], alpha: float) -> str:
    found = [g for g in granger if g["pvalue"] < alpha]
    if not found:
        return f"No Granger causality at the {100 * alpha:.0f}% level."
    listed = "; ".join(f"{g['cause']} → {g['effect']} (p={g['pvalue']:.3f})" for g in found)
    return f"Granger causal at the {100 * alpha:.0f}% level: {listed}."


def shocks_reading(data: ReportData) -> str:
    recent = data.events_recent
    critical = sum(1 for e in recent if e["severity"] == "critical")
    return (
        f"{len(data.events_open)} open shock event(s); {len(recent)} event(s) peaked in the "
        f"12 months to {month_label(data.month)}, {critical} of them critical."
    )


def quality_reading(data: ReportData) -> str:
    files = data.status.get("files", {})
    received = sum(int(v) for v in files.values())
    quarantined = int(data.status.get("quarantined_rows", 0))
    last_day = data.status.get("transfers", {}).get("last_report_date")
    return (
        f"{received} file(s) ingested, {quarantined} row(s) quarantined; transfer reports "
        f"run to {last_day or 'n/a'}."
    )


def backtest_reading(backtests: list[dict[str, Any]]) -> str:
    scored = [b for b in backtests if b.get("mase") is not None]
    if not scored:
        return "No backtests stored: run `remitwatch fit`."
    beating = sum(1 for b in scored if b.get("beats_seasonal_naive"))
    cover = [100.0 * b["coverage_80"] for b in scored if b.get("coverage_80") is not None]
    span = (
        f"; 80% intervals covered {min(cover):.0f}–{max(cover):.0f}% of outcomes" if cover else ""
    )
    return (
        f"{beating} of {len(scored)} models beat their benchmark (seasonal-naive; no change"
        f" for the VAR's som/USD){span}."
    )
