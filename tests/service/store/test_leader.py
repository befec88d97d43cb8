"""The leader lock on a real PostgreSQL (advisory lock) and on SQLite (a file lock)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from service.store import Store, StoreError
from service.store.leader import advisory_key, lock_file_path


@pytest.fixture
def other(store_url: str) -> Iterator[Store]:
    """A second Store on the same database, as another scheduler process would open it."""
    opened = Store.open(store_url)
    yield opened
    opened.close()


def test_one_holder_at_a_time_and_release_hands_it_over(store: Store, other: Store) -> None:
    first, second = store.leader_lock("scheduler"), other.leader_lock("scheduler")
    assert first.try_acquire()
    assert not second.try_acquire()
    assert first.still_held() and not second.still_held()
    assert first.try_acquire()  # taking it again while holding it is a no-op
    assert not second.try_acquire()
    first.release()
    assert not first.still_held()
    assert second.try_acquire()
    assert not first.try_acquire()
    second.release()
    second.release()  # idempotent


def test_locks_of_different_names_are_independent(store: Store, other: Store) -> None:
    with store.leader_lock("scheduler") as mine, other.leader_lock("reports") as theirs:
        assert mine.try_acquire() and theirs.try_acquire()


def test_leaving_the_context_releases_it(store: Store, other: Store) -> None:
    with store.leader_lock("scheduler") as held:
        assert held.try_acquire()
    with other.leader_lock("scheduler") as taken:
        assert taken.try_acquire()


@pytest.mark.postgres
def test_a_killed_session_loses_the_lock_to_the_standby(postgres_url: str) -> None:
    leader_store, standby_store = Store.open(postgres_url), Store.open(postgres_url)
    try:
        leader = leader_store.leader_lock("scheduler")
        standby = standby_store.leader_lock("scheduler")
        assert leader.try_acquire() and not standby.try_acquire()
        url = make_url(postgres_url)
        with psycopg.connect(
            host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
        ) as admin:
            holders = admin.execute(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ).fetchall()
            assert len(holders) == 1
            # With a timeout it returns once the backend is gone (PostgreSQL 14+).
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", holders[0])
        assert not leader.still_held()
        assert standby.try_acquire() and standby.still_held()
        leader.release()  # the lost lock is given up quietly
        assert standby.still_held()
        standby.release()
    finally:
        leader_store.close()
        standby_store.close()


def test_sqlite_lock_is_a_file_beside_the_database(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    lock = store.leader_lock("scheduler")
    assert lock.try_acquire()
    path = lock_file_path(str(tmp_path / "store.db"), "scheduler")
    assert path == tmp_path / "store.db.scheduler.lock" and path.exists()
    # A lock file removed under the holder no longer excludes anyone.
    path.unlink()
    assert not lock.still_held()
    lock.release()
    store.close()


def test_an_in_memory_store_has_no_leader_lock() -> None:
    with pytest.raises(StoreError, match="store on disk"):
        Store.open("sqlite:///:memory:").leader_lock("scheduler")


def test_unreachable_postgres_raises_a_store_error() -> None:
    store = Store.open("postgresql+psycopg://postgres@127.0.0.1:1/remitwatch")
    with pytest.raises(StoreError, match="cannot be reached for the leader lock"):
        store.leader_lock("scheduler").try_acquire()
    store.close()


def test_advisory_key_is_stable_and_a_signed_bigint() -> None:
    # Pinned: schedulers of two releases must compete for the same key during an upgrade.
    assert advisory_key("scheduler") == advisory_key("scheduler") == -5796557800057468051
    assert advisory_key("scheduler") != advisory_key("reports")
    assert all(-(2**63) <= advisory_key(name) < 2**63 for name in ("a", "b", "scheduler"))
