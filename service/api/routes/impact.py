"""The stored VAR impact analysis: how remittance shocks move som/USD."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from models.volatility import fx_stability
from service.api.auth import ReadAccess
from service.api.deps import StoreDep
from service.api.schemas import ErrorBody, Impact
from service.store import Store

router = APIRouter(prefix="/impact", tags=["impact"])

#: The model-run key of the VAR (jobs.impact.VAR_KEY; the API does not import jobs).
VAR_KEY = "var"
#: Entries of the stored result that serve scenarios, not readers: the fitted data and
#: the coefficient matrices.
_BULKY = ("input", "params")


def _som_usd_stability(store: Store) -> dict[str, object]:
    daily = store.series_as_of("fx.USD.D").sort("period")
    periods = daily["period"].to_numpy().astype("datetime64[D]")
    return fx_stability(periods, daily["value"].to_numpy(), currency="USD").to_dict()


@router.get(
    "",
    response_model=Impact,
    summary="Impact of remittance shocks on som/USD (stored VAR)",
    responses={404: {"model": ErrorBody, "description": "No VAR has been fitted yet."}},
)
def impact(caller: ReadAccess, store: StoreDep) -> Impact:
    """The latest VAR fit: cumulative impulse responses of som/USD to a -10% remittance
    shock with bands, the variance decomposition, Granger tests and the impact at the
    configured horizons; with the som's current volatility. A fit that failed is
    returned with its status and reason."""
    run = store.latest_model_run(VAR_KEY, ok_only=False)
    if run is None:
        raise HTTPException(404, "no VAR impact analysis stored yet: run `remitwatch fit`")
    shown = {name: value for name, value in run.result.items() if name not in _BULKY}
    return Impact.model_validate(
        {**shown, "fitted_at": run.fitted_at, "fx_stability": _som_usd_stability(store)}
    )
