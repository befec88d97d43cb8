"""`remitwatch ingest ...`: official rates, bank transfer reports, the bundled sample."""

from __future__ import annotations

from collections.abc import Callable

import click

from jobs.ingest_rates import ingest_rates
from jobs.ingest_sample import ingest_sample
from jobs.ingest_transfers import ingest_transfers
from jobs.job_run import run_recorded
from jobs.report import IngestReport
from jobs.score import score_models
from service.cli.context import CliContext, pass_context, progress_bar
from service.cli.output import echo_json, echo_report


def _run(
    state: CliContext, job: str, label: str, as_json: bool, work: Callable[..., IngestReport]
) -> int:
    store = state.store()
    hook, bar = progress_bar(label)
    try:
        report = run_recorded(store, job, lambda: work(store, state.settings, progress=hook))
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    scoring = None
    if report.brought_data and store.model_runs(limit=1):
        # New observations: update the fitted models (no refit) and look for shocks.
        scoring = run_recorded(store, "score", lambda: score_models(store, state.settings))
    if as_json:
        echo_json({**report.to_dict(), "scoring": scoring.to_dict() if scoring else None})
    else:
        echo_report(report)
        if scoring is not None and scoring.series:
            new = sum(int(str(row["new_events"])) for row in scoring.series)
            click.echo(f"scored {len(scoring.series)} models: {new} new shock events")
    return 1 if report.failed or (scoring is not None and scoring.failed) else 0


_json_option = click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")


@click.group("ingest")
def ingest_group() -> None:
    """Take in official rates, bank transfer reports or the sample.

    Each file is one transaction and is processed once (by checksum). Rows that
    fail validation are quarantined with file, row, column and reason; the rest
    is stored. A repeated key with new figures is stored as a new vintage.
    Exit 0 when the run completed (even with quarantined rows), 1 when a file
    was rejected whole or a source failed.
    """


@ingest_group.command("rates")
@click.argument("source", required=False)
@_json_option
@pass_context
def ingest_rates_command(state: CliContext, source: str | None, as_json: bool) -> None:
    """Ingest NBKR official rates from SOURCE.

    SOURCE is an http(s) URL (e.g. https://www.nbkr.kg/XML/daily.xml), an XML
    file (daily or weekly format, windows-1251), a folder of .xml/.csv files,
    or a history CSV with the columns date,currency,nominal,value. Default:
    rates.source from the configuration. Rates are stored under the date the
    file states (the evening file already carries the next business day).
    """
    code = _run(
        state,
        "ingest_rates",
        "rates",
        as_json,
        lambda store, settings, progress: ingest_rates(store, settings, source, progress),
    )
    raise click.exceptions.Exit(code)


@ingest_group.command("transfers")
@click.argument("source", required=False)
@_json_option
@pass_context
def ingest_transfers_command(state: CliContext, source: str | None, as_json: bool) -> None:
    """Ingest bank transfer aggregates from SOURCE.

    SOURCE is a CSV or Parquet file, a folder of them, an http(s) URL, or `sql`
    (the bank reporting database of transfers.sql_url / sql_query, read from its
    watermark on). Columns: report_date, bank_code, system, country, direction,
    currency, amount, count (renamed by transfers.column_map). Default: every
    file in the inbox (moved to archive/, or to rejected/ beside a .reason file),
    then transfers.url and the bank database when configured.
    """
    code = _run(
        state,
        "ingest_transfers",
        "transfers",
        as_json,
        lambda store, settings, progress: ingest_transfers(store, settings, source, progress),
    )
    raise click.exceptions.Exit(code)


@ingest_group.command("sample")
@_json_option
@pass_context
def ingest_sample_command(state: CliContext, as_json: bool) -> None:
    """Ingest the bundled sample: official rates since 2013 and daily bank
    transfer reports (synthetic, shaped on published figures). Offline; a
    second run changes nothing."""
    code = _run(state, "ingest_sample", "sample", as_json, ingest_sample)
    raise click.exceptions.Exit(code)
