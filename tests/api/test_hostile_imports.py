"""Hostile imports (tests/hostile/ and huge ones built here): each is refused with a 4xx
whose details name the field and the problem, and not one row of any table changes. The
JSON ones also make `ipe validate` exit 2 with the same path, without a traceback.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import (
    World,
    add_blank_term,
    row_counts,
    tiny_document,
)
from sqlalchemy import Engine
from typer.testing import CliRunner

from scheduler.cli import app as cli_app
from scheduler.services import csv_import
from scheduler.services.import_limits import ImportLimits

HOSTILE = Path(__file__).resolve().parent.parent / "hostile"
BASE = json.loads((HOSTILE.parent / "malformed" / "_base.json").read_text())

FORMULA = "spreadsheet programs run as a formula"
# file under tests/hostile -> (path the error must name, words its message must hold)
JSON_CASES: dict[str, tuple[str, str]] = {
    "formula_hyperlink_name.json": ("students[0].name", f"starts with '=', which {FORMULA}"),
    "formula_plus_cmd_id.json": ("students[1].id", f"starts with '+', which {FORMULA}"),
    "formula_at_sum_site_name.json": ("sites[0].name", f"starts with '@', which {FORMULA}"),
    "formula_minus_tag.json": ("sites[0].tags[0]", f"starts with '-', which {FORMULA}"),
    "formula_in_attribute.json": ("students[2].attributes.note", FORMULA),
    "formula_in_attribute_key.json": ("students[2].attributes.=cmd.[key]", FORMULA),
    "bom_then_formula.json": ("students[0].name", f"starts with '@', which {FORMULA}"),
    "duplicate_keys.json": ("students[1].id", f"starts with '=', which {FORMULA}"),
    "path_traversal_id.json": ("students[0].id", "may not contain '/'"),
    "backslash_id.json": ("periods[0].id", "may not contain '/' or '\\'"),
    "dot_dot_id.json": ("sites[0].id", "'..' is not a usable id"),
    "slash_in_term_id.json": ("term.id", "may not contain '/'"),
    "nul_escape_in_id.json": ("students[0].id", "control character U+0000"),
    "header_injection_name.json": ("students[1].name", "control character U+000D"),
    "ansi_escape_name.json": ("rooms[0].name", "control character U+001B"),
    "bidi_override_id.json": ("slots[0].id", "invisible formatting character U+202E"),
    "zero_width_id.json": ("students[3].id", "invisible formatting character U+200B"),
    "leading_space_id.json": ("students[3].id", "may not start or end with a space"),
    "very_long_id.json": ("students[0].id", "at most 100 characters"),
    "very_long_name.json": ("sites[0].name", "at most 500 characters"),
    "lone_surrogate_name.json": ("students[0].name", "unicode string"),
    "nan_latitude.json": ("$", "NaN is not a JSON number"),
    "infinity_capacity.json": ("$", "Infinity is not a JSON number"),
    "huge_exponent.json": ("$", "-1e400 is too large"),
    "huge_integer_capacity.json": ("slots[1].capacity", "less than or equal to 1000000"),
    "huge_seed.json": ("policy.seed", "less than or equal to 2147483647"),
    "float_capacity.json": ("slots[0].capacity", "valid integer"),
    "negative_count.json": ("placement_requirements[0].count", "greater than or equal to 0"),
    "students_as_object.json": ("students", "valid list"),
    "boolean_id.json": ("students[0].id", "valid string"),
    "null_term.json": ("term", "valid dictionary"),
    "duplicate_ids.json": ("students[1].id", "duplicate student id 'n1'"),
    "latin1_bytes.json": ("$", "not UTF-8 text: invalid continuation byte"),
    "invalid_utf8_sequence.json": ("$", "not UTF-8 text: invalid continuation byte"),
    "utf16_with_bom.json": ("$", "not UTF-8 text: invalid start byte at byte 0"),
    "utf16_without_bom.json": ("$", "NUL character at position 1"),
    "nul_byte.json": ("$", "NUL character"),
}

# NAME.LIST.csv under tests/hostile replaces LIST of an unscheduled copy of the tiny term.
CSV_CASES: dict[str, tuple[str, str]] = {
    "formula_name.students.csv": ("students.csv:2:name", f"starts with '=', which {FORMULA}"),
    "formula_id.slots.csv": ("slots.csv:2:id", f"starts with '@', which {FORMULA}"),
    "plus_cmd_name.sites.csv": ("sites.csv:2:name", f"starts with '+', which {FORMULA}"),
    "bom_then_formula.students.csv": ("students.csv:2:name", f"starts with '@', which {FORMULA}"),
    "latin1.students.csv": ("students.csv", "not UTF-8 text: invalid continuation byte"),
    "utf16_with_bom.students.csv": ("students.csv", "not UTF-8 text: invalid start byte"),
    "utf16_without_bom.students.csv": ("students.csv", "contains NUL characters"),
    "nul_byte.students.csv": ("students.csv", "contains NUL characters"),
    "unterminated_quote.students.csv": ("students.csv:3", "unexpected end of data"),
    "quote_inside_cell.students.csv": ("students.csv:2", "',' expected after '\"'"),
    "missing_column.slots.csv": ("slots.csv:1", "required column 'capacity' is missing"),
    "extra_cells.students.csv": ("students.csv:2", "5 cells but the header names 3 columns"),
    "unknown_column.sites.csv": ("sites.csv:1:colour", "unknown column 'colour'"),
    "duplicate_ids.students.csv": ("students.csv:3:id", "duplicate student id 'T01'"),
    "path_traversal_id.students.csv": ("students.csv:2:id", "may not contain '/'"),
    "control_character.students.csv": ("students.csv:2:name", "control character U+001B"),
    "nan_capacity.slots.csv": ("slots.csv:2:capacity", "valid integer"),
    "huge_capacity.slots.csv": ("slots.csv:2:capacity", "less than or equal to 1000000"),
    "infinity_latitude.sites.csv": ("sites.csv:2:lat", "finite number"),
    "very_long_id.slots.csv": ("slots.csv:2:id", "at most 100 characters"),
    "wrong_type.students.csv": ("students.csv:2:travel_mode", "'car' or 'transit'"),
}


@pytest.fixture(scope="module")
def blank_term(engine: Engine, world: World) -> int:
    """An unscheduled term of school A, so CSV files may replace its lists."""
    return add_blank_term(engine, world, "hostile-target")


def assert_refused(response: Any, path: str, words: str, status: int = 422) -> None:
    """The status, and a detail at `path` whose message holds `words`."""
    assert response.status_code == status, response.text
    details = response.json()["error"]["details"]
    messages = [d["message"] for d in details if d["path"] == path]
    assert any(words in message for message in messages), (path, words, details)


def post_json(client: TestClient, world: World, body: bytes) -> Any:
    headers = {**world.header("coord_a"), "Content-Type": "application/json"}
    return client.post("/terms", content=body, headers=headers)


def post_csv(client: TestClient, world: World, term_id: int, files: dict[str, bytes]) -> Any:
    upload = {name: (f"{name}.csv", data, "text/csv") for name, data in files.items()}
    return client.post(f"/terms/{term_id}/csv", files=upload, headers=world.header("coord_a"))


def test_every_corpus_file_has_a_case() -> None:
    on_disk = {p.name for p in HOSTILE.iterdir() if p.suffix in (".json", ".csv")}
    assert on_disk == set(JSON_CASES) | set(CSV_CASES)
    assert len(on_disk) + len(GENERATED) >= 30


@pytest.mark.parametrize(("name", "expected"), JSON_CASES.items(), ids=list(JSON_CASES))
def test_hostile_json_is_refused_and_changes_nothing(
    client: TestClient, engine: Engine, world: World, name: str, expected: tuple[str, str]
) -> None:
    before = row_counts(engine)
    response = post_json(client, world, (HOSTILE / name).read_bytes())
    assert_refused(response, *expected)
    assert row_counts(engine) == before


@pytest.mark.parametrize(("name", "expected"), CSV_CASES.items(), ids=list(CSV_CASES))
def test_hostile_csv_is_refused_and_changes_nothing(
    client: TestClient,
    engine: Engine,
    world: World,
    blank_term: int,
    name: str,
    expected: tuple[str, str],
) -> None:
    listed = name.split(".")[-2]
    before = row_counts(engine)
    response = post_csv(client, world, blank_term, {listed: (HOSTILE / name).read_bytes()})
    assert_refused(response, *expected)
    assert row_counts(engine) == before


@pytest.mark.parametrize(("name", "expected"), JSON_CASES.items(), ids=list(JSON_CASES))
def test_validate_reports_hostile_json(name: str, expected: tuple[str, str]) -> None:
    result = CliRunner().invoke(cli_app, ["validate", str(HOSTILE / name)])
    assert result.exit_code == 2, result.output
    path, words = expected
    assert f"  {path}  " in result.output
    assert words in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# ---- huge and repetitive documents, built at test time ----------------------------------


def _document(**changes: Any) -> dict[str, Any]:
    document = json.loads(json.dumps(BASE))
    document.update(changes)
    return document


def _students(count: int) -> list[dict[str, str]]:
    return [{"id": f"s{i}", "name": f"Student {i}", "profession": "NURS"} for i in range(count)]


def _many_sessions(count: int) -> dict[str, Any]:
    """`count` sessions in the first activity (the second keeps its one)."""
    document = _document()
    session = document["activities"][0]["sessions"][0]
    document["activities"][0]["sessions"] = [dict(session, id=f"x{i}") for i in range(count)]
    return document


def _repeated_preferences() -> dict[str, Any]:
    document = _document()
    document["students"][2]["site_preferences"] = ["s1"] * 100_000
    return document


def _attribute_flood() -> dict[str, Any]:
    document = _document()
    document["students"][0]["attributes"] = {f"k{i}": i for i in range(100_000)}
    return document


def _ten_megabyte_name() -> dict[str, Any]:
    document = _document()
    document["students"][0]["name"] = "A" * (10 * 1024 * 1024)
    return document


# name -> (body, status, path, words); `ipe validate` applies where the path is a field
GENERATED: dict[str, tuple[Any, int, str, str]] = {
    "over the upload size": (
        lambda: b'{"format": "ipe-scenario/1", "pad": "' + b"x" * (21 * 1024 * 1024) + b'"}',
        413,
        "body",
        "at most 20,971,520 bytes",
    ),
    "nested 100,000 deep": (
        lambda: b"[" * 100_000 + b"]" * 100_000,
        422,
        "$",
        "nested too deeply",
    ),
    "a 10 MB single string": (
        lambda: json.dumps(_ten_megabyte_name()).encode(),
        422,
        "students[0].name",
        "at most 500 characters",
    ),
    "50,001 students": (
        lambda: json.dumps(_document(students=_students(50_001))).encode(),
        422,
        "students",
        "at most 50,000 rows per import, found 50,001",
    ),
    "20,001 sessions": (
        lambda: json.dumps(_many_sessions(20_000)).encode(),  # and the base's one in a2
        422,
        "activities",
        "at most 20,000 sessions in all activities per import, found 20,001",
    ),
    "one preference repeated 100,000 times": (
        lambda: json.dumps(_repeated_preferences()).encode(),
        422,
        "students[2].site_preferences",
        "at most 1,000 entries here, found 100,000",
    ),
    "100,000 attributes": (
        lambda: json.dumps(_attribute_flood()).encode(),
        422,
        "students[0].attributes",
        "at most 1,000 entries here, found 100,000",
    ),
}


@pytest.mark.parametrize("name", list(GENERATED))
def test_huge_json_is_refused_and_changes_nothing(
    client: TestClient, engine: Engine, world: World, name: str
) -> None:
    build, status, path, words = GENERATED[name]
    before = row_counts(engine)
    response = post_json(client, world, build())
    assert_refused(response, path, words, status)
    assert row_counts(engine) == before


@pytest.mark.parametrize(
    ("name", "rows", "path", "words"),
    [
        ("students", 50_001, "students.csv", "at most 50,000 rows per import, found more"),
        ("slots", 100_001, "slots.csv", "at most 100,000 rows per import, found more"),
    ],
)
def test_csv_with_too_many_rows_is_refused(
    client: TestClient,
    engine: Engine,
    world: World,
    blank_term: int,
    name: str,
    rows: int,
    path: str,
    words: str,
) -> None:
    header = {"students": "id,name,profession\n", "slots": "id,site,period,profession,capacity\n"}
    row = {"students": "T{},Name {},NURS\n", "slots": "S{},SITE-A,P1,NURS,{}\n"}
    body = header[name] + "".join(row[name].format(i, i % 5) for i in range(rows))
    before = row_counts(engine)
    response = post_csv(client, world, blank_term, {name: body.encode()})
    assert_refused(response, path, words)
    assert row_counts(engine) == before


@pytest.mark.timeout(120)  # generous: the quadratic header check never answered at all
def test_a_csv_of_100000_columns_is_refused_at_once(
    client: TestClient, engine: Engine, world: World, blank_term: int
) -> None:
    """0.7 MB of header: once quadratic (`header.count` per column), now one pass."""
    header = ",".join(f"c{i}" for i in range(100_000)) + "\n"
    before = row_counts(engine)
    response = post_csv(client, world, blank_term, {"students": header.encode()})
    assert_refused(response, "students.csv:1", "at most 200 columns per file, found 100,000")
    assert row_counts(engine) == before


def test_a_csv_cell_past_the_cap_is_refused(
    client: TestClient, engine: Engine, world: World, blank_term: int
) -> None:
    body = "id,name,profession\nT01," + "x" * 65_537 + ",NURS\n"
    before = row_counts(engine)
    response = post_csv(client, world, blank_term, {"students": body.encode()})
    assert_refused(response, "students.csv:2", "at most 65,536 characters per cell, found 65,537")
    assert row_counts(engine) == before


@pytest.mark.timeout(120)
def test_the_header_check_is_linear_in_its_columns() -> None:
    """With the column cap lifted, 100,000 columns (half of them repeated) are still one
    pass: every repeat and every unknown column is found, and `list.count` never runs."""
    names = [f"c{i}" for i in range(50_000)] * 2
    text = "id,name,profession," + ",".join(names) + "\n"
    limits = ImportLimits(columns=200_000)
    with pytest.MonkeyPatch.context() as patch:
        counted: list[int] = []
        patch.setattr(csv_import, "_header_ok", counting(csv_import._header_ok, counted))
        parsed = csv_import.parse_files({"students": text.encode()}, limits=limits)
    assert counted == [100_003]
    repeated = [e for e in parsed.errors if e.message.endswith("appears twice")]
    assert len(repeated) == 50_000
    assert "students" not in parsed.lists


def counting(check: Any, counted: list[int]) -> Any:
    """`check` with its header wrapped in a list whose `count` may not be called."""

    class NoCount(list[str]):
        def count(self, value: str) -> int:  # type: ignore[override]
            raise AssertionError("list.count per column is quadratic in the columns")

    def wrapped(source: str, header: list[str], *rest: Any) -> bool:
        counted.append(len(header))
        return bool(check(source, NoCount(header), *rest))

    return wrapped


def test_csv_into_another_schools_term_is_not_found(
    client: TestClient, engine: Engine, world: World
) -> None:
    """Coordinator A cannot even learn that school B's term exists, let alone replace it."""
    before = row_counts(engine)
    body = (HOSTILE.parent / "hostile" / "duplicate_ids.students.csv").read_bytes()
    response = post_csv(client, world, world.terms["b"].id or 0, {"students": body})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert row_counts(engine) == before


