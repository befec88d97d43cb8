"""Reading the shipped Grafana dashboards the way Grafana runs them, for the tests.

A dashboard is the JSON Grafana loads (schema 39). The queries are taken from every panel,
rows included, and from the query variables; template variables (`$name`, `${name}`,
`${name:format}`, `[[name]]`) are replaced by the values the caller gives. PromQL gets
Grafana's interval built-ins replaced too (`$__interval`, `$__rate_interval`, `$__range`);
SQL keeps its time-dependent parts for `expand_sql_macros`, which knows the time range,
and expands the PostgreSQL data source macros as Grafana's backend does
(pkg/tsdb/grafana-postgresql-datasource/macros.go).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

Dashboard = dict[str, Any]
Panel = dict[str, Any]

PROMETHEUS_TYPES = frozenset({"prometheus"})
#: `postgres` until Grafana 10.2.2, `grafana-postgresql-datasource` (alias `postgres`) after.
POSTGRES_TYPES = frozenset({"postgres", "grafana-postgresql-datasource"})

#: Grafana's global variables (they start with `__`), and the old `$timeFilter`.
BUILTIN_VARIABLES = frozenset(
    {
        "__interval",
        "__interval_ms",
        "__rate_interval",
        "__rate_interval_ms",
        "__range",
        "__range_s",
        "__range_ms",
        "__from",
        "__to",
        "__dashboard",
        "__org",
        "__user",
        "__name",
        "timeFilter",
    }
)

# `$name(` is a data source macro, not a variable: the lookahead keeps it out.
_VARIABLE = re.compile(r"\$(\w+)(?![\w(])|\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]")
# Grafana's own pattern for macros: `$name(arguments without a closing parenthesis)`.
_MACRO = re.compile(r"\$([_a-zA-Z0-9]+)\(([^)]*)\)")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_DURATION_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class DashboardError(ValueError):
    """A dashboard or query that Grafana would not run as intended; the message says where."""


def load_dashboards(directory: Path) -> list[tuple[str, Dashboard]]:
    """Every `*.json` dashboard in `directory` as (file name, parsed JSON), by file name."""
    loaded = []
    for path in sorted(directory.glob("*.json")):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(dashboard, dict):
            raise DashboardError(f"{path}: expected a JSON object, got {type(dashboard).__name__}")
        loaded.append((path.name, dashboard))
    return loaded


def iter_panels(dashboard: Dashboard) -> Iterator[Panel]:
    """Every panel, rows and the panels inside collapsed rows included (document order)."""

    def walk(panels: list[Panel]) -> Iterator[Panel]:
        for panel in panels:
            yield panel
            yield from walk(panel.get("panels", []))

    yield from walk(dashboard.get("panels", []))
    for row in dashboard.get("rows", []):  # the pre-5.0 layout
        yield from walk(row.get("panels", []))


def panel_targets(panel: Panel) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(data source reference, target) of each query of `panel`; a target without its own
    data source uses the panel's."""
    for target in panel.get("targets", []):
        datasource = target.get("datasource") or panel.get("datasource")
        if not isinstance(datasource, dict):
            raise DashboardError(
                f"panel {panel.get('title')!r} target {target.get('refId')!r}: "
                "expected a data source reference {'type': ..., 'uid': ...}"
            )
        yield datasource, target


def variable_names(text: str) -> set[str]:
    """Names of the template variables referenced in `text` (macros excluded)."""
    return {next(name for name in match.groups() if name) for match in _VARIABLE.finditer(text)}


