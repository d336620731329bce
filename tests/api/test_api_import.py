"""Imports are all-or-nothing: every malformed payload (JSON or CSV) is a 422 listing each
problem with its path, and not one row of any table changes. Good payloads round-trip.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import (
    World,
    add_blank_term,
    row_counts,
    scenario_of,
    tiny_document,
)
from sqlalchemy import Engine
from sqlmodel import col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import AuditRow
from scheduler.domain.scenario import Scenario

Document = dict[str, Any]


@pytest.fixture(scope="module")
def blank_term(engine: Engine, world: World) -> int:
    """A term of school A without schedules, so CSV files may replace its lists."""
    return add_blank_term(engine, world, "csv-target")


def mutate(change: Callable[[Document], Any]) -> bytes:
    document = tiny_document(id=f"import-{uuid.uuid4().hex[:8]}")
    change(document)
    return json.dumps(document).encode()


def _session0(document: Document) -> Document:
    session: Document = document["activities"][0]["sessions"][0]
    return session


JSON_CASES: list[tuple[str, bytes, list[str]]] = [
    ("bad syntax", b'{"format": "ipe-scenario/1", "term": ', ["$"]),
    ("empty body", b"", ["$"]),
    ("not an object", b'["ipe-scenario/1"]', ["$"]),
    ("not utf-8", b'{"format": "\xff\xfe"}', ["$"]),
    ("wrong format", mutate(lambda d: d.update(format="ipe-scenario/9")), ["format"]),
    ("wrong type", mutate(lambda d: d["slots"][0].update(capacity="lots")), ["slots[0].capacity"]),
    ("missing field", mutate(lambda d: d["term"].pop("timezone")), ["term.timezone"]),
    (
        "unknown field",
        mutate(lambda d: d["students"][1].update(nickname="B")),
        ["students[1].nickname"],
    ),
    (
        "dangling profession",
        mutate(lambda d: d["students"][2].update(profession="XX")),
        ["students[2].profession"],
    ),
    ("dangling site", mutate(lambda d: d["slots"][1].update(site="NOPE")), ["slots[1].site"]),
    ("duplicate id", mutate(lambda d: d["students"][1].update(id="T01")), ["students[1].id"]),
    (
        "end before start",
        mutate(lambda d: _session0(d).update(end="2027-02-04T12:00")),
        ["activities[0].sessions[0].end"],
    ),
    (
        "negative capacity",
        mutate(lambda d: d["slots"][0].update(capacity=-1)),
        ["slots[0].capacity"],
    ),
    (
        "unknown timezone",
        mutate(lambda d: d["term"].update(timezone="Mars/Base")),
        ["term.timezone"],
    ),
    (
        "offset in date-time",
        mutate(lambda d: _session0(d).update(start="2027-02-04T13:00+01:00")),
        ["activities[0].sessions[0].start"],
    ),
    (
        "wrong weekday",
        mutate(lambda d: d["periods"][0]["weekly"][0].update(day="funday")),
        ["periods[0].weekly[0].day"],
    ),
    (
        "two problems at once",
        mutate(
            lambda d: (d["slots"][1].update(site="NOPE"), d["students"][2].update(profession="XX"))
        ),
        ["slots[1].site", "students[2].profession"],
    ),
]


def assert_invalid(response: Any, paths: list[str]) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid"
    found = [detail["path"] for detail in error["details"]]
    for path in paths:
        assert path in found, (path, found)
    assert all(detail["message"] for detail in error["details"])


@pytest.mark.parametrize(("body", "paths"), [pytest.param(b, p, id=n) for n, b, p in JSON_CASES])
def test_malformed_json_is_refused_whole(
    client: TestClient, engine: Engine, world: World, body: bytes, paths: list[str]
) -> None:
    before = row_counts(engine)
    response = client.post(
        "/terms",
        content=body,
        headers={**world.header("coord_a"), "Content-Type": "application/json"},
    )
    assert_invalid(response, paths)
    assert row_counts(engine) == before


# ---- CSV -------------------------------------------------------------------------------


def _rows(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def students_csv(document: Document) -> bytes:
    header = ["id", "name", "email", "profession", "cohort", "travel_mode", "home_lat"]
    header += ["home_lon", "languages", "needs", "site_preferences", "unavailable"]
    header += ["weekly_unavailable", "attr:first_generation", "attr:rural_origin"]
    rows = []
    for s in document["students"]:
        rows.append(
            [s["id"], s["name"], s.get("email", ""), s["profession"], s.get("cohort", "")]
            + [s.get("travel_mode", ""), s.get("home", {}).get("lat", "")]
            + [s.get("home", {}).get("lon", ""), ";".join(s.get("languages", []))]
            + [";".join(s.get("needs", [])), ";".join(s.get("site_preferences", []))]
            + [";".join(f"{u['start']}/{u['end']}" for u in s.get("unavailable", []))]
            + [
                ";".join(
                    f"{w['day']} {w['start']}-{w['end']}" for w in s.get("weekly_unavailable", [])
                )
            ]
            + [str(s["attributes"][k]).lower() for k in ("first_generation", "rural_origin")]
        )
    return _rows(header, rows)


def sites_csv(document: Document) -> bytes:
    header = ["id", "name", "lat", "lon", "transit_accessible", "accessible", "tags", "languages"]
    header.append("address")
    rows = [
        [s["id"], s["name"], s["location"]["lat"], s["location"]["lon"]]
        + [str(s["transit_accessible"]).lower(), str(s["accessible"]).lower()]
        + [";".join(s["tags"]), ";".join(s["languages"]), s.get("address", "")]
        for s in document["sites"]
    ]
    return _rows(header, rows)


def slots_csv(document: Document) -> bytes:
    header = ["id", "site", "period", "profession", "capacity", "language", "status"]
    rows = [
        [s["id"], s["site"], s["period"], s["profession"], s["capacity"]]
        + [s.get("language", ""), s.get("status", "")]
        for s in document["slots"]
    ]
    return _rows(header, rows)


def sessions_csv(document: Document) -> bytes:
    header = ["activity", "id", "start", "end", "room", "max_teams"]
    rows = [
        [a["id"], s["id"], s["start"], s["end"], s["room"], s["max_teams"]]
        for a in document["activities"]
        for s in a["sessions"]
    ]
    return _rows(header, rows)


def _with(name: str, change: Callable[[Document], Any]) -> dict[str, bytes]:
    document = copy.deepcopy(tiny_document())
    change(document)
    writers = {"students": students_csv, "sites": sites_csv, "slots": slots_csv}
    writers["sessions"] = sessions_csv
    return {name: writers[name](document)}


SLOTS = tiny_document()["slots"]

CSV_CASES: list[tuple[str, dict[str, bytes], list[str]]] = [
    ("unknown file", {"rooms": b"id,name\nR1,Hall\n"}, ["rooms.csv"]),
    ("empty file", {"students": b""}, ["students.csv"]),
    ("not utf-8", {"students": b"id,name,profession\nT01,\xff\xfe,NURS\n"}, ["students.csv"]),
    (
        "missing column",
        {"slots": b"id,site,period,profession\nS,SITE-A,P1,NURS\n"},
        ["slots.csv:1"],
    ),
    ("unknown column", {"sites": b"id,name,lat,lon,colour\nX,X,1,2,red\n"}, ["sites.csv:1:colour"]),
    (
        "too many cells",
        {
            "slots": _rows(
                ["id", "site", "period", "profession", "capacity"],
                [["S1", "SITE-A", "P1", "NURS", 1, "extra"]],
            )
        },
        ["slots.csv:2"],
    ),
    (
        "bad number",
        _with("slots", lambda d: d["slots"][0].update(capacity="many")),
        ["slots.csv:2:capacity"],
    ),
    (
        "negative capacity",
        _with("slots", lambda d: d["slots"][2].update(capacity=-3)),
        ["slots.csv:4:capacity"],
    ),
    (
        "dangling site",
        _with("slots", lambda d: d["slots"][1].update(site="NOPE")),
        ["slots.csv:3:site"],
    ),
    (
        "duplicate id",
        _with("slots", lambda d: d["slots"][1].update(id="SL-A1")),
        ["slots.csv:3:id"],
    ),
    (
        "unknown activity",
        {
            "sessions": _rows(
                ["activity", "id", "start", "end", "room", "max_teams"],
                [["NOPE", "S1", "2027-02-04T13:00", "2027-02-04T15:00", "R1", 1]],
            )
        },
        ["sessions.csv:2:activity"],
    ),
    (
        "end before start",
        _with(
            "sessions", lambda d: d["activities"][0]["sessions"][1].update(end="2027-02-11T12:00")
        ),
        ["sessions.csv:3:end"],
    ),
    (
        "unknown profession",
        _with("students", lambda d: d["students"][2].update(profession="XX")),
        ["students.csv:4:profession"],
    ),
    (
        "bad interval",
        _with(
            "students", lambda d: d["students"][0].update(unavailable=[{"start": "x", "end": "y"}])
        ),
        ["students.csv:2:unavailable[0].start"],
    ),
    (
        "bad weekly window",
        {"students": b"id,name,profession,weekly_unavailable\nT01,Ana,NURS,tuesday morning\n"},
        ["students.csv:2:weekly_unavailable"],
    ),
    (
        "bad latitude",
        _with("sites", lambda d: d["sites"][0]["location"].update(lat=123)),
        ["sites.csv:2:lat"],
    ),
    (
        "good students, bad slots",
        {
            **_with("students", lambda d: None),
            **_with("slots", lambda d: d["slots"][0].update(period="P9")),
        },
        ["slots.csv:2:period"],
    ),
    (
        "a removed site still preferred",
        _with("sites", lambda d: d["sites"].pop(1)),
        ["students[0].site_preferences[0]"],
    ),
    ("no file at all", {}, ["$"]),
]


@pytest.mark.parametrize(("files", "paths"), [pytest.param(f, p, id=n) for n, f, p in CSV_CASES])
def test_malformed_csv_is_refused_whole(
    client: TestClient,
    engine: Engine,
    world: World,
    blank_term: int,
    files: dict[str, bytes],
    paths: list[str],
) -> None:
    before = row_counts(engine)
    upload = {name: (f"{name}.csv", data, "text/csv") for name, data in files.items()}
    response = client.post(
        f"/terms/{blank_term}/csv", files=upload or None, headers=world.header("coord_a")
    )
    assert_invalid(response, paths)
    assert row_counts(engine) == before


def test_csv_files_of_a_term_round_trip(client: TestClient, world: World, blank_term: int) -> None:
    """The four CSV files written from the tiny term import back to the same scenario."""
    document = tiny_document(id="csv-target")
    writers = {"students": students_csv, "sites": sites_csv, "slots": slots_csv}
    writers["sessions"] = sessions_csv
    upload = {n: (f"{n}.csv", w(document), "text/csv") for n, w in writers.items()}
    response = client.post(
        f"/terms/{blank_term}/csv", files=upload, headers=world.header("coord_a")
    )
    assert response.status_code == 200, response.text
    assert response.json()["students"] == len(document["students"])
    exported = client.get(f"/terms/{blank_term}/scenario", headers=world.header("coord_a"))
    assert Scenario.model_validate(exported.json()) == scenario_of(document)


def test_csv_can_change_one_list(client: TestClient, world: World, blank_term: int) -> None:
    files = _with("slots", lambda d: d["slots"].append(dict(SLOTS[0], id="SL-NEW", capacity=4)))
    upload = {n: (f"{n}.csv", data, "text/csv") for n, data in files.items()}
    response = client.post(
        f"/terms/{blank_term}/csv", files=upload, headers=world.header("coord_a")
    )
    assert response.status_code == 200, response.text
    assert response.json()["slots"] == len(SLOTS) + 1


def _calendar_files(document: Document, *, unit: str = "W1", units: str = "W1:Ward 1:peds") -> dict:
    sites = "id,name,lat,lon,units\n" + "".join(
        f"{s['id']},{s['name']},{s['location']['lat']},{s['location']['lon']},"
        + (units if s["id"] == "SITE-A" else "")
        + "\n"
        for s in document["sites"]
    )
    slots = "id,site,period,profession,capacity,unit,discipline,requires\n" + "".join(
        f"{s['id']},{s['site']},{s['period']},{s['profession']},{s['capacity']},"
        + (f"{unit},med,bls;iv" if s["id"] == "SL-A1" else ",,")
        + "\n"
        for s in document["slots"]
    )
    students = "id,name,profession,qualifications,score_weight\n" + "".join(
        f"{s['id']},{s['name']},{s['profession']},{'bls;iv' if s['id'] == 'T01' else ''},"
        + ("2" if s["id"] == "T01" else "")
        + "\n"
        for s in document["students"]
    )
    files = {"sites": sites, "slots": slots, "students": students}
    return {n: (f"{n}.csv", text.encode(), "text/csv") for n, text in files.items()}


def test_csv_carries_units_slot_plans_and_qualifications(
    client: TestClient, engine: Engine, world: World
) -> None:
    """sites.csv `units`, slots.csv `unit`, `discipline`, `requires`, students.csv
    `qualifications` and `score_weight` arrive in the scenario."""
    term = add_blank_term(engine, world, f"csv-cal-{uuid.uuid4().hex[:6]}")
    upload = _calendar_files(tiny_document())
    response = client.post(f"/terms/{term}/csv", files=upload, headers=world.header("coord_a"))
    assert response.status_code == 200, response.text
    exported = client.get(f"/terms/{term}/scenario", headers=world.header("coord_a")).json()
    scenario = Scenario.model_validate(exported)
    site_a = next(s for s in scenario.sites if s.id == "SITE-A")
    assert [(u.id, u.name, u.tags) for u in site_a.units] == [("W1", "Ward 1", ["peds"])]
    slot = next(s for s in scenario.slots if s.id == "SL-A1")
    assert (slot.unit, slot.discipline, slot.requires) == ("W1", "med", ["bls", "iv"])
    t01 = next(s for s in scenario.students if s.id == "T01")
    assert t01.qualifications == ["bls", "iv"] and t01.score_weight == 2


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"unit": "W9"}, "slots.csv:2:unit"),
        ({"units": "W1"}, "sites.csv:2:units"),
        ({"units": "W1:Ward 1::x"}, "sites.csv:2:units[0].min_fill"),
    ],
)
def test_csv_calendar_problems_name_the_cell(
    client: TestClient, engine: Engine, world: World, change: dict[str, str], path: str
) -> None:
    term = add_blank_term(engine, world, f"csv-cal-{uuid.uuid4().hex[:6]}")
    before = row_counts(engine)
    upload = _calendar_files(tiny_document(), **change)
    response = client.post(f"/terms/{term}/csv", files=upload, headers=world.header("coord_a"))
    assert_invalid(response, [path])
    assert row_counts(engine) == before


def test_csv_into_a_scheduled_term_is_a_conflict(
    client: TestClient, engine: Engine, world: World
) -> None:
    before = row_counts(engine)
    files = _with("slots", lambda d: None)
    upload = {n: (f"{n}.csv", data, "text/csv") for n, data in files.items()}
    response = client.post(
        f"/terms/{world.terms['a'].id}/csv", files=upload, headers=world.header("coord_a")
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "term_has_schedules"
    assert row_counts(engine) == before


def test_json_import_round_trips_exactly(client: TestClient, world: World) -> None:
    document = tiny_document(id="round-trip")
    response = client.post("/terms", json=document, headers=world.header("coord_a"))
    assert response.status_code == 201, response.text
    term = response.json()
    assert (term["code"], term["students"], term["slots"]) == ("round-trip", 12, 3)
    exported = client.get(f"/terms/{term['id']}/scenario", headers=world.header("coord_a"))
    assert Scenario.model_validate(exported.json()) == scenario_of(document)


def test_same_term_twice_is_a_conflict_and_writes_nothing(
    client: TestClient, engine: Engine, world: World
) -> None:
    document = tiny_document(id="twice")
    assert client.post("/terms", json=document, headers=world.header("coord_a")).status_code == 201
    before = row_counts(engine)
    response = client.post("/terms", json=document, headers=world.header("coord_a"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "term_exists"
    assert row_counts(engine) == before
    # Another school may use the same term id.
    assert client.post("/terms", json=document, headers=world.header("coord_b")).status_code == 201


def test_import_is_audited(client: TestClient, engine: Engine, world: World) -> None:
    response = client.post(
        "/terms", json=tiny_document(id="audited"), headers=world.header("coord_a")
    )
    term_id = response.json()["id"]
    with new_session(engine) as session:
        rows = session.exec(
            select(AuditRow).where(
                col(AuditRow.term_id) == term_id, col(AuditRow.action) == "term.import"
            )
        ).all()
    assert [row.actor_id for row in rows] == [world.users["coord_a"].id]
