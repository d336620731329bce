"""Migration 0003 moves data: students' attributes leave the stored scenario documents for
`student_attribute`, `student.site_needs` gets the site-visible need codes, and going
back down puts the attributes back where they were."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from service_support import tiny_document
from sqlalchemy import Engine, text

from scheduler.db.migrate import downgrade, upgrade


def test_attributes_move_out_and_back(engine: Engine) -> None:
    downgrade(engine, "0002")
    document = tiny_document(id="migrated")
    document["students"][2]["needs"] = ["accessible", "Asthma, carries inhaler"]
    term_id = _old_term(engine, document)

    upgrade(engine, "0003")
    with engine.connect() as connection:
        stored = json.loads(_document_text(connection, term_id))
        attributes = connection.execute(
            text(
                "SELECT s.ref, a.name, a.value FROM student_attribute a "
                "JOIN student s ON s.id = a.student_id WHERE a.term_id = :t"
            ),
            {"t": term_id},
        ).all()
        needs = dict(
            connection.execute(
                text("SELECT ref, site_needs FROM student WHERE term_id = :t"), {"t": term_id}
            ).all()
        )
    assert all("attributes" not in s for s in stored["students"])
    moved = {(ref, name, _json(value)) for ref, name, value in attributes}
    assert moved == {
        (s["id"], name, value)
        for s in document["students"]
        for name, value in s["attributes"].items()
    }
    assert _json(needs["T03"]) == ["accessible"] and _json(needs["T11"]) == ["accessible"]
    assert _json(needs["T01"]) == []

    downgrade(engine, "0002")
    with engine.connect() as connection:
        restored = json.loads(_document_text(connection, term_id))
    assert [s.get("attributes") for s in restored["students"]] == [
        s["attributes"] for s in document["students"]
    ]
    upgrade(engine)


def _old_term(engine: Engine, document: dict[str, object]) -> int:
    """A school, a term and its students as the schema at 0002 stored them."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        school = connection.execute(
            text("INSERT INTO school (name) VALUES ('Migrated school') RETURNING id")
        ).scalar_one()
        term = connection.execute(
            text(
                'INSERT INTO term (school_id, code, name, start, "end", timezone, '
                "scenario_json, created_at) VALUES (:school, 'migrated', 'Migrated', "
                "'2027-01-11', '2027-05-07', 'America/New_York', :doc, :now) RETURNING id"
            ),
            {"school": school, "doc": json.dumps(document), "now": now},
        ).scalar_one()
        for student in document["students"]:  # type: ignore[attr-defined]
            connection.execute(
                text(
                    "INSERT INTO student (term_id, ref, name, email, profession, travel_mode) "
                    "VALUES (:term, :ref, :name, '', :profession, 'car')"
                ),
                {
                    "term": term,
                    "ref": student["id"],
                    "name": student["name"],
                    "profession": student["profession"],
                },
            )
    return int(term)


def _document_text(connection: object, term_id: int) -> str:
    query = text("SELECT scenario_json FROM term WHERE id = :t")
    return str(connection.execute(query, {"t": term_id}).scalar_one())  # type: ignore[attr-defined]


def _json(value: object) -> object:
    """JSON columns read back as text on some drivers, as values on others."""
    return json.loads(value) if isinstance(value, str) else value
