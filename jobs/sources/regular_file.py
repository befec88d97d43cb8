"""Open a received file by path without following a symbolic link, and only if it is regular.

The inbox listing already leaves symlinks and other non-regular entries alone, but a file
can be swapped for a symlink (or a named pipe) between that check and the open. Every
open of a received file goes through here, so what is read is the entry itself:
`O_NOFOLLOW` refuses a symlink at open time, and `fstat` of the opened descriptor refuses
anything that is not a regular file (`O_NONBLOCK` keeps a pipe from blocking the open).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from jobs.errors import SourceError

_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class NotRegularFileError(OSError):
    """The path names something other than a regular file (a folder, pipe or device)."""


def open_no_follow(path: Path) -> BinaryIO:
    """`path` opened for binary reading, never through a symlink; raises `OSError`
    (errno `ELOOP` for a symlink, `NotRegularFileError` for anything but a regular file)."""
    descriptor = os.open(path, _FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise NotRegularFileError(errno.EINVAL, "not a regular file", str(path))
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def open_regular_file(path: Path) -> BinaryIO:
    """`open_no_follow`, raising `SourceError` that names the file and says why."""
    try:
        return open_no_follow(path)
    except NotRegularFileError as exc:
        raise SourceError(
            f"{path}: not read: it is not a regular file (a folder, pipe or device); "
            "it is left where it is"
        ) from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SourceError(
                f"{path}: not read: it is a symbolic link (put there after the folder was "
                "listed); symlinks are never followed, it is left where it is"
            ) from exc
        raise SourceError(f"{path}: cannot read it: {exc.strerror or exc}") from exc
