"""Build the one `Settings` object from default.toml, an override file and the environment."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config.errors import ConfigError
from config.known_keys import CONFIG_ENV_VAR, check_environment, check_file_keys
from config.settings import Settings

_SECRET_KEYS = {"password", "token", "tokens", "secret"}
_URL_PASSWORD = re.compile(r"(?P<head>[a-z0-9+]+://[^:/@]+:)(?P<password>[^@]*)(?P<tail>@)")


def default_config_text() -> str:
    return resources.files("config").joinpath("default.toml").read_text(encoding="utf-8")


def _read_toml(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {origin}: not valid TOML: {exc}") from exc


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        return f"config: unknown key {key!r} (see config/default.toml for the known keys)"
    return f"config: {key}: {first['msg']} (got {first.get('input')!r})"


def load(path: str | Path | None = None) -> Settings:
    """Return the effective settings.

    `path` (else the REMITWATCH_CONFIG variable) names an override file; the
    REMITWATCH_<SECTION>__<KEY> variables win over both files. Raises ConfigError
    with one line naming the key and what was expected.
    """
    values = _read_toml(default_config_text(), "default.toml")
    override = path or os.environ.get(CONFIG_ENV_VAR)
    if override:
        override_path = Path(override)
        try:
            text = override_path.read_text(encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ConfigError(f"config file {override_path}: cannot read it: {reason}") from exc
        override_values = _read_toml(text, str(override_path))
        check_file_keys(override_values, str(override_path))
        values = _deep_merge(values, override_values)
    check_environment(os.environ)
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from exc


def mask_secrets(value: Any, key: str = "") -> Any:
    """Copy of a settings dump with passwords in URLs and secret keys replaced by ***."""
    if isinstance(value, dict):
        return {k: mask_secrets(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_secrets(v, key) for v in value]
    if key.lower() in _SECRET_KEYS and value:
        return "***"
    if isinstance(value, str):
        return _URL_PASSWORD.sub(r"\g<head>***\g<tail>", value)
    return value


def effective_config(settings: Settings) -> dict[str, Any]:
    """The settings as plain data, secrets masked, with derived defaults filled in."""
    dumped = settings.model_dump(mode="json")
    dumped["database"]["effective_url"] = settings.database_url
    paths = settings.paths
    dumped["paths"].update(
        inbox_dir=str(paths.inbox), archive_dir=str(paths.archive), rejected_dir=str(paths.rejected)
    )
    return dict(mask_secrets(dumped))
