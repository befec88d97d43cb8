"""Logging set-up for every command: plain text for people or JSON lines for shippers.

Secrets stay out: passwords in URLs are masked in every record, and the API logs
refused tokens by name only.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Literal

LogFormat = Literal["text", "json"]

_URL_PASSWORD = re.compile(r"(?P<head>[a-z0-9+]+://[^:/@\s]+:)[^@\s]*(?P<tail>@)")
#: Attributes every LogRecord has; anything else came in through `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def redact(text: str) -> str:
    """The text with any password in a URL replaced by ***."""
    return _URL_PASSWORD.sub(r"\g<head>***\g<tail>", text)


class RedactingFilter(logging.Filter):
    """Masks URL passwords in the message (formatted with its arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str, log_format: LogFormat) -> None:
    """Send every logger (ours, uvicorn's, APScheduler's) to stderr in one format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    if level.upper() != "DEBUG":
        # Alembic announces its context on every start; only a real migration is news.
        logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
        # APScheduler logs every job added, started and ended; the scheduler and the job
        # runs log their own lines (its warnings, such as a missed run, still come through).
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