def test_a_byte_order_mark_is_not_a_problem(client: TestClient, world: World) -> None:
    """UTF-8 with a BOM (what spreadsheet programs write) imports like plain UTF-8."""
    document = tiny_document(id="with-bom")
    response = post_json(client, world, b"\xef\xbb\xbf" + json.dumps(document).encode())
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("name", "start"), [(" =1+1", "' ' (read as '=')"), ("\uff1d1+1", "'\uff1d' (read as '=')")]
)
def test_formulas_behind_spaces_or_fullwidth_are_refused(
    client: TestClient, engine: Engine, world: World, name: str, start: str
) -> None:
    document = tiny_document(id=f"fullwidth-{len(name)}-{ord(name[0])}")
    document["students"][0]["name"] = name
    before = row_counts(engine)
    response = post_json(client, world, json.dumps(document).encode())
    assert_refused(response, "students[0].name", f"starts with {start}, which {FORMULA}")
    assert row_counts(engine) == before


def test_negative_numbers_and_plain_text_are_not_formulas(client: TestClient, world: World) -> None:
    """Only a leading =, +, - or @ before non-numeric text is refused."""
    document = tiny_document(id="negatives")
    document["students"][0]["cohort"] = "-3"
    document["students"][0]["name"] = "Ana-Maria O'Neil (she/her) = ok"
    document["students"][0]["attributes"]["score"] = -2.5
    response = post_json(client, world, json.dumps(document).encode())
    assert response.status_code == 201, response.text


def test_generated_cases_other_than_size_also_fail_validate(tmp_path: Path) -> None:
    """`ipe validate` has no size or row limits, but the field rules hold there too."""
    for name in ("nested 100,000 deep", "a 10 MB single string"):
        build, _status, path, words = GENERATED[name]
        file = tmp_path / "scenario.json"
        file.write_bytes(build())
        result = CliRunner().invoke(cli_app, ["validate", str(file)])
        assert result.exit_code == 2, result.output
        assert re.search(rf"^\s+{re.escape(path)}\s+.*{re.escape(words)}", result.output, re.M)
        assert "Traceback" not in result.output
