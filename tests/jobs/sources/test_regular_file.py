"""Every reader of a received file refuses a symlink at open time, and anything irregular.

The inbox listing leaves symlinks alone; these tests call the readers on a symlink
directly, as they would be called if the file were swapped for one after the listing.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from jobs.errors import SourceError
from jobs.received import fingerprint_file, read_bytes
from jobs.sources.received_checks import chunks
from jobs.sources.regular_file import open_regular_file
from jobs.sources.transfer_batches import open_transfer_batches
from service.store.records import TRANSFER_COLUMNS

SECRET = "2024-05-02,OUTSIDE,CONTACT,RU,in,RUB,1500.00,3\n"


def _csv_secret(path: Path) -> None:
    path.write_text(",".join(TRANSFER_COLUMNS) + "\n" + SECRET, encoding="utf-8")


def _parquet_secret(path: Path) -> None:
    frame = pl.read_csv(io.StringIO(",".join(TRANSFER_COLUMNS) + "\n" + SECRET))
    frame.write_parquet(path)


def _batches(path: Path) -> object:
    return list(open_transfer_batches(path, str(path)).batches())


READERS: dict[str, Callable[[Path], object]] = {
    "open_regular_file": lambda path: open_regular_file(path).read(),
    "read_bytes": read_bytes,
    "fingerprint_file": lambda path: fingerprint_file(str(path), "transfers", path),
    "chunks": lambda path: list(chunks(path)),
    "open_transfer_batches": _batches,
}


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
@pytest.mark.parametrize("write", [_csv_secret, _parquet_secret], ids=["csv", "parquet"])
def test_a_symlink_is_refused_at_open_time(
    reader: Callable[[Path], object], write: Callable[[Path], None], tmp_path: Path
) -> None:
    outside = tmp_path / "outside" / "secret_report"
    outside.parent.mkdir()
    write(outside)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    link = inbox / "report.csv"
    link.symlink_to(outside)

    with pytest.raises(SourceError) as refused:
        reader(link)
    assert str(refused.value).startswith(f"{link}: not read: it is a symbolic link")
    assert "never followed, it is left where it is" in str(refused.value)
    assert link.is_symlink() and outside.exists()


def test_a_symlink_to_a_folder_or_a_dangling_one_is_refused_alike(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "to_folder").symlink_to(tmp_path / "folder")
    (tmp_path / "dangling").symlink_to(tmp_path / "nothing")
    for link in (tmp_path / "to_folder", tmp_path / "dangling"):
        with pytest.raises(SourceError, match="it is a symbolic link"):
            read_bytes(link)


def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)  # no writer: a blocking open would wait forever
    with pytest.raises(SourceError) as refused:
        open_regular_file(pipe)
    assert str(refused.value) == (
        f"{pipe}: not read: it is not a regular file (a folder, pipe or device); "
        "it is left where it is"
    )


def test_a_regular_file_is_read_whole_and_a_missing_one_named(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    _csv_secret(path)
    assert read_bytes(path) == path.read_bytes()
    gone = tmp_path / "gone.csv"
    with pytest.raises(SourceError, match=f"^{re.escape(str(gone))}: cannot read it: No such"):
        read_bytes(gone)
