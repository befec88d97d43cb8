"""The transfer inbox: which files to take, and where they go after (archive or rejected)."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

#: Names that are still being written or are not reports at all.
_IGNORED_SUFFIXES = (".part", ".tmp", ".partial", ".reason")


def pending_files(inbox: Path) -> list[Path]:
    """Regular files directly in the inbox, oldest name first; symlinks are never followed."""
    if not inbox.is_dir():
        return []
    files = []
    for path in sorted(inbox.iterdir()):
        if path.name.startswith(".") or path.name.endswith(_IGNORED_SUFFIXES):
            continue
        if path.is_symlink():
            log.warning("inbox: %s is a symbolic link; left where it is, not followed", path)
            continue
        if path.is_file():
            files.append(path)
    return files


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    counter = 1
    while target.exists():
        target = folder / f"{Path(name).stem}.{counter}{Path(name).suffix}"
        counter += 1
    return target


def archive(path: Path, archive_dir: Path) -> Path:
    """Move a processed file to archive/YYYY-MM-DD/ (the day it was processed, UTC)."""
    folder = archive_dir / datetime.now(UTC).date().isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name)
    shutil.move(path, target)
    return target


def reject(path: Path, rejected_dir: Path, reason: str) -> Path:
    """Move a refused file to rejected/ and write the reason beside it."""
    rejected_dir.mkdir(parents=True, exist_ok=True)
    target = _free_name(rejected_dir, path.name)
    reason_file = target.with_name(target.name + ".reason")
    reason_file.write_text(reason + "\n", encoding="utf-8")
    shutil.move(path, target)
    return target
