"""Access records: disclosures to partners, directory opt-outs, demographic attributes
kept apart, and the needs a site may see.

Data: every term's students' `attributes` move out of the stored scenario document into
`student_attribute`, and `student.site_needs` is filled from the document's `needs` (only
the codes a site may see). Downgrade puts the attributes back into the documents.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:00:00.000000

"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of what this migration reads and writes (never the app's models, which
# move on): the rule `scheduler.domain.privacy.SITE_NEEDS` as it was at this revision.
SITE_NEEDS = ("accessible",)
TERM = sa.table("term", sa.column("id", sa.Integer), sa.column("scenario_json", sa.Text))
STUDENT = sa.table(
    "student",
    sa.column("id", sa.Integer),
    sa.column("term_id", sa.Integer),
    sa.column("ref", sa.String),
    sa.column("site_needs", sa.JSON),
)
ATTRIBUTE = sa.table(
    "student_attribute",
    sa.column("term_id", sa.Integer),
    sa.column("student_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("value", sa.JSON),
)


def upgrade() -> None:
    """Upgrade schema, then move attributes and site needs out of the documents."""
    _create_tables()
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("site_needs", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.alter_column("site_needs", server_default=None)
    connection = op.get_bind()
    for term_id, text in connection.execute(sa.select(TERM.c.id, TERM.c.scenario_json)).all():
        _move_out(connection, term_id, text)


def _create_tables() -> None:
    op.create_table(
        "directory_opt_out",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("student_ref", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
            name=op.f("fk_directory_opt_out_school_id_school"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_opt_out")),
        sa.UniqueConstraint(
            "school_id", "student_ref", name=op.f("uq_directory_opt_out_school_id_student_ref")
        ),
    )
    with op.batch_alter_table("directory_opt_out", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_directory_opt_out_school_id"), ["school_id"], unique=False
        )

    op.create_table(
        "disclosure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("student_ref", sa.String(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=True),
        sa.Column("term_name", sa.String(), nullable=False),
        sa.Column("recipient_kind", sa.String(), nullable=False),
        sa.Column("recipient_user_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("token_name", sa.String(), nullable=False),
        sa.Column("site_ref", sa.String(), nullable=False),
        sa.Column("site_name", sa.String(), nullable=False),
        sa.Column("resource", sa.String(), nullable=False),
        sa.Column("export", sa.Boolean(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("basis_code", sa.String(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=True),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
            name=op.f("fk_disclosure_school_id_school"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure")),
    )
    with op.batch_alter_table("disclosure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disclosure_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_disclosure_school_id"), ["school_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_disclosure_student_ref"), ["student_ref"], unique=False
        )

    op.create_table(
        "student_attribute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_student_attribute_student_id_student"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"],
            ["term.id"],
            name=op.f("fk_student_attribute_term_id_term"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student_attribute")),
        sa.UniqueConstraint(
            "student_id", "name", name=op.f("uq_student_attribute_student_id_name")
        ),
    )
    with op.batch_alter_table("student_attribute", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_student_attribute_student_id"), ["student_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_student_attribute_term_id"), ["term_id"], unique=False)


def _move_out(connection: sa.Connection, term_id: int, text: str) -> None:
    """One term: attribute rows and site needs from its document, then the document
    without attributes."""
    document = json.loads(text)
    students = document.get("students", [])
    ids = dict(
        connection.execute(
            sa.select(STUDENT.c.ref, STUDENT.c.id).where(STUDENT.c.term_id == term_id)
        ).all()
    )
    rows = [
        {"term_id": term_id, "student_id": ids[s["id"]], "name": name, "value": value}
        for s in students
        if s["id"] in ids
        for name, value in s.get("attributes", {}).items()
    ]
    if rows:
        connection.execute(ATTRIBUTE.insert(), rows)
    for student in students:
        needs = {str(n).strip().lower() for n in student.get("needs", [])}
        shared = [code for code in SITE_NEEDS if code in needs]
        if shared and student["id"] in ids:
            connection.execute(
                STUDENT.update().where(STUDENT.c.id == ids[student["id"]]).values(site_needs=shared)
            )
        student.pop("attributes", None)
    _save(connection, term_id, document)


def _save(connection: sa.Connection, term_id: int, document: dict[str, Any]) -> None:
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    connection.execute(TERM.update().where(TERM.c.id == term_id).values(scenario_json=text))


def downgrade() -> None:
    """Put the attributes back into the documents, then drop what upgrade added."""
    connection = op.get_bind()
    for term_id, text in connection.execute(sa.select(TERM.c.id, TERM.c.scenario_json)).all():
        _move_back(connection, term_id, text)
    with op.batch_alter_table("student_attribute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_student_attribute_term_id"))
        batch_op.drop_index(batch_op.f("ix_student_attribute_student_id"))
    op.drop_table("student_attribute")
    with op.batch_alter_table("disclosure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_student_ref"))
        batch_op.drop_index(batch_op.f("ix_disclosure_school_id"))
        batch_op.drop_index(batch_op.f("ix_disclosure_key"))
    op.drop_table("disclosure")
    with op.batch_alter_table("directory_opt_out", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_opt_out_school_id"))
    op.drop_table("directory_opt_out")
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.drop_column("site_needs")


def _move_back(connection: sa.Connection, term_id: int, text: str) -> None:
    query = (
        sa.select(STUDENT.c.ref, ATTRIBUTE.c.name, ATTRIBUTE.c.value)
        .join(STUDENT, STUDENT.c.id == ATTRIBUTE.c.student_id)
        .where(ATTRIBUTE.c.term_id == term_id)
    )
    attributes: dict[str, dict[str, Any]] = {}
    for ref, name, value in connection.execute(query).all():
        attributes.setdefault(ref, {})[name] = value
    if not attributes:
        return
    document = json.loads(text)
    for student in document.get("students", []):
        if student["id"] in attributes:
            student["attributes"] = attributes[student["id"]]
    _save(connection, term_id, document)
