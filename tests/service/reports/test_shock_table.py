"""Open and recent shock events reach the report with their contributors."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from models.shocks import Contributor, ShockEvent
from service.reports.build import build_report
from service.reports.gather import default_month
from service.reports.series_frames import add_months
from tests.fitted_sample import FittedSample

TOTAL = "remit.in.total.M"


def _event(start: date, end: date | None, severity: str, z: float) -> ShockEvent:
    return ShockEvent(
        series=TOTAL,
        start=start,
        end=end,
        period=start,
        observed=180.0e6,
        expected=300.0e6,
        lower_95=240.0e6,
        upper_95=370.0e6,
        zscore=z,
        severity=severity,
        status="open" if end is None else "closed",
        periods=1,
        contributors=(
            Contributor("Russian Federation", "country", 150.0e6, 262.0e6, -112.0e6, 0.9333),
            Contributor("Kazakhstan", "country", 10.0e6, 14.0e6, -4.0e6, 0.0333),
            Contributor("United States", "country", 5.0e6, 5.0e6, 0.0, None),
        ),
    )


def _rows(html: str) -> list[str]:
    section = html.split('<section id="shocks">', 1)[1].split("</section>", 1)[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in section.split("<tr>")[2:]
    ]


def test_open_and_recent_events_with_contributors(
    fitted_sample: FittedSample, tmp_path: Path
) -> None:
    store, settings = fitted_sample.store, fitted_sample.settings
    month = default_month(store)
    run = store.latest_model_run(TOTAL)
    assert run is not None
    events = [
        _event(date(month.year, month.month, 1), None, "critical", -4.2).to_dict(),
        _event(add_months(month, -11), add_months(month, -11), "warning", 2.7).to_dict(),
    ]
    # Stored as scoring stores them (the sample's earlier episodes are closed by this).
    store.save_scoring(
        series_key=TOTAL,
        model_run_id=run.id,
        forecast=None,
        events=events,
        backtest=None,
        at=datetime.now(UTC),
    )
    html = build_report(store, settings, month, tmp_path, "html").read_text()
    rows = _rows(html)
    assert len(rows) == 2, rows
    opened = next(row for row in rows if "open" in row.split())
    assert f"{month.isoformat()} – open" in opened and "critical" in opened and "-4.2" in opened
    assert "$180.0m" in opened and "$300.0m" in opened
    assert "Russian Federation (93% of the gap)" in opened
    assert "Kazakhstan (3% of the gap)" in opened and "United States" in opened
    closed = next(row for row in rows if row is not opened)
    assert "warning" in closed and "+2.7" in closed and "closed" in closed
    reading = html.split('<section id="shocks">', 1)[1].split('<p class="reading">', 1)[1]
    assert reading.startswith("1 open shock event(s); 2 event(s) peaked in the 12 months")
    assert "1 of them critical" in reading.split("</p>", 1)[0]
