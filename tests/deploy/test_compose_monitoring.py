"""The monitoring part of the compose stack: Prometheus scrapes every API replica with the
shipped rules and settings, and Grafana gets what its provisioning files read."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.stack_files import DEPLOY, api_services, load_compose


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


def _strings(tree: Any) -> list[str]:
    if isinstance(tree, dict):
        return [s for value in tree.values() for s in _strings(value)]
    if isinstance(tree, list):
        return [s for value in tree for s in _strings(value)]
    return [tree] if isinstance(tree, str) else []


def test_grafana_gets_every_variable_its_provisioning_reads(compose: dict[str, Any]) -> None:
    provisioning = DEPLOY / "grafana" / "provisioning"
    # Grafana expands ${NAME} in the values (comments are not values).
    wanted = {
        match
        for path in provisioning.rglob("*.yml")
        for value in _strings(yaml.safe_load(path.read_text(encoding="utf-8")))
        for match in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", value)
    }
    assert wanted, "the data sources read their addresses from the environment"
    environment = compose["services"]["grafana"]["environment"]
    assert wanted <= set(environment)
    assert environment["PROMETHEUS_URL"] == "http://prometheus:9090"
    assert environment["REMITWATCH_DB_HOST"] == "postgres:5432"
    assert (
        environment["REMITWATCH_DB_USER"]
        == compose["services"]["postgres"]["environment"]["GRAFANA_DB_USER"]
    )


def test_prometheus_in_compose_scrapes_each_api_replica_with_the_shipped_rules(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    shipped = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    mounted = {
        volume.split(":")[1]: volume.split(":")[0]
        for volume in compose["services"]["prometheus"]["volumes"]
    }
    ours_path = DEPLOY / mounted["/etc/prometheus/prometheus.yml"]
    assert (DEPLOY / mounted["/etc/prometheus/rules"]).resolve() == DEPLOY / "prometheus" / "rules"
    ours = yaml.safe_load(ours_path.read_text())
    assert ours["global"] == shipped["global"]
    # The same rule files, from where the rules folder is mounted.
    assert [Path(rule).name for rule in ours["rule_files"]] == [
        Path(rule).name for rule in shipped["rule_files"]
    ]
    assert {str(Path(rule).parent) for rule in ours["rule_files"]} == {"/etc/prometheus/rules"}
    jobs = {job["job_name"]: job for job in ours["scrape_configs"]}
    shipped_job = next(j for j in shipped["scrape_configs"] if j["job_name"] == "remitwatch")
    targets = [t for group in jobs["remitwatch"]["static_configs"] for t in group["targets"]]
    assert targets == [f"{name}:8000" for name in api_services(compose)]
    without_targets = {k: v for k, v in jobs["remitwatch"].items() if k != "static_configs"}
    assert without_targets == {k: v for k, v in shipped_job.items() if k != "static_configs"}
    alertmanagers = ours["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert alertmanagers == ["alertmanager:9093"]
    # promtool reads it with the rule files where the repository keeps them.
    text = ours_path.read_text().replace("/etc/prometheus/rules/", f"{DEPLOY}/prometheus/rules/")
    (tmp_path / "prometheus.yml").write_text(text)
    checked = subprocess.run(
        ["promtool", "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 0 rule files" not in checked.stdout
