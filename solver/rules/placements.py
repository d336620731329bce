"""Rule 6 and the count of rule 7: eligible slots only, slot capacity, at most `count` each.

Eligibility (profession, status, language, transit, accessibility, travel, busy time) is
decided in `solver.prepare`: a variable exists only for a slot the student may hold.
"""

from __future__ import annotations

from collections import defaultdict

from solver.model import TermModel


def add(model: TermModel) -> None:
    """Create place[student, slot] and bound seats per slot and placements per student."""
    by_slot = defaultdict(list)
    for info in model.prep.students.values():
        held = []
        for option in info.options:
            var = model.cp.new_bool_var(f"place[{info.id},{option.slot}]")
            model.place[info.id, option.slot] = var
            by_slot[option.slot].append(var)
            held.append(var)
        if len(held) > info.count:
            model.cp.add(sum(held) <= info.count)
    capacity = {slot.id: slot.capacity for slot in model.prep.scenario.slots}
    for slot, variables in by_slot.items():
        if len(variables) > capacity[slot]:
            model.cp.add(sum(variables) <= capacity[slot])
