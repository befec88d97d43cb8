"""Bank transfer aggregates read from a bank's reporting database.

The rows arrive as text under the bank's column names; this module renames them to ours
(`transfers.column_map`) and checks that every transfer column is there. Parsing and
validation of the values are the ingest job's, exactly as for a received CSV file.
"""

from __future__ import annotations

import logging
from datetime import date

import polars as pl

from config.errors import ConfigError
from config.settings import TransfersSettings
from jobs.errors import SourceError
from service.store.external import ExternalSourceError, masked_url, read_bank_rows
from service.store.records import TRANSFER_COLUMNS

logger = logging.getLogger(__name__)

#: What `read_new_transfers` returns: the transfer columns, in this order, all text.
BANK_TRANSFER_TEXT_SCHEMA: dict[str, pl.DataType] = {name: pl.String() for name in TRANSFER_COLUMNS}
REPORT_DATE_FORMAT = "%Y-%m-%d"


def read_new_transfers(settings: TransfersSettings, watermark: date | None) -> pl.DataFrame:
    """Rows of `settings.sql_query` reported after `watermark`, under our column names.

    Returns a frame with exactly BANK_TRANSFER_TEXT_SCHEMA (the bank's other columns are
    dropped), possibly empty. Raises ConfigError when `sql_url` or `sql_query` is not set,
    SourceError when the database cannot be read or a transfer column is missing.
    """
    if not settings.sql_url or not settings.sql_query:
        raise ConfigError("transfers.sql_url and transfers.sql_query must both be set")
    if ":watermark" not in settings.sql_query:
        logger.warning(
            "transfers.sql_query has no :watermark parameter: every run reads all rows again"
        )
    try:
        batches = list(read_bank_rows(settings.sql_url, settings.sql_query, watermark))
    except ExternalSourceError as exc:
        raise SourceError(str(exc)) from exc
    # read_bank_rows always yields at least one frame, and all share the query's columns.
    bank_rows = pl.concat(batches, how="vertical")
    return _to_transfer_columns(bank_rows, settings)


def max_report_date(frame: pl.DataFrame) -> date | None:
    """The latest `report_date` (text 'YYYY-MM-DD') in `frame`; unparseable values ignored.

    None when the frame is empty or no date parses: then keep the old watermark.
    """
    if frame.is_empty() or "report_date" not in frame.columns:
        return None
    parsed = frame.get_column("report_date").cast(pl.String).str.strip_chars()
    latest = parsed.str.to_date(REPORT_DATE_FORMAT, strict=False).max()
    return latest if isinstance(latest, date) else None


def _to_transfer_columns(bank_rows: pl.DataFrame, settings: TransfersSettings) -> pl.DataFrame:
    source = f"query {_shortened(settings.sql_query)!r} on {masked_url(settings.sql_url)}"
    renames = {bank: ours for bank, ours in settings.column_map.items() if bank != ours}
    present = {bank: ours for bank, ours in renames.items() if bank in bank_rows.columns}
    targets = list(present.values())
    clashes = sorted(
        {
            ours
            for ours in targets
            if targets.count(ours) > 1 or (ours in bank_rows.columns and ours not in present)
        }
    )
    if clashes:
        raise SourceError(
            f"{source}: transfers.column_map renames bank columns onto {clashes}, "
            "which the query also returns under that name"
        )
    ours = bank_rows.rename(present)
    missing = [name for name in TRANSFER_COLUMNS if name not in ours.columns]
    if missing:
        expected_from = {mapped: bank for bank, mapped in renames.items()}
        described = [
            f"{name} (bank column {expected_from[name]!r})" if name in expected_from else name
            for name in missing
        ]
        raise SourceError(
            f"{source}: missing transfer columns {', '.join(described)}; "
            f"the query returns {bank_rows.columns}"
        )
    return ours.select(TRANSFER_COLUMNS)


def _shortened(query: str, limit: int = 200) -> str:
    one_line = " ".join(query.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
