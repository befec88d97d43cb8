"""Run the jobs on their schedules: the configuration wired to APScheduler, plus a leader lock.

The only module that imports APScheduler. It builds one `BackgroundScheduler` from
`settings.scheduler` (one cron trigger per enabled job, in the configured time zone, and a
short interval job that runs the jobs requested through the API) and runs it only while
it holds the store's leader lock: a second scheduler waits as a standby and takes over
when the leader stops or loses its lock. The jobs themselves are the plain functions of
`jobs.scheduled`; nothing happens at import.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config import Settings
from config.errors import ConfigError, RemitwatchError
from config.settings import JobSchedule
from jobs.recovery import recover_interrupted
from jobs.scheduled import JOBS, JobFunction, JobOutcome, process_requests
from service.store import Store

log = logging.getLogger(__name__)

#: The name of the store's leader lock every scheduler of one store competes for.
LEADER_LOCK = "scheduler"
#: The job that runs the jobs requested through the API.
REQUEST_POLL_JOB = "process_requests"
RECOVERY_JOB = "recover_interrupted"
#: Seconds between two looks for runs whose process died.
RECOVERY_SECONDS = 60
#: The longest pause between two tries of a store that does not answer.
MAX_BACKOFF_SECONDS = 60.0
#: Seconds a job may start late and still run, for jobs without their own setting.
DEFAULT_MISFIRE_GRACE_SECONDS = 60
#: Runs missed while the scheduler was paused or busy run once, and never beside themselves.
ONE_RUN_AT_A_TIME = {"coalesce": True, "max_instances": 1}


def cron_trigger(name: str, schedule: JobSchedule, zone: ZoneInfo) -> CronTrigger:
    """The trigger of a crontab line; ConfigError names the key when it is not valid.

    Weekdays must be names: APScheduler 3 numbers them from Monday = 0 where cron
    starts at Sunday = 0, so `1-5` would silently mean Tuesday to Saturday.
    """
    weekday = schedule.cron.split()[4]
    if any(character.isdigit() for character in weekday):
        raise ConfigError(
            f"scheduler.{name}.cron = {schedule.cron!r}: write the weekday field with names "
            "(mon-fri, sun, sat,sun): numbered weekdays are ambiguous"
        )
    try:
        return CronTrigger.from_crontab(schedule.cron, timezone=zone)
    except ValueError as exc:
        raise ConfigError(f"scheduler.{name}.cron = {schedule.cron!r}: {exc}") from exc


def trigger_of(name: str, schedule: JobSchedule, zone: ZoneInfo) -> CronTrigger | IntervalTrigger:
    """A cron trigger, or an interval trigger for `every_seconds`."""
    if schedule.every_seconds:
        return IntervalTrigger(seconds=schedule.every_seconds, timezone=zone)
    return cron_trigger(name, schedule, zone)


#: Jobs that work on the same files take turns: the inbox watch and the full ingest.
SHARED_LOCKS = {"watch_inbox": "ingest_transfers"}


class _OneAtATime:
    """A job that runs once at a time in this process, scheduled or requested; jobs that
    share `lock` also wait for each other."""

    def __init__(self, name: str, function: JobFunction, lock: threading.Lock) -> None:
        self.name = name
        self.function = function
        self._running = lock

    def __call__(self, store: Store, settings: Settings) -> JobOutcome:
        # A request for a job that is running waits for it rather than running beside it
        # (two ingests of one inbox would race for the same files).
        with self._running:
            return self.function(store, settings)


class JobScheduler:
    """The scheduled jobs of one store, run while this process holds the leader lock.

    `jobs` replaces the job functions by name (tests); which jobs run when is always
    the configuration's.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        jobs: Mapping[str, JobFunction] = JOBS,
        migrate: bool = False,
    ) -> None:
        self._store = store
        self._migrate = migrate  # bring the schema up to date on taking the lead
        self._failures = 0  # consecutive failed lock checks: the watchdog backs off
        self._settings = settings
        self._zone = ZoneInfo(settings.scheduler.timezone)
        locks: dict[str, threading.Lock] = {}
        self._table = {
            name: _OneAtATime(
                name, function, locks.setdefault(SHARED_LOCKS.get(name, name), threading.Lock())
            )
            for name, function in jobs.items()
        }
        self._lock = store.leader_lock(LEADER_LOCK)
        self._leader = False
        self._state = threading.Lock()  # leadership changes and shutdown, one at a time
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._scheduler = BackgroundScheduler(
            timezone=self._zone,
            job_defaults={**ONE_RUN_AT_A_TIME, "misfire_grace_time": DEFAULT_MISFIRE_GRACE_SECONDS},
        )
        self._scheduler.add_listener(
            self._on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
        )
        self._add_jobs()

    def _add_jobs(self) -> None:
        for name, schedule in self._settings.scheduler.jobs().items():
            if not schedule.enabled:
                log.info("job %s is not scheduled: scheduler.%s.enabled is false", name, name)
                continue
            if name == "ingest_rates" and not self._settings.rates.source:
                log.info("job ingest_rates is not scheduled: no rates.source is configured")
                continue
            if name not in self._table:
                raise ConfigError(f"scheduler.{name}: no job function of that name")
            self._scheduler.add_job(
                self._table[name],
                trigger_of(name, schedule, self._zone),
                args=(self._store, self._settings),
                id=name,
                name=name,
                misfire_grace_time=schedule.misfire_grace_seconds,
                **ONE_RUN_AT_A_TIME,
            )
        self._scheduler.add_job(
            process_requests,
            IntervalTrigger(
                seconds=self._settings.scheduler.request_poll_seconds, timezone=self._zone
            ),
            args=(self._store, self._settings),
            kwargs={"jobs": self._table},
            id=REQUEST_POLL_JOB,
            name=REQUEST_POLL_JOB,
            misfire_grace_time=None,  # a late poll is still worth doing (coalesced to one)
            **ONE_RUN_AT_A_TIME,
        )
        # As soon as this scheduler leads (at start or on taking over), then every minute.
        self._scheduler.add_job(
            self._recover,
            IntervalTrigger(seconds=RECOVERY_SECONDS, timezone=self._zone),
            id=RECOVERY_JOB,
            name=RECOVERY_JOB,
            next_run_time=datetime.now(self._zone),
            misfire_grace_time=None,
            **ONE_RUN_AT_A_TIME,
        )

    def _recover(self) -> None:
        """Runs interrupted by a dead process: recorded so, and queued again once."""
        try:
            recover_interrupted(self._store, self._table.keys())
        except RemitwatchError as exc:
            log.warning("scheduler: looking for interrupted runs failed, retrying: %s", exc)

    # -- what is scheduled -----------------------------------------------------------
    @property
    def apscheduler(self) -> BackgroundScheduler:
        """The underlying APScheduler scheduler (to inspect its jobs and triggers)."""
        return self._scheduler

    @property
    def is_leader(self) -> bool:
        """True while this scheduler holds the leader lock and runs the jobs."""
        return self._leader

    def jobs(self) -> list[tuple[str, datetime | None]]:
        """Each job's name and next run time in the configured zone (None: paused)."""
        now = datetime.now(self._zone)
        listed = []
        for job in self._scheduler.get_jobs():
            # Before start() APScheduler has not computed the next run times yet.
            if hasattr(job, "next_run_time"):
                when = job.next_run_time
            else:
                when = job.trigger.get_next_fire_time(None, now)
            listed.append((job.id, when))
        return listed

    def _describe(self) -> str:
        return ", ".join(
            f"{name} at {when.isoformat(timespec='seconds') if when else 'never'}"
            for name, when in self.jobs()
        )

    # -- running -----------------------------------------------------------------------
    def start(self) -> None:
        """Start as leader if the lock is free, else as a standby that keeps trying.

        Raises StoreError when the store cannot be reached at start.
        """
        with self._state:
            try:
                leader = self._take_lead()
            except RemitwatchError as exc:
                log.warning(
                    "scheduler: the store cannot be used yet (%s); waiting as a standby, "
                    "retrying with backoff",
                    exc,
                )
                leader = False
            self._scheduler.start(paused=not leader)
            self._leader = leader
        self._watchdog = threading.Thread(
            target=self._watch, name="scheduler-leader-lock", daemon=True
        )
        self._watchdog.start()
        log.info(
            "scheduler started as %s (%s); next runs: %s",
            "leader" if leader else "standby",
            self._zone.key,
            self._describe(),
        )

    def _take_lead(self) -> bool:
        """Take the leader lock if free and, when asked to, migrate the store."""
        if not self._lock.try_acquire():
            return False
        if self._migrate:
            try:
                self._store.upgrade()
            except RemitwatchError:
                self._lock.release()
                raise
        return True

    def _pause_seconds(self) -> float:
        """The poll interval, doubled after each consecutive failure, up to a minute."""
        poll = self._settings.scheduler.standby_poll_seconds
        return float(min(max(poll, MAX_BACKOFF_SECONDS), poll * 2.0**self._failures))

    def _watch(self) -> None:
        """Leader: check the lock is still held. Standby: try to take it."""
        while not self._stopping.wait(self._pause_seconds()):
            try:
                self._check_leadership()
                self._failures = 0
            except RemitwatchError as exc:
                self._failures = min(self._failures + 1, 16)
                log.warning(
                    "scheduler: leader lock check failed, retrying in %.1f s: %s",
                    self._pause_seconds(),
                    exc,
                )
            except Exception:
                self._failures = min(self._failures + 1, 16)
                log.exception("scheduler: leader lock check failed, retrying")

    def _check_leadership(self) -> None:
        with self._state:
            if self._stopping.is_set():
                return
            if self._leader:
                if self._lock.still_held():
                    return
                log.error(
                    "scheduler lost the leader lock: jobs paused (runs in flight finish); "
                    "another scheduler may take over, this one retries as a standby"
                )
                self._scheduler.pause()
                self._lock.release()
                self._leader = False
                return  # wait a full poll before trying again: a standby goes first
            if self._take_lead():
                self._leader = True
                self._scheduler.resume()
                log.info("scheduler took the leader lock; next runs: %s", self._describe())

    def shutdown(self, wait: bool = True) -> None:
        """Stop scheduling; with `wait`, let the runs in flight finish; release the lock.

        Without `wait` the lock is released at once, while runs may still be going.
        """
        self._stopping.set()
        if self._watchdog is not None:
            self._watchdog.join()
        with self._state:
            if self._scheduler.running:
                self._scheduler.shutdown(wait=wait)
            self._lock.release()
            if self._leader:
                log.info("scheduler stopped and released the leader lock")
            self._leader = False

    def run_forever(self, stop: threading.Event) -> None:
        """Start, run until `stop` is set (e.g. by a signal handler), then shut down."""
        self.start()
        try:
            while not stop.wait(1.0):
                pass
        finally:
            self.shutdown(wait=True)

    def _on_event(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_ERROR:
            exception = getattr(event, "exception", None)
            log.error(
                "scheduled job %s raised %s: %s; the scheduler carries on",
                event.job_id,
                type(exception).__name__,
                exception,
                extra={"job": event.job_id, "status": "failed"},
            )
        elif event.code == EVENT_JOB_MISSED:
            log.warning(
                "scheduled job %s missed its run at %s: it woke later than its misfire grace",
                event.job_id,
                getattr(event, "scheduled_run_time", None),
            )
        else:
            log.warning("scheduled job %s is still running: this run is skipped", event.job_id)
