"""Printing helpers shared by the commands: JSON, and the ingest summary."""

from __future__ import annotations

import json
from typing import Any

import click

from jobs.report import IngestReport


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def echo_report(report: IngestReport) -> None:
    """One line per document, then the series refresh, then errors (on stderr)."""
    for outcome in report.outcomes:
        if outcome.status == "ingested":
            click.echo(
                f"{outcome.name}: {outcome.rows_total} rows: {outcome.rows_new} new, "
                f"{outcome.rows_corrected} corrected (new vintage), "
                f"{outcome.rows_unchanged} unchanged, {outcome.rows_quarantined} quarantined"
            )
        elif outcome.status == "duplicate" and outcome.reason:
            click.echo(
                f"{outcome.name}: already received (same bytes) and REJECTED then: "
                f"{outcome.reason}",
                err=True,
            )
        elif outcome.status == "duplicate":
            click.echo(f"{outcome.name}: already received (same bytes); nothing changed")
        else:
            click.echo(f"{outcome.name}: REJECTED: {outcome.reason}", err=True)
    if report.series is not None:
        series = report.series
        click.echo(
            f"series: {series.series} series, {series.new_vintages} new or changed values, "
            f"{series.unchanged} unchanged"
        )
        if series.waiting_rows:
            click.echo(
                f"waiting for official rates: {series.waiting_rows} transfer totals "
                f"(from {series.waiting_first_date})"
            )
    quarantined = sum(o.rows_quarantined for o in report.outcomes)
    if quarantined:
        click.echo(f"{quarantined} rows quarantined: see `remitwatch quarantine list`")
    for error in report.source_errors:
        click.echo(f"error: {error}", err=True)
