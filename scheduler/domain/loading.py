"""Reading scenario and schedule documents: JSON text in, a model or every problem out.

Never raises for bad input: callers get `ErrorItem`s with the JSON path and a sentence.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from scheduler.domain.checks import check_scenario
from scheduler.domain.scenario import Scenario
from scheduler.domain.scenario_types import CLOCK_TIME_PATTERN
from scheduler.domain.schedule import ErrorItem, Schedule


@dataclass(frozen=True)
class Loaded:
    """A parsed scenario, or the problems that stopped it."""

    scenario: Scenario | None
    errors: list[ErrorItem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.scenario is not None and not self.errors


def json_path(location: tuple[int | str, ...]) -> str:
    """Render a pydantic error location as `students[3].profession`."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "$"


def pydantic_errors(error: ValidationError) -> list[ErrorItem]:
    """One `ErrorItem` per pydantic problem, with a path and a plain sentence."""
    items = []
    for detail in error.errors(include_url=False):
        location = tuple(detail["loc"])
        message = detail["msg"]
        if detail["type"] == "extra_forbidden":
            message = f"unknown field {location[-1]!r}"
        elif detail["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        elif detail["type"] == "missing":
            message = f"required field {location[-1]!r} is missing"
        elif (
            detail["type"] == "string_pattern_mismatch"
            and detail.get("ctx", {}).get("pattern") == CLOCK_TIME_PATTERN
        ):
            message = f"expected a clock time HH:MM (00:00-24:00), found {detail['input']!r}"
        items.append(ErrorItem(path=json_path(location), message=message))
    return items


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; write a finite number")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError(f"the number {literal[:40]} is too large")
    return value


def parse_json(text: str | bytes) -> tuple[Any, list[ErrorItem]]:
    """Decode JSON, reporting the line and column of a syntax error.

    Raises ValueError for NaN, Infinity and numbers beyond a float (Python's parser takes
    them, but no JSON reader elsewhere does, so they could never be exported again) and
    RecursionError for absurd nesting: callers report both as unusable documents."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        if "\x00" in text:
            return None, [
                ErrorItem(
                    path="$",
                    message=f"NUL character at position {text.index(chr(0))}: not UTF-8 text"
                    " (a UTF-16 file? save it as UTF-8)",
                )
            ]
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float), []
    except UnicodeDecodeError as error:
        return None, [
            ErrorItem(path="$", message=f"not UTF-8 text: {error.reason} at byte {error.start}")
        ]
    except json.JSONDecodeError as error:
        return None, [
            ErrorItem(
                path="$",
                message=f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}",
            )
        ]


def load_scenario_data(data: Any) -> Loaded:
    """Validate decoded JSON as a scenario: structure first, then cross-references."""
    if not isinstance(data, dict):
        return Loaded(None, [ErrorItem(path="$", message="a scenario must be a JSON object")])
    if data.get("format") != "ipe-scenario/1":
        return Loaded(
            None,
            [
                ErrorItem(
                    path="format",
                    message=f'expected "ipe-scenario/1", found {data.get("format")!r}',
                )
            ],
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        return Loaded(None, pydantic_errors(error))
    errors = check_scenario(scenario)
    return Loaded(None if errors else scenario, errors)


def load_scenario_text(text: str | bytes) -> Loaded:
    """Parse and validate a scenario JSON document."""
    data, errors = parse_json(text)
    if errors:
        return Loaded(None, errors)
    return load_scenario_data(data)


def load_schedule_text(text: str | bytes) -> tuple[Schedule | None, list[ErrorItem]]:
    """Parse a schedule JSON document."""
    data, errors = parse_json(text)
    if errors:
        return None, errors
    try:
        return Schedule.model_validate(data), []
    except ValidationError as error:
        return None, pydantic_errors(error)
