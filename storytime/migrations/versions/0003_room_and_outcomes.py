"""room: display screens, pairing, playlist, auto-close, check-ins

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 14:05:00

"""

import sqlalchemy as sa
from alembic import op

import storytime.models.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LIVE_CODE_WHERE = sa.text("state != 'closed'")


def upgrade():
    op.create_table(
        "display_screen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("room", sa.String(length=60), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", storytime.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", storytime.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["branch.id"],
            name=op.f("fk_display_screen_branch_id_branch"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_display_screen")),
        sa.UniqueConstraint("branch_id", "room", name=op.f("uq_display_screen_branch_id")),
        sa.UniqueConstraint("token", name=op.f("uq_display_screen_token")),
    )
    op.create_table(
        "display_pairing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("screen_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storytime.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storytime.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["screen_id"],
            ["display_screen.id"],
            name=op.f("fk_display_pairing_screen_id_display_screen"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_display_pairing")),
        sa.UniqueConstraint("code", name=op.f("uq_display_pairing_code")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_display_pairing_secret_hash")),
    )
    op.create_table(
        "check_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("storytime_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("learned", sa.Integer(), nullable=True),
        sa.Column("confident", sa.Integer(), nullable=True),
        sa.Column("will_use", sa.Integer(), nullable=True),
        sa.Column("aware", sa.Integer(), nullable=True),
        sa.Column("tried", sa.Integer(), nullable=True),
        sa.Column("more_time", sa.Integer(), nullable=True),
        sa.Column("other_resources", sa.Integer(), nullable=True),
        sa.Column("understand", sa.Integer(), nullable=True),
        sa.Column("liked", sa.Text(), nullable=False),
        sa.Column("wish", sa.Text(), nullable=False),
        sa.Column("purged_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["storytime_id"],
            ["storytime.id"],
            name=op.f("fk_check_in_storytime_id_storytime"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_in")),
        sa.UniqueConstraint("storytime_id", "phone", name=op.f("uq_check_in_storytime_id")),
    )
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_in_phone"), ["phone"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_check_in_storytime_id"), ["storytime_id"], unique=False
        )

    op.create_table(
        "sung_song",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("storytime_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("sung_at", storytime.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["storytime_id"],
            ["storytime.id"],
            name=op.f("fk_sung_song_storytime_id_storytime"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sung_song")),
        sa.UniqueConstraint("storytime_id", "key", name=op.f("uq_sung_song_storytime_id")),
    )
    with op.batch_alter_table("sung_song", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sung_song_storytime_id"), ["storytime_id"], unique=False
        )

    # Plain ADD COLUMN: a batch would rebuild the table on SQLite and lose AUTOINCREMENT.
    op.add_column(
        "storytime",
        sa.Column("room", sa.String(length=60), server_default=sa.text("''"), nullable=False),
    )
    op.add_column(
        "storytime",
        sa.Column("duration_minutes", sa.Integer(), server_default="45", nullable=False),
    )
    op.add_column("storytime", sa.Column("auto_close_minutes", sa.Integer(), nullable=True))
    op.add_column(
        "storytime",
        sa.Column("playlist_on_screen", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "storytime",
        sa.Column(
            "checkins_asked_at", storytime.models.base.UTCDateTime(timezone=True), nullable=True
        ),
    )


def downgrade():
    # The rebuild keeps AUTOINCREMENT and restates the partial index reflection drops.
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(
        "storytime",
        recreate="always" if sqlite else "auto",
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch_op:
        for column in (
            "checkins_asked_at",
            "playlist_on_screen",
            "auto_close_minutes",
            "duration_minutes",
            "room",
        ):
            batch_op.drop_column(column)
        if sqlite:
            batch_op.drop_index("uq_storytime_live_code")
            batch_op.create_index(
                "uq_storytime_live_code",
                ["code"],
                unique=True,
                sqlite_where=LIVE_CODE_WHERE,
                postgresql_where=LIVE_CODE_WHERE,
            )

    with op.batch_alter_table("sung_song", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sung_song_storytime_id"))

    op.drop_table("sung_song")
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_in_storytime_id"))
        batch_op.drop_index(batch_op.f("ix_check_in_phone"))

    op.drop_table("check_in")
    op.drop_table("display_pairing")
    op.drop_table("display_screen")
