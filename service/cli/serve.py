"""`remitwatch serve`, `api` and `scheduler`: the long-running processes."""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click
import uvicorn

from jobs.scheduler import JobScheduler
from service.api import check_exposure, create_app
from service.cli.context import CliContext, pass_context
from service.cli.scheduler_child import SchedulerChild, child_command, exit_with_parent

log = logging.getLogger(__name__)

_host_option = click.option(
    "--host", metavar="HOST", help="Address to listen on (default: api.host, 127.0.0.1)."
)
_port_option = click.option(
    "--port", type=click.IntRange(1, 65535), help="Port to listen on (default: api.port, 8000)."
)


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM, instead of the default abrupt exit.

    uvicorn handles both signals while it runs and raises them again when it has
    stopped; with these handlers that second delivery only sets the event, so the
    scheduler still gets to finish its jobs in flight.
    """
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_api(state: CliContext, host: str | None, port: int | None) -> None:
    settings = state.settings
    address = host or settings.api.host
    check_exposure(settings, address)
    # The API starts whether the store answers or not: /readyz says when it does.
    app = create_app(settings, state.store(migrate=False))
    config = uvicorn.Config(
        app,
        host=address,
        port=port or settings.api.port,
        log_config=None,  # our handlers and format (text or JSON lines)
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=10,
    )
    # Everything built so far (modules, the app) lives as long as the process: out of
    # the collector's sight, a full collection no longer walks ~280,000 objects (140 ms
    # holding the interpreter lock, a stall of every request in flight).
    gc.collect()
    gc.freeze()
    uvicorn.Server(config).run()


@click.command("serve")
@_host_option
@_port_option
@pass_context
def serve_command(state: CliContext, host: str | None, port: int | None) -> None:
    """Run the HTTP API, and the scheduler in a child process.

    The child (`remitwatch scheduler`, with the same configuration) migrates the store
    as soon as it answers (both processes start and wait when the database is down, and
    carry on by themselves when it returns) and runs the scheduled jobs: official rates,
    the transfer inbox, scoring after each ingest, the weekly refit, the monthly
    backtest (see [scheduler] in the configuration). It is started again if it exits.
    This process serves the analyst API, /metrics, /healthz and /readyz, so long jobs
    never slow its answers. Binds to 127.0.0.1 unless told otherwise; another address
    needs API tokens or api.anonymous_read = true. Ctrl-C or SIGTERM stops both
    cleanly: requests and jobs in flight finish first.
    """
    check_exposure(state.settings, host or state.settings.api.host)
    child = SchedulerChild(
        child_command(state.config_path, state.log_level, state.log_format, os.getpid())
    )
    with _stop_on_signals():
        child.start()
        try:
            _run_api(state, host, port)
        finally:
            log.info("stopping the scheduler: jobs in flight finish first")
            code = child.stop()
            if code not in (0, -signal.SIGTERM):
                log.error("the scheduler process ended with code %d", code)


@click.command("api")
@_host_option
@_port_option
@pass_context
def api_command(state: CliContext, host: str | None, port: int | None) -> None:
    """Serve the HTTP API alone (no scheduled jobs); run as many replicas as needed.

    Every replica reads the same store, so /metrics shows the same figures on each.
    Jobs requested through the API (POST /api/v1/jobs/{job}/requests) are run by the
    scheduler process (`remitwatch scheduler` or `remitwatch serve`).
    """
    with _stop_on_signals():
        _run_api(state, host, port)


@click.command("scheduler")
@click.option("--parent-pid", type=int, hidden=True, help="Stop when this process is gone.")
@pass_context
def scheduler_command(state: CliContext, parent_pid: int | None) -> None:
    """Run the scheduled jobs alone (no HTTP API) until Ctrl-C or SIGTERM.

    With PostgreSQL several schedulers may run: the one holding the database lock runs
    the jobs, the others wait as standbys and take over when it stops. On SQLite a
    lock file beside the database does the same on one machine.
    It and its fit workers run at a lower CPU
    priority than the API (scheduler.nice).
    """
    if state.settings.scheduler.nice:
        os.nice(state.settings.scheduler.nice)  # the fit workers inherit it
    scheduler = JobScheduler(state.store(migrate=False), state.settings, migrate=True)
    with _stop_on_signals() as stop:
        if parent_pid is not None:  # the child of `remitwatch serve`
            exit_with_parent(parent_pid, stop)
        # Returns once a signal set `stop` and the jobs in flight have finished.
        scheduler.run_forever(stop)
    log.info("scheduler stopped")
