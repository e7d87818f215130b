"""The scope of a targeted run (the datasets, or the use case, it re-audited).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

TABLE = "preflight_runs"


def upgrade() -> None:
    if "scope" in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(TABLE)}:
        return
    with op.batch_alter_table(TABLE) as batch:  # SQLite rebuilds the table; others alter it
        batch.add_column(sa.Column("scope", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_column("scope")
