"""Log lines: JSON objects with the structured fields, and no passwords in either format."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.cli.logs import JsonFormatter, RedactingFilter, redact

REMITWATCH = str(Path(sys.executable).parent / "remitwatch")


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("jobs.job_run", logging.INFO, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_json_line_carries_the_message_and_the_extra_fields() -> None:
    record = _record("job %s ok", "refit", job="refit", rows=7, seconds=1.5)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "job refit ok"
    assert (entry["job"], entry["rows"], entry["seconds"]) == ("refit", 7, 1.5)
    assert entry["level"] == "INFO" and entry["logger"] == "jobs.job_run"
    assert entry["time"].endswith("+00:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "cannot reach postgresql+psycopg://remit:s3cret@db:5432/rw",
            "cannot reach postgresql+psycopg://remit:***@db:5432/rw",
        ),
        ("https://user:pa:ss@host/x and more", "https://user:***@host/x and more"),
        ("no url here", "no url here"),
        ("sqlite:///var/remitwatch.db", "sqlite:///var/remitwatch.db"),
    ],
)
def test_passwords_in_urls_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_the_filter_masks_a_password_passed_as_an_argument() -> None:
    record = _record("store %s failed", "postgresql://u:topsecret@h/db")
    RedactingFilter().filter(record)
    assert "topsecret" not in record.getMessage()
    assert "topsecret" not in JsonFormatter().format(record)


def test_a_job_run_logs_one_json_line_with_its_outcome(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REMITWATCH_")}
    environment["REMITWATCH_PATHS__DATA_DIR"] = str(tmp_path / "var")
    result = subprocess.run(
        [REMITWATCH, "--log-format", "json", "ingest", "transfers"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    runs = [e for e in entries if e.get("job") == "ingest_transfers"]
    assert len(runs) == 1
    assert runs[0]["status"] == "ok" and runs[0]["rows"] == 0 and "run_id" in runs[0]
