"""The latest stored forecast of a series, with 80% and 95% bands."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from service.api.auth import ReadAccess
from service.api.deps import StoreDep
from service.api.routes.series import unknown_series
from service.api.schemas import ErrorBody, Forecast

router = APIRouter(prefix="/series", tags=["forecasts"])


@router.get(
    "/{key}/forecast",
    response_model=Forecast,
    summary="The latest stored forecast of a series",
    responses={404: {"model": ErrorBody, "description": "Unknown series or no fitted model."}},
)
def forecast(key: str, caller: ReadAccess, store: StoreDep) -> Forecast:
    """The forecast made at the latest scoring (USD level, 80% and 95% bands), from the
    series' SARIMAX model; the model specification is included."""
    if store.find_series(key) is None:
        raise unknown_series(key)
    stored = store.latest_forecast(key)
    if stored is None:
        raise HTTPException(
            404, f"no forecast stored for {key!r}: run `remitwatch fit --series {key}`"
        )
    return Forecast.model_validate(stored)
