"""What the fault tests check in a store and on disk after a fault."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import func, select

from service.store import Store
from service.store.schema import received_files, transfer_vintages


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def received(store: Store, digest: str) -> list[tuple[int, str, int]]:
    """(id, status, rows_new) of every received_files row with these bytes."""
    query = select(received_files.c.id, received_files.c.status, received_files.c.rows_new).where(
        received_files.c.sha256 == digest
    )
    with store.engine.connect() as connection:
        return [(int(i), str(s), int(n)) for i, s, n in connection.execute(query)]


def vintage_rows(store: Store, file_id: int | None = None) -> int:
    """Rows in transfer_vintages (of one received file when `file_id` is given)."""
    query = select(func.count()).select_from(transfer_vintages)
    if file_id is not None:
        query = query.where(transfer_vintages.c.file_id == file_id)
    with store.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def files_under(folder: Path) -> list[Path]:
    """Every file (hidden and partial ones included) below `folder`."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
