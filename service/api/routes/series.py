"""Series and their observations, as known now or at any past moment (vintages)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

from service.api.auth import ReadAccess
from service.api.deps import BodyCacheDep, SettingsDep, StoreDep
from service.api.errors import invalid
from service.api.queries import ObservationQuery, SeriesQuery, page_of
from service.api.schemas import ErrorBody, Observation, ObservationPage, SeriesItem, SeriesPage

router = APIRouter(prefix="/series", tags=["series"])


@router.get("", response_model=SeriesPage, summary="List the series")
def list_series(
    query: Annotated[SeriesQuery, Query()],
    caller: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
) -> SeriesPage:
    """Every derived series with its frequency, unit, first and last period and number
    of observations, ordered by key."""
    page = page_of(query, settings)
    found = [
        summary
        for summary in store.list_series()
        if (query.prefix is None or summary.spec.key.startswith(query.prefix))
        and (query.frequency is None or summary.spec.frequency == query.frequency)
    ]
    items = [SeriesItem.model_validate(s.to_dict()) for s in page.of(found)]
    return SeriesPage(items=items, limit=page.limit, offset=page.offset, count=len(items))


def unknown_series(key: str) -> HTTPException:
    return HTTPException(404, f"unknown series {key!r}: GET /api/v1/series lists the keys")


def _csv(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["period", "value"])
    writer.writerows([row["period"].isoformat(), repr(float(row["value"]))] for row in rows)
    return buffer.getvalue().encode()


@router.get(
    "/{key}/observations",
    response_model=ObservationPage,
    summary="Observations of a series, optionally as of a past moment",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        404: {"model": ErrorBody, "description": "Unknown series."},
    },
)
def observations(
    key: str,
    query: Annotated[ObservationQuery, Query()],
    caller: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    bodies: BodyCacheDep,
) -> Response:
    """The values of series `key` by period (USD, or som per unit for fx series) with
    when each became known. With `as_of`, the values as they were known at that moment
    (later corrections left out)."""
    start, end = query.start, query.end
    if start is not None and end is not None and start > end:
        raise invalid("query", "start", f"start must not be after end ({end})", str(start))
    page = page_of(query, settings)
    version = store.series_version(key)
    if version is None:
        raise unknown_series(key)
    # The answer depends on the series' rows (their number names them) and the query.
    series_id, row_count = version
    question = ("observations", query.output, query.as_of, start, end, page.offset, page.limit)
    body = bodies.get(series_id, row_count, question)
    if body is None:
        frame = store.series_as_of(key, query.as_of, start, end)
        rows = frame.slice(page.offset, page.limit).to_dicts()
        if query.output == "csv":
            body = _csv(rows)
        else:
            items = [Observation.model_validate(row) for row in rows]
            body = (
                ObservationPage(
                    series=key,
                    as_of=query.as_of,
                    items=items,
                    limit=page.limit,
                    offset=page.offset,
                    count=len(items),
                )
                .model_dump_json()
                .encode()
            )
        bodies.put(series_id, row_count, question, body)
    if query.output == "csv":
        return Response(
            body,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{key}.csv"'},
        )
    return Response(body, media_type="application/json")
