"""deploy/postgres/initdb/grafana-reader.sh: Grafana's role reads the store and writes nothing.

The script runs with psql against the real PostgreSQL server, as the postgres image runs
it: before remitwatch's migrations create the tables, as another role (the owner).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from service.store import Store
from tests.deploy.stack_files import DEPLOY
from tests.pg_server import PostgresServer, fresh_database

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

SCRIPT = DEPLOY / "postgres" / "initdb" / "grafana-reader.sh"


@pytest.fixture
def roles(postgres_server: PostgresServer) -> Iterator[tuple[str, str]]:
    """A store owner role and a name for Grafana's role; both dropped afterwards."""
    suffix = uuid.uuid4().hex[:8]
    owner, reader = f"owner_{suffix}", f"grafana_{suffix}"
    with postgres_server.admin_connect() as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(owner)))
    yield owner, reader
    with postgres_server.admin_connect() as admin:
        for role in (reader, owner):
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _run_script(server: PostgresServer, dbname: str, owner: str, reader: str) -> None:
    assert shutil.which("psql"), "psql is missing: apt-get install postgresql-client"
    env = {
        **os.environ,
        "PGHOST": server.host,
        "PGPORT": str(server.port),
        "PGUSER": "postgres",
        "POSTGRES_USER": owner,
        "POSTGRES_DB": dbname,
        "GRAFANA_DB_USER": reader,
        "GRAFANA_DB_PASSWORD": "not-checked-by-the-test-server",
    }
    done = subprocess.run(
        ["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_grafana_reads_every_table_made_later_and_writes_nothing(
    postgres_server: PostgresServer, roles: tuple[str, str]
) -> None:
    owner, reader = roles
    with fresh_database(postgres_server) as admin_url:
        dbname = admin_url.rsplit("/", 1)[1]
        with postgres_server.admin_connect() as admin:
            statement = sql.SQL("ALTER DATABASE {} OWNER TO {}")
            admin.execute(statement.format(sql.Identifier(dbname), sql.Identifier(owner)))
        _run_script(postgres_server, dbname, owner, reader)
        # The migrations run afterwards, as the owner (remitwatch in the compose stack).
        store = Store.open(admin_url.replace("://postgres@", f"://{owner}@"))
        store.upgrade()
        store.close()

        conninfo = psycopg.conninfo.make_conninfo(
            host=postgres_server.host, port=postgres_server.port, user=reader, dbname=dbname
        )
        with psycopg.connect(conninfo, autocommit=True) as grafana:
            for relation in ("series_current", "job_runs", "shock_events", "forecast_points"):
                grafana.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(relation)))
            timeout = grafana.execute("SHOW statement_timeout").fetchone()
            assert timeout == ("30s",)
            # An explicit id: no sequence, whose privileges would refuse the write anyway.
            insert = (
                "INSERT INTO job_runs (id, job, started_at, status, rows) "
                "VALUES (-1, 'x', now(), 'ok', 0)"
            )
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                grafana.execute(insert)
            # Read-only is only the default; the privileges refuse the write as well.
            grafana.execute("SET default_transaction_read_only = off")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                grafana.execute(insert)
