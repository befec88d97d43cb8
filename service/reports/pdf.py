"""The PDF: the same HTML printed by headless Chromium, so both formats show the same."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from service.reports.errors import ReportError

#: Names the Debian and upstream packages install the browser under.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
PRINT_TIMEOUT_SECONDS = 120.0


def find_chromium() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ReportError(
        "the PDF is printed by headless Chromium, which is not installed: "
        "`apt-get install chromium` (or use --format html)"
    )


def html_to_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print `html_path` to `pdf_path` (A4, the page breaks of the report's CSS)."""
    browser = find_chromium()
    with tempfile.TemporaryDirectory(
        prefix="remitwatch-chromium-", ignore_cleanup_errors=True
    ) as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-extensions",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf_path}",
            html_path.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=PRINT_TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ReportError(
                f"Chromium did not print {html_path} within {PRINT_TIMEOUT_SECONDS:.0f} s"
            ) from exc
    if done.returncode != 0 or not pdf_path.exists() or pdf_path.stat().st_size == 0:
        tail = (done.stderr or "").strip().splitlines()[-3:]
        raise ReportError(
            f"Chromium failed to print {html_path} (exit {done.returncode}): {' | '.join(tail)}"
        )
    return pdf_path
