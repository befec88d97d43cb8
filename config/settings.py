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
    workers: int = Field(2, ge=1, le=256)


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


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
