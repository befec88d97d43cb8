"""Query parameters of the /api/v1 lists, one model per route.

Each model forbids parameters it does not know: a mistyped `asof=` must be a 422, not
an answer about today's data that looks like an answer about the past.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from config import Settings
from service.api.errors import invalid

T = TypeVar("T")

#: Items per page when the client gives no limit (capped by api.max_page_size).
DEFAULT_PAGE_SIZE = 100
#: Largest offset accepted (the databases' offsets are 64-bit; no list comes near this).
MAX_OFFSET = 2**31 - 1

_DAY = r"\d{4}-\d{2}-\d{2}"
_DATE = re.compile(_DAY)
_MOMENT = re.compile(_DAY + r"([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?")


def _iso_date(value: object) -> object:
    # pydantic alone also takes "0" (a Unix time) for a date; the contract says YYYY-MM-DD.
    if isinstance(value, str) and not _DATE.fullmatch(value):
        raise ValueError("expected a date YYYY-MM-DD")
    return value


def _iso_moment(value: object) -> object:
    if not isinstance(value, str):
        return value
    if not _MOMENT.fullmatch(value):
        raise ValueError(
            "expected an ISO-8601 date or time, e.g. 2024-05-01 or 2024-05-01T12:00:00+06:00"
        )
    moment = datetime.fromisoformat(value)
    # A moment without a zone is UTC, as on the command line (--as-of).
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date"}),
]
AsOf = Annotated[
    datetime,
    BeforeValidator(_iso_moment),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]}
    ),
]


class PageQuery(BaseModel):
    """`limit` and `offset` of every list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: int = Field(
        DEFAULT_PAGE_SIZE, ge=1, description="Most items to return (at most api.max_page_size)."
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")


class SeriesQuery(PageQuery):
    prefix: str | None = Field(None, description="Only keys starting with this.")
    frequency: Literal["D", "W", "M"] | None = Field(
        None, description="D daily, W weekly, M monthly."
    )


class ObservationQuery(PageQuery):
    start: IsoDate | None = Field(None, description="First period, YYYY-MM-DD.")
    end: IsoDate | None = Field(None, description="Last period, YYYY-MM-DD.")
    as_of: AsOf | None = Field(
        None, description="ISO-8601 moment: the values known then (UTC if no zone)."
    )
    output: Literal["json", "csv"] = Field(
        "json", alias="format", description="json, or csv with header period,value."
    )


class ShockQuery(PageQuery):
    status: Literal["open", "closed"] | None = Field(None, description="Open or closed only.")
    since: IsoDate | None = Field(None, description="Only events peaking on or after this day.")
    series: str | None = Field(None, description="Only the events of this series.")


class RunQuery(PageQuery):
    job: str | None = Field(None, description="Only runs of this job, e.g. refit.")


@dataclass(frozen=True)
class Page:
    """A window of a list: skip `offset` items, return at most `limit`."""

    limit: int
    offset: int

    def of(self, items: list[T]) -> list[T]:
        return items[self.offset : self.offset + self.limit]

    @property
    def end(self) -> int:
        """How many leading items must be read to fill this page."""
        return self.offset + self.limit


def page_of(query: PageQuery, settings: Settings) -> Page:
    """The page asked for; a limit above api.max_page_size is a 422, not silently cut."""
    largest = settings.api.max_page_size
    if "limit" not in query.model_fields_set:
        return Page(min(query.limit, largest), query.offset)
    if query.limit > largest:
        raise invalid(
            "query", "limit", f"Input should be less than or equal to {largest}", query.limit
        )
    return Page(query.limit, query.offset)
