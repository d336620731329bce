"""Tag limits (extension): a student holds at most `tag_limits[t]` placements tagged t
(site and unit tags), earlier placements included, whatever number they hold."""

from __future__ import annotations

from scheduler.domain.weeks import history_tag_count
from solver.model import TermModel


def add(model: TermModel) -> None:
    """One `sum <= limit - earlier` per student and limited tag."""
    students = {s.id: s for s in model.prep.scenario.students}
    for info in model.prep.students.values():
        requirement = info.requirement
        if requirement is None or not requirement.tag_limits:
            continue
        for tag, limit in requirement.tag_limits.items():
            left = max(0, limit - history_tag_count(students[info.id], tag))
            tagged = [model.place[info.id, o.slot] for o in info.options if tag in o.tags]
            if len(tagged) > left:
                model.cp.add(sum(tagged) <= left)
