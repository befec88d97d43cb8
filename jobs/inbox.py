"""The transfer inbox: which files to take, and where they go after (archive or rejected)."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

from jobs.sources.regular_file import open_no_follow

log = logging.getLogger(__name__)

#: Names that are still being written or are not reports at all.
_IGNORED_SUFFIXES = (".part", ".tmp", ".partial", ".reason")


def pending_files(inbox: Path) -> list[Path]:
    """Regular files directly in the inbox, oldest name first.

    Symlinks are never followed (they could lead anywhere on the machine), folders are not
    entered, and nothing but a regular file is opened (a named pipe would block the job).
    Such entries, and hidden files (name starting with "."), are left where they are with
    a warning; names ending in `.part`, `.tmp` or `.partial` are uploads in progress.
    """
    if not inbox.is_dir():
        return []
    files = []
    for path in sorted(inbox.iterdir()):
        if path.name.endswith(_IGNORED_SUFFIXES):
            continue
        if path.is_symlink():
            log.warning("inbox: %s is a symbolic link; left where it is, not followed", path)
        elif not path.is_file():
            log.warning("inbox: %s is not a regular file; left where it is", path)
        elif path.name.startswith("."):
            log.warning("inbox: %s is a hidden file (name starts with '.'); left where it is", path)
        else:
            files.append(path)
    return files


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    counter = 1
    while target.exists():
        target = folder / f"{Path(name).stem}.{counter}{Path(name).suffix}"
        counter += 1
    return target


_COPY_CHUNK_BYTES = 1024 * 1024


def archive(path: Path, archive_dir: Path) -> Path:
    """Move a processed file to archive/YYYY-MM-DD/ (the day it was processed, UTC).

    All or nothing: when the move fails (disk full, read-only inbox) the file stays in
    the inbox, nothing of it is left in the archive, and the OSError is raised.
    """
    folder = archive_dir / datetime.now(UTC).date().isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name)
    _move(path, target)
    return target


def reject(path: Path, rejected_dir: Path, reason: str) -> Path:
    """Move a refused file to rejected/ and write the reason beside it.

    All or nothing, as `archive`: on failure neither the file nor its .reason is left in
    rejected/.
    """
    rejected_dir.mkdir(parents=True, exist_ok=True)
    target = _free_name(rejected_dir, path.name)
    reason_file = target.with_name(target.name + ".reason")
    _write_whole(reason_file, (reason + "\n").encode("utf-8"))
    try:
        _move(path, target)
    except BaseException:
        reason_file.unlink(missing_ok=True)
        raise
    return target


def _partial_name(target: Path) -> Path:
    # Hidden and ending in .partial: never taken for a report, even in an inbox.
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")


def _write_whole(target: Path, content: bytes) -> None:
    """Write `content` to `target` under a temporary name, then rename: whole or absent."""
    partial = _partial_name(target)
    try:
        with partial.open("wb") as sink:
            sink.write(content)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _move(path: Path, target: Path) -> None:
    """Move `path` to `target` so that exactly one whole copy exists whatever fails.

    On one filesystem a rename is atomic. Across filesystems (shutil.move would copy and
    delete, leaving a partial copy when the disk fills) the file is copied to a temporary
    name beside `target`, synced, renamed into place, and only then removed from the
    inbox; if that removal fails (read-only inbox) the copy is removed again, so the
    file stays where it was and the next run moves it.
    """
    try:
        os.rename(path, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    partial = _partial_name(target)
    try:
        # Never through a symlink swapped in since the file was read: OSError instead.
        with open_no_follow(path) as source, partial.open("wb") as sink:
            shutil.copyfileobj(source, sink, _COPY_CHUNK_BYTES)
            sink.flush()
            os.fsync(sink.fileno())
        shutil.copystat(path, partial, follow_symlinks=False)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    try:
        path.unlink()
    except BaseException:
        target.unlink(missing_ok=True)
        raise
