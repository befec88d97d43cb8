"""The systemd units of a host install (deploy/systemd/): keys, hardening, and what
`systemd-analyze verify` says of them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.stack_files import REMITWATCH_BINARY, SYSTEMD, exec_start_argv, systemd_unit

UNITS = sorted(SYSTEMD.glob("*.service"))
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ReadWritePaths": "/var/lib/remitwatch",
    "PrivateTmp": "yes",
    "ProtectHome": "yes",
}


@pytest.mark.parametrize("unit_path", UNITS, ids=lambda path: path.name)
def test_each_unit_runs_remitwatch_as_its_user_with_hardening(unit_path: Path) -> None:
    unit = systemd_unit(unit_path)
    service = unit["Service"]
    assert service["User"] == "remitwatch"
    assert service["EnvironmentFile"] == "/etc/remitwatch/remitwatch.env"
    assert service["WorkingDirectory"] == "/var/lib/remitwatch"
    assert {key: service.get(key) for key in HARDENING} == HARDENING
    if unit_path.name == "remitwatch-migrate.service":
        assert service["Type"] == "oneshot"
        assert exec_start_argv(unit)[1:] == ["db", "upgrade"]
        return
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM"
    assert "remitwatch-migrate.service" in unit["Unit"]["Requires"].split()
    assert "remitwatch-migrate.service" in unit["Unit"]["After"].split()
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_scheduler_unit_lets_a_refit_finish() -> None:
    unit = systemd_unit(SYSTEMD / "remitwatch-scheduler.service")
    assert exec_start_argv(unit)[1:] == ["scheduler"]
    assert int(unit["Service"]["TimeoutStopSec"]) >= 900
    # SIGTERM to the scheduler alone: its fit worker processes must not be killed first.
    assert unit["Service"]["KillMode"] == "mixed"


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: apt-get install systemd"
    # A root holding the units, the system's own units, and the paths they name.
    units = tmp_path / "etc" / "systemd" / "system"
    units.mkdir(parents=True)
    for unit_path in UNITS:
        shutil.copy(unit_path, units)
    (tmp_path / "usr" / "lib" / "systemd").mkdir(parents=True)
    (tmp_path / "usr" / "lib" / "systemd" / "system").symlink_to("/lib/systemd/system")
    binary = tmp_path / REMITWATCH_BINARY.lstrip("/")
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    (tmp_path / "etc" / "remitwatch").mkdir()
    (tmp_path / "etc" / "remitwatch" / "remitwatch.env").write_text("")
    names = [p.name.replace("@.service", "@8001.service") for p in UNITS]
    command = [analyze, "verify", f"--root={tmp_path}", "--man=no", "--generators=no"]
    result = subprocess.run(
        [*command, *names], capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
    # It does complain about a broken unit: an unknown key, an ExecStart that is not there.
    broken = units / "remitwatch-scheduler.service"
    broken.write_text(broken.read_text().replace("Restart=", "Restrat=").replace(".venv/", ""))
    result = subprocess.run(
        [*command, broken.name], capture_output=True, text=True, timeout=60, check=False
    )
    assert "Unknown key 'Restrat'" in result.stderr
    assert result.returncode != 0
