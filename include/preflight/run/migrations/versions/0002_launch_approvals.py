"""Launch approvals: a named person's time-boxed waiver of an at-risk verdict (or a rejection).

Revision ID: 0002
Revises: 0001

Created only where it does not exist yet, so a store that already has the table (made by
hand, or by a branch that was merged twice) migrates without an error.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

TABLE = "preflight_launch_approvals"


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table(TABLE):
        return
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("use_case", sa.String(250), nullable=False),
        # The audit run whose verdict was approved; no foreign key, so that pruning old runs
        # never deletes who approved what.
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),  # approved | rejected
        sa.Column("approver_id", sa.String(250), nullable=False),
        sa.Column("approver_name", sa.String(250), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("origin", sa.String(1000)),
    )
    op.create_index("ix_preflight_launch_approvals_use_case", TABLE, ["use_case", "run_id", "decided_at"])


def downgrade() -> None:
    op.drop_index("ix_preflight_launch_approvals_use_case", table_name=TABLE)
    op.drop_table(TABLE)
