"""Rows that failed validation, kept with the reason and the row as received."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.auth import ReadAccess
from service.api.deps import SettingsDep, StoreDep
from service.api.queries import PageQuery, page_of
from service.api.schemas import QuarantinedRow, QuarantinePage

router = APIRouter(prefix="/quarantine", tags=["data quality"])


@router.get("", response_model=QuarantinePage, summary="Quarantined rows, newest first")
def list_quarantine(
    query: Annotated[PageQuery, Query()],
    caller: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
) -> QuarantinePage:
    """Each rejected row: the file, the row number (data rows from 1), the column at
    fault (null when the whole row is), the reason and the original values."""
    page = page_of(query, settings)
    rows = store.quarantined_rows(limit=page.limit, offset=page.offset)
    items = [QuarantinedRow.model_validate(row.to_dict()) for row in rows]
    return QuarantinePage(items=items, limit=page.limit, offset=page.offset, count=len(items))
