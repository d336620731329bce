"""Run caps kept by the database: one active run per term, numbered seats per school and
for the service, each unique among the active runs (`scheduler.services.run_caps`).

Revision ID: 0005_h21
Revises: 0004
Create Date: 2026-12-07 19:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005_h21"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("status IN ('queued', 'running', 'cancelling')")
INDEXES = {
    "uq_solve_run_active_term": ["term_id"],
    "uq_solve_run_school_seat": ["school_id", "school_seat"],
    "uq_solve_run_service_seat": ["service_seat"],
}


def upgrade() -> None:
    """Upgrade schema.

    Two active runs of one term, left by the race this closes, would stop the index being
    built: all but the newest are failed first, saying why."""
    op.execute(
        "UPDATE solve_run SET status = 'failed', "
        "error = 'closed by the upgrade: another run of this term was active' "
        "WHERE status IN ('queued', 'running', 'cancelling') AND id < "
        "(SELECT max(newer.id) FROM solve_run AS newer WHERE newer.term_id = solve_run.term_id "
        "AND newer.status IN ('queued', 'running', 'cancelling'))"
    )
    with op.batch_alter_table("solve_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("school_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("school_seat", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("service_seat", sa.Integer(), nullable=True))
    for name, columns in INDEXES.items():
        op.create_index(
            name, "solve_run", columns, unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE
        )


def downgrade() -> None:
    """Downgrade schema."""
    for name in INDEXES:
        op.drop_index(name, table_name="solve_run")
    with op.batch_alter_table("solve_run", schema=None) as batch_op:
        batch_op.drop_column("service_seat")
        batch_op.drop_column("school_seat")
        batch_op.drop_column("school_id")
