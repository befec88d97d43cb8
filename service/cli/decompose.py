"""`remitwatch decompose`: volume versus valuation in the change of a monthly USD series."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

import click

from jobs.decompose import decompose_series
from models.decompose import CountryPart, Decomposition, DecompositionPart
from service.cli.context import CliContext, pass_context
from service.cli.output import echo_json

_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(ctx: click.Context, param: click.Parameter, value: str) -> date:
    """A calendar month written YYYY-MM, as its first day; a usage error otherwise."""
    match = _MONTH.fullmatch(value.strip())
    try:
        if match is None:
            raise ValueError(value)
        return date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:  # also month 13 or year 0000
        raise click.BadParameter(
            f"{value!r} is not a month: write it YYYY-MM, e.g. 2024-05"
        ) from None


def _money(value: float) -> str:
    return f"{round(value, 2) + 0.0:>16,.2f}"  # + 0.0: no "-0.00" for a cancelled part


def _echo_parts(title: str, parts: Sequence[DecompositionPart | CountryPart]) -> None:
    names = [p.currency if isinstance(p, DecompositionPart) else p.country for p in parts]
    width = max([len(title), *map(len, names)])
    click.echo(f"{title:<{width}}  {'change':>16}  {'volume':>16}  {'valuation':>16}")
    for name, part in zip(names, parts, strict=True):
        click.echo(
            f"{name:<{width}}  {_money(part.change)}  {_money(part.volume)}  "
            f"{_money(part.valuation)}"
        )


def echo_decomposition(result: Decomposition) -> None:
    """The decomposition as a table: totals, then by currency and by country, largest first."""
    start, end = f"{result.from_period:%Y-%m}", f"{result.to_period:%Y-%m}"
    click.echo(f"{result.series}: {start} to {end}, US dollars")
    for label, value in (
        (f"value {start}", result.value_from),
        (f"value {end}", result.value_to),
        ("change", result.change),
        ("  volume", result.volume),
        ("  valuation", result.valuation),
    ):
        click.echo(f"{label:<14}{_money(value)}")
    click.echo("")
    _echo_parts("currency", result.by_currency)
    click.echo("")
    _echo_parts("country", result.by_country)


@click.command("decompose")
@click.argument("key")
@click.option(
    "--from",
    "from_month",
    callback=parse_month,
    required=True,
    metavar="YYYY-MM",
    help="The earlier month.",
)
@click.option(
    "--to",
    "to_month",
    callback=parse_month,
    required=True,
    metavar="YYYY-MM",
    help="The later month.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_context
def decompose_command(
    state: CliContext, key: str, from_month: date, to_month: date, as_json: bool
) -> None:
    """Split the change of monthly USD series KEY between two months into volume and
    valuation, by currency and by counterparty country.

    KEY is remit.{in,out,net}.total.M, remit.in.country.CC.M or remit.in.system.SYS.M.
    Transfers are made in roubles, tenge, dollars and other currencies and converted to
    US dollars at the official rate of each report date. The volume part is the change of
    the amounts in their own currencies, valued at the earlier month's effective rates
    (USD per unit); the valuation part is what the change of those rates did to the later
    month's amounts (a weaker rouble shrinks the dollar value of the same roubles). The
    two add up exactly to the change in US dollars; a currency or country new in the later
    month counts as volume. Net series are inflows minus outflows.

    Example: remitwatch decompose remit.in.total.M --from 2024-05 --to 2024-06
    """
    if from_month >= to_month:
        raise click.BadParameter(
            f"{from_month:%Y-%m} is not before --to {to_month:%Y-%m}: give the earlier month first",
            param_hint="'--from'",
        )
    result = decompose_series(state.store(), key, from_month, to_month)
    if as_json:
        echo_json(result.to_dict())
        return
    echo_decomposition(result)
