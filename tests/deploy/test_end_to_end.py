"""The shipped alerting end to end: remitwatch on PostgreSQL, the real Prometheus with the
shipped rules, the real Alertmanager with the shipped routes and a webhook receiver.

Only timings are overridden (scrape and evaluation every second, short Alertmanager
waits) and the addresses (loopback ports, our receiver); rules, routes and inhibitions
are the shipped ones. The data: the bundled sample with its models fitted, then bank
reports copied from the same days a year earlier: a normal month, then a month at 40%.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
import yaml
from sqlalchemy import text

from jobs.executor import InlineExecutor
from jobs.ingest_sample import ingest_sample
from jobs.refit import run_models
from service.store import Store
from tests.deploy.dashboards import (
    expand_sql_macros,
    load_dashboards,
    prometheus_queries,
    sql_queries,
)
from tests.fitted_sample import SAMPLE_MODEL_TOML, sample_settings
from tests.monitoring_servers import (
    Server,
    Webhook,
    alertmanager,
    free_port,
    prometheus,
    webhook_receiver,
)
from tests.pg_server import PostgresServer, fresh_database

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
REMITWATCH = str(Path(sys.executable).parent / "remitwatch")
SAMPLE_2025 = ROOT / "jobs" / "sample" / "data" / "transfers_2025.parquet"
ADMIN_TOKEN = "e2e-admin-token"
TOTAL = "remit.in.total.M"
#: Seconds without new transfer data after which the feed counts as stopped.
TRANSFERS_MAX_AGE = 75


def _remitwatch_config(port: int) -> str:
    digest = hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest()
    return (
        SAMPLE_MODEL_TOML
        + f"""
[scheduler]
request_poll_seconds = 0.5

[metrics]
cache_seconds = 1

[readiness]
transfers_max_age_hours = {TRANSFERS_MAX_AGE / 3600}

