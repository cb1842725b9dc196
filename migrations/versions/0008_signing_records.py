"""signing records: one per token minted for the signing client, kept for the identity monitor

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "signing_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=512), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("grant", sa.String(length=32), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("jti_sha256", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["credential_id"], ["credentials.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("jti_sha256"),
    )
    with op.batch_alter_table("signing_records") as batch_op:
        batch_op.create_index("ix_signing_records_subject", ["subject"])
        batch_op.create_index("ix_signing_records_user_id", ["user_id"])
        batch_op.create_index("ix_signing_records_issued_at", ["issued_at"])


def downgrade():
    op.drop_table("signing_records")
