"""The shipped Prometheus configuration, rules and runbooks (deploy/prometheus/,
deploy/runbooks/), checked with the real promtool, and remitwatch's exposition linted by it.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from service.metrics import make_registry, render
from tests.fitted_sample import FittedSample

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
CONFIG = PROMETHEUS / "prometheus.yml"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
TEST_FILES = sorted((PROMETHEUS / "tests").glob("*.yml"))
RUNBOOKS = DEPLOY / "runbooks"
RUNBOOK_BASE = "https://runbooks.remitwatch.local/"

#: The alert names are a public contract (Alertmanager routes and inhibitions, runbooks).
SEVERITIES = {
    "RemittanceShock": {"critical", "warning"},
    "RemittanceBelowBand": {"warning"},
    "SomVolatilityHigh": {"warning"},
    "RatesStale": {"warning"},
    "TransfersStale": {"warning"},
    "IngestFailing": {"warning"},
    "QuarantineSpike": {"warning"},
    "ModelFitFailing": {"warning"},
    "ModelWorseThanNaive": {"info"},
    "RemitwatchDown": {"critical"},
    "RemitwatchAbsent": {"critical"},
    "RemitwatchStoreDown": {"critical"},
}


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail(
            "promtool is not on PATH: install the Debian package prometheus "
            "(apt-get install prometheus; .ci/run does)",
            pytrace=False,
        )
    return found


def _run(command: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60)


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _rules(kind: str) -> Iterator[dict[str, Any]]:
    """Every rule of the shipped rule files that has `kind` ("alert" or "record")."""
    for path in RULE_FILES:
        for group in _load(path)["groups"]:
            yield from (rule for rule in group["rules"] if kind in rule)


def _alert_names() -> set[str]:
    return {rule["alert"] for rule in _rules("alert")}


def test_the_deploy_files_exist() -> None:
    assert CONFIG.is_file()
    assert RULE_FILES and TEST_FILES


def test_promtool_accepts_the_configuration(promtool: str) -> None:
    done = _run([promtool, "check", "config", "--lint=all", "--lint-fatal", str(CONFIG)])
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(RULE_FILES)} rule files found" in done.stdout


def test_the_configuration_scrapes_remitwatch_and_alerts() -> None:
    config = _load(CONFIG)
    assert config["global"]["scrape_interval"] == "30s"
    assert config["global"]["evaluation_interval"] == "30s"
    assert config["rule_files"] == ["rules/*.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"remitwatch", "prometheus", "alertmanager"}
    # The remitwatch_job_* metrics keep their own `job` label (ingest_rates, refit, ...).
    assert jobs["remitwatch"]["honor_labels"] is True
    assert jobs["remitwatch"]["static_configs"] == [{"targets": ["127.0.0.1:8000"]}]
    managers = config["alerting"]["alertmanagers"]
    assert managers == [{"static_configs": [{"targets": ["127.0.0.1:9093"]}]}]


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda path: path.name)
def test_promtool_accepts_the_rules(promtool: str, path: Path) -> None:
    done = _run([promtool, "check", "rules", "--lint=all", "--lint-fatal", str(path)])
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda path: path.name)
def test_the_rule_unit_tests_pass(promtool: str, path: Path) -> None:
    done = _run([promtool, "test", "rules", str(path)])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_rule_file_is_unit_tested() -> None:
    tested = {
        (path.parent / rule_file).resolve()
        for path in TEST_FILES
        for rule_file in _load(path)["rule_files"]
    }
    assert tested == {path.resolve() for path in RULE_FILES}


def test_every_test_group_has_an_interval() -> None:
    for path in TEST_FILES:
        for group in _load(path)["tests"]:
            assert "interval" in group, f"{path.name}: {group.get('name')}"


def test_every_alert_is_tested_firing_and_silent() -> None:
    firing: set[str] = set()
    silent: set[str] = set()
    for path in TEST_FILES:
        for group in _load(path)["tests"]:
            for case in group.get("alert_rule_test", []):
                (firing if case["exp_alerts"] else silent).add(case["alertname"])
    assert firing == set(SEVERITIES)
    assert silent == set(SEVERITIES)


def test_the_alert_names_are_the_fixed_ones() -> None:
    assert _alert_names() == set(SEVERITIES)


@pytest.mark.parametrize("name", sorted(SEVERITIES))
def test_each_alert_has_its_severity_annotations_and_runbook(name: str) -> None:
    rules = [rule for rule in _rules("alert") if rule["alert"] == name]
    assert {rule["labels"]["severity"] for rule in rules} == SEVERITIES[name]
    for rule in rules:
        annotations = rule["annotations"]
        assert annotations["summary"].strip()
        assert annotations["description"].strip()
        assert annotations["runbook_url"] == f"{RUNBOOK_BASE}{name}.md"
    assert (RUNBOOKS / f"{name}.md").is_file()


def test_every_runbook_belongs_to_an_alert() -> None:
    pages = {path.stem for path in RUNBOOKS.glob("*.md") if path.name != "README.md"}
    assert pages == _alert_names()


def test_recording_rules_follow_the_naming_convention() -> None:
    # level:metric:operations, with the metric named after the remitwatch one it derives from.
    for rule in _rules("record"):
        level, metric, operations = rule["record"].split(":")
        assert level and operations and metric.startswith("remitwatch_"), rule["record"]


def _exposition(sample: FittedSample) -> str:
    return render(make_registry(sample.store, sample.settings)).decode()


def test_promtool_finds_no_problem_in_remitwatch_metrics(
    promtool: str, fitted_sample: FittedSample
) -> None:
    exposition = _exposition(fitted_sample)
    assert "remitwatch_shock_zscore{" in exposition  # the real figures, not an empty store
    done = _run([promtool, "check", "metrics"], stdin=exposition)
    # prometheus_client's own process/python metrics are not ours to lint.
    ours = [line for line in (done.stdout + done.stderr).splitlines() if "remitwatch_" in line]
    assert ours == [], done.stdout + done.stderr


def _input_series(exposition: str, minutes: int) -> list[dict[str, str]]:
    """The exposition as promtool input series, as the shipped scrape job stores them:
    constant for `minutes`, with the target's labels and `up` = 1."""
    target = {"job": "remitwatch", "instance": "127.0.0.1:8000"}
    samples = [("up", target, 1.0)]
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            # honor_labels: a metric's own `job` label (remitwatch_job_*) wins.
            samples.append((sample.name, {**target, **sample.labels}, sample.value))
    series = []
    for name, labels, value in samples:
        if math.isfinite(value):
            selector = ",".join(f"{key}={json.dumps(text)}" for key, text in labels.items())
            series.append({"series": f"{name}{{{selector}}}", "values": f"{value!r}x{minutes}"})
    return series


def test_the_fitted_sample_raises_no_warning_or_critical_alert(
    promtool: str, fitted_sample: FittedSample, tmp_path: Path
) -> None:
    # A healthy installation (data just ingested, models fitted, no job failed) pages nobody.
    # Info alerts are allowed: the VAR's som/USD forecast may well not beat "no change".
    minutes = 120
    quiet = [name for name, levels in sorted(SEVERITIES.items()) if levels != {"info"}]
    test_file = {
        "rule_files": [str(path) for path in RULE_FILES],
        "evaluation_interval": "1m",
        "tests": [
            {
                "name": "the fitted sample",
                "interval": "1m",
                "input_series": _input_series(_exposition(fitted_sample), minutes),
                "alert_rule_test": [
                    {"eval_time": f"{minutes}m", "alertname": name, "exp_alerts": []}
                    for name in quiet
                ],
            }
        ],
    }
    path = tmp_path / "fitted-sample.test.yml"
    path.write_text(yaml.safe_dump(test_file), encoding="utf-8")
    done = _run([promtool, "test", "rules", str(path)])
    assert done.returncode == 0, done.stdout + done.stderr
