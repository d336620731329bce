"""Bounds of the student-plan levels that hold for the whole term (extension).

When CP-SAT proves nothing for `scores` or `worst_satisfaction` in its share of the time
(large terms), the level still reports a valid bound: each student at best holds, in
`count` distinct disciplines, the best-scored option of each. `compactness` is never
negative: 0 bounds it from below (CP-SAT's own bound of it was negative on a converted
benchmark term, -1,638, which is valid but says nothing).
"""

from __future__ import annotations

from collections import defaultdict

from solver.model import TermModel


def plan_level_bound(model: TermModel, name: str) -> float | None:
    """An upper bound of `scores` or `worst_satisfaction`, the lower bound 0 of
    `compactness` (None for other levels)."""
    if name == "compactness":
        return 0.0
    if name not in ("scores", "worst_satisfaction"):
        return None
    best = _best_per_student(model)
    if name == "scores":
        return float(sum(best.values()))
    needing = [value for student, value in best.items() if model.prep.students[student].count > 0]
    return float(min(needing, default=0))


def _best_per_student(model: TermModel) -> dict[str, int]:
    """Per student with scores, the most their weighted score can be."""
    scenario = model.prep.scenario
    slots = {s.id: s for s in scenario.slots}
    result = {}
    for student in scenario.students:
        info = model.prep.students.get(student.id)
        if student.scores is None or info is None:
            continue
        allowed = student.term_plan.disciplines if student.term_plan is not None else None
        qualified = student.held_qualifications
        by_discipline: dict[str | None, list[int]] = defaultdict(list)
        for option in info.options:
            slot = slots[option.slot]
            if allowed is not None and slot.discipline not in allowed:
                continue
            if not slot.required_qualifications <= qualified:
                continue
            by_discipline[slot.discipline].append(student.scores.of(option.site, slot.discipline))
        values = sorted(
            [max(v) for d, v in by_discipline.items() if d is not None]
            + [v for v in by_discipline.get(None, []) for _ in range(info.count)],
            reverse=True,
        )
        result[student.id] = student.weight * sum(values[: info.count])
    return result
