"""People and term set-up: invitations in the outbox (no term, no version), preference
windows and rankings, seat requests to partners, edits made after publication.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 19:20:40.515604

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "preference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("student_ref", sa.String(), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=False),
        sa.Column("unavailable_sessions", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["term_id"], ["term.id"], name=op.f("fk_preference_term_id_term"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preference")),
        sa.UniqueConstraint(
            "term_id", "student_ref", name=op.f("uq_preference_term_id_student_ref")
        ),
    )
    with op.batch_alter_table("preference", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_preference_term_id"), ["term_id"], unique=False)

    op.create_table(
        "preference_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("professions", sa.JSON(), nullable=False),
        sa.Column("ranks", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["term_id"],
            ["term.id"],
            name=op.f("fk_preference_window_term_id_term"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preference_window")),
        sa.UniqueConstraint("term_id", name=op.f("uq_preference_window_term_id")),
    )
    op.create_table(
        "slot_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("site_ref", sa.String(), nullable=False),
        sa.Column("profession", sa.String(), nullable=False),
        sa.Column("period_ref", sa.String(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("offered_seats", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("slot_ref", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"],
            ["app_user.id"],
            name=op.f("fk_slot_request_answered_by_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app_user.id"],
            name=op.f("fk_slot_request_created_by_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"], ["term.id"], name=op.f("fk_slot_request_term_id_term"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slot_request")),
    )
    with op.batch_alter_table("slot_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slot_request_site_ref"), ["site_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_slot_request_term_id"), ["term_id"], unique=False)

    op.create_table(
        "term_edit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["app_user.id"],
            name=op.f("fk_term_edit_actor_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"], ["term.id"], name=op.f("fk_term_edit_term_id_term"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_edit")),
    )
    with op.batch_alter_table("term_edit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_term_edit_term_id"), ["term_id"], unique=False)

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("term_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("version_id", existing_type=sa.INTEGER(), nullable=True)


def downgrade() -> None:
    """Downgrade schema."""
    # Invitations have no term or version: they cannot stay once both columns are required.
    op.execute("DELETE FROM outbox_message WHERE term_id IS NULL OR version_id IS NULL")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("version_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column("term_id", existing_type=sa.INTEGER(), nullable=False)

    with op.batch_alter_table("term_edit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_term_edit_term_id"))

    op.drop_table("term_edit")
    with op.batch_alter_table("slot_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slot_request_term_id"))
        batch_op.drop_index(batch_op.f("ix_slot_request_site_ref"))

    op.drop_table("slot_request")
    op.drop_table("preference_window")
    with op.batch_alter_table("preference", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_preference_term_id"))

    op.drop_table("preference")
