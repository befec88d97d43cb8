"""Symlinks, `..` names, folders and pipes in the inbox: nothing outside it is ever read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.jobs.fuzz.case import InboxCase
from tests.jobs.fuzz.catalogue import run_inbox_case
from tests.jobs.fuzz.inbox_cases import INBOX_CASES


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in INBOX_CASES])
def test_inbox_never_leads_outside(case: InboxCase, tmp_path: Path) -> None:
    outside = tmp_path / "var" / "outside"
    result = run_inbox_case(case, tmp_path)

    assert result.taken == sorted(case.taken)
    assert result.left == sorted(case.left)
    inbox = tmp_path / "var" / "inbox"
    assert sorted(result.received_names) == sorted(str(inbox / name) for name in case.taken)
    if case.warning:
        assert any(case.warning in message for message in result.warnings), result.warnings
    for name in case.left:
        assert any(name in message for message in result.warnings), result.warnings
    # What lay outside is untouched and was never moved into the archive.
    outside_files = sorted(p.name for p in outside.iterdir())
    assert outside_files in ([], ["secret_report.csv"])
    archived = tmp_path / "var" / "archive"
    rejected = tmp_path / "var" / "rejected"
    for folder in (archived, rejected):
        for path in folder.rglob("*") if folder.exists() else ():
            assert path.resolve().is_relative_to(folder.resolve())
            assert "OUTSIDE" not in (path.read_text() if path.is_file() else "")
