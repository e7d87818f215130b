"""Initial results store: runs, dataset audits, checks, verdicts.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "preflight_runs",
        sa.Column("run_id", sa.String(250), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("trigger", sa.String(50), nullable=False),  # cli | airflow
        sa.Column("config_dir", sa.String(1000)),
        sa.Column("platform_fixes", sa.JSON),
    )
    op.create_table(
        "preflight_dataset_audits",
        sa.Column("run_id", sa.String(250), sa.ForeignKey("preflight_runs.run_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("dataset", sa.String(250), primary_key=True),
        sa.Column("source", sa.String(250), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("row_count", sa.BigInteger),
        sa.Column("scores", sa.JSON, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),  # the whole DatasetAudit
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_preflight_dataset_audits_dataset", "preflight_dataset_audits", ["dataset", "finished_at"])
    op.create_table(
        "preflight_checks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(250), sa.ForeignKey("preflight_runs.run_id", ondelete="CASCADE"), nullable=False),
        sa.Column("subject_type", sa.String(20), nullable=False),  # dataset | use_case
        sa.Column("subject", sa.String(250), nullable=False),
        sa.Column("check_id", sa.String(500), nullable=False),
        sa.Column("dimension", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("waived", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("dataset", sa.String(250)),
        sa.Column("message", sa.Text, nullable=False),
    )
    op.create_index("ix_preflight_checks_run", "preflight_checks", ["run_id", "subject_type", "subject"])
    op.create_table(
        "preflight_verdicts",
        sa.Column("run_id", sa.String(250), sa.ForeignKey("preflight_runs.run_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("use_case", sa.String(250), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("readiness_level", sa.String(10), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),  # the whole Verdict
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_preflight_verdicts_use_case", "preflight_verdicts", ["use_case", "decided_at"])
