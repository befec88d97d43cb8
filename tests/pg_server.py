"""Pytest plugin: a throw-away PostgreSQL server for the test suite.

Loaded from ``tests/conftest.py`` with ``pytest_plugins = ["tests.pg_server"]``.

Fixtures
--------
``postgres_server`` (session)
    Runs ``initdb`` into a temporary directory and starts the server with ``pg_ctl``,
    listening only on 127.0.0.1 and a free port (the Unix socket lives inside the data
    directory). PostgreSQL refuses to run as root, and CI runs as root: then the directory
    is owned by the ``postgres`` system user and every server command runs through
    ``runuser -u postgres --``. Durability is switched off (``fsync``,
    ``synchronous_commit``, ``full_page_writes``) because the data is thrown away.
    The server is stopped (``pg_ctl stop -m fast``) and the directory removed at the end
    of the session. Under pytest-xdist every worker starts its own server.

``postgres_url`` (function)
    A fresh, uniquely named database on that server; yields its SQLAlchemy URL
    (``postgresql+psycopg://postgres@127.0.0.1:PORT/NAME``) and drops it afterwards.

A missing PostgreSQL installation fails the tests (it never skips them): install it with
``apt-get install postgresql``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

__all__ = ["PostgresServer", "fresh_database", "postgres_server", "postgres_url"]

HOST = "127.0.0.1"
SUPERUSER = "postgres"
SYSTEM_USER = "postgres"
"""The system account that runs the server when the tests run as root."""

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
INITDB_TIMEOUT_S = 120.0
PORT_ATTEMPTS = 3
"""Start attempts with a new free port when another process grabbed the one we picked."""

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found in "
    "/usr/lib/postgresql/*/bin nor via `pg_config --bindir`. "
    "Install them with: apt-get install postgresql"
)

SERVER_SETTINGS: dict[str, str] = {
    "listen_addresses": HOST,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "timezone": "UTC",
}
"""Appended to postgresql.conf; ``port`` and ``unix_socket_directories`` are added per run."""


@dataclass(frozen=True)
class PostgresServer:
    """A running throw-away PostgreSQL server."""

    host: str
    port: int
    bindir: Path
    datadir: Path
    logfile: Path
    startup_seconds: float
    """Wall-clock time of initdb + start + first successful connection."""

    @property
    def admin_url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` maintenance database, as superuser."""
        return self.url("postgres")

    def url(self, dbname: str) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of database ``dbname`` on this server."""
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def stop(self) -> None:
        """Stop the server (fast shutdown), as an outage would; `start()` brings it back."""
        problem = _stop(_Runner(self.bindir, self.datadir.parent), self.datadir)
        if problem:
            raise RuntimeError(f"could not stop PostgreSQL: {problem}")

    def start(self) -> None:
        """Start the stopped server again on the same port and wait until it accepts."""
        runner = _Runner(self.bindir, self.datadir.parent)
        started, problem = _start(runner, self.datadir, self.logfile, self.port)
        if not started:
            raise RuntimeError(f"could not restart PostgreSQL: {problem}")
        _wait_until_accepting(self, deadline=time.monotonic() + START_TIMEOUT_S)

    def conninfo(self, dbname: str = "postgres") -> str:
        """libpq connection string (for ``psycopg.connect``) of database ``dbname``."""
        return psycopg.conninfo.make_conninfo(
            host=self.host, port=self.port, user=SUPERUSER, dbname=dbname, connect_timeout=10
        )

    def admin_connect(self) -> psycopg.Connection[tuple[object, ...]]:
        """An autocommit superuser connection to the ``postgres`` database."""
        return psycopg.connect(self.conninfo(), autocommit=True)

    def log_tail(self, max_chars: int = 4000) -> str:
        """The end of the server log (for failure messages)."""
        return _read_tail(self.logfile, max_chars)


# --------------------------------------------------------------------------- helpers


def _version_key(path: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin; versions are "15", "16", older ones "9.6".
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))


def find_bindir() -> Path | None:
    """The newest directory holding ``initdb`` and ``pg_ctl``, or None."""
    candidates = [
        p
        for p in Path("/usr/lib/postgresql").glob("*/bin")
        if (p / "initdb").is_file() and (p / "pg_ctl").is_file()
    ]
    if candidates:
        return max(candidates, key=_version_key)
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=True
            ).stdout.strip()
            bindir = Path(out)
            if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
                return bindir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _read_tail(path: Path, max_chars: int) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"<no server log at {path}: {exc}>"
    return text[-max_chars:] if len(text) > max_chars else text


def _child_env() -> dict[str, str]:
    """Our environment without libpq/server variables that would redirect the tools."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"  # stable, untranslated tool messages
    return env


