"""The compose stack and the image: deploy/compose.yaml, its Prometheus configuration,
deploy/docker/Dockerfile and .dockerignore.

There is no Docker here: the files are read the way Compose and Docker read them, and what
they run is checked against the real thing: remitwatch's own command line, promtool, and a
live `remitwatch api` for the health checks.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.stack_files import (
    COMPOSE_ENV_EXAMPLE,
    COMPOSE_FILE,
    DEPLOY,
    DOCKERFILE,
    REMITWATCH_BINARY,
    ROOT,
    SYSTEMD,
    api_services,
    compose_variables,
    dockerfile_instructions,
    dockerignore_patterns,
    env_file_assignments,
    exec_form,
    exec_start_argv,
    is_ignored,
    load_compose,
    remitwatch_services,
    systemd_unit,
)
from tests.monitoring_servers import free_port

REMITWATCH = str(Path(sys.executable).parent / "remitwatch")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


def test_compose_has_the_stack_and_no_version_key(compose: dict[str, Any]) -> None:
    assert "version" not in compose  # the Compose specification has none
    assert set(compose["services"]) >= {
        "postgres",
        "remitwatch-migrate",
        "remitwatch-scheduler",
        "prometheus",
        "alertmanager",
        "grafana",
    }
    assert len(api_services(compose)) >= 2
    scheduler = compose["services"]["remitwatch-scheduler"]
    assert scheduler["command"] == ["scheduler"]
    assert scheduler.get("deploy", {}).get("replicas", 1) == 1


def test_every_variable_compose_needs_is_in_the_env_example() -> None:
    required = {
        name
        for name, default in compose_variables(COMPOSE_FILE.read_text(encoding="utf-8")).items()
        if default is None
    }
    example = {name for name, _ in env_file_assignments(COMPOSE_ENV_EXAMPLE, commented=False)}
    assert required == example
    # The real files hold secrets: git keeps them out.
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {"deploy/compose.env", "deploy/remitwatch.env"} <= set(ignored)


def test_migrations_run_once_before_the_remitwatch_processes(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    migrate = services["remitwatch-migrate"]
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name, service in remitwatch_services(compose).items():
        if name != "remitwatch-migrate":
            assert service["depends_on"] == {
                "remitwatch-migrate": {"condition": "service_completed_successfully"}
            }, name


def test_every_bind_mount_exists_and_every_volume_is_declared(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (DEPLOY / source).resolve().exists(), f"{name}: {source} is not in the repo"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
        env_files = service.get("env_file", [])
        for env_file in [env_files] if isinstance(env_files, str) else env_files:
            assert (DEPLOY / f"{env_file}.example").is_file(), f"{name}: no {env_file}.example"


def test_every_published_port_is_bound_to_loopback(compose: dict[str, Any]) -> None:
    published = 0
    for name, service in compose["services"].items():
        assert service.get("network_mode") != "host", name
        for port in service.get("ports", []):
            host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]
            assert host_ip == "127.0.0.1", f"{name}: {port} is not bound to 127.0.0.1"
            published += 1
    assert published >= 5  # two API replicas, Prometheus, Alertmanager, Grafana


def _command_lines(compose: dict[str, Any]) -> dict[str, list[str]]:
    """Every remitwatch command line the shipped files run, by where it is written."""
    lines = {
        f"compose {name}": list(service["command"])
        for name, service in remitwatch_services(compose).items()
    }
    instructions = dict(dockerfile_instructions(DOCKERFILE))
    entrypoint, cmd = exec_form(instructions["ENTRYPOINT"]), exec_form(instructions["CMD"])
    assert entrypoint == ["remitwatch"]
    lines["Dockerfile CMD"] = cmd
    for unit_path in sorted(SYSTEMD.glob("*.service")):
        argv = exec_start_argv(systemd_unit(unit_path))
        assert argv[0] == REMITWATCH_BINARY, unit_path.name
        lines[unit_path.name] = argv[1:]
    return lines


#: Runs remitwatch's entry point (what the `remitwatch` console script calls) once per
#: command line, all in one process: a process per command line takes seconds each.
_HELP_SCRIPT = """
import contextlib, io, json, sys
from service.cli.main import main
results = []
for argv in json.load(sys.stdin):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*argv, "--help"])
    results.append([code, out.getvalue(), err.getvalue()])
