"""server-side browser sessions; one email address per account; shared rate-limit counters

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:00:00

Existing cookies name no session row, so every browser signs in again after this upgrade. Where
two accounts hold the same address (finding F1), the one that confirmed it first keeps it; the
others lose it (an audit event says so) and can confirm another address.
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "browser_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("touched_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("user_agent", sa.String(length=160), nullable=False),
        sa.ForeignKeyConstraint(["credential_id"], ["credentials.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("browser_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_browser_sessions_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_browser_sessions_credential_id"), ["credential_id"], unique=False)

    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("rate_counters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_counters_expires_at"), ["expires_at"], unique=False)

    with op.batch_alter_table("device_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requester", sa.String(length=160), server_default="", nullable=False))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_canonical", sa.String(length=254), nullable=True))

    users = sa.table("users", sa.column("id", sa.Integer), sa.column("email", sa.String),
                     sa.column("email_verified_at", sa.DateTime), sa.column("email_canonical", sa.String))
    events = sa.table("audit_events", sa.column("at", sa.DateTime), sa.column("user_id", sa.Integer),
                      sa.column("actor", sa.String), sa.column("event", sa.String),
                      sa.column("security", sa.Boolean), sa.column("details", sa.JSON))
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.email, users.c.email_verified_at)
                              .where(users.c.email.is_not(None))
                              .order_by(users.c.email_verified_at, users.c.id)).all()
    owners: set[str] = set()
    for row in rows:
        canonical = row.email.strip().lower()
        if canonical in owners:
            connection.execute(users.update().where(users.c.id == row.id)
                               .values(email=None, email_verified_at=None))
            connection.execute(events.insert().values(
                at=sa.func.current_timestamp(), user_id=row.id, actor="migration", event="email.removed",
                security=True, details={"email": row.email, "reason": "another account confirmed it first"}))
            continue
        owners.add(canonical)
        connection.execute(users.update().where(users.c.id == row.id).values(email_canonical=canonical))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_users_email_canonical", ["email_canonical"])


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_email_canonical", type_="unique")
        batch_op.drop_column("email_canonical")
    with op.batch_alter_table("rate_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_counters_expires_at"))
    op.drop_table("rate_counters")
    with op.batch_alter_table("device_codes", schema=None) as batch_op:
        batch_op.drop_column("requester")
    with op.batch_alter_table("browser_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_browser_sessions_credential_id"))
        batch_op.drop_index(batch_op.f("ix_browser_sessions_user_id"))
    op.drop_table("browser_sessions")
