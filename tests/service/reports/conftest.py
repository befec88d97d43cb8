"""Reports built once per module on the fitted sample (HTML and PDF)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from service.reports.build import build_report
from service.reports.gather import default_month
from tests.fitted_sample import FittedSample
from tests.service.api.conftest import (  # the API fixtures, for the /reports routes
    empty_store,
    make_empty_api,
    make_sample_api,
)

__all__ = ["SampleReports", "empty_store", "make_empty_api", "make_sample_api"]


@dataclass(frozen=True)
class SampleReports:
    html: Path
    pdf: Path


@pytest.fixture(scope="module")
def sample_reports(
    fitted_sample: FittedSample, tmp_path_factory: pytest.TempPathFactory
) -> SampleReports:
    out = tmp_path_factory.mktemp("reports")
    store, settings = fitted_sample.store, fitted_sample.settings
    month = default_month(store)
    return SampleReports(
        html=build_report(store, settings, month, out, "html"),
        pdf=build_report(store, settings, month, out, "pdf"),
    )
