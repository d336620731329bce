"""The CP-SAT model shared by the rule modules: variables, named after whom they concern.

Rule modules (`solver.rules`) add variables and constraints through `TermModel`; objective
modules (`solver.objectives`) read them to build linear expressions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from solver.prepare import Prepared
from solver.staffing import FacilitatorGroup

Pattern = frozenset[str]
"""The set of placement periods a student holds among those that clash with their sessions."""


@dataclass
class SessionTeams:
    """A session's teams in aggregate: how many, and how many attendees per profession."""

    count: cp_model.IntVar
    used: cp_model.IntVar
    members: dict[str, cp_model.LinearExprT]
    size: cp_model.LinearExprT
    most: int
    spreads: dict[str, cp_model.IntVar] = field(default_factory=dict)
    """spreads[profession] <= min(attendees of it, team count): teams it can sit in."""


@dataclass
class TermModel:
    """A CP-SAT model under construction plus the variables the read-out needs."""

    prep: Prepared
    cp: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    place: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)
    """place[student, slot]: the student holds the slot."""
    attend: dict[tuple[int, Pattern, str], cp_model.IntVar] = field(default_factory=dict)
    """attend[class, pattern, session]: how many of the class with that pattern attend."""
    pattern_of: dict[tuple[str, Pattern], cp_model.IntVar] = field(default_factory=dict)
    """pattern_of[student, pattern]: the student's held clashing periods are exactly pattern."""
    teams: dict[str, SessionTeams] = field(default_factory=dict)
    staff: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    """staff[session, group]: how many of the facilitator group run the session."""
    facilitator_groups: list[FacilitatorGroup] = field(default_factory=list)
    """Interchangeable facilitators (`solver.staffing`), indexed as in `staff`."""
    helpers: list[cp_model.IntVar] = field(default_factory=list)
    """Auxiliary variables (flags, maxima) that also need hints between levels."""
    timelines: dict[str, Any] = field(default_factory=dict)
    """timelines[student]: a planned student's rotations in time (`solver.rotations`),
    built by the first rule or objective that reads it."""

    def session_used(self, session: str) -> cp_model.IntVar | None:
        """True when the session holds at least one team."""
        teams = self.teams.get(session)
        return teams.used if teams else None

    def all_variables(self) -> list[cp_model.IntVar]:
        """Every variable, for hinting the next lexicographic level."""
        variables: list[cp_model.IntVar] = [*self.place.values(), *self.attend.values()]
        variables += self.pattern_of.values()
        variables += self.staff.values()
        variables += self.helpers
        for teams in self.teams.values():
            variables += [teams.count, teams.used, *teams.spreads.values()]
        return variables
