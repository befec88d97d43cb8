"""The shipped Alertmanager configuration: valid for amtool, routed by severity, and
inhibiting exactly the alerts the design says (deploy/alertmanager/alertmanager.yml)."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "alertmanager" / "alertmanager.yml"

PAGER, TEAM, TICKETS = "remitwatch-pager", "remitwatch-team", "remitwatch-tickets"
RECEIVER_BY_SEVERITY = {"critical": PAGER, "warning": TEAM, "info": TICKETS}

#: Every alert of the rules with its severities and the labels it carries.
TOTAL, RU = "remit.in.total.M", "remit.in.country.RU.M"
ALERTS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "RemittanceShock": (("critical", "warning"), {"series": TOTAL, "source": "transfers"}),
    "RemittanceBelowBand": (("warning",), {"series": TOTAL, "source": "transfers"}),
    "SomVolatilityHigh": (("warning",), {"currency": "USD", "source": "rates"}),
    "RatesStale": (("warning",), {"source": "rates"}),
    "TransfersStale": (("warning",), {"source": "transfers"}),
    "IngestFailing": (("warning",), {"job": "ingest_rates"}),
    "QuarantineSpike": (("warning",), {"source": "transfers"}),
    "ModelFitFailing": (("warning",), {"series": TOTAL}),
    "ModelWorseThanNaive": (("info",), {"series": RU}),
    "RemitwatchDown": (("critical",), {}),
    "RemitwatchAbsent": (("critical",), {}),
    "RemitwatchStoreDown": (("critical",), {}),
}
ROUTE_CASES = [
    pytest.param(name, severity, labels, id=f"{name}-{severity}")
    for name, (severities, labels) in ALERTS.items()
    for severity in severities
]


def _amtool(*args: str) -> subprocess.CompletedProcess[str]:
    amtool = shutil.which("amtool")
    assert amtool, "amtool not found: apt-get install prometheus-alertmanager"
    return subprocess.run([amtool, *args], capture_output=True, text=True, timeout=30)


def test_amtool_accepts_the_configuration() -> None:
    done = _amtool("check-config", str(CONFIG))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@pytest.mark.parametrize(("alertname", "severity", "labels"), ROUTE_CASES)
def test_each_alert_goes_to_the_receiver_of_its_severity(
    alertname: str, severity: str, labels: dict[str, str]
) -> None:
    alert = {"alertname": alertname, "severity": severity, **labels}
    pairs = [f"{name}={value}" for name, value in alert.items()]
    done = _amtool("config", "routes", "test", f"--config.file={CONFIG}", *pairs)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [RECEIVER_BY_SEVERITY[severity]]


def test_an_alert_without_severity_still_reaches_the_team() -> None:
    done = _amtool("config", "routes", "test", f"--config.file={CONFIG}", "alertname=Other")
    assert done.stdout.split() == [TEAM]


@functools.cache
def _config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    return loaded


def test_notifications_are_grouped_by_alert_and_series_or_source() -> None:
    route = _config()["route"]
    assert route["group_by"] == ["alertname", "series", "source"]
    waits = {child["receiver"]: child["group_wait"] for child in route["routes"]}
    assert waits[PAGER] == "10s"  # critical is sent first
    assert all(child.get("continue") is not True for child in route["routes"])


def test_every_receiver_is_a_local_placeholder_webhook() -> None:
    receivers = {r["name"]: r for r in _config()["receivers"]}
    assert set(receivers) == {PAGER, TEAM, TICKETS}
    for receiver in receivers.values():
        (webhook,) = receiver["webhook_configs"]
        assert webhook["url"].startswith("http://127.0.0.1:"), receiver["name"]
    text = CONFIG.read_text()
    for kind in ("paging", "chat", "ticket"):
        assert f"REPLACE with your {kind} webhook" in text


# -- inhibition, evaluated from the shipped rules --------------------------------------

_MATCHER = re.compile(r'^\s*(\w+)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


def _matches(matchers: list[str], labels: dict[str, str]) -> bool:
    """Alertmanager's matcher semantics: anchored regexes; a missing label is ""."""
    for matcher in matchers:
        parsed = _MATCHER.match(matcher)
        assert parsed, f"unreadable matcher {matcher!r}"
        name, op, value = parsed.groups()
        actual = labels.get(name, "")
        found = re.fullmatch(value, actual) is not None if "~" in op else value == actual
        if found == op.startswith("!"):
            return False
    return True


