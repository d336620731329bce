"""Solve runs keep their progress over time (objective value and bound per level, for the
run page's charts) and, for a what-if search run, its result (the verified suggestions).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 22:10:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("solve_run") as batch:
        batch.add_column(sa.Column("progress_series", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("result", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("solve_run") as batch:
        batch.drop_column("result")
        batch.drop_column("progress_series")
