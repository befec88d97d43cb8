"""What the store accepts and returns: plain records and the polars schemas of its frames."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import polars as pl

#: Scale of money amounts in the raw layer (currency units with 2 decimals).
MONEY_SCALE = 2
MONEY_DTYPE = pl.Decimal(20, MONEY_SCALE)

#: A transfer row's identity: a later file that repeats it with other figures is a correction.
TRANSFER_KEY: tuple[str, ...] = (
    "report_date",
    "bank_code",
    "system",
    "country",
    "direction",
    "currency",
)
TRANSFER_COLUMNS: tuple[str, ...] = (*TRANSFER_KEY, "amount", "count")

#: Validated bank transfer aggregates, as handed to `Store.ingest_transfer_file`.
TRANSFER_SCHEMA: dict[str, pl.DataType] = {
    "report_date": pl.Date(),
    "bank_code": pl.String(),
    "system": pl.String(),
    "country": pl.String(),  # ISO 3166-1 alpha-2 of the counterparty country
    "direction": pl.String(),  # "in" or "out"
    "currency": pl.String(),  # ISO 4217
    "amount": MONEY_DTYPE,  # currency units, >= 0
    "count": pl.Int64(),  # number of transfers, >= 0
}


@dataclass(frozen=True)
class OfficialRate:
    """One NBKR official rate: `value` som per `nominal` units, in force from `rate_date` on."""

    rate_date: date
    currency: str
    nominal: int
    value: Decimal

    @property
    def som_per_unit(self) -> Decimal:
        return self.value / self.nominal


@dataclass(frozen=True)
class QuarantinedRow:
    """A row that failed validation, kept with the reason and its original text.

    `row_number` counts data rows from 1 (the first row after a CSV header is 1).
    `column` is the offending column, or None when the row as a whole is at fault.
    """

    row_number: int
    column: str | None
    reason: str
    raw: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class ReceivedFile:
    """A received file or HTTP response: `name` is its file name or URL."""

    name: str
    source: str  # "rates" or "transfers"
    sha256: str
    size: int


@dataclass(frozen=True)
class IngestOutcome:
    """What one received file did to the store."""

    name: str
    status: str  # "ingested" | "duplicate" | "rejected"
    file_id: int | None = None
    rows_total: int = 0
    rows_new: int = 0
    rows_corrected: int = 0
    rows_unchanged: int = 0
    rows_quarantined: int = 0
    reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "status": self.status,
            "rows_total": self.rows_total,
            "rows_new": self.rows_new,
            "rows_corrected": self.rows_corrected,
            "rows_unchanged": self.rows_unchanged,
            "rows_quarantined": self.rows_quarantined,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class SeriesSpec:
    """A derived series: a stable key such as `remit.in.country.RU.M` and what it measures."""

    key: str
    kind: str  # "remittance" | "fx"
    frequency: str  # "D" | "W" | "M"
    unit: str  # "USD" or "KGS per unit"
    dimensions: dict[str, str]
    description: str

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "kind": self.kind,
            "frequency": self.frequency,
            "unit": self.unit,
            "dimensions": dict(self.dimensions),
            "description": self.description,
        }


#: Derived observations handed to `Store.write_series`: one row per (series key, period).
OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "key": pl.String(),
    "period": pl.Date(),
    "value": pl.Float64(),
}
