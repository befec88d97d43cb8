"""`kill -9` of `remitwatch db upgrade` half-way through migrating a fresh store, then
`remitwatch db upgrade` again: the killed upgrade left the schema as it found it (all or
nothing) and the second one brings it to head, identical to a clean migration.
On SQLite and on PostgreSQL, with real processes; the kill comes while the migration's
transaction is seen open (its write lock on SQLite, its table locks on PostgreSQL)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from service.store import Store
from tests.faults.processes import start, until
from tests.faults.schema_shape import schema_shape
from tests.pg_server import PostgresServer, fresh_database

pytestmark = pytest.mark.integration

EMPTY: dict[str, Any] = {"revision": None, "tables": {}, "views": []}
#: Kill points: on SQLite seconds after the write transaction is first seen (it lasts a
#: few hundred milliseconds here); on PostgreSQL the number of relations it has locked.
SQLITE_DELAYS = (0.02, 0.05, 0.1)
POSTGRES_LOCKS = (1, 10, 30)

InMigration = Callable[[], bool]


def _sqlite_in_migration(url: str) -> InMigration:
    """True while another connection holds the database's write lock (a write
    transaction is open), or while tables are visible with no schema revision recorded
    (a migration that is not one transaction); never creates the file."""
    path = make_url(url).database
    assert path

    def seen() -> bool:
        if not Path(path).exists():
            return False
        try:
            probe = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=0)
        except sqlite3.Error:
            return False
        probe.isolation_level = None
        try:
            tables = {r[0] for r in probe.execute("SELECT name FROM sqlite_master")}
            revisions = (
                probe.execute("SELECT count(*) FROM alembic_version").fetchone()[0]
                if "alembic_version" in tables
                else 0
            )
            if tables and not revisions:
                return True
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()

    return seen


def _postgres_in_migration(server: PostgresServer, url: str, relations: int) -> InMigration:
    """True once an open transaction on the database holds `relations` exclusive locks
    (each table, index or sequence it created, until it commits)."""
    database = make_url(url).database
    query = (
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE d.datname = %s AND l.mode = 'AccessExclusiveLock' AND l.granted"
    )

    def locked() -> bool:
        with server.admin_connect() as admin:
            row = admin.execute(query, (database,)).fetchone()
        return row is not None and int(str(row[0])) >= relations

    return locked


def _upgrade(url: str, log: Path) -> subprocess.Popen[str]:
    return start(
        ["db", "upgrade"],
        {"REMITWATCH_DATABASE__URL": url, "REMITWATCH_PATHS__DATA_DIR": str(log.parent)},
        log,
    )


def _kill_mid_upgrade(url: str, log: Path, in_migration: InMigration, delay: float) -> bool:
    """Start an upgrade and SIGKILL it once `in_migration` holds, `delay` s later and
    still so; True when it was killed, False when it finished first."""
    process = _upgrade(url, log)
    try:
        until(lambda: process.poll() is not None or in_migration(), 120, log, every=0.002)
        time.sleep(delay)
        if process.poll() is None and in_migration():
            process.send_signal(signal.SIGKILL)
        return process.wait(timeout=60) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()


def _recovers(
    url: str, log: Path, in_migration: InMigration, delay: float, clean: dict[str, Any]
) -> bool:
    """Kill an upgrade of the empty store at `url` mid-way, upgrade again, compare with
    `clean`; True when the kill interrupted the migration (it left the store empty)."""
    killed = _kill_mid_upgrade(url, log, in_migration, delay)
    after_kill = schema_shape(url)
    assert after_kill in (EMPTY, clean), "the killed upgrade left a partial schema"
    second = _upgrade(url, log)
    assert second.wait(timeout=120) == 0, log.read_text()[-4000:]
    assert schema_shape(url) == clean
    store = Store.open(url)
    try:
        revision, head = store.schema_revisions()
        assert revision == head is not None
    finally:
        store.close()
    return killed and after_kill == EMPTY


def _clean_shape(url: str) -> dict[str, Any]:
    """The schema a clean, uninterrupted migration of the empty store at `url` gives."""
    store = Store.open(url)
    try:
        store.upgrade()
    finally:
        store.close()
    return schema_shape(url)


def test_a_killed_sqlite_migration_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    clean = _clean_shape(f"sqlite:///{tmp_path / 'clean.db'}")
    interrupted = 0
    for attempt, delay in enumerate(SQLITE_DELAYS):
        url = f"sqlite:///{tmp_path / f'store-{attempt}.db'}"
        log = tmp_path / f"upgrade-{attempt}.log"
        interrupted += _recovers(url, log, _sqlite_in_migration(url), delay, clean)
    print(f"kills inside the migration: {interrupted} of {len(SQLITE_DELAYS)}")
    assert interrupted >= 1, "no kill landed inside a migration"


def test_a_killed_postgres_migration_leaves_the_store_as_it_was(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    with fresh_database(postgres_server) as scratch:
        clean = _clean_shape(scratch)
    interrupted = 0
    for attempt, relations in enumerate(POSTGRES_LOCKS):
        with fresh_database(postgres_server) as url:
            log = tmp_path / f"upgrade-{attempt}.log"
            probe = _postgres_in_migration(postgres_server, url, relations)
            interrupted += _recovers(url, log, probe, 0.0, clean)
    print(f"kills inside the migration: {interrupted} of {len(POSTGRES_LOCKS)}")
    assert interrupted >= 1, "no kill landed inside a migration"
