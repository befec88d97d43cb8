"""series_current: the newest vintage of every observation, for dashboards

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 01:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: What Grafana's PostgreSQL panels read: one row per series and period, the value as
#: known now. The same SQL runs on SQLite and PostgreSQL.
SERIES_CURRENT = """
CREATE VIEW series_current AS
SELECT s.key AS series_key, s.kind, s.frequency, s.unit, o.period, o.value
FROM observations o
JOIN series s ON s.id = o.series_id
WHERE o.vintage_at = (
    SELECT max(newer.vintage_at)
    FROM observations newer
    WHERE newer.series_id = o.series_id AND newer.period = o.period
)
"""


def upgrade() -> None:
    op.execute(SERIES_CURRENT)


def downgrade() -> None:
    op.execute("DROP VIEW series_current")
