"""VAR impact analysis: how a fall in remittances moves the som/US dollar rate.

A three-variable VAR on monthly log changes (first differences of natural logs) of
total remittance inflows (USD), the som per USD and the roubles per USD.

Seasonality: a constant and 11 month dummies (February..December) enter every equation
as deterministic regressors, rather than seasonally adjusting remittances beforehand.
Why: (1) the dummies are estimated jointly with the lags, so the Granger tests, the
impulse-response bands and the residual covariance account for them, whereas a
pre-adjusted series would be treated as data with no estimation error; (2) X-13/STL
adjustment uses two-sided filters that leak future values into the past, which is known
to distort Granger causality tests; (3) the seasonal pattern of remittance growth
(winter trough, spring-summer rise) is stable enough for fixed month effects, and the
scenario and baseline forecasts then come out in unadjusted terms from 11 stored numbers
per equation. The cost is 12 deterministic regressors per equation, hence at least 36
monthly changes (three years) and a lag cap that keeps 12 residual degrees of freedom.

Lag order: statsmodels' `select_order` by AIC or BIC up to `max_lags`, never fewer than
one lag (the criterion's own choice is reported as `ic_choice`).

Identification and the headline: Cholesky ordering with remittances first (the
remittance shock may move both exchange rates within the month, not the reverse; the
response of som/USD to it does not depend on how the two rates are ordered after it).
The shock is scaled so that remittances fall by 10% on impact (log change log 0.9); the
reported impact is the cumulative % change of the som per USD `h` months after the shock
month (h = 0 is the shock month). Bands: Monte Carlo (main) and asymptotic; see
models.var_impact.

Implementation: models.var_data (input, design), models.var_fit (estimation, tests),
models.var_impact (responses, FEVD), models.var_result (result types).
"""

from models.var_data import VARIABLES, VarConfig, VarDesign, VarInput, log_changes, month_dummies
from models.var_fit import fit_var, transform_description
from models.var_impact import orthogonal_responses, unit_remittance_responses
from models.var_result import (
    FevdPoint,
    GrangerResult,
    ImpactPoint,
    IrfPoint,
    VarAnalysis,
    VarParams,
)

__all__ = [
    "VARIABLES",
    "FevdPoint",
    "GrangerResult",
    "ImpactPoint",
    "IrfPoint",
    "VarAnalysis",
    "VarConfig",
    "VarDesign",
    "VarInput",
    "VarParams",
    "fit_var",
    "log_changes",
    "month_dummies",
    "orthogonal_responses",
    "transform_description",
    "unit_remittance_responses",
]
