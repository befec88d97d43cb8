"""Reading the shipped deployment files the way their tools do, for the tests.

Compose files are YAML with `${VAR}` interpolation; env files are `VAR=VALUE` lines; a
Dockerfile is a list of instructions with `\\` continuations; a .dockerignore is a list of
Go-style patterns; systemd units are INI files whose ExecStart is a command line.
"""

from __future__ import annotations

import configparser
import fnmatch
import json
import re
import shlex
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import BaseModel

from config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
SYSTEMD = DEPLOY / "systemd"
COMPOSE_ENV_EXAMPLE = DEPLOY / "compose.env.example"
REMITWATCH_ENV_EXAMPLE = DEPLOY / "remitwatch.env.example"
SYSTEMD_ENV_EXAMPLE = SYSTEMD / "remitwatch.env.example"
REMITWATCH_IMAGE = "remitwatch:local"
REMITWATCH_BINARY = "/opt/remitwatch/.venv/bin/remitwatch"

#: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}.
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?])?(?P<arg>[^}]*)\}")
_ASSIGNMENT = re.compile(r"^(?P<commented>#\s*)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")


def compose_variables(text: str) -> dict[str, str | None]:
    """Every `${NAME...}` of a compose file: name -> its default (None when it has none)."""
    found: dict[str, str | None] = {}
    for match in _VARIABLE.finditer(text):
        default = match["arg"] if match["op"] in (":-", "-") else None
        found.setdefault(match["name"], default)
    return found


def interpolate(value: Any, variables: dict[str, str]) -> Any:
    """`value` (a compose tree) with `${NAME...}` replaced as Compose does."""
    if isinstance(value, dict):
        return {key: interpolate(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, variables) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"] or "", match["arg"]
        current = variables.get(name)
        if op.endswith("?") and not current:
            raise AssertionError(f"compose would stop: ${{{name}}} is unset ({arg})")
        if op.endswith("-") and not current:
            return str(arg)
        return current or ""

    return _VARIABLE.sub(replace, value)


def load_compose() -> dict[str, Any]:
    """deploy/compose.yaml as Compose sees it, each variable of the env example set to
    `sample-<name>`."""
    names = {name for name, _ in env_file_assignments(COMPOSE_ENV_EXAMPLE, commented=False)}
    tree = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(tree, dict)
    return dict(interpolate(tree, {name: f"sample-{name.lower()}" for name in names}))


def remitwatch_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run the remitwatch image, by name."""
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("image") == REMITWATCH_IMAGE
    }


def api_services(compose: dict[str, Any]) -> list[str]:
    """The names of the API replicas (`remitwatch api`)."""
    return [
        name for name, svc in remitwatch_services(compose).items() if svc["command"][0] == "api"
    ]


def env_file_assignments(path: Path, *, commented: bool) -> list[tuple[str, str]]:
    """The `NAME=VALUE` lines of an env file, in order; `commented` adds `# NAME=VALUE`."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ASSIGNMENT.match(line.strip())
        if match and (commented or not match["commented"]):
            pairs.append((match["name"], match["value"]))
    return pairs


def settings_key(env_name: str) -> tuple[str, ...] | None:
    """The Settings field path that REMITWATCH_<SECTION>__<KEY> sets, or None if there is none."""
    prefix = "REMITWATCH_"
    if not env_name.startswith(prefix):
        return None
    parts = tuple(part.lower() for part in env_name.removeprefix(prefix).split("__"))
    model: type[BaseModel] = Settings
    for section in parts[:-1]:
        field = model.model_fields.get(section)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return parts if parts[-1] in model.model_fields else None


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def exec_form(arguments: str) -> list[str]:
    """The JSON array of an exec-form instruction (CMD, ENTRYPOINT, HEALTHCHECK CMD)."""
    parsed = json.loads(arguments)
    assert isinstance(parsed, list) and all(isinstance(part, str) for part in parsed)
    return parsed


def dockerignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def is_ignored(relative: str, patterns: list[str]) -> bool:
    """Whether Docker leaves `relative` (or a folder above it) out of the build context.

    The last matching pattern decides (a `!` pattern includes again); a pattern that
    matches a folder excludes everything under it. fnmatch lets `*` cross `/`, which makes
    this a little broader than Docker's own matching.
    """
    path = PurePosixPath(relative)
    candidates = [str(path)] + [str(parent) for parent in path.parents if str(parent) != "."]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern.removeprefix("!").strip("/")
        globs = {glob, glob.removeprefix("**/")}
        if any(fnmatch.fnmatchcase(candidate, g) for candidate in candidates for g in globs):
            ignored = not negated
    return ignored


def systemd_unit(path: Path) -> configparser.ConfigParser:
    """A unit file as INI: keys keep their case; repeated keys keep the last value."""
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser


def exec_start_argv(unit: configparser.ConfigParser, instance: str = "8001") -> list[str]:
    """ExecStart as argv, `%i` (a template's instance) replaced by `instance`."""
    return shlex.split(unit["Service"]["ExecStart"].replace("%i", instance))
