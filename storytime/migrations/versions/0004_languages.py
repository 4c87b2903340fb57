"""languages: prompt and recap translations, bilingual storytimes; replaced check-in ids

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 14:50:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LIVE_CODE_WHERE = sa.text("state != 'closed'")
# jsonb on PostgreSQL (comparable), JSON text elsewhere: as models/base.py JSONDocument.
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    # Plain ADD COLUMN: a batch would rebuild storytime on SQLite and lose AUTOINCREMENT.
    op.add_column(
        "prompt", sa.Column("translations", JSON_DOCUMENT, server_default="{}", nullable=False)
    )
    op.add_column(
        "check_in",
        sa.Column("replaced_client_ids", JSON_DOCUMENT, server_default="[]", nullable=False),
    )
    op.add_column(
        "storytime",
        sa.Column("recap_note_translations", JSON_DOCUMENT, server_default="{}", nullable=False),
    )
    op.add_column(
        "storytime",
        sa.Column(
            "second_language", sa.String(length=10), server_default=sa.text("''"), nullable=False
        ),
    )


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(
        "storytime",
        recreate="always" if sqlite else "auto",
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch_op:
        batch_op.drop_column("second_language")
        batch_op.drop_column("recap_note_translations")
        if sqlite:
            # Reflection does not carry the partial index's WHERE; state it again.
            batch_op.drop_index("uq_storytime_live_code")
            batch_op.create_index(
                "uq_storytime_live_code",
                ["code"],
                unique=True,
                sqlite_where=LIVE_CODE_WHERE,
                postgresql_where=LIVE_CODE_WHERE,
            )
    with op.batch_alter_table("prompt", schema=None) as batch_op:
        batch_op.drop_column("translations")
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_column("replaced_client_ids")
