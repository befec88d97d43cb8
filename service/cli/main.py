"""The `remitwatch` command line: entry point, logging and exit codes.

Exit codes: 0 the run completed (quarantined rows are reported, not fatal);
1 a file was rejected whole, a source failed or the store failed;
2 usage or configuration error.
"""

from __future__ import annotations

import contextlib
import sys

import click

from config import ConfigError, RemitwatchError
from service.cli.admin import config_group, db_group, quarantine_group, status_command
from service.cli.context import CliContext
from service.cli.decompose import decompose_command
from service.cli.ingest import ingest_group
from service.cli.logs import configure_logging
from service.cli.modelling import (
    backtest_command,
    fit_command,
    forecast_command,
    impact_command,
    scenario_command,
    shocks_command,
)
from service.cli.report import report_command
from service.cli.series import series_group
from service.cli.serve import api_command, scheduler_command, serve_command
from service.cli.token import token_group

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    envvar="REMITWATCH_CONFIG",
    help="TOML file overriding config/default.toml (also REMITWATCH_CONFIG). "
    "REMITWATCH_<SECTION>__<KEY> variables override both.",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default=None,
    help="Log level on stderr (default: logging.level from the configuration).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default=None,
    help="Log lines as text or one JSON object per line (default: logging.format).",
)
@click.version_option(package_name="remitwatch")
@click.pass_context
def cli(
    ctx: click.Context, config_path: str | None, log_level: str | None, log_format: str | None
) -> None:
    """remitwatch: remittance inflows to the Kyrgyz Republic and the som/US dollar rate.

    Ingests the National Bank's official rates and banks' transfer reports into a
    time-series store (SQLite by default, PostgreSQL by URL), derives US-dollar
    series and answers what was known at any past moment. Fits SARIMAX models per
    series and a VAR of remittances and exchange rates, flags shocks, and serves it
    all to analysts (HTTP API) and to Prometheus (/metrics) with `remitwatch serve`.
    """
    state = CliContext(config_path)
    ctx.obj = state
    ctx.call_on_close(state.close)
    level, shape = "INFO", "text"
    # On a bad configuration the command that needs the settings reports it (exit 2).
    with contextlib.suppress(ConfigError):
        level, shape = state.settings.logging.level, state.settings.logging.format
    state.log_level = (log_level or level).upper()
    state.log_format = "json" if (log_format or shape) == "json" else "text"
    configure_logging(state.log_level, state.log_format)


cli.add_command(config_group)
cli.add_command(db_group)
cli.add_command(ingest_group)
cli.add_command(series_group)
cli.add_command(quarantine_group)
cli.add_command(status_command)
cli.add_command(token_group)
for _command in (
    fit_command,
    forecast_command,
    shocks_command,
    impact_command,
    scenario_command,
    backtest_command,
    decompose_command,
    report_command,
    serve_command,
    api_command,
    scheduler_command,
):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (the console script's entry point)."""
    try:
        result = cli.main(args=argv, prog_name="remitwatch", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_FAILED
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if exc.exit_code == 2 else exc.exit_code
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_USAGE
    except RemitwatchError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_FAILED
    return result if isinstance(result, int) else EXIT_OK


def run() -> None:
    sys.exit(main())
