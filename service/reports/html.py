"""The report as one self-contained HTML document: charts embedded as PNG data URIs."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from service.reports import charts, readings
from service.reports.gather import ReportData
from service.reports.readings import pct, usd
from service.reports.series_frames import month_label

#: The report's sections in order; each starts a new printed page.
SECTIONS = (
    "headline",
    "forecasts",
    "composition",
    "exchange-rates",
    "impact",
    "shocks",
    "data-quality",
    "model-quality",
)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _figures(data: ReportData) -> list[dict[str, str]]:
    h = data.headline
    rows = [
        ("inflows_usd", f"Inflows, {month_label(h.month)}", usd(h.inflows_usd)),
        ("yoy_pct", "Change on a year earlier", pct(h.yoy_pct)),
        ("mom_pct", "Change on the month", pct(h.mom_pct)),
        (
            "som_usd",
            f"Som per US dollar, {h.som_usd_date or 'n/a'}",
            f"{h.som_usd:.2f}" if h.som_usd is not None else "n/a",
        ),
        ("som_usd_change_pct", "Som per US dollar, change on the month", pct(h.som_usd_change_pct)),
    ]
    if h.gdp_share_pct is not None:
        rows.append(
            (
                "gdp_share_pct",
                f"Inflows of 12 months, % of {h.gdp_year} GDP",
                pct(h.gdp_share_pct, signed=False),
            )
        )
    else:
        rows.append(("inflows_12m_usd", "Inflows of the last 12 months", usd(h.inflows_12m_usd)))
    return [{"name": n, "label": label, "value": value} for n, label, value in rows]


def _events(data: ReportData) -> list[dict[str, Any]]:
    seen, rows = set(), []
    for event in [*data.events_open, *data.events_recent]:
        key = (event["series"], event["start"])
        if key in seen:
            continue
        seen.add(key)
        contributors = ", ".join(
            c["name"]
            if c.get("share_of_gap") is None
            else f"{c['name']} ({100 * c['share_of_gap']:.0f}% of the gap)"
            for c in event.get("contributors", [])[:4]
        )
        rows.append(
            {
                **event,
                "observed_usd": usd(event["observed"]),
                "expected_usd": usd(event["expected"]),
                "contributors_text": contributors or "—",
                "end_text": event["end"] or "open",
                "z_text": "—" if event.get("zscore") is None else f"{event['zscore']:+.1f}",
            }
        )
    return rows


def _freshness(data: ReportData) -> list[dict[str, str]]:
    files, status = data.status.get("files", {}), data.status
    rates_latest = ", ".join(
        f"{c} {d}"
        for c, d in status.get("official_rates", {}).get("latest_date_by_currency", {}).items()
    )

    def when(source: str) -> str:
        moment = data.arrivals.get(source)
        return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"

    return [
        {
            "source": "Official rates",
            "files": str(files.get("rates_ingested", 0)),
            "arrived": when("rates"),
            "latest": rates_latest or "n/a",
        },
        {
            "source": "Bank transfer reports",
            "files": str(files.get("transfers_ingested", 0)),
            "arrived": when("transfers"),
            "latest": str(status.get("transfers", {}).get("last_report_date") or "n/a"),
        },
    ]


def _backtests(data: ReportData) -> list[dict[str, Any]]:
    def num(value: Any, form: str) -> str:
        return form.format(value) if value is not None else "n/a"

    return [
        {
            **b,
            "mase_text": num(b.get("mase"), "{:.2f}"),
            "naive_text": num(b.get("naive_mase"), "{:.2f}"),
            "cover80_text": num(
                None if b.get("coverage_80") is None else 100 * b["coverage_80"], "{:.0f}%"
            ),
            "cover95_text": num(
                None if b.get("coverage_95") is None else 100 * b["coverage_95"], "{:.0f}%"
            ),
        }
        for b in data.backtests
    ]


def _impact_parts(data: ReportData) -> tuple[bool, dict[str, str], dict[str, str]]:
    impact = data.impact
    if impact is None or impact.get("status") != "ok":
        reason = "no VAR stored: run `remitwatch fit`" if impact is None else impact.get("reason")
        return False, {"irf": f"No impact analysis: {reason}."}, {}
    alpha = float(impact.get("alpha", 0.05))
    lines = {
        "irf": readings.irf_reading(impact),
        "fevd": readings.fevd_reading(impact["fevd"]),
        "granger": readings.granger_reading(impact["granger"], alpha),
    }
    images = {
        "irf": _data_uri(charts.irf_chart(impact["irf"], float(impact["shock_pct"]))),
        "fevd": _data_uri(charts.fevd_chart(impact["fevd"])),
    }
    return True, lines, images


def render_html(data: ReportData) -> str:
    """The report of `data` as an HTML document that needs nothing but itself."""
    shares, mean = charts.seasonal_shares(data.seasonal)
    impact_ok, impact_lines, impact_images = _impact_parts(data)
    lines = {
        "headline": readings.headline_reading(data.headline),
        "fans": [readings.fan_reading(panel, data.month) for panel in data.fans],
        "by_country": readings.share_reading(data.by_country, data.month, "country"),
        "by_system": readings.share_reading(data.by_system, data.month, "transfer system"),
        "seasonal": readings.seasonal_reading(shares, mean, data.month),
        "fx": [readings.fx_reading(panel) for panel in data.fx],
        "shocks": readings.shocks_reading(data),
        "quality": readings.quality_reading(data),
        "backtests": readings.backtest_reading(data.backtests),
        **impact_lines,
    }
    images = {
        "fans": _data_uri(charts.fan_chart(data.fans, data.month)),
        "by_country": _data_uri(charts.stacked_chart(data.by_country, "Inflows by country")),
        "by_system": _data_uri(charts.stacked_chart(data.by_system, "Inflows by transfer system")),
        "seasonal": _data_uri(charts.seasonal_chart(data.seasonal, data.month)),
        "fx": _data_uri(charts.fx_chart(data.fx)),
        "mase": _data_uri(charts.mase_chart(data.backtests)) if data.backtests else "",
        **impact_images,
    }
    environment = Environment(
        loader=PackageLoader("service.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
    )
    return environment.get_template("report.html.j2").render(
        version=version("remitwatch"),
        month_label=month_label(data.month),
        built_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        readings=lines,
        charts=images,
        figures=_figures(data),
        impact_ok=impact_ok,
        impact=data.impact or {},
        granger=(data.impact or {}).get("granger", []),
        events=_events(data),
        freshness=_freshness(data),
        quarantine=data.quarantine_reasons,
        backtests=_backtests(data),
    )
