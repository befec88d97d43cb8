"""Run the Alembic migrations kept beside the schema, all of them in one transaction.

PostgreSQL runs DDL in transactions. SQLite can too, but Python's sqlite3 driver does
not open a transaction before DDL statements, so a migration killed half-way left some
tables created and no revision recorded, and the next upgrade failed ("table ... already
exists"). On SQLite the migrations therefore run on a connection of their own whose
transactions are opened explicitly (`BEGIN IMMEDIATE`, the SQLAlchemy recipe for
pysqlite): an interrupted upgrade leaves the schema as it was before it started.
"""

from __future__ import annotations

import functools
import sqlite3
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event

from service.store.engine import make_engine


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("service.store") / "migrations"))
    return cfg


def _alembic_config(engine: Engine) -> Config:
    cfg = _config()
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the store's schema to `revision` (idempotent), all or nothing."""
    migrating = _transactional_sqlite(engine)
    try:
        command.upgrade(_alembic_config(migrating or engine), revision)
    finally:
        if migrating is not None:
            migrating.dispose()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    """The newest revision this code knows (the same for every store)."""
    return _head()


@functools.cache
def _head() -> str | None:
    # Read from the migration scripts once per process: /readyz asks on every probe.
    return ScriptDirectory.from_config(_config()).get_current_head()


def _transactional_sqlite(engine: Engine) -> Engine | None:
    """An engine on the same SQLite file whose transactions cover DDL; None for other
    databases (and for an in-memory one, which only its own engine can see)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    migrating = make_engine(url.render_as_string(hide_password=False))
    event.listen(migrating, "connect", _driver_leaves_transactions_to_us)
    event.listen(migrating, "begin", _begin_immediate)
    return migrating


def _driver_leaves_transactions_to_us(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Connection) -> None:
    # IMMEDIATE takes the write lock now: no other writer can slip in between two steps.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
