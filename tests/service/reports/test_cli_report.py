"""`remitwatch report` on the fitted sample: writes where the API looks; usage errors exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.cli.main import main
from tests.fitted_sample import FittedSample


def _config(fitted: FittedSample, tmp_path: Path) -> str:
    path = tmp_path / "remitwatch.toml"
    path.write_text(f'[paths]\ndata_dir = "{fitted.data_dir}"\n')
    return str(path)


def test_report_writes_the_html(
    fitted_sample: FittedSample, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", _config(fitted_sample, tmp_path), "report", "--month", "2026-06"]) == 0
    written = Path(capsys.readouterr().out.strip())
    assert written == fitted_sample.data_dir / "reports" / "remittance-monitor-2026-06.html"
    assert "Remittance monitor — Jun 2026" in written.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--month", "June"], 2, "is not a month YYYY-MM"),
        (["--format", "docx"], 2, "'docx' is not one of"),
        (["--month", "2031-01"], 1, "no total inflows stored for 2031-01"),
    ],
)
def test_report_refusals(
    fitted_sample: FittedSample,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    message: str,
) -> None:
    config = _config(fitted_sample, tmp_path)
    assert main(["--config", config, "report", "--out", str(tmp_path), *args]) == code
    assert message in capsys.readouterr().err
