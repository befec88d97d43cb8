"""The monthly reports written by `remitwatch report`: the list, the latest, a past one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from service.api.auth import ReadAccess
from service.api.deps import SettingsDep
from service.api.queries import PageQuery, page_of
from service.api.schemas import ErrorBody
from service.reports.build import list_reports

router = APIRouter(prefix="/reports", tags=["reports"])

_MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such report has been written."}
}
_FILE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/html": {}, "application/pdf": {}},
        "description": "The report file (HTML with embedded charts, or PDF).",
    },
    **_NOT_FOUND,
}


class ReportItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(description="File name, e.g. remittance-monitor-2026-07.html.")
    month: str = Field(description="The month reported, YYYY-MM.")
    format: str = Field(description='"html" or "pdf".')
    bytes: int = Field(description="File size in bytes.")
    written_at: datetime = Field(description="When the file was written (UTC).")


class ReportPage(BaseModel):
    items: list[ReportItem]
    limit: int = Field(description="The page size asked for.")
    offset: int = Field(description="How many items were skipped.")
    count: int = Field(description="How many items this page holds.")


@router.get("", response_model=ReportPage, summary="Reports written, newest month first")
def list_written(
    query: Annotated[PageQuery, Query()], caller: ReadAccess, settings: SettingsDep
) -> ReportPage:
    """The reports in reports.output_dir (default <data_dir>/reports), written by
    `remitwatch report`; empty until one has been written."""
    page = page_of(query, settings)
    items = [ReportItem.model_validate(r.to_dict()) for r in list_reports(settings.reports_dir)]
    shown = page.of(items)
    return ReportPage(items=shown, limit=page.limit, offset=page.offset, count=len(shown))


def _file(settings: SettingsDep, name: str, fmt: str) -> FileResponse:
    return FileResponse(settings.reports_dir / name, media_type=_MEDIA_TYPES[fmt])


@router.get(
    "/latest",
    response_class=FileResponse,
    responses=_FILE,
    summary="The latest month's report",
)
def latest(
    caller: ReadAccess,
    settings: SettingsDep,
    format: Annotated[Literal["html", "pdf"], Query(description="html or pdf.")] = "html",
) -> FileResponse:
    """The newest month's report in the format asked for."""
    found = [r for r in list_reports(settings.reports_dir) if r.format == format]
    if not found:
        raise HTTPException(404, f"no {format} report written yet: run `remitwatch report`")
    return _file(settings, found[0].name, format)


@router.get(
    "/{name}",
    response_class=FileResponse,
    responses=_FILE,
    summary="One report by file name",
)
def one(caller: ReadAccess, settings: SettingsDep, name: str) -> FileResponse:
    """A report listed by GET /reports, by its `name`."""
    found = {r.name: r for r in list_reports(settings.reports_dir)}
    if name not in found:
        raise HTTPException(404, f"no report named {name!r}: see GET /api/v1/reports")
    return _file(settings, name, found[name].format)
