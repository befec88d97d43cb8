"""Real filesystem faults for the tests: a tiny tmpfs that fills up, a read-only bind mount.

Both need CAP_SYS_ADMIN (the tests run as root; chmod does not stop root, so it cannot
make a folder read-only). A mount that cannot be made fails the test with the reason:
these faults are not simulated.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(*arguments: str) -> None:
    done = subprocess.run(
        ["mount", *arguments], capture_output=True, text=True, timeout=30, check=False
    )
    if done.returncode != 0:
        pytest.fail(
            f"mount {' '.join(arguments)} failed ({done.stderr.strip()}): the filesystem "
            "fault tests need root with CAP_SYS_ADMIN (a privileged container)"
        )


def _umount(point: Path) -> None:
    subprocess.run(["umount", "-l", str(point)], capture_output=True, timeout=30, check=False)


@contextlib.contextmanager
def tmpfs(point: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` (e.g. "64k") mounted on `point` (created) for the block."""
    point.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point))
    try:
        yield point
    finally:
        _umount(point)


def resize(point: Path, size: str) -> None:
    """Grow (or shrink) the tmpfs on `point`: the operator freed space."""
    _mount("-o", f"remount,size={size}", str(point))


@contextlib.contextmanager
def read_only_view(source: Path, point: Path) -> Iterator[Path]:
    """`source` seen read-only at `point` (a bind mount) for the block."""
    point.mkdir(parents=True, exist_ok=True)
    _mount("--bind", str(source), str(point))
    try:
        _mount("-o", "remount,bind,ro", str(point))
        yield point
    finally:
        _umount(point)


def make_writable(point: Path) -> None:
    """Remount the bind mount on `point` read-write: the operator fixed the inbox."""
    _mount("-o", "remount,bind,rw", str(point))
