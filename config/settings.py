"""The typed settings schema: one section per concern, built once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
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
