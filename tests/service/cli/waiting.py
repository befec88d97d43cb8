"""Waiting for a real process to get somewhere, with its log in the failure."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest


def until(condition: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    """Poll `condition` every 0.2 s; fail after `seconds` naming `what`, with the log's end."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{what}: not within {seconds:.0f} s\n{log.read_text(errors='replace')[-4000:]}")
