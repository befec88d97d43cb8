"""`remitwatch decompose`: the JSON contract, the table, usage errors and exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from config import RemitwatchError, Settings
from jobs.decompose import DecomposeError
from jobs.ingest_rates import ingest_rates
from jobs.ingest_transfers import ingest_transfers
from service.cli.context import CliContext
from service.cli.decompose import decompose_command
from service.store import Store

RATES_CSV = (
    "date,currency,nominal,value\n"
    "2024-05-01,USD,1,88.0000\n2024-05-01,RUB,1,0.9680\n2024-05-01,KZT,1,0.1760\n"
    "2024-06-01,RUB,1,0.8800\n"
)
TRANSFERS_CSV = (
    "report_date,bank_code,system,country,direction,currency,amount,count\n"
    "2024-05-02,B1,Contact,RU,in,RUB,1000000.00,100\n"
    "2024-05-02,B1,Golden Crown,KZ,in,KZT,1000000.00,40\n"
    "2024-06-03,B1,Contact,RU,in,RUB,1000000.00,100\n"
    "2024-06-03,B1,Golden Crown,KZ,in,KZT,500000.00,20\n"
)
#: The JSON contract of `remitwatch decompose --json`.
JSON_KEYS = {
    "series", "from", "to", "unit", "value_from", "value_to", "change", "volume", "valuation",
    "by_currency", "by_country",
}  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(paths={"data_dir": tmp_path / "var"})
    store = Store.open(settings.database_url)
    store.upgrade()
    rates, transfers = tmp_path / "rates.csv", tmp_path / "transfers.csv"
    rates.write_text(RATES_CSV)
    transfers.write_text(TRANSFERS_CSV)
    assert not ingest_rates(store, settings, str(rates)).failed
    assert not ingest_transfers(store, settings, str(transfers)).failed
    store.close()
    return settings


@pytest.fixture
def state(settings: Settings) -> Iterator[CliContext]:
    context = CliContext(config_path=None, _settings=settings)
    yield context
    context.close()


def _invoke(state: CliContext, *args: str) -> Result:
    return CliRunner().invoke(decompose_command, list(args), obj=state)


def test_json_carries_the_contract(state: CliContext) -> None:
    result = _invoke(state, "remit.in.total.M", "--from", "2024-05", "--to", "2024-06", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert set(shown) == JSON_KEYS
    assert (shown["series"], shown["from"], shown["to"]) == (
        "remit.in.total.M",
        "2024-05",
        "2024-06",
    )
    # RUB: 1,000,000 x (0.010 - 0.011) = -1,000 valuation; KZT: -500,000 x 0.002 = -1,000 volume.
    assert (shown["change"], shown["volume"], shown["valuation"]) == (-2_000.0, -1_000.0, -1_000.0)
    assert {p["currency"]: (p["volume"], p["valuation"]) for p in shown["by_currency"]} == {
        "RUB": (0.0, -1_000.0),
        "KZT": (-1_000.0, 0.0),
    }
    assert all(set(p) == {"country", "volume", "valuation", "change"} for p in shown["by_country"])


def test_table_shows_totals_then_currencies_and_countries(state: CliContext) -> None:
    result = _invoke(state, "remit.in.total.M", "--from", "2024-05", "--to", "2024-06")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "remit.in.total.M: 2024-05 to 2024-06, US dollars"
    assert lines[3].split() == ["change", "-2,000.00"]
    assert lines[4].split() == ["volume", "-1,000.00"]
    assert lines[5].split() == ["valuation", "-1,000.00"]
    currency_header = lines.index(next(line for line in lines if line.startswith("currency")))
    assert lines[currency_header].split() == ["currency", "change", "volume", "valuation"]
    assert {lines[currency_header + 1].split()[0], lines[currency_header + 2].split()[0]} == {
        "RUB",
        "KZT",
    }
    assert any(line.split()[:1] == ["country"] for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2024-5", "--to", "2024-06"), "'2024-5' is not a month"),
        (("--from", "2024-05", "--to", "2024-13"), "YYYY-MM"),
        (("--from", "May 2024", "--to", "2024-06"), "e.g. 2024-05"),
        (("--from", "0000-05", "--to", "2024-06"), "'0000-05' is not a month"),
        (("--from", "2024-06", "--to", "2024-05"), "earlier month first"),
        (("--to", "2024-06"), "Missing option '--from'"),
    ],
)
def test_bad_months_are_usage_errors(
    state: CliContext, args: tuple[str, ...], message: str
) -> None:
    result = _invoke(state, "remit.in.total.M", *args)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("remit.in.total.D", "use 'remit.in.total.M'"),
        ("remit.in.country.XX.M", "unknown series 'remit.in.country.XX.M'"),
    ],
)
def test_decompose_errors_reach_the_entry_point(state: CliContext, key: str, message: str) -> None:
    # The entry point (service.cli.main.main) prints a RemitwatchError and exits 1.
    result = _invoke(state, key, "--from", "2024-05", "--to", "2024-06")
    assert result.exit_code == 1
    assert isinstance(result.exception, DecomposeError)
    assert isinstance(result.exception, RemitwatchError)
    assert message in str(result.exception)


def test_help_explains_the_split() -> None:
    result = CliRunner().invoke(decompose_command, ["--help"])
    assert result.exit_code == 0
    assert "volume" in result.output and "valuation" in result.output
    assert "--from YYYY-MM" in result.output
