"""Scenario projections of som/USD under a remittance path, from the stored VAR."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from config import Settings
from models.scenario import ScenarioPath, project_stored_scenario
from service.api.auth import ReadAccess
from service.api.deps import SettingsDep, StoreDep
from service.api.routes.impact import VAR_KEY
from service.api.routes.series import unknown_series
from service.api.schemas import ErrorBody, Scenario, ScenarioRequest
from service.store import Store

router = APIRouter(prefix="/scenarios", tags=["impact"])

TOTAL_INFLOWS = "remit.in.total.M"
_MONTHS_OF_SHARE = 12


def _last_year(store: Store, key: str) -> float:
    values = store.series_as_of(key)["value"]
    return float(values.tail(_MONTHS_OF_SHARE).sum())


def _project(store: Store, settings: Settings, body: ScenarioRequest) -> Scenario:
    total = _last_year(store, TOTAL_INFLOWS)
    if total <= 0:
        raise HTTPException(409, f"no inflows in {TOTAL_INFLOWS} to take a share of: ingest data")
    share = _last_year(store, body.series) / total
    # The newest usable VAR; failing that the newest run, whose reason is then reported.
    run = store.latest_model_run(VAR_KEY) or store.latest_model_run(VAR_KEY, ok_only=False)
    if run is None:
        raise HTTPException(409, "no VAR fitted yet: run `remitwatch fit` first")
    path = ScenarioPath(changes_pct=tuple([body.change_pct * share] * body.months))
    horizon = max(settings.var.horizon, body.months)
    projection = project_stored_scenario(run.result, path, horizon)
    if projection.status != "ok":
        raise HTTPException(409, f"no projection ({projection.status}): {projection.reason}")
    return Scenario.model_validate(
        {
            "series": body.series,
            "change_pct": body.change_pct,
            "months": body.months,
            "share": share,
            **projection.to_dict(),
        }
    )


@router.post(
    "",
    response_model=Scenario,
    summary="Project som/USD under a remittance scenario",
    responses={
        400: {"model": ErrorBody, "description": "The body is not JSON."},
        404: {"model": ErrorBody, "description": "Unknown series."},
        409: {"model": ErrorBody, "description": "No usable VAR or data for a projection."},
    },
)
def scenario(
    body: ScenarioRequest, caller: ReadAccess, store: StoreDep, settings: SettingsDep
) -> Scenario:
    """som per USD for the months after the VAR's data, baseline and scenario with 95%
    bands, when `series` changes by `change_pct` % for `months` months. A component
    (a country or a system) moves the total by its share of inflows over the last 12
    months. Same payload as `remitwatch scenario --json`. Nothing is stored."""
    if store.find_series(body.series) is None:
        raise unknown_series(body.series)
    return _project(store, settings, body)