class _Runner:
    """Runs the server binaries, through ``runuser`` when we are root."""

    def __init__(self, bindir: Path, workdir: Path) -> None:
        self.bindir = bindir
        self.workdir = workdir  # a directory the server user can enter
        self.as_root = os.geteuid() == 0

    def command(self, tool: str, *args: str) -> list[str]:
        argv = [str(self.bindir / tool), *args]
        if self.as_root:
            return ["runuser", "-u", SYSTEM_USER, "--", *argv]
        return argv

    def run(self, tool: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(tool, *args),
            cwd=self.workdir,
            env=_child_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _describe(proc: subprocess.CompletedProcess[str]) -> str:
    return (
        f"$ {' '.join(proc.args)}\nexit status {proc.returncode}\n"
        f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    )


def _server_user_can_use(directory: Path) -> bool:
    """Whether the server user can enter and write ``directory`` (all parents traversable)."""
    proc = subprocess.run(
        [
            "runuser",
            "-u",
            SYSTEM_USER,
            "--",
            "test",
            "-x",
            str(directory),
            "-a",
            "-w",
            str(directory),
        ],
        cwd="/",
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
        check=False,
    )
    return proc.returncode == 0


def _make_base_dir(prefix: str) -> Path:
    """A fresh temporary directory the server can own and use."""
    if os.geteuid() != 0:
        return Path(tempfile.mkdtemp(prefix=prefix))
    try:
        pw = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        pytest.fail(
            f"Running as root, but there is no {SYSTEM_USER!r} system user to run PostgreSQL "
            "as (PostgreSQL refuses to run as root). Install it with: apt-get install postgresql",
            pytrace=False,
        )
    tried: list[str] = []
    parents = dict.fromkeys([tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"])
    for parent in parents:
        if not os.path.isdir(parent):
            continue
        base = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        os.chown(base, pw.pw_uid, pw.pw_gid)
        if _server_user_can_use(base):
            return base
        tried.append(parent)
        shutil.rmtree(base, ignore_errors=True)
    pytest.fail(
        f"No temporary directory usable by the {SYSTEM_USER!r} user (tried {tried}); "
        "its parent directories must be traversable (o+x). Set TMPDIR to such a directory.",
        pytrace=False,
    )


def _pick_locale() -> str:
    """C.UTF-8 when the system has it (proper ctype for Cyrillic), else plain C."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            ["locale", "-a"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
        names = {line.strip().lower().replace("-", "") for line in out.splitlines()}
        if "c.utf8" in names:
            return "C.UTF-8"
    return "C"


def _initdb(runner: _Runner, datadir: Path) -> None:
    proc = runner.run(
        "initdb",
        "--pgdata", str(datadir),
        "--username", SUPERUSER,
        "--encoding", "UTF8",
        "--locale", _pick_locale(),
        "--auth-host", "trust",
        "--auth-local", "trust",
        "--no-sync",
        "--no-instructions",
        timeout=INITDB_TIMEOUT_S,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.fail(f"initdb failed:\n{_describe(proc)}", pytrace=False)


def _write_settings(datadir: Path) -> None:
    lines = [f"{key} = '{value}'" for key, value in SERVER_SETTINGS.items()]
    lines.append(f"unix_socket_directories = '{datadir}'")
    conf = datadir / "postgresql.conf"
    with conf.open("a", encoding="utf-8") as fh:  # appending keeps the file's owner
        fh.write("\n# --- tests/pg_server.py ---\n" + "\n".join(lines) + "\n")


def _start(runner: _Runner, datadir: Path, logfile: Path, port: int) -> tuple[bool, str]:
    """Start the server on ``port``; (started, diagnostics)."""
    proc = runner.run(
        "pg_ctl", "start",
        "--pgdata", str(datadir),
        "--log", str(logfile),
        "--wait", "--timeout", str(int(START_TIMEOUT_S)),
        "--options", f"-p {port}",
        timeout=START_TIMEOUT_S + 15,
    )  # fmt: skip
    if proc.returncode == 0:
        return True, ""
    return False, f"{_describe(proc)}\n--- server log ---\n{_read_tail(logfile, 4000)}"


def _stop(runner: _Runner, datadir: Path) -> str:
    """Stop the server if it runs; returns diagnostics when it could not be stopped."""
    problem = ""
    for mode in ("fast", "immediate"):
        try:
            proc = runner.run(
                "pg_ctl", "stop", "--pgdata", str(datadir), "--mode", mode, "--wait",
                "--timeout", str(int(STOP_TIMEOUT_S)),
                timeout=STOP_TIMEOUT_S + 15,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            problem = f"pg_ctl stop -m {mode} timed out: {exc}"
            continue
        if proc.returncode == 0 or not (datadir / "postmaster.pid").exists():
            return ""
        problem = _describe(proc)
    return problem


def _wait_until_accepting(server: PostgresServer, deadline: float) -> None:
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with server.admin_connect() as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as exc:
            last_error = exc
            time.sleep(0.1)
    pytest.fail(
        f"PostgreSQL on {server.host}:{server.port} did not accept connections within "
        f"{START_TIMEOUT_S:.0f}s: {last_error}\n--- server log ---\n{server.log_tail()}",
        pytrace=False,
    )


@contextlib.contextmanager
def running_server(bindir: Path) -> Iterator[PostgresServer]:
    """Create, start, yield, then stop and delete a temporary PostgreSQL server."""
    started_at = time.monotonic()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base = _make_base_dir(prefix=f"remitwatch-pg-{worker}-")
    datadir = base / "data"
    logfile = base / "server.log"
    runner = _Runner(bindir, workdir=base)
    try:
        _initdb(runner, datadir)
        _write_settings(datadir)
        failures: list[str] = []
        port = 0
        running = False
        for _ in range(PORT_ATTEMPTS):
            port = _free_port()
            running, problem = _start(runner, datadir, logfile, port)
            if running:
                break
            failures.append(f"port {port}:\n{problem}")
            # Only a lost race for the port is worth another try.
            if "could not bind" not in problem and "already in use" not in problem:
                break
        if not running:
            pytest.fail(
                "pg_ctl could not start PostgreSQL:\n" + "\n\n".join(failures), pytrace=False
            )
        server = PostgresServer(
            host=HOST,
            port=port,
            bindir=bindir,
            datadir=datadir,
            logfile=logfile,
            startup_seconds=0.0,
        )
        _wait_until_accepting(server, deadline=time.monotonic() + START_TIMEOUT_S)
        yield replace(server, startup_seconds=time.monotonic() - started_at)
    finally:
        # postmaster.pid exists while a server runs (also after a start that timed out).
        problem = _stop(runner, datadir) if (datadir / "postmaster.pid").exists() else ""
        if problem:
            # Keep the directory of a server that is still running: deleting it from
            # under the server would only hide the problem.
            raise RuntimeError(f"could not stop PostgreSQL in {datadir}:\n{problem}")
        shutil.rmtree(base, ignore_errors=True)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for this test session (one per xdist worker)."""
    bindir = find_bindir()
    if bindir is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    with running_server(bindir) as server:
        yield server


def _execute_admin(server: PostgresServer, statement: sql.Composed) -> None:
    with server.admin_connect() as conn:
        conn.execute(statement)


@contextlib.contextmanager
def fresh_database(server: PostgresServer) -> Iterator[str]:
    """Create a uniquely named empty database; yield its SQLAlchemy URL; drop it after."""
    dbname = f"test_{uuid.uuid4().hex}"
    ident = sql.Identifier(dbname)
    _execute_admin(server, sql.SQL("CREATE DATABASE {}").format(ident))
    try:
        yield server.url(dbname)
    finally:
        # FORCE ends sessions a test left open (e.g. an engine that was not disposed).
        _execute_admin(server, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty database, dropped after the test."""
    with fresh_database(postgres_server) as url:
        yield url
