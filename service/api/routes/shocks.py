"""Shock events: periods where a series broke out of its forecast band."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.auth import ReadAccess
from service.api.deps import SettingsDep, StoreDep
from service.api.queries import ShockQuery, page_of
from service.api.schemas import ShockEvent, ShockPage

router = APIRouter(prefix="/shocks", tags=["shocks"])


@router.get("", response_model=ShockPage, summary="Shock events, newest peak first")
def list_shocks(
    query: Annotated[ShockQuery, Query()],
    caller: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
) -> ShockPage:
    """One event per episode (hysteresis): the peak period, observed and expected USD,
    the 95% band, the z-score and severity (warning or critical)."""
    page = page_of(query, settings)
    events = store.shock_events(
        since=query.since, status=query.status, series_key=query.series, limit=page.end
    )
    items = [ShockEvent.model_validate(event) for event in page.of(events)]
    return ShockPage(items=items, limit=page.limit, offset=page.offset, count=len(items))
