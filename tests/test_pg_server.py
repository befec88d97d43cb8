"""The throw-away PostgreSQL server of tests/pg_server.py really works."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.pg_server import PostgresServer, fresh_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def second_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """Another database made exactly as ``postgres_url`` makes its own."""
    with fresh_database(postgres_server) as url:
        yield url


def _scalar(url: str, query: str) -> object:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(query)).scalar_one()
    finally:
        engine.dispose()


def test_numeric_round_trip_is_exact_and_server_is_local(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text("CREATE TABLE remittance (id integer PRIMARY KEY, amount NUMERIC(20, 2))")
            )
            conn.execute(
                sa.text("INSERT INTO remittance (id, amount) VALUES (1, :amount)"),
                {"amount": Decimal("123456789012345678.91")},
            )
        with engine.connect() as conn:
            amount = conn.execute(
                sa.text("SELECT amount FROM remittance WHERE id = 1")
            ).scalar_one()
            listen = conn.execute(sa.text("SHOW listen_addresses")).scalar_one()
            encoding = conn.execute(sa.text("SHOW server_encoding")).scalar_one()
    finally:
        engine.dispose()

    assert isinstance(amount, Decimal)
    assert str(amount) == "123456789012345678.91"
    assert listen == "127.0.0.1"
    assert encoding == "UTF8"


def test_two_postgres_urls_are_distinct_databases(
    postgres_server: PostgresServer, postgres_url: str, second_postgres_url: str
) -> None:
    prefix = f"postgresql+psycopg://postgres@127.0.0.1:{postgres_server.port}/"
    assert postgres_url.startswith(prefix)
    assert second_postgres_url.startswith(prefix)
    assert postgres_url != second_postgres_url

    first_name = _scalar(postgres_url, "SELECT current_database()")
    second_name = _scalar(second_postgres_url, "SELECT current_database()")
    assert first_name != second_name
    assert postgres_url == postgres_server.url(str(first_name))

    engine = sa.create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE only_in_first (x integer)"))
    finally:
        engine.dispose()
    assert _scalar(postgres_url, "SELECT to_regclass('only_in_first') IS NOT NULL") is True
    assert _scalar(second_postgres_url, "SELECT to_regclass('only_in_first') IS NOT NULL") is False
