"""The settings the deployment files give remitwatch: every REMITWATCH_* name is a setting,
and the values load (deploy/remitwatch.env.example with deploy/compose.yaml, and
deploy/systemd/remitwatch.env.example)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import config
from config import ConfigError
from tests.deploy.stack_files import (
    REMITWATCH_ENV_EXAMPLE,
    SYSTEMD_ENV_EXAMPLE,
    env_file_assignments,
    load_compose,
    remitwatch_services,
    settings_key,
)

SAMPLE_TOKENS = '[{"name":"analysts","sha256":"' + "ab" * 32 + '","scope":"read"}]'


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


def _remitwatch_environment(compose: dict[str, Any]) -> dict[str, str]:
    """What a remitwatch container of the stack gets: env_file (the example), then
    `environment:` (which Compose applies over it)."""
    services = remitwatch_services(compose)
    environments = [service["environment"] for service in services.values()]
    assert all(environment == environments[0] for environment in environments)
    return {
        **dict(env_file_assignments(REMITWATCH_ENV_EXAMPLE, commented=False)),
        **environments[0],
    }


@pytest.mark.parametrize(
    "example", [REMITWATCH_ENV_EXAMPLE, SYSTEMD_ENV_EXAMPLE], ids=lambda path: path.parent.name
)
def test_every_remitwatch_variable_in_the_examples_is_a_setting(example: Path) -> None:
    names = [name for name, _ in env_file_assignments(example, commented=True)]
    assert "REMITWATCH_RATES__SOURCE" in names
    unknown = [n for n in names if n != config.CONFIG_ENV_VAR and settings_key(n) is None]
    assert unknown == []


def test_settings_key_knows_the_settings() -> None:
    assert settings_key("REMITWATCH_TRANSFERS__COLUMN_MAP") == ("transfers", "column_map")
    assert settings_key("REMITWATCH_SCHEDULER__REFIT__CRON") == ("scheduler", "refit", "cron")
    for unknown in (
        "REMITWATCH_API__TOKEN",
        "REMITWATCH_API__TOKENS__NAME",
        "REMITWATCH_DB_HOST",
        "PATH",
    ):
        assert settings_key(unknown) is None, unknown


def _load_with(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> config.Settings:
    for name in [name for name in os.environ if name.startswith("REMITWATCH_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        assert name.startswith("REMITWATCH_") and settings_key(name) is not None, name
        monkeypatch.setenv(name, value)
    return config.load()


def test_the_compose_settings_load_once_a_token_is_set(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = _remitwatch_environment(compose)
    # As shipped, the placeholder stops every remitwatch container until a token is made.
    with pytest.raises(ConfigError, match=r"api\.tokens"):
        _load_with(monkeypatch, environment)
    settings = _load_with(monkeypatch, {**environment, "REMITWATCH_API__TOKENS": SAMPLE_TOKENS})
    assert settings.database_url.startswith("postgresql+psycopg://remitwatch:sample-")
    assert settings.database_url.endswith("@postgres:5432/remitwatch")
    assert settings.rates.source == "https://www.nbkr.kg/XML/daily.xml"
    assert settings.logging.format == "json"
    assert [token.name for token in settings.api.tokens] == ["analysts"]


@pytest.mark.parametrize(
    "example", [REMITWATCH_ENV_EXAMPLE, SYSTEMD_ENV_EXAMPLE], ids=lambda path: path.parent.name
)
def test_the_commented_examples_are_valid_settings_too(
    example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignments = dict(env_file_assignments(example, commented=True))
    assignments.pop(config.CONFIG_ENV_VAR, None)  # names a file this machine does not have
    settings = _load_with(monkeypatch, {**assignments, "REMITWATCH_API__TOKENS": SAMPLE_TOKENS})
    assert settings.transfers.column_map["dt"] == "report_date"
    assert ":watermark" in settings.transfers.sql_query
    assert settings.transfers.url.startswith("https://")
