"""The `remitwatch` command line as a user runs it: the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from service.cli.main import cli

REMITWATCH = str(Path(sys.executable).parent / "remitwatch")
HEADER = "report_date,bank_code,system,country,direction,currency,amount,count\n"

#: The public command surface: a rename must be a visible decision.
COMMANDS = {
    "backtest",
    "config show",
    "decompose",
    "fit",
    "forecast",
    "impact",
    "report",
    "scenario",
    "shocks",
    "db upgrade",
    "ingest rates",
    "ingest sample",
    "ingest transfers",
    "quarantine list",
    "series list",
    "series rebuild",
    "series show",
    "status",
    "serve",
    "api",
    "scheduler",
    "token new",
}


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REMITWATCH_")},
        "REMITWATCH_PATHS__DATA_DIR": str(tmp_path / "var"),
        **env,
    }
    return subprocess.run(
        [REMITWATCH, *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def _commands(group: click.Group, prefix: str = "") -> set[str]:
    found: set[str] = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= _commands(command, f"{prefix}{name} ")
        else:
            found.add(f"{prefix}{name}")
    return found


def test_the_command_surface_is_pinned() -> None:
    assert _commands(cli) == COMMANDS


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_documents_itself(tmp_path: Path, command: str) -> None:
    result = _run(tmp_path, *command.split(), "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: remitwatch" in result.stdout and len(result.stdout.splitlines()) > 3


def test_invalid_configuration_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    result = _run(tmp_path, "status", REMITWATCH_HTTP__ATTEMPTS="many")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: config: http.attempts: Input should be a valid integer, unable to parse "
        "string as an integer (got 'many')"
    ]


def test_unknown_key_in_a_config_file_is_named(tmp_path: Path) -> None:
    config_file = tmp_path / "site.toml"
    config_file.write_text('[database]\nurl = "sqlite:///x.db"\npasword = "x"\n')
    result = _run(tmp_path, "--config", str(config_file), "config", "show")
    assert result.returncode == 2
    assert "database.pasword" in result.stderr


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        "config",
        "show",
        REMITWATCH_DATABASE__URL="postgresql+psycopg://analyst:s3cret@db.example:5432/rw",
    )
    assert result.returncode == 0
    assert "s3cret" not in result.stdout
    shown = json.loads(result.stdout)
    assert shown["database"]["url"] == "postgresql+psycopg://analyst:***@db.example:5432/rw"


def test_usage_error_exits_2(tmp_path: Path) -> None:
    assert _run(tmp_path, "series", "show").returncode == 2
    assert _run(tmp_path, "series", "show", "fx.USD.D", "--format", "xml").returncode == 2


def test_ingest_show_and_exit_codes(tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("date,currency,nominal,value\n2024-05-01,USD,1,88.0000\n")
    assert _run(tmp_path, "ingest", "rates", str(rates)).returncode == 0
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "2024-05-02,B1,C,US,in,USD,100.00,1\n2024-05-02,B1,C,US,in,USD,-1,1\n")
    quarantined = _run(tmp_path, "ingest", "transfers", str(good))
    assert quarantined.returncode == 0, quarantined.stderr  # quarantine is reported, not fatal
    assert "1 quarantined" in quarantined.stdout
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    rejected = _run(tmp_path, "ingest", "transfers", str(bad))
    assert rejected.returncode == 1
    assert "bad.csv: REJECTED" in rejected.stderr
    shown = _run(tmp_path, "series", "show", "remit.in.total.M")
    assert shown.stdout.splitlines() == ["period,value", "2024-05-01,100.0"]
    as_json = json.loads(
        _run(tmp_path, "series", "show", "remit.in.total.W", "--format", "json").stdout
    )
    assert as_json["observations"] == [{"period": "2024-04-29", "value": 100.0}]
    before = _run(tmp_path, "series", "show", "remit.in.total.M", "--as-of", "2000-01-01")
    assert before.stdout.splitlines() == ["period,value"]
    unknown = _run(tmp_path, "series", "show", "remit.nope.M")
    assert unknown.returncode == 2 and "unknown series 'remit.nope.M'" in unknown.stderr
    listed = _run(tmp_path, "quarantine", "list", "--json")
    [entry] = json.loads(listed.stdout)
    assert (entry["row"], entry["column"]) == (2, "amount")
    status = json.loads(_run(tmp_path, "status", "--json").stdout)
    assert status["quarantined_rows"] == 1 and status["transfers"]["rows"] == 1


def test_no_progress_bar_in_a_pipe(tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("date,currency,nominal,value\n2024-05-01,USD,1,88.0000\n")
    result = _run(tmp_path, "ingest", "rates", str(rates))
    assert "[" not in result.stderr and "%" not in result.stderr
