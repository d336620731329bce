"""CSV exports neutralise spreadsheet formulas, and every CSV writer goes through them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from scheduler.domain.csv_text import csv_text, safe_cell
from scheduler.domain.text_rules import check_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        # what a spreadsheet may still read as a formula: after spaces, or in fullwidth
        (" =1+1", "' =1+1"),
        ("\u00a0\u3000@SUM(A1)", "'\u00a0\u3000@SUM(A1)"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("\ufe621+1", "'\ufe621+1"),
        (" -3", " -3"),
        ("\uff0d3", "\uff0d3"),
        # plain numbers keep their sign: they are data
        ("-3", "-3"),
        ("+1.5", "+1.5"),
        ("-2e-3", "-2e-3"),
        (-0.25, -0.25),
        (7, 7),
        # ordinary text, and a formula character that is not first
        ("Ana Reyes", "Ana Reyes"),
        ("a=b", "a=b"),
        ("2027-02-04T09:00", "2027-02-04T09:00"),
        ("", ""),
        (None, ""),
        (True, "True"),
    ],
)
def test_safe_cell(value: object, written: object) -> None:
    assert safe_cell(value) == written


def test_csv_text_neutralises_header_and_rows_and_reads_back() -> None:
    text = csv_text(["name", "=bad"], [["=1+1", "-3"], ["@x", 4], ["ok", None]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "'=bad"], ["'=1+1", "-3"], ["'@x", "4"], ["ok", ""]]
    assert text.endswith("\n") and "\r\n" not in text


def test_no_csv_writer_outside_the_helper() -> None:
    """A new CSV export must use `csv_text`, or its cells are not neutralised."""
    writers = [
        path.relative_to(ROOT).as_posix()
        for folder in ("scheduler", "api", "solver")
        for path in (ROOT / folder).rglob("*.py")
        if "csv.writer(" in path.read_text() or "csv.DictWriter(" in path.read_text()
    ]
    assert writers == ["scheduler/domain/csv_text.py"]


@pytest.mark.parametrize("value", [" =1+1", "\uff1d1+1", "  @SUM(A1)", "\u3000+cmd", "\ufe63x"])
def test_imports_refuse_formulas_behind_spaces_or_compatibility_forms(value: str) -> None:
    with pytest.raises(ValueError, match="spreadsheet programs run as a formula"):
        check_text(value)


@pytest.mark.parametrize("value", [" -3", "\uff0d3", "Ana Reyes", " a=b"])
def test_imports_accept_numbers_and_text_behind_the_same(value: str) -> None:
    assert check_text(value) == value
