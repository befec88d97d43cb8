"""The HTML report in headless Chromium: every image loads, no console errors, no network."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from tests.service.reports.browser import visit
from tests.service.reports.conftest import SampleReports


def test_the_checker_sees_broken_images_and_console_errors(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        '<html><body><img src="missing.png"><script>console.error("boom")</script></body></html>'
    )
    seen = visit(page)
    assert [image["width"] for image in seen.images] == [0]
    assert any("boom" in error for error in seen.console_errors)


def test_the_report_renders_cleanly(sample_reports: SampleReports, tmp_path: Path) -> None:
    seen = visit(sample_reports.html)
    assert seen.console_errors == []
    assert len(seen.images) == 8
    assert all(image["complete"] and image["width"] > 0 for image in seen.images), seen.images
    # Nothing but the file itself and its embedded images was loaded.
    assert all(url.startswith(("file://", "data:")) for url in seen.requested), seen.requested
    shot = Image.open(io.BytesIO(seen.screenshot_png))
    shot.save(tmp_path / "report.png")
    assert shot.width > 900 and shot.height > 3000  # the whole page, not one screen
    colours = shot.convert("RGB").resize((100, 300)).getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 50  # charts drawn, not a blank page
