"""Build the SQLAlchemy engine for a store URL (SQLite file or PostgreSQL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from config.errors import RemitwatchError


class StoreError(RemitwatchError):
    """The store cannot be reached or used; the message names the URL (password masked)."""


def masked(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # WAL lets the API read while a job writes; busy_timeout waits instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; the SQLite file's folder is created if missing."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StoreError(f"database.url {url!r} is not a valid SQLAlchemy URL: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    raise StoreError(f"database.url {masked(url)}: only sqlite and postgresql are supported")


def db_reason(exc: BaseException) -> str:
    """The database's own words for a failure (the driver error when there is one)."""
    original = getattr(exc, "orig", None)
    return str(original or exc).strip().splitlines()[0]
