"""The time-series store: raw layer as received, derived series with vintages.

Callers use `Store` and the records; no SQL outside this package.
"""

# The database could not do the work (unreachable, locked, schema missing). Reads let it
# through unwrapped; callers that must tell "unavailable" from a bug (the API) catch it.
from sqlalchemy.exc import OperationalError as DatabaseUnavailableError

from service.store.engine import StoreError
from service.store.engine import masked as masked_url
from service.store.model_results import ModelRun
from service.store.reads import RATES_SCHEMA, TRANSFER_TOTALS_SCHEMA, QuarantineEntry
from service.store.records import (
    MONEY_DTYPE,
    OBSERVATION_SCHEMA,
    TRANSFER_COLUMNS,
    TRANSFER_KEY,
    TRANSFER_SCHEMA,
    IngestOutcome,
    OfficialRate,
    QuarantinedRow,
    ReceivedFile,
    SeriesSpec,
)
from service.store.requests import JobRequest
from service.store.runs import JobRun
from service.store.series import SERIES_READ_SCHEMA, SeriesSummary, SeriesWriteOutcome
from service.store.store import Store

__all__ = [
    "MONEY_DTYPE",
    "OBSERVATION_SCHEMA",
    "RATES_SCHEMA",
    "SERIES_READ_SCHEMA",
    "TRANSFER_COLUMNS",
    "TRANSFER_KEY",
    "TRANSFER_SCHEMA",
    "TRANSFER_TOTALS_SCHEMA",
    "DatabaseUnavailableError",
    "IngestOutcome",
    "JobRequest",
    "JobRun",
    "ModelRun",
    "OfficialRate",
    "QuarantineEntry",
    "QuarantinedRow",
    "ReceivedFile",
    "SeriesSpec",
    "SeriesSummary",
    "SeriesWriteOutcome",
    "Store",
    "StoreError",
    "masked_url",
]
