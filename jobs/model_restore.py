"""Turn configuration and stored model runs back into the models' own inputs."""

from __future__ import annotations

from config import Settings
from models.sarimax import OrderGrid, SarimaxFit, SarimaxSpec
from models.shocks import ShockRule
from service.store import ModelRun


def model_settings(settings: Settings, frequency: str) -> tuple[OrderGrid, ShockRule]:
    """The order grid and the shock rule the configuration asks for."""
    m, s = settings.models, settings.shocks
    grid = OrderGrid(
        orders=m.orders,
        seasonal_orders=m.seasonal_orders,
        criterion=m.criterion,
        max_seconds=m.max_fit_seconds,
        min_observations=m.min_observations,
    )
    rule = ShockRule(
        warning_z=s.warning_z, critical_z=s.critical_z, close_z=s.close_z, direction=s.direction
    )
    return grid, rule


def fit_from_run(run: ModelRun) -> SarimaxFit | None:
    """The fitted model of a stored run (spec and parameters), or None if it cannot be used."""
    if run.status != "ok" or run.spec is None or not run.params:
        return None
    return SarimaxFit(
        series=run.series_key,
        status="ok",
        reason=None,
        spec=SarimaxSpec.from_dict(run.spec),
        params=tuple(float(p) for p in run.params),
        param_names=tuple(run.result.get("param_names") or ()),
        aicc=run.result.get("aicc"),
        bic=run.result.get("bic"),
        nobs=int(run.result.get("nobs") or 0),
        last_period=run.last_period,
        warnings=(),
        candidates=(),
        diagnostics={},
    )
