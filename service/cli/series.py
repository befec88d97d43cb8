"""`remitwatch series ...`: list, show (as of a past moment) and rebuild the derived series."""

from __future__ import annotations

from datetime import date

import click

from jobs.job_run import run_recorded
from jobs.refresh_series import refresh_series
from jobs.report import IngestReport
from service.cli.context import CliContext, parse_as_of, pass_context
from service.cli.output import echo_json


@click.group("series")
def series_group() -> None:
    """The derived series: US-dollar remittances and official rates.

    Keys: remit.{in,out,net}.total.F, remit.in.country.CC.F, remit.in.system.SYS.F
    (F = D daily, W ISO week, M month; USD at the official rate of the report
    date) and fx.CCY.D / fx.CCY.M (som per unit of CCY).
    """


@series_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_context
def list_command(state: CliContext, as_json: bool) -> None:
    """List the series with their unit, number of periods and coverage."""
    summaries = state.store().list_series()
    if as_json:
        echo_json([summary.to_dict() for summary in summaries])
        return
    if not summaries:
        click.echo(
            "no series yet: ingest rates and transfers first (e.g. remitwatch ingest sample)"
        )
        return
    width = max(len(s.spec.key) for s in summaries)
    click.echo(f"{'key':<{width}}  {'unit':<12} {'periods':>7}  first       last")
    for s in summaries:
        click.echo(
            f"{s.spec.key:<{width}}  {s.spec.unit:<12} {s.observations:>7}  "
            f"{s.first_period or '-'!s:<10}  {s.last_period or '-'!s}"
        )


@series_group.command("show")
@click.argument("key")
@click.option(
    "--as-of",
    "as_of",
    metavar="ISO-8601",
    help="Answer with what was known at this moment (default: now). A date or a "
    "time without zone is UTC.",
)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First period (YYYY-MM-DD).")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last period (YYYY-MM-DD).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="csv: header period,value; period is the day (D), the Monday (W) or the "
    "first day of the month (M).",
)
@pass_context
def show_command(
    state: CliContext, key: str, as_of: str | None, start: object, end: object, output_format: str
) -> None:
    """Print the observations of series KEY."""
    moment = parse_as_of(as_of)
    store = state.store()
    spec = store.find_series(key)
    if spec is None:
        known = ", ".join(s.spec.key for s in store.list_series()[:8])
        raise click.BadParameter(
            f"unknown series {key!r}; see `remitwatch series list` (e.g. {known or 'none yet'})",
            param_hint="KEY",
        )
    first = start.date() if hasattr(start, "date") else None
    last = end.date() if hasattr(end, "date") else None
    frame = store.series_as_of(key, moment, first, last)
    if output_format == "csv":
        click.echo("period,value")
        for period, value in frame.select("period", "value").iter_rows():
            assert isinstance(period, date)
            click.echo(f"{period.isoformat()},{value!r}")
        return
    echo_json(
        {
            **spec.to_dict(),
            "as_of": moment.isoformat() if moment else None,
            "observations": [
                {"period": period.isoformat(), "value": value}
                for period, value in frame.select("period", "value").iter_rows()
            ],
        }
    )


@series_group.command("rebuild")
@pass_context
def rebuild_command(state: CliContext) -> None:
    """Recompute every series from the raw layer. Values that differ from the
    latest vintage are written as new vintages; the rest are left alone."""
    store = state.store()

    def work() -> IngestReport:
        report = IngestReport(job="series_rebuild")
        report.series = refresh_series(store, state.settings)
        return report

    refresh = run_recorded(store, "series_rebuild", work).series
    assert refresh is not None
    click.echo(
        f"{refresh.series} series rebuilt: {refresh.new_vintages} new or changed values, "
        f"{refresh.unchanged} unchanged; {refresh.waiting_rows} transfer totals waiting for rates"
    )
