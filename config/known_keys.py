"""Which names are settings: REMITWATCH_<SECTION>__<KEY> variables and override-file keys
are checked against the schema, so a misspelt one stops start-up instead of being ignored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard, get_origin

from pydantic import BaseModel

from config.errors import ConfigError
from config.settings import Settings

ENV_PREFIX = str(Settings.model_config.get("env_prefix", "")).upper()
ENV_NESTED_DELIMITER = str(Settings.model_config.get("env_nested_delimiter", "__"))
#: Names the override file; not a setting itself.
CONFIG_ENV_VAR = "REMITWATCH_CONFIG"
#: REMITWATCH_* variables that are not settings but are read by something else, so they
#: may share remitwatch's environment: Grafana's data source provisioning
#: (deploy/grafana/provisioning/datasources/remitwatch.yml) and the fuzzers' example
#: multiplier (tests/jobs/fuzz/mutations.py), which runs beside tests that load settings.
NOT_SETTINGS = frozenset(
    {
        CONFIG_ENV_VAR,
        "REMITWATCH_DB_HOST",
        "REMITWATCH_DB_NAME",
        "REMITWATCH_DB_USER",
        "REMITWATCH_DB_PASSWORD",
        "REMITWATCH_DB_SSLMODE",
        "REMITWATCH_FUZZ_SCALE",
    }
)


def _is_section(annotation: Any) -> TypeGuard[type[BaseModel]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_table(annotation: Any) -> bool:
    """A dict-typed setting (transfers.column_map, reports.gdp_usd): any key is its own."""
    return annotation is dict or get_origin(annotation) is dict


def unknown_key(path: Sequence[str]) -> str | None:
    """Why `path` (section, key, sub-key...) names no setting, or None when it names one."""
    model: type[BaseModel] = Settings
    for depth, part in enumerate(path):
        fields = model.model_fields
        known = ", ".join(sorted(fields))
        if part not in fields:
            if depth == 0:
                return f"unknown section {part!r} (known: {known})"
            section = ".".join(path[:depth])
            return f"unknown key {'.'.join(path[: depth + 1])!r} (known in {section}: {known})"
        annotation = fields[part].annotation
        if depth == len(path) - 1 or _is_table(annotation):
            return None
        if not _is_section(annotation):
            setting = ".".join(path[: depth + 1])
            return f"{setting!r} is one setting, not a section: set it whole (JSON for lists)"
        model = annotation
    return None


def check_environment(environ: Mapping[str, str]) -> None:
    """Raise ConfigError naming the first REMITWATCH_* variable that is no setting.

    Names are compared without case, as the settings are read from the environment.
    """
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in NOT_SETTINGS:
            continue
        path = upper.removeprefix(ENV_PREFIX).lower().split(ENV_NESTED_DELIMITER)
        reason = unknown_key(path)
        if reason:
            raise ConfigError(f"config: {name}: {reason}")


def check_file_keys(table: Mapping[str, Any], origin: str, path: tuple[str, ...] = ()) -> None:
    """Raise ConfigError naming `origin` and the first key of the parsed file that is no
    setting."""
    for key, value in table.items():
        key_path = (*path, key)
        reason = unknown_key(key_path)
        if reason:
            raise ConfigError(f"config file {origin}: {reason}")
        if isinstance(value, Mapping):
            check_file_keys(value, origin, key_path)
