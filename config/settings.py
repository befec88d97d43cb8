"""The typed settings schema: one section per concern, built once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ISO_CURRENCY_PATTERN = r"^[A-Z]{3}$"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = Field("", description="SQLAlchemy URL; empty means SQLite under paths.data_dir")

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value and not value.startswith(("sqlite://", "postgresql")):
            raise ValueError("expected a sqlite:/// or postgresql+psycopg:// URL")
        return value


class PathSettings(_Section):
    data_dir: Path = Path("var")
    inbox_dir: Path | None = None
    archive_dir: Path | None = None
    rejected_dir: Path | None = None

    @field_validator("inbox_dir", "archive_dir", "rejected_dir", mode="before")
    @classmethod
    def _empty_is_default(cls, value: Any) -> Any:
        return None if value == "" else value

    @property
    def inbox(self) -> Path:
        return self.inbox_dir or self.data_dir / "inbox"

    @property
    def archive(self) -> Path:
        return self.archive_dir or self.data_dir / "archive"

    @property
    def rejected(self) -> Path:
        return self.rejected_dir or self.data_dir / "rejected"


class RatesSettings(_Section):
    source: str = ""
    currencies: tuple[str, ...] = ("USD", "EUR", "RUB", "KZT", "CNY")

    @field_validator("currencies")
    @classmethod
    def _iso_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [code for code in value if len(code) != 3 or not code.isalpha() or not code.isupper()]
        if bad:
            raise ValueError(f"expected ISO 4217 codes such as USD, got {bad}")
        return value


class TransfersSettings(_Section):
    url: str = ""
    sql_url: str = ""
    sql_query: str = ""
    column_map: dict[str, str] = Field(default_factory=dict)


class HttpSettings(_Section):
    timeout_seconds: float = Field(10.0, gt=0)
    attempts: int = Field(3, ge=1, le=20)
    backoff_seconds: float = Field(1.0, ge=0)


Order = tuple[int, int, int]


class ModelSettings(_Section):
    series: tuple[str, ...] = ("remit.in.total.M",)
    top_countries: int = Field(3, ge=0, le=20)
    top_systems: int = Field(3, ge=0, le=20)
    orders: tuple[Order, ...] = ((0, 1, 1), (1, 1, 0), (1, 1, 1), (2, 1, 0), (0, 1, 2))
    seasonal_orders: tuple[Order, ...] = ((0, 1, 1), (1, 1, 0), (0, 1, 0))
    criterion: Literal["aicc", "bic"] = "aicc"
    max_fit_seconds: float = Field(60.0, gt=0)
    min_observations: int = Field(36, ge=8)
    season_monthly: int = Field(12, ge=1)
    season_weekly: int = Field(52, ge=1)
    season_daily: int = Field(7, ge=1)
    rub_regressor: bool = False
    holiday_regressors: bool = True
    forecast_horizon: int = Field(12, ge=1, le=120)

    @field_validator("orders", "seasonal_orders")
    @classmethod
    def _small_orders(cls, value: tuple[Order, ...]) -> tuple[Order, ...]:
        if not value:
            raise ValueError("expected at least one [p, d, q] order")
        if any(not 0 <= part <= 5 for order in value for part in order):
            raise ValueError("expected orders [p, d, q] with each part between 0 and 5")
        return value

    def season(self, frequency: str) -> int:
        return {"M": self.season_monthly, "W": self.season_weekly, "D": self.season_daily}[
            frequency
        ]


class ShockSettings(_Section):
    warning_z: float = Field(2.5, gt=0)
    critical_z: float = Field(3.5, gt=0)
    close_z: float = Field(1.5, ge=0)
    direction: Literal["both", "down", "up"] = "both"

    @model_validator(mode="after")
    def _ordered(self) -> ShockSettings:
        if not self.close_z <= self.warning_z <= self.critical_z:
            raise ValueError("expected close_z <= warning_z <= critical_z")
        return self


class VarSettings(_Section):
    max_lags: int = Field(6, ge=1, le=24)
    ic: Literal["aic", "bic"] = "aic"
    horizon: int = Field(12, ge=1, le=60)
    impact_horizons: tuple[int, ...] = (1, 3, 6, 12)
    bootstrap_reps: int = Field(500, ge=10, le=100_000)


class BacktestSettings(_Section):
    origins: int = Field(36, ge=1, le=600)
    horizon: int = Field(1, ge=1, le=24)


class ComputeSettings(_Section):
    """Where fits run: `executor` "local" (`workers` local processes) or a Dask scheduler."""

    workers: int = Field(2, ge=1, le=256)
    executor: str = "local"

    @field_validator("executor")
    @classmethod
    def _local_or_scheduler(cls, value: str) -> str:
        if value == "local":
            return value
        scheme, _, location = value.partition("://")
        host, _, port = location.rpartition(":")
        if scheme != "tcp" or not host or "/" in location or not port.isdigit():
            raise ValueError('expected "local" or a Dask scheduler address tcp://host:port')
        return value


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


_CRON_FIELDS = 5


class JobSchedule(_Section):
    """When one scheduled job runs: a five-field crontab line in scheduler.timezone, or
    every `every_seconds` seconds (one of the two)."""

    cron: str = ""
    every_seconds: float = Field(0.0, ge=0)
    enabled: bool = True
    misfire_grace_seconds: int = Field(600, ge=1)

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        if value and len(value.split()) != _CRON_FIELDS:
            raise ValueError(
                "expected a crontab line of five fields: minute hour day month weekday"
            )
        return value

    @model_validator(mode="after")
    def _one_trigger(self) -> JobSchedule:
        if bool(self.cron) == bool(self.every_seconds):
            raise ValueError("expected either cron or every_seconds (one of the two)")
        return self


class SchedulerSettings(_Section):
    timezone: str = "Asia/Bishkek"
    # How often the scheduler looks for jobs requested through the API, and how often a
    # standby scheduler retries for the leader lock.
    request_poll_seconds: float = Field(10.0, gt=0)
    standby_poll_seconds: float = Field(15.0, gt=0)
    # CPU priority of the scheduler process and its fit workers below the API's (nice
    # increment, 0 to 19): on a shared host batch jobs yield the cores to requests.
    nice: int = Field(10, ge=0, le=19)
    ingest_rates: JobSchedule = JobSchedule(cron="15 18 * * mon-fri")
    ingest_transfers: JobSchedule = JobSchedule(cron="*/15 * * * *", misfire_grace_seconds=300)
    watch_inbox: JobSchedule = JobSchedule(every_seconds=20.0, misfire_grace_seconds=60)
    refit: JobSchedule = JobSchedule(cron="0 3 * * sun", misfire_grace_seconds=3600)
    backtest: JobSchedule = JobSchedule(cron="0 4 1 * *", misfire_grace_seconds=3600)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("expected an IANA time zone such as Asia/Bishkek") from exc
        return value

    def jobs(self) -> dict[str, JobSchedule]:
        """The scheduled jobs by name."""
        return {
            "ingest_rates": self.ingest_rates,
            "ingest_transfers": self.ingest_transfers,
            "watch_inbox": self.watch_inbox,
            "refit": self.refit,
            "backtest": self.backtest,
        }


class ApiToken(_Section):
    """One API client: a name for the logs, the SHA-256 of its token, its scope."""

    name: str = Field(min_length=1, max_length=64)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scope: Literal["read", "admin"] = "read"


class ApiSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    tokens: tuple[ApiToken, ...] = ()
    # Without tokens every /api route is open to read (admin routes stay closed); serving
    # on an address other than loopback then needs this set explicitly.
    anonymous_read: bool = False
    metrics_require_token: bool = False
    max_page_size: int = Field(1000, ge=1, le=100_000)
    # Larger request bodies are refused (413) before any route reads them.
    max_body_bytes: int = Field(1_048_576, ge=1024)
    # Requests per second per client (its token, else its address), with bursts up to
    # rate_limit_burst; over it: 429 with Retry-After. 0 turns the limit off. Probes and
    # /metrics are not counted.
    rate_limit_per_second: float = Field(100.0, ge=0)
    rate_limit_burst: int = Field(200, ge=1)

    @field_validator("tokens")
    @classmethod
    def _unique_names(cls, value: tuple[ApiToken, ...]) -> tuple[ApiToken, ...]:
        names = [token.name for token in value]
        if len(set(names)) != len(names):
            raise ValueError("expected each API token to have its own name")
        if len({token.sha256 for token in value}) != len(value):
            raise ValueError("expected each API token to be different")
        return value


class MetricsSettings(_Section):
    # A scrape reuses the store's figures for this long (every replica reads the store).
    cache_seconds: float = Field(15.0, ge=0)
    # Bounds the `series` label: the modelled series first, then by size.
    max_series: int = Field(200, ge=1, le=10_000)


class ReadinessSettings(_Section):
    # /readyz fails when no data has arrived from a source for longer (hours; 0 = no check).
    rates_max_age_hours: float = Field(96.0, ge=0)
    transfers_max_age_hours: float = Field(48.0, ge=0)


class ReportSettings(_Section):
    """`remitwatch report`: where reports are written and what they show."""

    # Empty: <paths.data_dir>/reports. The API lists and serves the reports found here.
    output_dir: Path | None = None
    # Countries shown with their own forecast fan (the largest by inflows of the year).
    top_countries: int = Field(2, ge=0, le=6)
    # Annual GDP in US dollars by year, e.g. {2025 = 17.5e9}; the headline then shows
    # inflows of the 12 months to the report month as a share of the latest year's GDP.
    gdp_usd: dict[int, float] = Field(default_factory=dict)

    @field_validator("output_dir", mode="before")
    @classmethod
    def _empty_is_default(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("gdp_usd")
    @classmethod
    def _positive_gdp(cls, value: dict[int, float]) -> dict[int, float]:
        if any(gdp <= 0 for gdp in value.values()):
            raise ValueError("expected a positive GDP in US dollars for every year")
        return value


class Settings(BaseSettings):
    """Effective configuration: default.toml < override file < REMITWATCH_* environment."""

    model_config = SettingsConfigDict(
        env_prefix="REMITWATCH_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    database: DatabaseSettings = DatabaseSettings()
    paths: PathSettings = PathSettings()
    rates: RatesSettings = RatesSettings()
    transfers: TransfersSettings = TransfersSettings()
    http: HttpSettings = HttpSettings()
    logging: LoggingSettings = LoggingSettings()
    models: ModelSettings = ModelSettings()
    shocks: ShockSettings = ShockSettings()
    var: VarSettings = VarSettings()
    backtest: BacktestSettings = BacktestSettings()
    compute: ComputeSettings = ComputeSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    api: ApiSettings = ApiSettings()
    metrics: MetricsSettings = MetricsSettings()
    readiness: ReadinessSettings = ReadinessSettings()
    reports: ReportSettings = ReportSettings()

    @property
    def reports_dir(self) -> Path:
        """Where `remitwatch report` writes by default and the API looks for reports."""
        return self.reports.output_dir or self.paths.data_dir / "reports"

    @property
    def database_url(self) -> str:
        """The store URL, with the embedded SQLite default resolved."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{self.paths.data_dir / 'remitwatch.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the files, which arrive as init values.
        return (env_settings, init_settings)
