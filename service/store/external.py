"""Read rows from a bank's reporting database (an external SQL source), read only.

The store owns every SQLAlchemy use, so the bank database is read here and handed to the
jobs as plain polars frames of text: parsing and validation happen in the jobs, the same
way as for a CSV file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import polars as pl
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from config.errors import RemitwatchError

#: Seconds to wait for the bank's server to accept a connection (dialects that support it).
CONNECT_TIMEOUT_SECONDS = 10
#: The watermark bound when nothing has been read yet: earlier than any report date.
NO_WATERMARK = "0001-01-01"

# Drivers whose connect() takes `connect_timeout` in seconds.
_CONNECT_TIMEOUT_DRIVERS = {
    ("postgresql", "psycopg"),
    ("postgresql", "psycopg2"),
    ("mysql", "mysqldb"),
    ("mysql", "pymysql"),
    ("mysql", "mysqlconnector"),
    ("mysql", "mariadbconnector"),
}
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^?#]*@")


class ExternalSourceError(RemitwatchError):
    """An external database could not be read; the message names its URL (password masked)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"bank database {masked_url(url)}: {reason}")
        self.url = masked_url(url)
        self.reason = reason


def read_bank_rows(
    url: str, query: str, watermark: date | None, *, batch_rows: int = 50_000
) -> Iterator[pl.DataFrame]:
    """Run `query` on the database at SQLAlchemy `url` and yield its rows as text frames.

    The query may use the bound parameter `:watermark`: the ISO date 'YYYY-MM-DD' of the
    last report date already read, or '0001-01-01' when `watermark` is None. Every column
    is pl.String (values converted with str(), dates as ISO, NULL stays null). Frames hold
    at most `batch_rows` rows; at least one frame is yielded, empty when no row matched,
    so the caller always sees the columns. Nothing is ever written or committed.
    Raises ExternalSourceError for a bad URL, a missing driver, an unreachable database
    or an SQL error (while iterating: this is a generator).
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, got {batch_rows}")
    bound = watermark.isoformat() if watermark is not None else NO_WATERMARK
    try:
        engine = _read_only_engine(url)
    except (SQLAlchemyError, ImportError) as exc:
        raise ExternalSourceError(url, _reason(exc, url)) from exc
    except ValueError as exc:
        # The detail quotes the offending part, which may be a piece of a malformed password.
        detail = "" if "@" in url else f": {exc}"
        raise ExternalSourceError(url, f"invalid URL{detail}") from exc
    try:
        yield from _stream_rows(engine, url, query, bound, batch_rows)
    except SQLAlchemyError as exc:
        raise ExternalSourceError(url, _reason(exc, url)) from exc
    finally:
        engine.dispose()


def masked_url(url: str) -> str:
    """`url` with any `user:password@` replaced by `***@`, fit for logs and messages."""
    return _USERINFO.sub(r"\1***@", url)


def _stream_rows(
    engine: Engine, url: str, query: str, watermark: str, batch_rows: int
) -> Iterator[pl.DataFrame]:
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(postgresql_readonly=True)
        # Server-side cursor where the driver has one: the result is never held whole.
        result = connection.execution_options(stream_results=True).execute(
            text(query), {"watermark": watermark}
        )
        if not result.returns_rows:
            raise ExternalSourceError(url, "the query returns no rows (expected a SELECT)")
        columns = list(result.keys())
        duplicates = sorted({name for name in columns if columns.count(name) > 1})
        if duplicates:
            raise ExternalSourceError(
                url, f"the query returns duplicate column names {duplicates}: alias them"
            )
        yielded = False
        while rows := result.fetchmany(batch_rows):
            yield _text_frame(columns, rows)
            yielded = True
        if not yielded:
            yield _text_frame(columns, [])
        # Leaving the block rolls back: a read-only session never commits.


def _text_frame(columns: list[str], rows: Sequence[Sequence[Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        [[None if value is None else _as_text(value) for value in row] for row in rows],
        schema={name: pl.String() for name in columns},
        orient="row",
    )


def _as_text(value: Any) -> str:
    # str() gives ISO dates ('2024-05-01', '2024-05-01 00:00:00'); Decimal is written
    # without an exponent so that '1E+3' arrives as '1000'.
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="backslashreplace")
    return str(value)


def _read_only_engine(url: str) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "sqlite":
        parsed = _sqlite_read_only(parsed)
    elif (backend, parsed.get_driver_name()) in _CONNECT_TIMEOUT_DRIVERS and (
        "connect_timeout" not in parsed.query
    ):
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    engine = create_engine(parsed, poolclass=NullPool, connect_args=connect_args)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_query_only)
    return engine


def _sqlite_read_only(parsed: URL) -> URL:
    """Open a SQLite file with mode=ro: a missing file is an error, not a new empty database."""
    database = parsed.database or ""
    if database in ("", ":memory:") or parsed.query.get("uri") in ("true", "1"):
        return parsed
    path = quote(os.path.abspath(database))
    return parsed.set(database=f"file:{path}", query={**parsed.query, "mode": "ro", "uri": "true"})


def _sqlite_query_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def _reason(exc: BaseException, url: str) -> str:
    """The database's own words, without SQLAlchemy's boilerplate and never the password."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        reason = f"{type(exc.orig).__name__}: {exc.orig}".strip()
        if exc.statement:
            reason += f" [query: {' '.join(exc.statement.split())}]"
    else:
        reason = f"{type(exc).__name__}: {exc}"
    try:
        password = make_url(url).password
    except SQLAlchemyError:
        password = None
    # A very short password would mangle ordinary words; anything longer is never shown.
    if password and len(str(password)) >= 4:
        reason = reason.replace(str(password), "***")
    return " ".join(reason.split())
