"""Liveness and readiness probes: always open, no token."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service.api.deps import SettingsDep, StoreDep
from service.api.readiness import readiness
from service.api.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness: the process answers")
async def healthz() -> Health:
    """200 while the process runs; touches nothing else (not even the store)."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness: the store answers and the data are fresh",
    responses={503: {"model": Readiness, "description": "Not ready: a check failed."}},
)
def readyz(store: StoreDep, settings: SettingsDep) -> JSONResponse:
    """200 when the store answers and each source delivered data within its limit
    (readiness.rates_max_age_hours, readiness.transfers_max_age_hours; 0 turns a
    check off); 503 otherwise. Each check names what failed and the age."""
    result = readiness(store, settings)
    return JSONResponse(result.model_dump(mode="json"), status_code=200 if result.ready else 503)