def substitute_variables(text: str, values: Mapping[str, str]) -> str:
    """`text` with every variable reference replaced by its value in `values`.

    `${name:format}` is replaced by the plain value (every variable here is single-valued).
    Raises DashboardError on a variable `values` does not hold.
    """

    def value(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        if name not in values:
            raise DashboardError(f"no value for variable ${name} in {text!r}")
        return values[name]

    return _VARIABLE.sub(value, text)


def prometheus_queries(
    dashboard: Dashboard,
    variables: Mapping[str, str] | None = None,
    *,
    interval: str = "1m",
    rate_interval: str = "5m",
    range_: str = "1h",
) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every Prometheus target, variables substituted.

    `interval`, `rate_interval` and `range_` stand for Grafana's `$__interval`,
    `$__rate_interval` and `$__range` (Prometheus durations). Another built-in raises.
    """
    values = {
        "__interval": interval,
        "__rate_interval": rate_interval,
        "__range": range_,
        **(variables or {}),
    }
    queries = []
    for panel in iter_panels(dashboard):
        for datasource, target in panel_targets(panel):
            if datasource.get("type") in PROMETHEUS_TYPES and target.get("expr"):
                queries.append((str(panel["title"]), substitute_variables(target["expr"], values)))
    return queries


def sql_queries(
    dashboard: Dashboard, variables: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """(title, SQL) of every PostgreSQL target and query variable ("variable NAME").

    Dashboard variables are substituted as Grafana does for a single value: its single
    quotes doubled, no quotes added (the query has them). Grafana's `$__` built-ins and
    macros are left for `expand_sql_macros`, which knows the time range.
    """
    escaped = {name: value.replace("'", "''") for name, value in (variables or {}).items()}
    values = {name: f"${name}" for name in BUILTIN_VARIABLES} | escaped
    queries = []
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query" and _is_postgres(variable.get("datasource")):
            query = variable.get("query")
            raw = query.get("rawSql") if isinstance(query, dict) else query
            if not isinstance(raw, str) or not raw.strip():
                raise DashboardError(f"variable {variable.get('name')!r}: no SQL query")
            queries.append((f"variable {variable['name']}", substitute_variables(raw, values)))
    for panel in iter_panels(dashboard):
        for datasource, target in panel_targets(panel):
            if _is_postgres(datasource) and target.get("rawSql"):
                queries.append(
                    (str(panel["title"]), substitute_variables(target["rawSql"], values))
                )
    return queries


def _is_postgres(datasource: object) -> bool:
    return isinstance(datasource, dict) and datasource.get("type") in POSTGRES_TYPES


def expand_sql_macros(
    sql: str, time_from: datetime, time_to: datetime, interval_seconds: int
) -> str:
    """`sql` as Grafana's PostgreSQL data source sends it for that time range.

    `$__interval` / `$__interval_ms` become `interval_seconds` (as the front end would
    substitute them), then the macros expand: `$__timeFilter(expr)` -> `expr BETWEEN
    'from' AND 'to'` (RFC 3339 UTC literals), `$__timeFrom()`, `$__timeTo()`,
    `$__timeGroup(expr, interval)` -> `floor(extract(epoch from expr)/N)*N` and
    `$__timeGroupAlias(expr, interval)` -> the same `AS "time"`. Any other macro, or a `$__`
    left over, raises DashboardError. Both datetimes must be timezone-aware.
    """
    if time_from.tzinfo is None or time_to.tzinfo is None:
        raise DashboardError("time_from and time_to must be timezone-aware")
    sql = re.sub(r"\$__interval_ms\b", str(interval_seconds * 1000), sql)
    sql = re.sub(r"\$__interval\b", f"{interval_seconds}s", sql)
    start, end = _rfc3339(time_from), _rfc3339(time_to)

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        args = [arg.strip() for arg in match.group(2).split(",")]
        if name == "__timeGroup" and sql[match.end() : match.end() + 1] == ",":
            name = "__timeGroupAlias"  # Grafana's pre-5.3 compatibility rule
        if name == "__timeFilter":
            return f"{_one_argument(name, args)} BETWEEN '{start}' AND '{end}'"
        if name == "__timeFrom":
            return f"'{start}'"
        if name == "__timeTo":
            return f"'{end}'"
        if name in ("__timeGroup", "__timeGroupAlias"):
            if len(args) != 2:
                raise DashboardError(f"${name} takes (expression, interval), got {args}")
            seconds = _go_float(_interval_seconds(args[1]))
            grouped = f"floor(extract(epoch from {args[0]})/{seconds})*{seconds}"
            return grouped + ' AS "time"' if name == "__timeGroupAlias" else grouped
        raise DashboardError(f"unknown or unsupported macro ${name} in {sql!r}")

    expanded = _MACRO.sub(expand, sql)
    if "$__" in expanded:
        raise DashboardError(f"unexpanded Grafana built-in left in {expanded!r}")
    return expanded


def _one_argument(name: str, args: list[str]) -> str:
    if len(args) != 1 or not args[0]:
        raise DashboardError(f"${name} takes one expression, got {args}")
    return args[0]


def _rfc3339(moment: datetime) -> str:
    """Go's time.RFC3339Nano in UTC: `2024-05-01T00:00:00Z`, fraction without trailing 0s."""
    utc = moment.astimezone(UTC)
    fraction = f".{utc.microsecond:06d}".rstrip("0") if utc.microsecond else ""
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def _interval_seconds(text: str) -> float:
    """Seconds of a Grafana interval such as `'1d'`, `5m` or `86400s` (quotes allowed)."""
    match = _DURATION.fullmatch(text.strip("'"))
    if match is None:
        raise DashboardError(f"expected an interval like '1d' or '5m', got {text!r}")
    return float(match.group(1)) * _DURATION_SECONDS[match.group(2)]


def _go_float(value: float) -> str:
    """A float as Go's `%v` prints it: the shortest digits, in exponent form (`2.592e+06`)
    when the decimal exponent is below -4 or from 6 on."""
    number = Decimal(repr(value)).normalize()
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite: intervals are parsed from digits
    power = len(digits) + exponent - 1
    if -4 <= power < 6:
        return format(number, "f")
    mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}e{power:+03d}"
