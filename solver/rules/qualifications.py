"""Rule 9 (extension): a student holds only slots whose `requires` they all hold."""

from __future__ import annotations

from solver.model import TermModel


def add(model: TermModel) -> None:
    """Fix to 0 every option of a slot requiring a qualification the student lacks."""
    scenario = model.prep.scenario
    requires = {s.id: s.required_qualifications for s in scenario.slots if s.requires}
    if not requires:
        return
    held = {s.id: s.held_qualifications for s in scenario.students}
    for info in model.prep.students.values():
        for option in info.options:
            needed = requires.get(option.slot)
            if needed and not needed <= held[info.id]:
                model.cp.add(model.place[info.id, option.slot] == 0)
