"""Static checks of the Grafana provisioning and dashboards under deploy/grafana.

Every PromQL expression is parsed by the real `promtool`; every SQL query runs, with its
macros expanded as Grafana expands them, on a real PostgreSQL store (empty: whether the
queries return data is the end-to-end test's business).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from sqlalchemy.engine import make_url

from service.metrics.catalogue import CATALOGUE
from service.store import Store
from tests.deploy.dashboards import (
    BUILTIN_VARIABLES,
    DashboardError,
    expand_sql_macros,
    iter_panels,
    load_dashboards,
    panel_targets,
    prometheus_queries,
    sql_queries,
    substitute_variables,
    variable_names,
)

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"
DASHBOARDS = load_dashboards(GRAFANA / "dashboards")
NAMES = [name for name, _ in DASHBOARDS]
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "remitwatch.yml"
PROVIDER = GRAFANA / "provisioning" / "dashboards" / "remitwatch.yml"
VARIABLES = {"series": "remit.in.total.M"}
RANGE_FROM = datetime(2016, 1, 1, tzinfo=UTC)
RANGE_TO = datetime(2026, 12, 31, 12, 30, tzinfo=UTC)


def _provisioned() -> dict[str, str]:
    """uid -> type of the provisioned data sources."""
    document = yaml.safe_load(DATASOURCES.read_text())
    return {source["uid"]: source["type"] for source in document["datasources"]}


def _templating(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = dashboard.get("templating", {}).get("list", [])
    return listed


def _query_texts(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, text) of every query and variable query, unsubstituted."""
    texts = [(f"variable {v['name']}", str(v.get("query", ""))) for v in _templating(dashboard)]
    for panel in iter_panels(dashboard):
        for _, target in panel_targets(panel):
            for key in ("expr", "rawSql"):
                if key in target:
                    texts.append((f"{panel['title']} {target['refId']}", target[key]))
    return texts


def test_the_three_dashboards_are_shipped_with_their_settings() -> None:
    assert NAMES == ["operations.json", "overview.json", "series.json"]
    for name, dashboard in DASHBOARDS:
        assert dashboard["title"] and dashboard["uid"], name
        assert "remitwatch" in dashboard["tags"], name
        assert dashboard["schemaVersion"] >= 36, name
        assert dashboard["refresh"] == "1m", name
        assert dashboard["time"]["from"].startswith("now-"), name
    assert len({d["uid"] for _, d in DASHBOARDS}) == len(DASHBOARDS)
    assert len({d["title"] for _, d in DASHBOARDS}) == len(DASHBOARDS)


@pytest.mark.parametrize(("name", "dashboard"), DASHBOARDS, ids=NAMES)
def test_panel_ids_are_unique_including_rows(name: str, dashboard: dict[str, Any]) -> None:
    ids = [panel["id"] for panel in iter_panels(dashboard)]
    assert len(ids) == len(set(ids)), f"{name}: repeated panel ids {sorted(ids)}"
    assert any(panel["type"] == "row" for panel in iter_panels(dashboard))


@pytest.mark.parametrize(("name", "dashboard"), DASHBOARDS, ids=NAMES)
def test_every_query_names_a_provisioned_data_source(name: str, dashboard: dict[str, Any]) -> None:
    provisioned = _provisioned()
    references: list[tuple[str, Any]] = [
        (f"variable {v['name']}", v["datasource"]) for v in _templating(dashboard)
    ]
    for panel in iter_panels(dashboard):
        if panel["type"] != "row":
            references.append((panel["title"], panel.get("datasource")))
            assert panel["targets"], f"{name} / {panel['title']}: no query"
        for target in panel.get("targets", []):
            references.append((f"{panel['title']} {target['refId']}", target.get("datasource")))
    wrong = [
        f"{where}: {reference}"
        for where, reference in references
        if not isinstance(reference, dict)
        or provisioned.get(reference.get("uid", "")) != reference.get("type")
    ]
    assert not wrong, f"{name}: not a provisioned {provisioned}:\n" + "\n".join(wrong)


