"""SARIMAX models of remittance series (log of the USD level): the public surface.

Fitting (`select_and_fit`, `fit_spec`) lives in `models.sarimax_fit`, the spec and
result types in `models.sarimax_spec`, forecasting and one-step-ahead predictions in
`models.forecast`; import them from here.
"""

from __future__ import annotations

from models.forecast import Forecast, ForecastPoint, OneStepAhead, forecast, one_step_ahead
from models.sarimax_fit import fit_spec, grid_specs, required_length, select_and_fit
from models.sarimax_spec import CandidateScore, OrderGrid, SarimaxFit, SarimaxSpec

__all__ = [
    "CandidateScore",
    "Forecast",
    "ForecastPoint",
    "OneStepAhead",
    "OrderGrid",
    "SarimaxFit",
    "SarimaxSpec",
    "fit_spec",
    "forecast",
    "grid_specs",
    "one_step_ahead",
    "required_length",
    "select_and_fit",
]
