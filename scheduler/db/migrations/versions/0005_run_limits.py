"""Limits kept by the database. Runs: one active run per term, numbered seats per school
and for the service, each unique among the active runs (`scheduler.services.run_caps`).
Login attempts: numbered seats per account and per address, unique, so simultaneous
attempts are counted atomically (`scheduler.services.login_throttle`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 19:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
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
    # Attempts are kept for minutes; those of before the upgrade are dropped rather than
    # numbered (a lock in force ends early, once).
    op.execute("DELETE FROM login_attempt")
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_seat", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("address_seat", sa.Integer(), nullable=False))
        batch_op.create_unique_constraint(
            batch_op.f("uq_login_attempt_account_account_seat"), ["account", "account_seat"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_login_attempt_address_address_seat"), ["address", "address_seat"]
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_login_attempt_address_address_seat"), type_="unique"
        )
        batch_op.drop_constraint(
            batch_op.f("uq_login_attempt_account_account_seat"), type_="unique"
        )
        batch_op.drop_column("address_seat")
        batch_op.drop_column("account_seat")
    for name in INDEXES:
        op.drop_index(name, table_name="solve_run")
    with op.batch_alter_table("solve_run", schema=None) as batch_op:
        batch_op.drop_column("service_seat")
        batch_op.drop_column("school_seat")
        batch_op.drop_column("school_id")
