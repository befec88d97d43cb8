"""/api/v1/reports: the list, the latest and one report by name."""

from __future__ import annotations

import shutil

from tests.service.api.support import READ, TOKENS, Api, MakeApi
from tests.service.reports.conftest import SampleReports


def test_the_reports_are_listed_and_served(
    make_sample_api: MakeApi, sample_reports: SampleReports
) -> None:
    api: Api = make_sample_api(api={"tokens": TOKENS})
    folder = api.settings.reports_dir
    folder.mkdir(parents=True, exist_ok=True)
    for path in (sample_reports.html, sample_reports.pdf):
        shutil.copy(path, folder / path.name)
    listed = api.client.get("/api/v1/reports", headers=READ).json()
    assert [(i["name"], i["format"]) for i in listed["items"]] == [
        ("remittance-monitor-2026-07.html", "html"),
        ("remittance-monitor-2026-07.pdf", "pdf"),
    ]
    assert listed["count"] == 2
    latest = api.client.get("/api/v1/reports/latest", headers=READ)
    assert latest.status_code == 200 and latest.headers["content-type"].startswith("text/html")
    assert latest.content == sample_reports.html.read_bytes()
    pdf = api.client.get("/api/v1/reports/latest", params={"format": "pdf"}, headers=READ)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    named = api.client.get("/api/v1/reports/remittance-monitor-2026-07.pdf", headers=READ)
    assert named.content == sample_reports.pdf.read_bytes()
    assert api.client.get("/api/v1/reports/latest").status_code == 401
    missing = api.client.get("/api/v1/reports/..%2Fremitwatch.db", headers=READ)
    assert missing.status_code == 404


def test_nothing_written_yet_is_a_404(make_empty_api: MakeApi) -> None:
    api = make_empty_api()
    assert api.client.get("/api/v1/reports").json()["items"] == []
    answer = api.client.get("/api/v1/reports/latest")
    assert answer.status_code == 404
    assert "run `remitwatch report`" in answer.json()["error"]["message"]
