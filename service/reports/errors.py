"""The report's one error: what could not be built, and what to run to fix it."""

from __future__ import annotations

from config import RemitwatchError


class ReportError(RemitwatchError):
    """A report cannot be built or written (no data for the month, no chromium, …)."""
