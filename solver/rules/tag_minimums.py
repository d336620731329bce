"""Rule 7: a student who holds all `count` placements has at least `min` at sites of each tag."""

from __future__ import annotations

from solver.model import TermModel


def add(model: TermModel) -> None:
    """full[student] is forced on when every placement is held; it then enforces the tags."""
    for info in model.prep.students.values():
        requirement = info.requirement
        if requirement is None or not info.options:
            continue
        minimums = {tag: m for tag, m in requirement.tags.items() if m > 0}
        if not minimums:
            continue
        held = [model.place[info.id, o.slot] for o in info.options]
        full = model.cp.new_bool_var(f"full[{info.id}]")
        model.helpers.append(full)
        model.cp.add(sum(held) - (requirement.count - 1) <= full)
        for tag, minimum in minimums.items():
            tagged = [model.place[info.id, o.slot] for o in info.options if tag in o.tags]
            model.cp.add(sum(tagged) >= minimum * full)
