"""A leader lock: one scheduler runs the jobs, any other waits as a standby.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held by a connection
kept open for as long as the lock is held; if that connection dies, the server releases
the lock and another scheduler can take it. SQLite: an exclusive `flock` on a file beside
the database file (one machine only, as SQLite itself).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from pathlib import Path
from types import TracebackType
from typing import IO

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from service.store.engine import StoreError, db_reason, masked

log = logging.getLogger(__name__)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (PostgreSQL advisory locks take a bigint)."""
    digest = hashlib.sha256(f"remitwatch:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_file_path(database: str, name: str) -> Path:
    """The lock file of an SQLite store: `<db file>.<name>.lock`."""
    return Path(f"{database}.{name}.lock")


class LeaderLock:
    """Who runs the jobs: `try_acquire()` never waits; `still_held()` says if it is kept.

    Thread-safe: a watchdog thread may call `still_held()` while another calls `release()`.
    """

    def __init__(self, engine: Engine, name: str) -> None:
        self.name = name
        self._engine = engine
        self._guard = threading.Lock()
        self._connection: Connection | None = None  # PostgreSQL: the session holding the lock
        self._file: IO[bytes] | None = None  # SQLite: the open, flock'ed lock file
        backend = engine.url.get_backend_name()
        if backend == "sqlite":
            database = engine.url.database
            if not database or database == ":memory:":
                raise StoreError(
                    "a leader lock needs a store on disk: set database.url to an SQLite file "
                    "or PostgreSQL, not an in-memory database"
                )
            self._path: Path | None = lock_file_path(database, name)
        elif backend == "postgresql":
            self._path = None
        else:
            raise StoreError(f"no leader lock for a {backend} store")

    @property
    def held(self) -> bool:
        """True after a successful `try_acquire()` until `release()` (not checked live)."""
        return self._connection is not None or self._file is not None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True if we hold it now (also if we already did).

        Raises StoreError when the store cannot be reached.
        """
        with self._guard:
            if self.held:
                return True
            if self._path is not None:
                return self._acquire_file(self._path)
            return self._acquire_advisory()

    def still_held(self) -> bool:
        """True if the lock is ours and still in force (PostgreSQL: the session is alive)."""
        with self._guard:
            if self._connection is not None:
                try:
                    self._connection.execute(text("SELECT 1"))
                except SQLAlchemyError as exc:
                    log.error("leader lock %r: its database session died: %s", self.name, exc)
                    return False
                return True
            if self._file is not None and self._path is not None:
                # A lock file deleted (or replaced) under us no longer excludes anyone.
                try:
                    return os.fstat(self._file.fileno()).st_ino == os.stat(self._path).st_ino
                except OSError:
                    return False
            return False

    def release(self) -> None:
        """Give the lock up (idempotent); a lost lock is released quietly."""
        with self._guard:
            if self._connection is not None:
                connection, self._connection = self._connection, None
                try:
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(self.name)}
                    )
                except SQLAlchemyError as exc:
                    log.warning("leader lock %r: unlock failed (%s)", self.name, db_reason(exc))
                finally:
                    # Close the session itself rather than pooling it: a session-level lock
                    # must never be left behind on a pooled connection.
                    connection.invalidate()
                    connection.close()
            if self._file is not None:
                lock_file, self._file = self._file, None
                try:
                    fcntl.flock(lock_file, fcntl.LOCK_UN)
                finally:
                    lock_file.close()

    def __enter__(self) -> LeaderLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    # -- backends -------------------------------------------------------------------
    def _acquire_advisory(self) -> bool:
        try:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            raise StoreError(
                f"the store at {masked(str(self._engine.url))} cannot be reached for the "
                f"leader lock: {db_reason(exc)}"
            ) from exc
        try:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key(self.name)}
            ).scalar_one()
        except SQLAlchemyError as exc:
            connection.invalidate()
            connection.close()
            raise StoreError(
                f"taking the leader lock {self.name!r} failed: {db_reason(exc)}"
            ) from exc
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def _acquire_file(self, path: Path) -> bool:
        try:
            lock_file = path.open("ab")
        except OSError as exc:
            raise StoreError(f"cannot open the leader lock file {path}: {exc.strerror}") from exc
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            return False
        except OSError as exc:
            lock_file.close()
            raise StoreError(f"cannot lock the leader lock file {path}: {exc.strerror}") from exc
        self._file = lock_file
        return True
