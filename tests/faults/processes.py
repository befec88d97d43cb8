"""Real `remitwatch` processes for the kill tests: started with a clean environment,
waited on with a deadline, their log shown when a wait fails."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

REMITWATCH = str(Path(sys.executable).parent / "remitwatch")


def environment(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any REMITWATCH_*, plus `settings`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REMITWATCH_")}
    return clean | dict(settings)


def start(arguments: list[str], settings: Mapping[str, str], log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [REMITWATCH, *arguments],
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        text=True,
        env=environment(settings),
    )


def until(
    condition: Callable[[], object],
    timeout: float,
    log: Path,
    process: subprocess.Popen[str] | None = None,
    every: float = 0.05,
) -> None:
    """Wait for `condition`; fail with the log's end when it does not come or the process
    exits with an error first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() not in (None, 0):
            break
        time.sleep(every)
    pytest.fail(f"not reached within {timeout} s:\n{log.read_text()[-4000:]}")
