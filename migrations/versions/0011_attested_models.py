"""attested models: what a key's attestation proved (its model in the FIDO metadata, hardware-bound)

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attested_model", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("hardware_attested", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("hardware_attested")
        batch_op.drop_column("attested_model")
