"""privacy: staff sessions, staff-hidden shares, recap names, songbook titles, ids never reused

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 11:40:00

"""
import sqlalchemy as sa
from alembic import op

import storytime.models.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# SQLite reuses the highest id after a delete unless a table says AUTOINCREMENT.
NEVER_REUSED = ("storytime", "share", "event")
LIVE_CODE_WHERE = sa.text("state != 'closed'")


def _recreate(autoincrement: bool) -> None:
    """Rebuild the tables whose ids must never be reused (SQLite only; a no-op elsewhere)."""
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL sequences never hand out an id twice.
    for table in NEVER_REUSED:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ) as batch_op:
            if table == "storytime":
                # Reflection does not carry the partial index's WHERE; state it again.
                batch_op.drop_index("uq_storytime_live_code")
                batch_op.create_index(
                    "uq_storytime_live_code",
                    ["code"],
                    unique=True,
                    sqlite_where=LIVE_CODE_WHERE,
                    postgresql_where=LIVE_CODE_WHERE,
                )


def upgrade():
    op.create_table(
        "staff_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("created_at", storytime.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", storytime.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", storytime.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_staff_session_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_session_token_hash")),
    )
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_session_user_id"), ["user_id"], unique=False)
    false = sa.false()
    with op.batch_alter_table("share", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hidden_by_staff", sa.Boolean(), nullable=False, server_default=false)
        )
    with op.batch_alter_table("storytime", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recap_show_names", sa.Boolean(), nullable=False, server_default=false)
        )
    with op.batch_alter_table("songbook_entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("title_from_staff", sa.Boolean(), nullable=False, server_default=false)
        )
    _recreate(autoincrement=True)


def downgrade():
    _recreate(autoincrement=False)
    with op.batch_alter_table("songbook_entry", schema=None) as batch_op:
        batch_op.drop_column("title_from_staff")
    with op.batch_alter_table("storytime", schema=None) as batch_op:
        batch_op.drop_column("recap_show_names")
    with op.batch_alter_table("share", schema=None) as batch_op:
        batch_op.drop_column("hidden_by_staff")
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_session_user_id"))
    op.drop_table("staff_session")
