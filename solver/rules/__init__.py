"""The hard rules of the spec, one module each, applied in order by `build_model`.

Order matters only where a rule reads variables an earlier one created: placements come
before attendance (which reads them for clashes), attendance before teams.
"""

from __future__ import annotations

from collections.abc import Callable

from solver.model import TermModel
from solver.rules import (
    attendance,
    disciplines,
    facilitators,
    max_per_site,
    no_repeat_site,
    pins,
    placement_overlap,
    placements,
    precedences,
    qualifications,
    rooms,
    rotation_gaps,
    rotation_overlap,
    site_changes,
    tag_limits,
    tag_minimums,
    teams,
    unit_fill,
    weekly_capacity,
)

Rule = Callable[[TermModel], None]

RULES: list[tuple[str, Rule]] = [
    ("placements", placements.add),
    ("placement_overlap", placement_overlap.add),
    ("tag_minimums", tag_minimums.add),
    ("attendance", attendance.add),
    ("teams", teams.add),
    ("rooms", rooms.add),
    ("facilitators", facilitators.add),
    ("pins", pins.add),
    # extension: capacity calendars (solver.features skips the heuristics on such terms)
    ("weekly_capacity", weekly_capacity.add),
    ("unit_fill", unit_fill.add),
    ("no_repeat_site", no_repeat_site.add),
    ("tag_limits", tag_limits.add),
    # student plans (extension): after placements, whose variables they read
    ("qualifications", qualifications.add),
    ("disciplines", disciplines.add),
    ("rotation_overlap", rotation_overlap.add),
    ("precedences", precedences.add),
    ("rotation_gaps", rotation_gaps.add),
    ("max_per_site", max_per_site.add),
    ("site_changes", site_changes.add),
]


def apply_rules(model: TermModel) -> None:
    """Add every hard rule to the model."""
    for _name, rule in RULES:
        rule(model)
