"""The API's request and response shapes (pydantic, so the OpenAPI page documents them).

Money is USD, exchange rates som per unit, dates ISO 8601. Rich model output (impact
analysis) is typed at the top and left open below.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

#: A timestamp written as Python's isoformat ("+00:00"), like the command line's JSON.
Moment = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

JobName = Literal["ingest_rates", "ingest_transfers", "score", "refit", "backtest"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorDetail(_Model):
    status: int = Field(description="The HTTP status code, repeated.")
    message: str = Field(description="What went wrong and, where it helps, what to do.")
    details: list[dict[str, Any]] | None = Field(
        None, description="For 422: each invalid parameter (FastAPI's validation errors)."
    )


class ErrorBody(_Model):
    error: ErrorDetail


class Health(_Model):
    status: Literal["ok"]


class ReadinessCheck(_Model):
    name: str = Field(description='"store", "rates_freshness" or "transfers_freshness".')
    ok: bool
    detail: str = Field(description="What was checked and, when it failed, why.")
    age_hours: float | None = Field(None, description="Hours since the source last delivered.")
    max_age_hours: float | None = Field(None, description="The configured limit (0 = off).")


class Readiness(_Model):
    ready: bool
    checks: list[ReadinessCheck]


class _Page(_Model):
    limit: int = Field(description="The page size asked for.")
    offset: int = Field(description="How many items were skipped.")
    count: int = Field(description="How many items this page holds.")


class SeriesItem(_Model):
    key: str = Field(description="Stable series key, e.g. remit.in.country.RU.M.")
    kind: str = Field(description='"remittance" or "fx".')
    frequency: Literal["D", "W", "M"]
    unit: str = Field(description='"USD" or "KGS per unit".')
    dimensions: dict[str, str]
    description: str
    observations: int = Field(description="Number of periods with a value.")
    first_period: date | None
    last_period: date | None
    last_vintage_at: Moment | None = Field(description="When the newest value became known.")


class SeriesPage(_Page):
    items: list[SeriesItem]


class Observation(_Model):
    period: date = Field(description="First day of the period (day, ISO week or month).")
    value: float = Field(description="USD for remittance series, som per unit for fx series.")
    vintage_at: Moment = Field(description="When this value became known.")


class ObservationPage(_Page):
    series: str
    as_of: Moment | None = Field(description="The moment asked about; null means now.")
    items: list[Observation]


class ForecastPoint(_Model):
    period: date
    mean: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float


class Forecast(_Model):
    series: str
    model: dict[str, Any] | None = Field(description="The SARIMAX specification used.")
    origin: date = Field(description="The last observed period the forecast starts from.")
    made_at: Moment
    points: list[ForecastPoint] = Field(description="USD level with 80% and 95% bands.")


class ShockEvent(_Model):
    series: str
    period: date = Field(description="The peak period (largest |z|).")
    start: date
    end: date | None = Field(description="Null while the event is open.")
    observed: float
    expected: float
    lower_95: float
    upper_95: float
    zscore: float
    severity: Literal["warning", "critical"]
    status: Literal["open", "closed"]
    periods: int
    contributors: list[Any]
    detected_at: Moment
    updated_at: Moment


class ShockPage(_Page):
    items: list[ShockEvent]


class Impact(_Model):
    """The stored VAR impact analysis (without its fitted parameters and input data)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    status: str = Field(description='"ok", else why no analysis (see reason).')
    reason: str | None
    fitted_at: Moment
    lags: int | None = None
    first_period: date | None = None
    last_period: date | None = None
    shock_pct: float | None = Field(None, description="The remittance shock, % on impact.")
    granger: list[dict[str, Any]] = Field(default_factory=list)
    impact: list[dict[str, Any]] = Field(
        default_factory=list, description="Cumulative % change of som/USD by horizon, bands."
    )
    irf: list[dict[str, Any]] = Field(default_factory=list)
    fevd: list[dict[str, Any]] = Field(default_factory=list)
    fx_stability: dict[str, Any] | None = Field(
        None, description="Realised and EWMA volatility of som/USD from the daily rates."
    )


def _whole_number(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class ScenarioRequest(_Model):
    # Strict: JSON true or "5" is not a number here; 3.0 still counts as 3 months.
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    series: str = Field(
        "remit.in.total.M",
        pattern=r"^remit\.in\.[A-Za-z0-9_.]+\.M$",
        description="Monthly inflow series the change applies to, e.g. remit.in.total.M "
        "or remit.in.country.RU.M.",
    )
    change_pct: float = Field(gt=-100, le=1000, description="Percent change, e.g. -20.")
    months: Annotated[int, BeforeValidator(_whole_number)] = Field(
        3, ge=1, le=36, description="How long the change lasts (months)."
    )


class ScenarioPoint(_Model):
    period: date
    baseline: float | None = Field(description="som per USD without the change.")
    projected: float | None = Field(description="som per USD under the scenario.")
    lower: float | None = Field(description="95% band, som per USD.")
    upper: float | None
    deviation_pct: float | None


class Scenario(_Model):
    series: str
    change_pct: float
    months: int
    share: float = Field(description="The series' share of total inflows, last 12 months.")
    status: str
    reason: str | None
    origin: date | None
    changes_pct: list[float] = Field(description="The path applied to total inflows, %.")
    points: list[ScenarioPoint]


class BacktestPage(_Page):
    items: list[dict[str, Any]] = Field(
        description="Per model: MASE, naive MASE, 80/95% coverage, false alarms per year."
    )


class JobRun(_Model):
    id: int
    job: str
    started_at: Moment
    finished_at: Moment | None
    status: str
    rows: int
    error: str | None
    detail: dict[str, Any] | None


class JobRunPage(_Page):
    items: list[JobRun]


class JobRequest(_Model):
    id: int
    job: str
    requested_by: str
    requested_at: Moment
    status: Literal["pending", "running", "ok", "failed"]
    started_at: Moment | None
    finished_at: Moment | None
    run_id: int | None
    error: str | None


class JobRequestPage(_Page):
    items: list[JobRequest]


class QuarantinedRow(_Model):
    id: int
    file: str
    row: int = Field(description="Data row number in the file, from 1.")
    column: str | None
    reason: str
    raw: dict[str, Any] = Field(description="The row as received.")
    recorded_at: Moment


class QuarantinePage(_Page):
    items: list[QuarantinedRow]