json.dump(results, sys.__stdout__)
"""


def _help(command_lines: list[list[str]]) -> list[tuple[int, str, str]]:
    """(exit code, stdout, stderr) of `remitwatch ARGV... --help` for each command line.

    --help is handled after every option has been parsed, before the command runs.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("REMITWATCH_")}
    result = subprocess.run(
        [sys.executable, "-c", _HELP_SCRIPT],
        input=json.dumps(command_lines),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [(code, out, err) for code, out, err in json.loads(result.stdout)]


def test_every_command_the_files_run_is_a_remitwatch_command(compose: dict[str, Any]) -> None:
    lines = _command_lines(compose)
    assert lines["Dockerfile CMD"] == ["serve", "--host", "0.0.0.0"]
    # Misspelt commands and options, to show that the check can fail.
    wrong = [["apii"], ["api", "--hots", "0.0.0.0"], ["db", "upgrad"]]
    results = _help([*lines.values(), *wrong])
    for (where, argv), (code, out, err) in zip(lines.items(), results, strict=False):
        assert code == 0, f"{where}: remitwatch {argv}: {err}"
        path = " ".join(itertools.takewhile(lambda word: not word.startswith("-"), argv))
        assert out.startswith(f"Usage: remitwatch {path} "), where
    assert [code for code, _, _ in results[len(lines) :]] == [2, 2, 2]


def test_the_dockerfile_builds_a_small_non_root_image() -> None:
    instructions = dockerfile_instructions(DOCKERFILE)
    stages = [i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    assert len(stages) == 2
    args = dict(a.split("=", 1) for keyword, a in instructions if keyword == "ARG" and "=" in a)
    assert args["PYTHON_IMAGE"] == "python:3.11-slim"
    build, runtime = instructions[: stages[1]], instructions[stages[1] :]
    assert any("-c requirements.lock ." in a for keyword, a in build if keyword == "RUN")
    # The final stage copies the virtualenv, so no build tool is left; the only packages it
    # installs are what PDF reports need at run time, and apt's lists are dropped.
    runs = [a for keyword, a in runtime if keyword == "RUN"]
    assert not any("pip " in a for a in runs)
    installs = [a for a in runs if "apt-get install" in a]
    assert len(installs) == 1 and "rm -rf /var/lib/apt/lists/*" in installs[0]
    packages = installs[0].split("--no-install-recommends", 1)[1].split("&&", 1)[0].split()
    assert packages == ["chromium", "fonts-dejavu-core"]
    copies = [a for keyword, a in runtime if keyword == "COPY"]
    assert copies == ["--from=build /opt/remitwatch/.venv /opt/remitwatch/.venv"]
    user = [a for keyword, a in runtime if keyword == "USER"]
    assert user == ["remitwatch"]
    assert ("EXPOSE", "8000") in runtime
    copied = [a.split()[:-1] for keyword, a in build if keyword == "COPY"]
    sources = [source for parts in copied for source in parts if not source.startswith("--")]
    assert {"pyproject.toml", "requirements.lock", "README.md", "service"} <= set(sources)
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not is_ignored(source, dockerignore_patterns()), f".dockerignore drops {source}"


def test_dockerignore_keeps_local_state_and_secrets_out() -> None:
    patterns = dockerignore_patterns()
    for path in (".git/HEAD", ".venv/bin/python", "var/remitwatch.db", "bench/out/fit.json"):
        assert is_ignored(path, patterns), path
    for path in (".pytest_cache/v", ".mypy_cache/x", ".ruff_cache/x", ".hypothesis/x"):
        assert is_ignored(path, patterns), path
    for path in ("deploy/compose.env", "deploy/remitwatch.env", "service/__pycache__/a.pyc"):
        assert is_ignored(path, patterns), path
    assert not is_ignored("service/cli/main.py", patterns)


def _healthcheck_commands(compose: dict[str, Any], port: int) -> dict[str, list[str]]:
    health = dict(dockerfile_instructions(DOCKERFILE))["HEALTHCHECK"]
    image_check = exec_form(health[health.index("CMD ") + 4 :])
    commands = {"Dockerfile": image_check}
    for name in api_services(compose):
        test = compose["services"][name]["healthcheck"]["test"]
        assert test[0] == "CMD"
        commands[name] = [part.replace(":8000/", f":{port}/") for part in test[1:]]
    return commands


def _run_check(argv: list[str], port: int) -> int:
    argv = [sys.executable if argv[0] == "python" else argv[0], *argv[1:]]
    env = {**os.environ, "REMITWATCH_API__PORT": str(port)}
    return subprocess.run(argv, env=env, capture_output=True, timeout=30, check=False).returncode


def _wait_until_live(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, f"remitwatch api stopped:\n{log.read_text()}"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"remitwatch api did not answer /healthz in 30 s:\n{log.read_text()}")


def test_the_health_checks_pass_on_a_live_api_and_fail_without_one(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    port = free_port()
    checks = _healthcheck_commands(compose, port)
    assert all(any("/healthz" in part for part in argv) for argv in checks.values())
    assert all(_run_check(argv, port) != 0 for argv in checks.values())  # nothing listens yet
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REMITWATCH_")},
        "REMITWATCH_PATHS__DATA_DIR": str(tmp_path),
    }
    log = tmp_path / "api.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [REMITWATCH, "api", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_live(server, port, log)
        for where, argv in checks.items():
            assert _run_check(argv, port) == 0, where
    finally:
        server.terminate()
        server.wait(timeout=30)
