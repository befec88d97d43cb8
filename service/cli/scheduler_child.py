"""The scheduler of `remitwatch serve`, run as a child process (`remitwatch scheduler`).

Jobs (ingest, series refresh, scoring) are Python work that holds the interpreter's lock
for long stretches: in the API's process they stalled every request for up to a second.
In a process of their own they use the other core, and their memory goes back to the
system when the process ends, not into the API's heap.

The child is the `scheduler` command with the parent's configuration and log settings.
It stops gracefully (jobs in flight finish) on SIGTERM, and by itself if the parent dies.
If it exits while the parent still serves, it is started again after a pause.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

log = logging.getLogger(__name__)

#: Seconds before a scheduler process that exited on its own is started again.
RESTART_SECONDS = 5.0


def child_command(
    config_path: str | None, log_level: str, log_format: str, parent_pid: int
) -> list[str]:
    """The command line of the child: this interpreter running the remitwatch CLI, by
    its console script when that is how this process was started (so `ps` shows
    `remitwatch ... scheduler`)."""
    if Path(sys.argv[0]).name == "remitwatch":
        command = [sys.executable, sys.argv[0]]
    else:
        command = [sys.executable, "-c", "from service.cli.main import run; run()"]
    if config_path is not None:
        command += ["--config", config_path]
    command += ["--log-level", log_level, "--log-format", log_format]
    return [*command, "scheduler", "--parent-pid", str(parent_pid)]


class SchedulerChild:
    """Runs the child, starts it again if it exits unasked, stops it on `stop()`."""

    def __init__(self, command: list[str]) -> None:
        self._command = command
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._watcher = threading.Thread(target=self._watch, name="scheduler-child", daemon=True)
        self.starts = 0

    @property
    def pid(self) -> int | None:
        with self._lock:
            return None if self._process is None else self._process.pid

    def start(self) -> None:
        self._spawn()
        self._watcher.start()

    def _spawn(self) -> None:
        with self._lock:
            self._process = subprocess.Popen(self._command, stdin=subprocess.DEVNULL)
            self.starts += 1
            log.info("scheduler process %d started", self._process.pid)

    def _watch(self) -> None:
        while True:
            with self._lock:
                process = self._process
            assert process is not None
            code = process.wait()
            if self._stopping.is_set():
                return
            log.error(
                "the scheduler process %d exited with code %d; starting it again in %.0f s",
                process.pid,
                code,
                RESTART_SECONDS,
            )
            if self._stopping.wait(RESTART_SECONDS):
                return
            self._spawn()

    def stop(self) -> int:
        """SIGTERM the child and wait for it (its jobs in flight finish first); its code."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is None:
            return 0
        if process.poll() is None:
            process.terminate()
        code = process.wait()
        self._watcher.join(timeout=5)
        return code


def exit_with_parent(parent_pid: int, stop: threading.Event) -> None:
    """Set `stop` once `parent_pid` is no longer this process's parent (it died)."""

    def watch() -> None:
        while not stop.wait(1.0):
            if os.getppid() != parent_pid:
                log.warning("the serve process %d is gone: stopping the scheduler", parent_pid)
                stop.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
