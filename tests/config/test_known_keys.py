"""A REMITWATCH_* variable or override-file key that is no setting stops loading with one
line naming it and the known keys; the variables that are not settings still pass."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import config
from config import ConfigError

SECTIONS = (
    "api, backtest, compute, database, http, logging, metrics, models, paths, rates, "
    "readiness, reports, scheduler, shocks, transfers, var"
)
JOB_KEYS = "cron, enabled, every_seconds, misfire_grace_seconds"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("REMITWATCH_"):
            monkeypatch.delenv(name)


def _refusal(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> str:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        config.load()
    message = str(raised.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "REMITWATCH_SCHEDULR__NICE",
            "5",
            f"config: REMITWATCH_SCHEDULR__NICE: unknown section 'schedulr' (known: {SECTIONS})",
        ),
        (
            "REMITWATCH_API__RATE_LIMT_PER_SECOND",
            "0",
            "config: REMITWATCH_API__RATE_LIMT_PER_SECOND: unknown key "
            "'api.rate_limt_per_second' (known in api: anonymous_read, host, max_body_bytes, "
            "max_page_size, metrics_require_token, port, rate_limit_burst, "
            "rate_limit_per_second, tokens)",
        ),
        (
            "REMITWATCH_SCHEDULER__REFIT__CRONN",
            "0 2 * * sun",
            "config: REMITWATCH_SCHEDULER__REFIT__CRONN: unknown key 'scheduler.refit.cronn' "
            f"(known in scheduler.refit: {JOB_KEYS})",
        ),
        # One underscore where two belong: read as a section named logging_level.
        (
            "REMITWATCH_LOGGING_LEVEL",
            "DEBUG",
            "config: REMITWATCH_LOGGING_LEVEL: unknown section 'logging_level' "
            f"(known: {SECTIONS})",
        ),
        # A single setting has no keys of its own: the whole list is one JSON value.
        (
            "REMITWATCH_API__TOKENS__NAME",
            "analysts",
            "config: REMITWATCH_API__TOKENS__NAME: 'api.tokens' is one setting, not a section: "
            "set it whole (JSON for lists)",
        ),
    ],
)
def test_a_variable_that_is_no_setting_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    assert _refusal(monkeypatch, variable, value) == expected


def test_names_are_compared_without_case_as_the_settings_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _refusal(monkeypatch, "remitwatch_schedulr__nice", "5").startswith(
        "config: remitwatch_schedulr__nice: unknown section 'schedulr'"
    )


def test_known_variables_still_set_their_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site.toml"
    site.write_text('[logging]\nlevel = "DEBUG"\n')
    environment = {
        config.CONFIG_ENV_VAR: str(site),
        "REMITWATCH_SCHEDULER__NICE": "5",
        "REMITWATCH_API__RATE_LIMIT_PER_SECOND": "0",
        "REMITWATCH_SCHEDULER__REFIT__CRON": "0 2 * * sun",
        "REMITWATCH_SCHEDULER__WATCH_INBOX": '{"every_seconds": 5}',
        "REMITWATCH_TRANSFERS__COLUMN_MAP__DT": "report_date",
        "remitwatch_api__port": "9000",
        # Not settings, but read by Grafana's provisioning and by the fuzzers.
        "REMITWATCH_DB_HOST": "127.0.0.1:5432",
        "REMITWATCH_FUZZ_SCALE": "1",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = config.load()
    assert settings.logging.level == "DEBUG"
    assert settings.scheduler.nice == 5
    assert settings.api.rate_limit_per_second == 0
    assert settings.scheduler.refit.cron == "0 2 * * sun"
    assert settings.scheduler.watch_inbox.every_seconds == 5
    assert settings.transfers.column_map == {"dt": "report_date"}
    assert settings.api.port == 9000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[schedulr]\nnice = 5\n", f"unknown section 'schedulr' (known: {SECTIONS})"),
        (
            "[database]\nurl = 'sqlite:///x.db'\npasword = 'x'\n",
            "unknown key 'database.pasword' (known in database: url)",
        ),
        (
            "[scheduler.refit]\ncronn = '0 2 * * sun'\n",
            f"unknown key 'scheduler.refit.cronn' (known in scheduler.refit: {JOB_KEYS})",
        ),
    ],
)
def test_an_override_file_key_that_is_no_setting_is_refused_naming_the_file(
    tmp_path: Path, text: str, expected: str
) -> None:
    site = tmp_path / "site.toml"
    site.write_text(text)
    with pytest.raises(ConfigError) as raised:
        config.load(site)
    assert str(raised.value) == f"config file {site}: {expected}"


def test_an_override_file_may_fill_a_table_setting(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(
        "[transfers.column_map]\ndt = 'report_date'\n[reports.gdp_usd]\n2025 = 17.5e9\n"
    )
    settings = config.load(site)
    assert settings.transfers.column_map == {"dt": "report_date"}
    assert settings.reports.gdp_usd == {2025: 17.5e9}
