"""A hook through which long jobs report progress, so the CLI can draw a bar."""

from __future__ import annotations

from typing import Protocol


class ProgressHook(Protocol):
    def __call__(self, done: int, total: int, name: str) -> None:
        """`done` of `total` documents handled; `name` is the one just finished."""


def no_progress(done: int, total: int, name: str) -> None:
    """The default hook: report nothing."""
