"""`remitwatch report`: the monthly remittance monitor as a self-contained HTML or PDF."""

from __future__ import annotations

from pathlib import Path

import click

from service.cli.context import CliContext, pass_context
from service.reports.build import FORMATS, build_report, ensure_format, parse_month
from service.reports.errors import ReportError


@click.command("report")
@click.option(
    "--month",
    metavar="YYYY-MM",
    help="The month reported (default: the latest month with every day's inflows).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory written to (default: reports.output_dir, else <data_dir>/reports, "
    "where the API finds it).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="html",
    show_default=True,
    help="html: one file with embedded charts that opens offline; pdf: the same "
    "printed by headless Chromium.",
)
@pass_context
def report_command(state: CliContext, month: str | None, out_dir: Path | None, fmt: str) -> None:
    """Write the monthly remittance monitor: headline figures, inflows against the
    forecast fan, composition and seasonality, som/USD and rouble/USD volatility, the
    VAR impact, shock events, data quality and model quality. Prints the file's path."""
    try:
        first_day = parse_month(month) if month is not None else None
    except ReportError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from exc
    path = build_report(
        state.store(),
        state.settings,
        first_day,
        out_dir or state.settings.reports_dir,
        ensure_format(fmt),
    )
    click.echo(str(path))
