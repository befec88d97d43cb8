"""transfer tables: vintages keyed by (transfer key, vintage); WITHOUT ROWID on SQLite

The id of transfer_vintages was never read, and its index and sequence cost about a
tenth of a bulk load on PostgreSQL: the unique (key, vintage) constraint becomes the
primary key. On SQLite both transfer tables are rebuilt WITHOUT ROWID, so each is one
b-tree ordered by its key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_KEY = ["report_date", "bank_code", "system", "country", "direction", "currency", "vintage"]


_WITHOUT_ROWID = {"sqlite_with_rowid": False}
_WITH_ROWID = {"sqlite_with_rowid": True}


def upgrade() -> None:
    with op.batch_alter_table(
        "transfer_vintages", recreate="auto", table_kwargs=_WITHOUT_ROWID
    ) as batch_op:
        batch_op.drop_constraint("pk_transfer_vintages", type_="primary")
        batch_op.drop_constraint("uq_transfer_vintages_key", type_="unique")
        batch_op.drop_column("id")
        batch_op.create_primary_key("pk_transfer_vintages", _KEY)
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "transfers_current", recreate="always", table_kwargs=_WITHOUT_ROWID
        ):
            pass


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("transfers_current", recreate="always", table_kwargs=_WITH_ROWID):
            pass
    # New ids number the rows in no particular order: the old ones are gone.
    with op.batch_alter_table(
        "transfer_vintages", recreate="auto", table_kwargs=_WITH_ROWID
    ) as batch_op:
        batch_op.drop_constraint("pk_transfer_vintages", type_="primary")
        batch_op.create_unique_constraint("uq_transfer_vintages_key", _KEY)
        batch_op.add_column(sa.Column("id", sa.Integer(), sa.Identity(), nullable=False))
        batch_op.create_primary_key("pk_transfer_vintages", ["id"])