def _inhibits(source: dict[str, str], target: dict[str, str]) -> bool:
    for rule in _config()["inhibit_rules"]:
        if (
            _matches(rule["source_matchers"], source)
            and _matches(rule["target_matchers"], target)
            and all(source.get(label) == target.get(label) for label in rule.get("equal", []))
            and not _matches(rule["source_matchers"], target)  # an alert never silences itself
        ):
            return True
    return False


def _alert(name: str, severity: str | None = None, **labels: str) -> dict[str, str]:
    severities, defaults = ALERTS[name]
    return {"alertname": name, "severity": severity or severities[0], **defaults, **labels}


def test_stale_transfers_silence_the_shock_and_band_alerts_of_their_source() -> None:
    stale = _alert("TransfersStale")
    assert _inhibits(stale, _alert("RemittanceShock", "critical"))
    assert _inhibits(stale, _alert("RemittanceShock", "warning", series=RU))
    assert _inhibits(stale, _alert("RemittanceBelowBand"))
    assert not _inhibits(stale, _alert("RemittanceShock", source="other-feed"))
    assert not _inhibits(_alert("RatesStale"), _alert("RemittanceShock"))


def test_stale_rates_silence_the_volatility_alert() -> None:
    assert _inhibits(_alert("RatesStale"), _alert("SomVolatilityHigh"))
    assert _inhibits(_alert("RatesStale"), _alert("SomVolatilityHigh", currency="RUB"))
    assert not _inhibits(_alert("TransfersStale"), _alert("SomVolatilityHigh"))


def test_a_critical_shock_silences_the_warning_of_the_same_series_only() -> None:
    critical = _alert("RemittanceShock", "critical")
    assert _inhibits(critical, _alert("RemittanceShock", "warning"))
    assert not _inhibits(critical, _alert("RemittanceShock", "warning", series=RU))
    assert not _inhibits(_alert("RemittanceShock", "warning"), critical)


def test_remitwatch_absent_silences_every_other_remitwatch_alert() -> None:
    for name, (severities, _) in ALERTS.items():
        for severity in severities:
            silenced = _inhibits(_alert("RemitwatchAbsent"), _alert(name, severity))
            assert silenced == (name not in ("RemitwatchDown", "RemitwatchAbsent")), name
    assert not _inhibits(
        _alert("RemitwatchAbsent"), {"alertname": "NodeDown", "severity": "critical"}
    )


def test_one_replica_down_silences_nothing() -> None:
    # The other replicas serve the same figures from the store: their alerts are news.
    for name, (severities, _) in ALERTS.items():
        for severity in severities:
            assert not _inhibits(_alert("RemitwatchDown"), _alert(name, severity)), name


def test_no_other_alert_is_silenced() -> None:
    expected = {
        ("TransfersStale", "RemittanceShock"),
        ("TransfersStale", "RemittanceBelowBand"),
        ("RatesStale", "SomVolatilityHigh"),
        ("RemittanceShock", "RemittanceShock"),
    }
    for source, (source_severities, _) in ALERTS.items():
        if source == "RemitwatchAbsent":
            continue
        for target, (target_severities, _) in ALERTS.items():
            inhibited = any(
                _inhibits(_alert(source, s), _alert(target, t))
                for s in source_severities
                for t in target_severities
            )
            assert inhibited == ((source, target) in expected), (source, target)
