"""Build a monthly report into a directory, and list the reports written there."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from config import Settings
from service.reports.errors import ReportError
from service.reports.gather import default_month, gather
from service.reports.html import render_html
from service.reports.pdf import html_to_pdf
from service.store import Store

Format = Literal["html", "pdf"]
FORMATS: tuple[Format, ...] = ("html", "pdf")
_NAME = re.compile(r"^remittance-monitor-(\d{4}-\d{2})\.(html|pdf)$")


def report_name(month: date, fmt: Format) -> str:
    return f"remittance-monitor-{month:%Y-%m}.{fmt}"


def parse_month(value: str) -> date:
    """`2026-07` as the first day of that month."""
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError as exc:
        raise ReportError(f"{value!r} is not a month YYYY-MM, e.g. 2026-07") from exc


def build_report(
    store: Store, settings: Settings, month: date | None, out_dir: Path, fmt: Format
) -> Path:
    """Write the report of `month` (default: the latest complete month) into `out_dir`."""
    month = month or default_month(store)
    html = render_html(gather(store, settings, month))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / report_name(month, fmt)
    if fmt == "html":
        target.write_text(html, encoding="utf-8")
        return target
    with tempfile.TemporaryDirectory(prefix="remitwatch-report-") as work:
        page = Path(work) / report_name(month, "html")
        page.write_text(html, encoding="utf-8")
        return html_to_pdf(page, target)


@dataclass(frozen=True)
class StoredReport:
    """A report file in the reports directory."""

    name: str
    month: str
    format: str
    bytes: int
    written_at: datetime

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "month": self.month,
            "format": self.format,
            "bytes": self.bytes,
            "written_at": self.written_at.isoformat(),
        }


def list_reports(directory: Path) -> list[StoredReport]:
    """The reports in `directory`, newest month first (HTML before PDF within a month)."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = _NAME.match(path.name)
        if match and path.is_file():
            stat = path.stat()
            found.append(
                StoredReport(
                    path.name,
                    match[1],
                    match[2],
                    stat.st_size,
                    datetime.fromtimestamp(stat.st_mtime, UTC),
                )
            )
    found.sort(key=lambda r: (r.month, r.format == "html"), reverse=True)
    return found


def ensure_format(value: str) -> Format:
    if value not in FORMATS:
        raise ReportError(f"unknown report format {value!r}: expected html or pdf")
    return "html" if value == "html" else "pdf"
