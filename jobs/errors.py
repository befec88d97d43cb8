"""Errors raised by sources and ingestion. Messages name the file, row, column or URL."""

from config.errors import RemitwatchError


class SourceError(RemitwatchError):
    """A source could not be read (HTTP error, timeout, database unreachable)."""


class RejectedFileError(RemitwatchError):
    """A whole file was refused (missing column, undecodable bytes, unreadable format)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: rejected: {reason}")
        self.name = name
        self.reason = reason
