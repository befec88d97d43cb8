"""Reads of the raw layer: inputs of the series derivation, quarantine, status figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, select

from service.store.records import MONEY_DTYPE
from service.store.schema import (
    observations,
    official_rates,
    quarantine,
    received_files,
    series,
    transfers_current,
)
from service.store.types import Money

#: Current transfers summed over banks: the input of the USD series.
TRANSFER_TOTALS_SCHEMA: dict[str, pl.DataType] = {
    "report_date": pl.Date(),
    "system": pl.String(),
    "country": pl.String(),
    "direction": pl.String(),
    "currency": pl.String(),
    "amount": MONEY_DTYPE,
}

#: Current official rates (latest vintage): som per one unit of the currency.
RATES_SCHEMA: dict[str, pl.DataType] = {
    "rate_date": pl.Date(),
    "currency": pl.String(),
    "som_per_unit": pl.Float64(),
}


def transfer_totals(connection: Connection) -> pl.DataFrame:
    c = transfers_current.c
    keys = (c.report_date, c.system, c.country, c.direction, c.currency)
    rows = connection.execute(select(*keys, func.sum(c.amount, type_=Money(2))).group_by(*keys))
    return pl.DataFrame(list(rows), schema=TRANSFER_TOTALS_SCHEMA, orient="row")


def current_rates(connection: Connection) -> pl.DataFrame:
    r = official_rates.c
    rows = connection.execute(
        select(r.rate_date, r.currency, r.vintage, r.nominal, r.value).order_by(r.vintage)
    )
    latest: dict[tuple[date, str], float] = {}
    for rate_date, currency, _vintage, nominal, value in rows:
        latest[(rate_date, currency)] = float(value / nominal)
    return pl.DataFrame(
        [(d, ccy, v) for (d, ccy), v in latest.items()], schema=RATES_SCHEMA, orient="row"
    ).sort("currency", "rate_date")


@dataclass(frozen=True)
class QuarantineEntry:
    id: int
    file_name: str
    row_number: int
    column: str | None
    reason: str
    raw: dict[str, Any]
    recorded_at: datetime

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "file": self.file_name,
            "row": self.row_number,
            "column": self.column,
            "reason": self.reason,
            "raw": self.raw,
            "recorded_at": self.recorded_at.isoformat(),
        }


def quarantined_rows(
    connection: Connection, limit: int = 100, offset: int = 0
) -> list[QuarantineEntry]:
    q = quarantine.c
    rows = connection.execute(
        select(
            q.id, received_files.c.name, q.row_number, q.column_name, q.reason, q.raw, q.recorded_at
        )
        .join(received_files, received_files.c.id == q.file_id)
        .order_by(q.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [QuarantineEntry(*row) for row in rows]


def _count(connection: Connection, query: Any) -> int:
    return int(connection.execute(query).scalar_one())


def waiting_transfers(connection: Connection) -> int:
    """Current transfer rows that no official rate converts to USD yet.

    A row needs the USD rate in force on its date and, unless it is in USD, the rate of
    its own currency (som needs only the USD rate).
    """
    r, t = official_rates.c, transfers_current.c
    first_rate = dict(
        connection.execute(select(r.currency, func.min(r.rate_date)).group_by(r.currency)).all()
    )
    usd_first = first_rate.get("USD")
    waiting = 0
    for currency in connection.execute(select(t.currency).distinct()).scalars():
        own_first = None if currency in ("USD", "KGS") else first_rate.get(currency)
        query = select(func.count()).where(t.currency == currency)
        if (currency not in ("USD", "KGS") and own_first is None) or (
            currency != "USD" and usd_first is None
        ):
            waiting += _count(connection, query)
            continue
        thresholds = [d for d in (own_first, usd_first if currency != "USD" else None) if d]
        if thresholds:
            waiting += _count(connection, query.where(t.report_date < max(thresholds)))
    return waiting


def status_figures(connection: Connection) -> dict[str, Any]:
    """Counts and freshness of the store, for `remitwatch status`."""
    files = {
        f"{source}_{status}": int(n)
        for source, status, n in connection.execute(
            select(received_files.c.source, received_files.c.status, func.count()).group_by(
                received_files.c.source, received_files.c.status
            )
        )
    }
    latest_rates = {
        currency: last.isoformat()
        for currency, last in connection.execute(
            select(official_rates.c.currency, func.max(official_rates.c.rate_date))
            .group_by(official_rates.c.currency)
            .order_by(official_rates.c.currency)
        )
    }
    t = transfers_current.c
    first_report, last_report = connection.execute(
        select(func.min(t.report_date), func.max(t.report_date))
    ).one()
    return {
        "files": files,
        "official_rates": {
            "rows": _count(connection, select(func.count()).select_from(official_rates)),
            "latest_date_by_currency": latest_rates,
        },
        "transfers": {
            "rows": _count(connection, select(func.count()).select_from(transfers_current)),
            "first_report_date": first_report.isoformat() if first_report else None,
            "last_report_date": last_report.isoformat() if last_report else None,
            "waiting_for_rates": waiting_transfers(connection),
        },
        "quarantined_rows": _count(connection, select(func.count()).select_from(quarantine)),
        "series": _count(connection, select(func.count()).select_from(series)),
        "observations": _count(connection, select(func.count()).select_from(observations)),
    }


#: The sources whose arrivals are tracked (`received_files.source`).
SOURCES = ("rates", "transfers")


def last_arrivals(connection: Connection) -> dict[str, datetime | None]:
    """When each source last delivered a file that brought new or corrected rows."""
    query = (
        select(received_files.c.source, func.max(received_files.c.received_at))
        .where(
            received_files.c.status == "ingested",
            received_files.c.rows_new + received_files.c.rows_corrected > 0,
        )
        .group_by(received_files.c.source)
    )
    found = {str(source): moment for source, moment in connection.execute(query)}
    return {source: found.get(source) for source in SOURCES}
