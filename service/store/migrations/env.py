"""Alembic environment: the engine is handed over by `service.store.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from service.store.schema import metadata

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through `remitwatch db upgrade`")

with engine.begin() as connection:
    # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
