"""Configuration: default.toml < override file < REMITWATCH_* environment; one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import config
from config import ConfigError


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("REMITWATCH_"):
            monkeypatch.delenv(name)


def test_defaults_give_the_embedded_store() -> None:
    settings = config.load()
    assert settings.database_url == "sqlite:///var/remitwatch.db"
    assert settings.paths.inbox == Path("var/inbox")
    assert settings.rates.currencies == ("USD", "EUR", "RUB", "KZT", "CNY")


def test_file_then_environment_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site.toml"
    site.write_text('[paths]\ndata_dir = "/srv/rw"\n[http]\nattempts = 5\ntimeout_seconds = 3\n')
    monkeypatch.setenv("REMITWATCH_CONFIG", str(site))
    monkeypatch.setenv("REMITWATCH_HTTP__ATTEMPTS", "7")
    settings = config.load()
    assert settings.paths.data_dir == Path("/srv/rw")
    assert settings.database_url == "sqlite:////srv/rw/remitwatch.db"
    assert (settings.http.attempts, settings.http.timeout_seconds) == (7, 3.0)
    assert settings.http.backoff_seconds == 1.0  # untouched default survives the merge


def test_explicit_path_wins_over_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen, ignored = tmp_path / "a.toml", tmp_path / "b.toml"
    chosen.write_text('[logging]\nlevel = "DEBUG"\n')
    ignored.write_text('[logging]\nlevel = "ERROR"\n')
    monkeypatch.setenv("REMITWATCH_CONFIG", str(ignored))
    assert config.load(chosen).logging.level == "DEBUG"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "REMITWATCH_HTTP__ATTEMPTS",
            "0",
            "config: http.attempts: Input should be greater than or equal to 1",
        ),
        (
            "REMITWATCH_DATABASE__URL",
            "mysql://x",
            "config: database.url: Value error, expected a sqlite:/// or postgresql+psycopg:// URL",
        ),
        (
            "REMITWATCH_RATES__CURRENCIES",
            '["usd"]',
            "config: rates.currencies: Value error, expected ISO 4217 codes",
        ),
        (
            "REMITWATCH_LOGGING__LEVEL",
            "LOUD",
            "config: logging.level: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'",
        ),
    ],
)
def test_invalid_values_name_the_key(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        config.load()
    message = str(raised.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_unknown_keys_and_bad_files(tmp_path: Path) -> None:
    typo = tmp_path / "typo.toml"
    typo.write_text("[htpp]\nattempts = 2\n")
    with pytest.raises(ConfigError, match="unknown section 'htpp'"):
        config.load(typo)
    broken = tmp_path / "broken.toml"
    broken.write_text("[http\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(broken)
    with pytest.raises(ConfigError, match="cannot read it"):
        config.load(tmp_path / "missing.toml")


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMITWATCH_DATABASE__URL", "postgresql+psycopg://rw:hunter2@db/rw")
    monkeypatch.setenv("REMITWATCH_TRANSFERS__SQL_URL", "postgresql://bank:pa55@bankdb/rep")
    shown = config.effective_config(config.load())
    assert shown["database"]["url"] == "postgresql+psycopg://rw:***@db/rw"
    assert shown["transfers"]["sql_url"] == "postgresql://bank:***@bankdb/rep"
    assert "hunter2" not in repr(shown) and "pa55" not in repr(shown)
