"""Sites may have a street address (an optional contract field), shown on pages, feeds and
messages.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 20:10:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("site") as batch:
        batch.add_column(sa.Column("address", sa.String(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("site") as batch:
        batch.drop_column("address")
