"""`remitwatch config`, `db`, `quarantine` and `status`."""

from __future__ import annotations

import click

from config import effective_config
from service.cli.context import CliContext, pass_context
from service.cli.output import echo_json


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("show")
@pass_context
def config_show(state: CliContext) -> None:
    """Print the effective configuration (defaults, file, environment) as JSON,
    with passwords and secrets masked."""
    echo_json(effective_config(state.settings))


@click.group("db")
def db_group() -> None:
    """Manage the store's schema."""


@db_group.command("upgrade")
@pass_context
def db_upgrade(state: CliContext) -> None:
    """Apply the migrations up to the newest schema (also done on every start)."""
    store = state.store()
    click.echo(f"store {store.url} at schema revision {store.schema_revision()}")


@click.group("quarantine")
def quarantine_group() -> None:
    """Rows that failed validation (file, row, column, reason)."""


@quarantine_group.command("list")
@click.option(
    "--limit",
    type=click.IntRange(1, 100_000),
    default=100,
    show_default=True,
    help="Rows to show.",
)
@click.option(
    "--offset",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Newest rows to skip first.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with the original rows).")
@pass_context
def quarantine_list(state: CliContext, limit: int, offset: int, as_json: bool) -> None:
    """List quarantined rows, newest first."""
    entries = state.store().quarantined_rows(limit, offset)
    if as_json:
        echo_json([entry.to_dict() for entry in entries])
        return
    if not entries:
        click.echo("quarantine is empty")
    for entry in entries:
        column = f", column {entry.column}" if entry.column else ""
        click.echo(f"{entry.file_name}: row {entry.row_number}{column}: {entry.reason}")


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def status_command(state: CliContext, as_json: bool) -> None:
    """Summarise the store and the last job runs.

    Files received, official rates, transfers (and how many wait for a rate),
    quarantined rows, series, and the five most recent job runs.
    """
    store = state.store()
    figures = store.status_figures()
    runs = [run.to_dict() for run in store.recent_runs(limit=5)]
    summary = {
        "store": store.url,
        "schema_revision": store.schema_revision(),
        **figures,
        "recent_runs": runs,
    }
    if as_json:
        echo_json(summary)
        return
    rates, transfers = figures["official_rates"], figures["transfers"]
    click.echo(f"store:        {summary['store']} (schema {summary['schema_revision']})")
    files = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(figures["files"].items()))
    click.echo(f"files:        {files or 'none received yet'}")
    by_currency = rates["latest_date_by_currency"]
    configured = [c for c in state.settings.rates.currencies if c in by_currency]
    latest = ", ".join(f"{c} {by_currency[c]}" for c in configured)
    others = len(by_currency) - len(configured)
    more = f" (and {others} other currencies)" if others else ""
    click.echo(f"rates:        {rates['rows']} rows; latest {latest or '-'}{more}")
    click.echo(
        f"transfers:    {transfers['rows']} rows, "
        f"{transfers['first_report_date'] or '-'} .. {transfers['last_report_date'] or '-'}, "
        f"{transfers['waiting_for_rates']} waiting for official rates"
    )
    click.echo(f"quarantine:   {figures['quarantined_rows']} rows")
    click.echo(f"series:       {figures['series']} series, {figures['observations']} observations")
    for run in runs:
        error = f" ({run['error']})" if run["error"] else ""
        click.echo(
            f"run:          {run['started_at']} {run['job']} {run['status']}, "
            f"{run['rows']} rows{error}"
        )
