"""Model quality: the latest rolling-origin backtest of every model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.auth import ReadAccess
from service.api.deps import SettingsDep, StoreDep
from service.api.queries import PageQuery, page_of
from service.api.schemas import BacktestPage

router = APIRouter(prefix="/backtests", tags=["models"])


@router.get("", response_model=BacktestPage, summary="Latest backtest score of every model")
def list_backtests(
    query: Annotated[PageQuery, Query()],
    caller: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
) -> BacktestPage:
    """Per model, ordered by series: MASE against the seasonal-naive forecast, 80% and
    95% interval coverage, the shock rule's false alarms per year, and when it was made.
    Empty until `remitwatch fit` (or the refit job) has run."""
    page = page_of(query, settings)
    items = page.of(store.latest_backtests())
    return BacktestPage(items=items, limit=page.limit, offset=page.offset, count=len(items))
