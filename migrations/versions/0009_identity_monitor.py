"""identity monitor: cursors per log, certificates and signatures found, findings

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "monitor_cursors",
        sa.Column("log", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("frontier", sa.JSON(), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=False),
        sa.Column("checkpoint_size", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("log"),
    )
    op.create_table(
        "monitored_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("identity", sa.String(length=512), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("signing_record_id", sa.Integer(), nullable=True),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("logged_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("log_index"),
    )
    op.create_table(
        "monitored_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("log_index"),
    )
    op.create_table(
        "monitor_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("serial", sa.String(length=64), nullable=True),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("monitored_certificates") as batch_op:
        batch_op.create_index("ix_monitored_certificates_serial", ["serial"])
        batch_op.create_index("ix_monitored_certificates_user_id", ["user_id"])
        batch_op.create_index("ix_monitored_certificates_signing_record_id", ["signing_record_id"])
    with op.batch_alter_table("monitored_signatures") as batch_op:
        batch_op.create_index("ix_monitored_signatures_serial", ["serial"])
    with op.batch_alter_table("monitor_findings") as batch_op:
        batch_op.create_index("ix_monitor_findings_user_id", ["user_id"])
        batch_op.create_index("ix_monitor_findings_serial", ["serial"])


def downgrade():
    for table in ("monitor_findings", "monitored_signatures", "monitored_certificates", "monitor_cursors"):
        op.drop_table(table)