[api]
port = {port}
tokens = [{{ name = "e2e", sha256 = "{digest}", scope = "admin" }}]
"""
    )


def _prometheus_config(workdir: Path, remitwatch: str, alerts: str) -> Path:
    """The shipped configuration with loopback targets and one-second intervals."""
    shipped = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    rules_dir = DEPLOY / "prometheus"
    shipped["global"] = {
        **shipped.get("global", {}),
        "scrape_interval": "1s",
        "scrape_timeout": "1s",
        "evaluation_interval": "1s",
    }
    shipped["rule_files"] = [str(rules_dir / pattern) for pattern in shipped["rule_files"]]
    remitwatch_job = next(c for c in shipped["scrape_configs"] if c["job_name"] == "remitwatch")
    remitwatch_job = {**remitwatch_job, "static_configs": [{"targets": [remitwatch]}]}
    for timing in ("scrape_interval", "scrape_timeout"):
        remitwatch_job.pop(timing, None)
    remitwatch_job.pop("bearer_token_file", None)
    remitwatch_job.pop("authorization", None)
    shipped["scrape_configs"] = [remitwatch_job]
    shipped["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alerts]}]}]}
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(shipped))
    return path


def _short_waits(route: dict[str, Any]) -> dict[str, Any]:
    timings = {"group_wait": "1s", "group_interval": "2s", "repeat_interval": "1h"}
    shorter = {**route, **{k: v for k, v in timings.items() if k in route or "receiver" in route}}
    if "routes" in route:
        shorter["routes"] = [_short_waits(child) for child in route["routes"]]
    return shorter


def _alertmanager_config(workdir: Path, hook: Webhook) -> Path:
    """The shipped routes and inhibitions; every receiver posts to our webhook."""
    shipped = yaml.safe_load((DEPLOY / "alertmanager" / "alertmanager.yml").read_text())
    shipped["receivers"] = [
        {"name": r["name"], "webhook_configs": [{"url": hook.url, "send_resolved": True}]}
        for r in shipped["receivers"]
    ]
    shipped.pop("templates", None)
    shipped["route"] = _short_waits(shipped["route"])
    path = workdir / "alertmanager.yml"
    path.write_text(yaml.safe_dump(shipped))
    return path


def _copied_reports(start: date, end: date, factor: float) -> pl.DataFrame:
    """Bank reports of the same days a year earlier, amounts scaled by `factor`."""
    rows = pl.read_parquet(SAMPLE_2025).filter(
        pl.col("report_date").is_between(start.replace(year=2025), end.replace(year=2025))
    )
    return rows.with_columns(
        pl.col("report_date").dt.offset_by("1y"),
        (pl.col("amount").cast(pl.Float64) * factor).round(2).cast(pl.Decimal(20, 2)),
    )


@dataclass
class Stack:
    remitwatch: str
    prometheus: Server
    alertmanager: Server
    hook: Webhook
    store: Store
    inbox: Path
    database_url: str

    def query(self, expr: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.prometheus.url}/api/v1/query", params={"query": expr})
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()["data"]["result"]
        return result

    def firing(self, alertname: str) -> list[dict[str, str]]:
        return [
            r["metric"]
            for r in self.query(f'ALERTS{{alertname="{alertname}",alertstate="firing"}}')
        ]

    def feed(self, name: str, reports: pl.DataFrame) -> None:
        """Drop a report into the inbox and ask the scheduler to take it in now."""
        reports.write_csv(self.inbox / name)
        made = httpx.post(
            f"{self.remitwatch}/api/v1/jobs/ingest_transfers/requests",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert made.status_code == 202, made.text
        request_id = made.json()["id"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            request = self.store.job_request(request_id)
            assert request is not None
            if request.status in ("ok", "failed"):
                assert request.status == "ok", request
                return
            time.sleep(0.5)
        raise AssertionError(f"the ingest of {name} did not finish within 120 s")


def _wait(what: str, check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what} not seen within {timeout} s")


@pytest.fixture(scope="module")
def stack(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("e2e")
    data_dir = workdir / "var"
    with fresh_database(postgres_server) as url, webhook_receiver() as hook:
        settings = sample_settings(data_dir, database={"url": url})
        store = Store.open(url)
        store.upgrade()
        assert not ingest_sample(store, settings).failed
        assert not run_models(store, settings, mode="select", executor=InlineExecutor()).failed
        port = free_port()
        (workdir / "remitwatch.toml").write_text(_remitwatch_config(port))
        environment = {k: v for k, v in os.environ.items() if not k.startswith("REMITWATCH_")}
        environment |= {
            "REMITWATCH_CONFIG": str(workdir / "remitwatch.toml"),
            "REMITWATCH_DATABASE__URL": url,
            "REMITWATCH_PATHS__DATA_DIR": str(data_dir),
        }
        log = workdir / "remitwatch.log"
        with log.open("wb") as sink:
            serve = subprocess.Popen(
                [REMITWATCH, "serve"], stdout=sink, stderr=subprocess.STDOUT, env=environment
            )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait("remitwatch", lambda: _answers(f"{base}/healthz"), 60)
            with (
                alertmanager(_alertmanager_config(workdir, hook), workdir) as alerts,
                prometheus(
                    _prometheus_config(workdir, f"127.0.0.1:{port}", alerts.url[7:]), workdir
                ) as prom,
            ):
                yield Stack(base, prom, alerts, hook, store, data_dir / "inbox", url)
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=120)
            store.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


REMITTANCE_ALERTS = ("RemittanceShock", "RemittanceBelowBand")


def test_a_normal_month_raises_no_remittance_alert(stack: Stack) -> None:
    stack.inbox.mkdir(parents=True, exist_ok=True)
    stack.feed("normal.csv", _copied_reports(date(2026, 8, 23), date(2026, 9, 30), 1.0))
    # The scored period moves to September; then give the rules a few evaluations.
    september = datetime(2026, 9, 1, tzinfo=UTC).timestamp()
    _wait(
        "September scored in Prometheus",
        lambda: any(
            float(r["value"][1]) == september
            for r in stack.query(f'remitwatch_series_period_timestamp_seconds{{series="{TOTAL}"}}')
        ),
        60,
    )
    time.sleep(5)
    for name in REMITTANCE_ALERTS:
        assert stack.firing(name) == [], name
    assert not [a for a in stack.hook.alerts() if a["labels"]["alertname"] in REMITTANCE_ALERTS]


def test_a_sharp_drop_reaches_the_receiver_then_staleness_inhibits_it(stack: Stack) -> None:
    stack.feed("drop.csv", _copied_reports(date(2026, 10, 1), date(2026, 10, 31), 0.4))
    fed_at = time.monotonic()
    shock = stack.hook.wait_for(
        lambda a: (
            a["labels"]["alertname"] == "RemittanceShock"
            and a["labels"].get("series") == TOTAL
            and a["status"] == "firing"
        ),
        timeout=60,
    )
    assert time.monotonic() - fed_at < TRANSFERS_MAX_AGE  # before the feed counts as stale
    assert shock["labels"]["severity"] == "critical"
    assert shock["labels"]["source"] == "transfers"
    assert shock["annotations"]["runbook_url"].endswith("/RemittanceShock.md")

    # No new report arrives: the transfers go stale, which reaches the receiver and
    # silences the shock alerts of the same source in Alertmanager.
    stale = stack.hook.wait_for(
        lambda a: a["labels"]["alertname"] == "TransfersStale" and a["status"] == "firing",
        timeout=TRANSFERS_MAX_AGE + 60,
    )
    assert stale["labels"]["source"] == "transfers"

    def shock_suppressed() -> bool:
        response = httpx.get(f"{stack.alertmanager.url}/api/v2/alerts")
        response.raise_for_status()
        shocks = [a for a in response.json() if a["labels"]["alertname"] == "RemittanceShock"]
        return bool(shocks) and all(
            a["status"]["state"] == "suppressed" and a["status"]["inhibitedBy"] for a in shocks
        )

    _wait("the shock alerts inhibited by TransfersStale", shock_suppressed, 30)
    assert stack.firing("RemittanceShock")  # still firing in Prometheus: only silenced


def test_every_dashboard_query_answers(stack: Stack) -> None:
    dashboards = load_dashboards(DEPLOY / "grafana" / "dashboards")
    assert dashboards
    variables = {"series": TOTAL}
    empty = []
    for name, dashboard in dashboards:
        for title, expr in prometheus_queries(dashboard, variables):
            if not stack.query(expr):
                empty.append(f"{name} / {title}: {expr}")
    assert not empty, "Prometheus queries with no data:\n" + "\n".join(empty)
    now = datetime.now(UTC)
    failed, rows = [], 0
    for name, dashboard in dashboards:
        for title, raw in sql_queries(dashboard, variables):
            sql = expand_sql_macros(raw, now - timedelta(days=3650), now, 86400)
            try:
                with stack.store.engine.connect() as connection:
                    rows += len(connection.execute(text(sql)).fetchall())
            except Exception as exc:  # collected so that every failing panel is named
                failed.append(f"{name} / {title}: {type(exc).__name__}: {exc}")
    assert not failed, "SQL queries that failed on PostgreSQL:\n" + "\n".join(failed)
    assert rows > 0