@pytest.mark.parametrize(("name", "dashboard"), DASHBOARDS, ids=NAMES)
def test_every_variable_used_is_defined(name: str, dashboard: dict[str, Any]) -> None:
    defined = {variable["name"] for variable in _templating(dashboard)} | BUILTIN_VARIABLES
    titles = [(panel["title"], panel["title"]) for panel in iter_panels(dashboard)]
    undefined = [
        f"{where}: ${variable}"
        for where, text in _query_texts(dashboard) + titles
        for variable in variable_names(text) - defined
    ]
    assert not undefined, f"{name}: undefined variables:\n" + "\n".join(undefined)


@pytest.mark.parametrize(("name", "dashboard"), DASHBOARDS, ids=NAMES)
def test_prometheus_panels_are_evaluated_up_to_now(name: str, dashboard: dict[str, Any]) -> None:
    """Grafana runs an instant query at the end of the range; a range reaching into the
    future (for the forecasts) would find no sample there, so such a dashboard gives its
    Prometheus panels a relative time of their own ("last ..." ending now)."""
    if dashboard["time"]["to"] == "now":
        return
    future = [
        panel["title"]
        for panel in iter_panels(dashboard)
        if panel.get("datasource", {}).get("type") == "prometheus"
        and not str(panel.get("timeFrom", "")).rstrip("smhdwMy").isdigit()
    ]
    assert not future, f"{name}: Prometheus panels evaluated in the future: {future}"


