"""docs/contract.md follows the models: every field of both JSON Schemas is named there,
so a clone reading the repository sees the whole contract."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule

DOC = Path(__file__).resolve().parents[2] / "docs" / "contract.md"


def fields(schema: dict[str, Any]) -> set[str]:
    names = set(schema.get("properties", {}))
    for definition in schema.get("$defs", {}).values():
        names |= set(definition.get("properties", {}))
    return names


def test_every_field_of_both_schemas_is_named_in_the_contract_document() -> None:
    text = DOC.read_text()
    spans = re.findall(r"`([^`]+)`", text)
    named = {word for span in spans for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", span)}
    every = fields(Scenario.model_json_schema()) | fields(Schedule.model_json_schema())
    missing = sorted(name for name in every if name not in named)
    assert missing == [], f"docs/contract.md does not mention: {missing}"


def test_the_readme_links_the_contract_inside_the_repository() -> None:
    readme = (DOC.parents[1] / "README.md").read_text()
    assert "(docs/contract.md)" in readme
    assert "../shared/" not in readme
