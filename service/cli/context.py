"""What every command shares: the settings (built once) and the store (opened on demand)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import click

import config
from jobs.progress import ProgressHook, no_progress
from service.store import Store


@dataclass
class CliContext:
    config_path: str | None
    #: The log level and format in effect (options over settings), for child processes.
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    _settings: config.Settings | None = None
    _store: Store | None = field(default=None, repr=False)

    @property
    def settings(self) -> config.Settings:
        if self._settings is None:
            self._settings = config.load(self.config_path)
        return self._settings

    def store(self, *, migrate: bool = True) -> Store:
        """The store, migrated to the newest schema (migrations run on start).

        `migrate=False`: opened without touching the database (nothing connects until it
        is used), for the long-running commands, which must start while it is down.
        """
        if self._store is None:
            self._store = Store.open(self.settings.database_url)
            if migrate:
                self._store.upgrade()
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


pass_context = click.make_pass_decorator(CliContext)


def progress_bar(label: str) -> tuple[ProgressHook, Any]:
    """A progress hook drawing a bar on a terminal; nothing in pipes or logs."""
    if not sys.stderr.isatty():
        return no_progress, None
    bar = click.progressbar(length=1, label=label, file=sys.stderr, show_pos=True)
    bar.__enter__()

    def hook(done: int, total: int, name: str) -> None:
        bar.length = total
        bar.update(done - bar.pos)

    return hook, bar


def parse_as_of(value: str | None) -> datetime | None:
    """An ISO-8601 moment; a date or a time without zone is taken as UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 date or time, e.g. 2024-05-01 or "
            "2024-05-01T12:00:00+06:00"
        ) from exc
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return moment
