"""Packaging: our generic top-level names resolve to this project, and every package ships."""

from __future__ import annotations

import tomllib
from pathlib import Path

import config
import jobs
import models
import service

ROOT = Path(__file__).parents[1]


def test_top_level_packages_are_ours() -> None:
    # Another distribution's `models` or `config` would shadow ours silently.
    for package in (config, jobs, models, service):
        assert package.__file__ is not None
        assert Path(package.__file__).resolve().parent == ROOT / package.__name__


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("config", "models", "jobs", "service")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert on_disk == listed


def test_the_console_script_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"remitwatch": "service.cli.main:run"}
