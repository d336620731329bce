"""Published views: each person's schedule JSON and calendar feed, built at publish.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 19:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "published_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("owner_kind", sa.String(), nullable=False),
        sa.Column("owner_ref", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("etag", sa.String(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.Column("disclosures", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
            name=op.f("fk_published_view_school_id_school"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_view")),
        sa.UniqueConstraint(
            "school_id",
            "owner_kind",
            "owner_ref",
            "kind",
            name=op.f("uq_published_view_school_id_owner_kind_owner_ref_kind"),
        ),
    )
    with op.batch_alter_table("published_view", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_published_view_school_id"), ["school_id"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("published_view", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_published_view_school_id"))
    op.drop_table("published_view")
