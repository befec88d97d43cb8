"""Inbox entries that must never lead outside the inbox: symlinks, `..` names, folders."""

from __future__ import annotations

import os
from pathlib import Path

from tests.jobs.fuzz.case import InboxCase

REPORT = (
    "report_date,bank_code,system,country,direction,currency,amount,count\n"
    "2024-05-02,B1,CONTACT,RU,in,RUB,1500.00,3\n"
)


def _outside_report(outside: Path) -> Path:
    target = outside / "secret_report.csv"
    target.write_text(REPORT.replace("B1", "OUTSIDE"), encoding="utf-8")
    return target


def _symlink_to_file(inbox: Path, outside: Path) -> None:
    (inbox / "link.csv").symlink_to(_outside_report(outside))


def _symlink_to_folder(inbox: Path, outside: Path) -> None:
    _outside_report(outside)
    (inbox / "folder_link").symlink_to(outside, target_is_directory=True)


def _symlink_up(inbox: Path, outside: Path) -> None:
    _outside_report(outside)
    (inbox / "up.csv").symlink_to(Path("..") / outside.name / "secret_report.csv")


def _dotdot_names(inbox: Path, outside: Path) -> None:
    # "/" cannot be part of a name; "..", "\" and leading dots can.
    (inbox / "..report.csv").write_text(REPORT, encoding="utf-8")
    (inbox / "a..b.csv").write_text(REPORT.replace("B1", "DOTS"), encoding="utf-8")
    (inbox / "..\\..\\escape.csv").write_text("not,a,report\n", encoding="utf-8")
    (inbox / "x\\..\\..\\escape.csv").write_text("not,a,report\n", encoding="utf-8")


def _subfolder(inbox: Path, outside: Path) -> None:
    nested = inbox / "..." / "deeper"
    nested.mkdir(parents=True)
    (nested / "nested.csv").write_text(REPORT, encoding="utf-8")


def _fifo(inbox: Path, outside: Path) -> None:
    os.mkfifo(inbox / "pipe.csv")  # reading it would block forever


INBOX_CASES: tuple[InboxCase, ...] = (
    InboxCase(
        "inbox-symlink-to-outside-file",
        _symlink_to_file,
        left=("link.csv",),
        warning="is a symbolic link; left where it is, not followed",
    ),
    InboxCase(
        "inbox-symlink-to-folder",
        _symlink_to_folder,
        left=("folder_link",),
        warning="is a symbolic link; left where it is, not followed",
    ),
    InboxCase(
        "inbox-relative-symlink-up",
        _symlink_up,
        left=("up.csv",),
        warning="is a symbolic link; left where it is, not followed",
    ),
    InboxCase(
        "inbox-dotdot-names",
        _dotdot_names,
        taken=("a..b.csv", "x\\..\\..\\escape.csv"),
        left=("..\\..\\escape.csv", "..report.csv"),
        warning="is a hidden file (name starts with '.'); left where it is",
    ),
    InboxCase(
        "inbox-subfolder",
        _subfolder,
        left=("...",),
        warning="is not a regular file; left where it is",
    ),
    InboxCase(
        "inbox-named-pipe",
        _fifo,
        left=("pipe.csv",),
        warning="is not a regular file; left where it is",
    ),
)
