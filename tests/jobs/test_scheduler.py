"""The scheduler: configuration wired to APScheduler, failures, coalescing, leader election."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import make_url

from config import Settings
from config.errors import ConfigError
from jobs.scheduled import JOBS, JobFunction, JobOutcome
from jobs.scheduler import RECOVERY_JOB, REQUEST_POLL_JOB, JobScheduler
from service.store import Store

BISHKEK = ZoneInfo("Asia/Bishkek")
CRON_JOBS = ("ingest_rates", "ingest_transfers", "refit", "backtest")


def _off(cron: str) -> dict[str, object]:
    return {"cron": cron, "enabled": False}


def quiet_settings(data_dir: Path, **scheduler: object) -> Settings:
    """Fast polls and no cron job (none fires in the middle of a test)."""
    return Settings(
        paths={"data_dir": data_dir},
        scheduler={
            "request_poll_seconds": 0.1,
            "standby_poll_seconds": 0.3,
            **{name: _off("0 0 1 1 *") for name in CRON_JOBS},
            **scheduler,
        },
    )


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture
def schedulers() -> Iterator[list[JobScheduler]]:
    """Schedulers a test started; all shut down at the end whatever happened."""
    started: list[JobScheduler] = []
    yield started
    for scheduler in started:
        scheduler.shutdown(wait=True)


def _counting(calls: list[float], body: Callable[[], None] = lambda: None) -> JobFunction:
    def job(store: Store, settings: Settings) -> JobOutcome:
        calls.append(time.monotonic())
        body()
        return JobOutcome("counted", None, "ok")

    return job


# -- the wiring of the configuration ---------------------------------------------------------


def test_each_enabled_job_has_its_cron_trigger_in_bishkek(
    sqlite_store: Store, tmp_path: Path
) -> None:
    settings = Settings(paths={"data_dir": tmp_path}, rates={"source": str(tmp_path)})
    scheduler = JobScheduler(sqlite_store, settings)
    aps = scheduler.apscheduler
    assert sorted(job.id for job in aps.get_jobs()) == sorted(
        (*CRON_JOBS, "watch_inbox", REQUEST_POLL_JOB, RECOVERY_JOB)
    )
    for name, schedule in settings.scheduler.jobs().items():
        job = aps.get_job(name)
        trigger_type = IntervalTrigger if name == "watch_inbox" else CronTrigger
        assert isinstance(job.trigger, trigger_type) and job.trigger.timezone == BISHKEK
        assert (job.coalesce, job.max_instances) == (True, 1)
        assert job.misfire_grace_time == schedule.misfire_grace_seconds
        assert job.func.function is JOBS[name] and job.args == (sqlite_store, settings)
    assert [aps.get_job(n).misfire_grace_time for n in CRON_JOBS] == [600, 300, 3600, 3600]

    def next_run(name: str, after: str) -> datetime:
        moment = datetime.fromisoformat(after).replace(tzinfo=BISHKEK)
        fire: datetime = aps.get_job(name).trigger.get_next_fire_time(None, moment)
        return fire

    # Friday evening after the rates: next on Monday at 18:15 Bishkek (12:15 UTC).
    rates = next_run("ingest_rates", "2026-05-15T19:00")
    assert rates.isoformat() == "2026-05-18T18:15:00+06:00"
    assert rates.astimezone(ZoneInfo("UTC")).hour == 12
    assert next_run("ingest_rates", "2026-05-13T18:14").isoformat() == "2026-05-13T18:15:00+06:00"
    assert next_run("ingest_transfers", "2026-05-13T10:07").isoformat() == (
        "2026-05-13T10:15:00+06:00"
    )
    assert next_run("refit", "2026-05-13T12:00").isoformat() == "2026-05-17T03:00:00+06:00"
    assert next_run("backtest", "2026-05-01T04:00:01").isoformat() == "2026-06-01T04:00:00+06:00"
    poll = aps.get_job(REQUEST_POLL_JOB)
    assert isinstance(poll.trigger, IntervalTrigger)
    assert poll.trigger.interval == timedelta(seconds=10)
    assert (poll.coalesce, poll.max_instances) == (True, 1)
    # For display: every job with its next run, in Bishkek time.
    watch = aps.get_job("watch_inbox").trigger
    assert watch.interval == timedelta(seconds=20)
    listed = dict(scheduler.jobs())
    assert listed.keys() == {*CRON_JOBS, "watch_inbox", REQUEST_POLL_JOB, RECOVERY_JOB}
    assert all(
        when is not None and when.utcoffset() == timedelta(hours=6) for when in listed.values()
    )


def test_disabled_jobs_and_rates_without_a_source_are_not_scheduled(
    sqlite_store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    settings = Settings(
        paths={"data_dir": tmp_path},
        scheduler={"refit": {"cron": "0 3 * * sun", "enabled": False}},
    )
    aps = JobScheduler(sqlite_store, settings).apscheduler
    assert sorted(job.id for job in aps.get_jobs()) == [
        "backtest",
        "ingest_transfers",
        REQUEST_POLL_JOB,
        RECOVERY_JOB,
        "watch_inbox",
    ]
    messages = [record.getMessage() for record in caplog.records]
    assert "job ingest_rates is not scheduled: no rates.source is configured" in messages
    assert "job refit is not scheduled: scheduler.refit.enabled is false" in messages


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("0 3 * * 0", "weekday field with names"),  # cron's Sunday, APScheduler's Monday
        ("0 3 * * 1-5", "weekday field with names"),
        ("61 3 * * sun", "scheduler.refit.cron"),
    ],
)
def test_an_ambiguous_or_invalid_crontab_line_is_a_config_error(
    sqlite_store: Store, tmp_path: Path, cron: str, message: str
) -> None:
    settings = Settings(paths={"data_dir": tmp_path}, scheduler={"refit": {"cron": cron}})
    with pytest.raises(ConfigError, match=message):
        JobScheduler(sqlite_store, settings)


# -- running -----------------------------------------------------------------------------------


def test_a_job_that_raises_leaves_the_scheduler_running(
    sqlite_store: Store,
    tmp_path: Path,
    schedulers: list[JobScheduler],
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[float] = []

    def fail_once() -> None:
        if len(calls) == 1:
            raise RuntimeError("source exploded")

    settings = quiet_settings(tmp_path, refit={"cron": "0 3 * * sun"})
    scheduler = JobScheduler(
        sqlite_store, settings, jobs={**JOBS, "refit": _counting(calls, fail_once)}
    )
    schedulers.append(scheduler)
    scheduler.start()
    scheduler.apscheduler.reschedule_job("refit", trigger="interval", seconds=0.2)
    assert wait_until(lambda: len(calls) >= 3)
    assert scheduler.apscheduler.running and scheduler.is_leader
    assert any(
        "scheduled job refit raised RuntimeError: source exploded" in record.getMessage()
        for record in caplog.records
    )


def test_runs_missed_while_paused_are_coalesced_into_one(
    sqlite_store: Store, tmp_path: Path, schedulers: list[JobScheduler]
) -> None:
    calls: list[float] = []
    settings = quiet_settings(tmp_path, refit={"cron": "0 3 * * sun"})
    scheduler = JobScheduler(sqlite_store, settings, jobs={**JOBS, "refit": _counting(calls)})
    schedulers.append(scheduler)
    scheduler.start()
    aps = scheduler.apscheduler
    aps.pause()
    start = time.monotonic()
    aps.reschedule_job("refit", trigger="interval", seconds=1)
    time.sleep(3.3 - (time.monotonic() - start))  # due at 1, 2 and 3 s: all missed
    assert calls == []
    aps.resume()
    assert wait_until(lambda: bool(calls))
    time.sleep(0.25)
    # One catch-up run for the three missed times (not three in a row); the next regular
    # run is due at 4 s.
    assert [call for call in calls if call - calls[0] < 0.25] == calls[:1]


def test_a_run_still_going_drops_the_runs_due_meanwhile(
    sqlite_store: Store,
    tmp_path: Path,
    schedulers: list[JobScheduler],
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[float] = []
    skipped: list[str] = []
    settings = quiet_settings(tmp_path, refit={"cron": "0 3 * * sun"})
    slow = _counting(calls, lambda: time.sleep(2.5))
    scheduler = JobScheduler(sqlite_store, settings, jobs={**JOBS, "refit": slow})
    schedulers.append(scheduler)
    scheduler.apscheduler.add_listener(
        lambda event: skipped.append(event.job_id), EVENT_JOB_MAX_INSTANCES
    )
    scheduler.start()
    start = time.monotonic()
    scheduler.apscheduler.reschedule_job("refit", trigger="interval", seconds=1)
    time.sleep(4.5 - (time.monotonic() - start))
    # Due at 1, 2, 3 and 4 s: the run of 1 s lasts until 3.5 s, so 2 and 3 are dropped
    # (not queued behind it), and the run of 4 s starts on time.
    assert skipped == ["refit", "refit"]
    assert len(calls) == 2 and 2.8 < calls[1] - calls[0] < 3.4
    assert any("refit is still running" in r.getMessage() for r in caplog.records)


def test_a_requested_job_waits_for_its_scheduled_run_to_end(
    sqlite_store: Store, tmp_path: Path, schedulers: list[JobScheduler]
) -> None:
    spans: list[tuple[float, float]] = []

    def slow(store: Store, settings: Settings) -> JobOutcome:
        began = time.monotonic()
        time.sleep(0.6)
        spans.append((began, time.monotonic()))
        return JobOutcome("refit", None, "ok")

    settings = quiet_settings(tmp_path, refit={"cron": "0 3 * * sun"})
    scheduler = JobScheduler(sqlite_store, settings, jobs={**JOBS, "refit": slow})
    schedulers.append(scheduler)
    scheduler.start()
    scheduler.apscheduler.modify_job("refit", next_run_time=datetime.now(BISHKEK))
    sqlite_store.request_job("refit", "analyst")
    assert wait_until(lambda: len(spans) == 2)
    (_, first_end), (second_start, _) = sorted(spans)
    assert second_start >= first_end  # one after the other, never side by side


def test_run_forever_blocks_until_stopped_and_releases_the_lock(
    sqlite_store: Store, tmp_path: Path
) -> None:
    scheduler = JobScheduler(sqlite_store, quiet_settings(tmp_path))
    stop = threading.Event()
    runner = threading.Thread(target=scheduler.run_forever, args=(stop,))
    runner.start()
    assert wait_until(lambda: scheduler.is_leader)
    assert runner.is_alive()
    stop.set()
    runner.join(timeout=5)
    assert not runner.is_alive() and not scheduler.is_leader
    assert not scheduler.apscheduler.running
    with sqlite_store.leader_lock("scheduler") as lock:
        assert lock.try_acquire()


# -- leader election ---------------------------------------------------------------------------


def _tally(counts: dict[str, int], who: str) -> dict[str, JobFunction]:
    """The real jobs, counting which scheduler ran `ingest_transfers`."""
    real = JOBS["ingest_transfers"]

    def counted(store: Store, settings: Settings) -> JobOutcome:
        counts[who] = counts.get(who, 0) + 1
        return real(store, settings)

    return {**JOBS, "ingest_transfers": counted}


def _request_done(store: Store) -> Callable[[], bool]:
    request_id = store.request_job("ingest_transfers", "analyst")

    def done() -> bool:
        request = store.job_request(request_id)
        return request is not None and request.status == "ok"

    return done


def _kill_lock_session(postgres_url: str) -> None:
    url = make_url(postgres_url)
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
    ) as admin:
        [holder] = admin.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchall()
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", holder)


@pytest.mark.postgres
def test_one_leader_on_postgres_and_the_standby_takes_over(
    postgres_url: str,
    tmp_path: Path,
    schedulers: list[JobScheduler],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = quiet_settings(tmp_path)
    poll = settings.scheduler.standby_poll_seconds
    stores = [Store.open(postgres_url) for _ in range(4)]
    stores[0].upgrade()
    counts: dict[str, int] = {}
    try:
        first, second, third = (
            JobScheduler(stores[i], settings, jobs=_tally(counts, name))
            for i, name in enumerate(("first", "second", "third"))
        )
        schedulers.extend([first, second, third])
        first.start()
        second.start()
        assert first.is_leader and not second.is_leader
        # A request is run once, by the leader only.
        assert wait_until(_request_done(stores[3]))
        time.sleep(3 * poll)
        assert counts == {"first": 1}
        # The leader stops: the standby takes over within a poll.
        first.shutdown()
        assert wait_until(lambda: second.is_leader, timeout=poll + 0.5)
        assert wait_until(_request_done(stores[3]))
        assert counts == {"first": 1, "second": 1}
        # The leader's lock session is killed: it stops running jobs, the standby takes over.
        third.start()
        assert not third.is_leader
        _kill_lock_session(postgres_url)
        assert wait_until(lambda: third.is_leader, timeout=poll + 0.5)
        assert wait_until(lambda: not second.is_leader, timeout=poll + 0.5)
        assert wait_until(_request_done(stores[3]))
        time.sleep(3 * poll)
        assert counts == {"first": 1, "second": 1, "third": 1}
        assert not second.is_leader and third.is_leader
        assert any("lost the leader lock" in r.getMessage() for r in caplog.records)
        assert len(stores[3].recent_runs(job="ingest_transfers")) == 3
    finally:
        for scheduler in schedulers:
            scheduler.shutdown()
        for store in stores:
            store.close()


def test_one_leader_on_sqlite_through_the_file_lock(
    tmp_path: Path, schedulers: list[JobScheduler]
) -> None:
    settings = quiet_settings(tmp_path)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    stores = [Store.open(url) for _ in range(3)]
    stores[0].upgrade()
    counts: dict[str, int] = {}
    try:
        first, second = (
            JobScheduler(stores[i], settings, jobs=_tally(counts, name))
            for i, name in enumerate(("first", "second"))
        )
        schedulers.extend([first, second])
        first.start()
        second.start()
        assert first.is_leader and not second.is_leader
        assert wait_until(_request_done(stores[2]))
        first.shutdown()
        assert wait_until(lambda: second.is_leader, timeout=1.0)
        assert wait_until(_request_done(stores[2]))
        time.sleep(0.5)
        assert counts == {"first": 1, "second": 1}
    finally:
        for scheduler in schedulers:
            scheduler.shutdown()
        for store in stores:
            store.close()