def _promtool_check(expressions: list[tuple[str, str]], workdir: Path) -> tuple[int, str]:
    """`promtool check rules` over one recording-rule file per expression."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: apt-get install prometheus"
    files = []
    for number, (title, expr) in enumerate(expressions):
        rule = {"record": "dashboard:query", "expr": expr, "labels": {"panel": title}}
        path = workdir / f"query-{number:03d}.yml"
        path.write_text(json.dumps({"groups": [{"name": title, "rules": [rule]}]}))
        files.append(str(path))
    done = subprocess.run(
        [promtool, "check", "rules", *files], capture_output=True, text=True, timeout=60
    )
    return done.returncode, done.stdout + done.stderr


def test_every_prometheus_expression_parses(tmp_path: Path) -> None:
    expressions = [
        (f"{name} / {title}", expr)
        for name, dashboard in DASHBOARDS
        for title, expr in prometheus_queries(dashboard, VARIABLES)
    ]
    assert len(expressions) > 20
    returncode, output = _promtool_check(expressions, tmp_path)
    assert returncode == 0, output


def test_promtool_check_rejects_a_broken_expression(tmp_path: Path) -> None:
    returncode, output = _promtool_check([("fine", "up"), ("broken", "sum by (job (up)")], tmp_path)
    assert returncode != 0
    assert 'group "broken"' in output and "parse error" in output
    assert 'group "fine"' not in output


def test_every_remitwatch_metric_queried_is_exposed() -> None:
    exposed = set()
    for spec in CATALOGUE:
        suffixes = ("_bucket", "_sum", "_count") if spec.kind == "histogram" else ("",)
        exposed |= {spec.name + suffix for suffix in suffixes}
    queried = {
        metric
        for _, dashboard in DASHBOARDS
        for _, expr in prometheus_queries(dashboard, VARIABLES)
        for metric in re.findall(r"\bremitwatch_\w+", expr)
    }
    assert queried - exposed == set()
    assert len(queried) > 20


@pytest.mark.postgres
def test_every_sql_query_runs_on_the_store(postgres_url: str) -> None:
    store = Store.open(postgres_url)
    try:
        store.upgrade()
    finally:
        store.close()
    url = make_url(postgres_url).set(drivername="postgresql")
    queries = [
        (f"{name} / {title}", expand_sql_macros(raw, RANGE_FROM, RANGE_TO, 86400))
        for name, dashboard in DASHBOARDS
        for title, raw in sql_queries(dashboard, VARIABLES)
    ]
    assert len(queries) > 10
    failed = []
    with psycopg.connect(url.render_as_string(hide_password=False)) as connection:
        # A session zone far from UTC: the time columns must not depend on it.
        connection.execute("SET TIME ZONE 'Asia/Bishkek'")
        for where, query in queries:
            try:
                with connection.transaction():
                    connection.execute(query.encode()).fetchall()
            except psycopg.Error as error:
                failed.append(f"{where}: {error}\n{query}")
    assert not failed, "\n\n".join(failed)


def test_sql_macros_expand_as_grafana_expands_them() -> None:
    sql = (
        "SELECT $__timeGroupAlias(t, $__interval), v FROM x "
        "WHERE $__timeFilter(t::timestamp AT TIME ZONE 'UTC') AND t < $__timeTo() "
        "AND t > $__timeFrom() GROUP BY $__timeGroup(t, '30d')"
    )
    moment = datetime(2024, 5, 1, 6, 0, 0, 250000, tzinfo=UTC)
    assert expand_sql_macros(sql, RANGE_FROM, moment, 86400) == (
        'SELECT floor(extract(epoch from t)/86400)*86400 AS "time", v FROM x '
        "WHERE t::timestamp AT TIME ZONE 'UTC' BETWEEN '2016-01-01T00:00:00Z' AND "
        "'2024-05-01T06:00:00.25Z' AND t < '2024-05-01T06:00:00.25Z' "
        "AND t > '2016-01-01T00:00:00Z' GROUP BY floor(extract(epoch from t)/2.592e+06)*2.592e+06"
    )


@pytest.mark.parametrize(
    "sql",
    ["SELECT $__unixEpochFilter(t)", "SELECT $__timeFilter()", "SELECT $__range_s", "$__nope"],
)
def test_sql_macros_outside_the_supported_set_raise(sql: str) -> None:
    with pytest.raises(DashboardError):
        expand_sql_macros(sql, RANGE_FROM, RANGE_TO, 3600)


def test_variables_are_substituted_and_unknown_ones_raise() -> None:
    text = 'a{series="$series"} [[series]] ${series:raw} $__timeFilter(t)'
    assert variable_names(text) == {"series"}
    assert substitute_variables(text, VARIABLES) == (
        'a{series="remit.in.total.M"} remit.in.total.M remit.in.total.M $__timeFilter(t)'
    )
    with pytest.raises(DashboardError, match=r"\$series"):
        substitute_variables(text, {})


def test_sql_variables_have_their_quotes_doubled_and_prometheus_intervals_are_set() -> None:
    target = {"refId": "A", "rawSql": "WHERE k = '$series' AND $__timeFilter(t)"}
    prometheus = {"refId": "B", "expr": 'rate(x{k="$series"}[$__rate_interval])'}
    board = {
        "panels": [
            {
                "type": "row",
                "title": "r",
                "panels": [
                    {"title": "sql", "datasource": {"type": "postgres"}, "targets": [target]},
                    {
                        "title": "promql",
                        "datasource": {"type": "prometheus"},
                        "targets": [prometheus],
                    },
                ],
            }
        ]
    }
    assert sql_queries(board, {"series": "it's"}) == [
        ("sql", "WHERE k = 'it''s' AND $__timeFilter(t)")
    ]
    assert prometheus_queries(board, {"series": "a"}, rate_interval="2m") == [
        ("promql", 'rate(x{k="a"}[2m])')
    ]


def test_the_data_sources_are_provisioned_from_the_environment() -> None:
    document = yaml.safe_load(DATASOURCES.read_text())
    sources = {source["uid"]: source for source in document["datasources"]}
    assert document["apiVersion"] == 1
    assert set(sources) == {"remitwatch-prometheus", "remitwatch-postgres"}
    assert sources["remitwatch-prometheus"]["type"] == "prometheus"
    assert sources["remitwatch-prometheus"]["url"] == "${PROMETHEUS_URL}"
    postgres = sources["remitwatch-postgres"]
    assert postgres["type"] == "postgres"
    assert postgres["jsonData"]["database"] == "${REMITWATCH_DB_NAME}"
    assert postgres["user"] == "${REMITWATCH_DB_USER}"
    assert postgres["secureJsonData"] == {"password": "${REMITWATCH_DB_PASSWORD}"}
    assert "password" not in postgres and "database" not in postgres


def test_the_dashboard_provider_reads_the_mounted_folder() -> None:
    document = yaml.safe_load(PROVIDER.read_text())
    (provider,) = document["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards/remitwatch"
    assert provider["allowUiUpdates"] is False
