"""Contradictory rules: an activity whose rules let no team form in any of its sessions.

The empty schedule always satisfies the hard rules, so the solver itself never reports
INFEASIBLE; but an activity can be impossible to hold at all (every team needs a NURS and no
NURS is free at any session; min_size above everyone free). That is found on a small model
of its own: per session a team count and attendees per profession, every rule guarded by an
assumption literal, and "some session holds a team" required. CP-SAT's sufficient
assumptions, shrunk one by one to a minimal set, name the conflicting rules by JSON path.
Single worker and no objective, as assumptions need (see solver-notes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from solver.availability import Busy
from solver.explain.merge import listing
from solver.prepare import ActivityInfo, Prepared

SOLVE_SECONDS = 2.0


@dataclass(frozen=True)
class RuleLit:
    """One guarded rule: its literal, a code, a plain sentence and the ids it concerns."""

    literal: cp_model.IntVar
    code: str
    message: str
    related: tuple[str, ...]


@dataclass(frozen=True)
class Conflict:
    """A minimal set of rules that together keep an activity from holding any team."""

    activity: str
    message: str
    rules: tuple[RuleLit, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "activity": self.activity,
            "message": self.message,
            "rules": [
                {"code": r.code, "message": r.message, "related": list(r.related)}
                for r in self.rules
            ],
        }


def find_conflicts(prep: Prepared, activities: list[str] | None = None) -> list[Conflict]:
    """Conflicts of the given activities (default: all with participants), minimal each."""
    chosen = activities if activities is not None else list(prep.activities)
    found = []
    for activity in chosen:
        conflict = activity_conflict(prep, activity)
        if conflict is not None:
            found.append(conflict)
    return found


def activity_conflict(prep: Prepared, activity: str) -> Conflict | None:
    """The minimal conflicting rules of one activity, or None when a team can form."""
    participants = Counter(
        info.profession for info in prep.students.values() if activity in info.free_sessions
    )
    if not participants:
        return None
    for code, limit in prep.activities[activity].team.professions.items():
        if limit.min > 0:
            participants[code] += 0
    builder = _ActivityModel(prep, prep.activities[activity], participants)
    rules = builder.build()
    if _feasible(builder.cp, [r.literal for r in rules]):
        return None
    core = _minimal_core(builder.cp, rules)
    return Conflict(
        activity=activity,
        message=f"no team of {activity} can form in any session: "
        + "; ".join(r.message for r in core),
        rules=tuple(core),
    )


def _feasible(cp: cp_model.CpModel, literals: list[cp_model.IntVar]) -> bool:
    cp.clear_assumptions()
    cp.add_assumptions(literals)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = SOLVE_SECONDS
    return solver.solve(cp) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def _minimal_core(cp: cp_model.CpModel, rules: list[RuleLit]) -> list[RuleLit]:
    """Start from CP-SAT's sufficient assumptions, then drop each rule that is not needed."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = SOLVE_SECONDS
    cp.clear_assumptions()
    cp.add_assumptions([r.literal for r in rules])
    solver.solve(cp)
    indexes = set(solver.sufficient_assumptions_for_infeasibility())
    core = [r for r in rules if r.literal.index in indexes] or list(rules)
    for rule in list(core):
        rest = [r for r in core if r is not rule]
        if not _feasible(cp, [r.literal for r in rest]):
            core = rest
    return core


class _ActivityModel:
    """The activity's sessions as counts, with one assumption literal per rule."""

    def __init__(self, prep: Prepared, activity: ActivityInfo, participants: Counter[str]):
        self.prep = prep
        self.activity = activity
        self.participants = participants
        self.cp = cp_model.CpModel()
        self.path = f"activities[{_position(prep, activity.id)}]"
        # Bounds wide enough that only guarded rules (here: who is free) limit the counts.
        total = sum(participants.values())
        wide = max(1, total) * max(1, activity.team.max_size)
        self.teams = {s: self.cp.new_int_var(0, wide, f"T[{s}]") for s in activity.sessions}
        self.count = {
            (s, p): self.cp.new_int_var(0, wide, f"n[{s},{p}]")
            for s in activity.sessions
            for p in participants
        }
        self.rules: list[RuleLit] = []

    def build(self) -> list[RuleLit]:
        cp = self.cp
        cp.add(sum(self.teams.values()) >= 1)
        self._size_rules()
        self._profession_rules()
        self._mix_rule()
        self._session_rules()
        self._availability_rules()
        self._facilitator_rule()
        return self.rules

    def _guard(self, code: str, message: str, related: tuple[str, ...]) -> cp_model.IntVar:
        literal = self.cp.new_bool_var(f"rule[{code},{len(self.rules)}]")
        self.rules.append(RuleLit(literal, code, message, related))
        return literal

    def _each_session(self, literal: cp_model.IntVar, constraint: Callable[[str], Any]) -> None:
        for session in self.activity.sessions:
            self.cp.add(constraint(session)).only_enforce_if(literal)

    def _size(self, session: str) -> cp_model.LinearExprT:
        return sum(self.count[session, p] for p in self.participants)

    def _size_rules(self) -> None:
        team = self.activity.team
        low = self._guard(
            "team_min_size",
            f"every team needs at least {team.min_size} students",
            (f"{self.path}.team.min_size",),
        )
        self._each_session(low, lambda s: self._size(s) >= team.min_size * self.teams[s])
        high = self._guard(
            "team_max_size",
            f"a team has at most {team.max_size} students",
            (f"{self.path}.team.max_size",),
        )
        self._each_session(high, lambda s: self._size(s) <= team.max_size * self.teams[s])

    def _profession_rules(self) -> None:
        for code, limit in sorted(self.activity.team.professions.items()):
            path = f"{self.path}.team.professions.{code}"
            if limit.min > 0:
                literal = self._guard(
                    "team_profession_min",
                    f"every team needs {limit.min} {code}",
                    (f"{path}.min", code),
                )
                self._each_session(literal, self._at_least(code, limit.min))
            if limit.max is not None:
                literal = self._guard(
                    "team_profession_max",
                    f"a team has at most {limit.max} {code}",
                    (f"{path}.max", code),
                )
                self._each_session(literal, self._at_most(code, limit.max))

    def _at_least(self, code: str, minimum: int) -> Callable[[str], Any]:
        def rule(session: str) -> Any:
            count = self.count.get((session, code), 0)
            return count >= minimum * self.teams[session]

        return rule

    def _at_most(self, code: str, maximum: int) -> Callable[[str], Any]:
        def rule(session: str) -> Any:
            count = self.count.get((session, code), 0)
            return count <= maximum * self.teams[session]

        return rule

    def _mix_rule(self) -> None:
        needed = self.activity.team.min_professions
        if needed <= 1:
            return
        literal = self._guard(
            "team_min_professions",
            f"every team needs {needed} professions",
            (f"{self.path}.team.min_professions",),
        )
        for session in self.activity.sessions:
            spread = []
            for profession in self.participants:
                present = self.cp.new_int_var(0, needed, f"spread[{session},{profession}]")
                self.cp.add(present <= self.count[session, profession])
                self.cp.add(present <= self.teams[session])
                spread.append(present)
            self.cp.add(sum(spread) >= needed * self.teams[session]).only_enforce_if(literal)

    def _session_rules(self) -> None:
        sessions = self.prep.sessions
        for position, session in enumerate(self.activity.sessions):
            most = sessions[session].max_teams
            literal = self._guard(
                "session_max_teams",
                f"{session} allows at most {most} teams",
                (f"{self.path}.sessions[{position}].max_teams", session),
            )
            self.cp.add(self.teams[session] <= most).only_enforce_if(literal)

    def _availability_rules(self) -> None:
        """Per profession: only its participants, and only those free at a session, attend."""
        free: Counter[tuple[str, str]] = Counter()
        for info in self.prep.students.values():
            for session in info.free_sessions.get(self.activity.id, ()):
                free[session, info.profession] += 1
        for profession, total in sorted(self.participants.items()):
            best = max((free[s, profession] for s in self.activity.sessions), default=0)
            literal = self._guard(
                "participants_free",
                _availability_text(profession, total, best),
                (profession, *self._calendars_of(profession)),
            )
            sessions = self.activity.sessions
            self.cp.add(sum(self.count[s, profession] for s in sessions) <= total).only_enforce_if(
                literal
            )
            for session in sessions:
                bound = self.count[session, profession] <= free[session, profession]
                self.cp.add(bound).only_enforce_if(literal)

    def _calendars_of(self, profession: str) -> list[str]:
        """Paths of the profession's program calendars that close a session of the activity."""
        term = self.prep.scenario.term
        paths = []
        for index, calendar in enumerate(self.prep.scenario.program_calendars):
            if calendar.profession != profession:
                continue
            busy = Busy.build(
                calendar.unavailable, calendar.weekly_unavailable, term.start, term.end
            )
            sessions = [self.prep.sessions[s] for s in self.activity.sessions]
            if any(busy.conflicts(s.start, s.end) for s in sessions):
                paths.append(f"program_calendars[{index}]")
        return paths

    def _facilitator_rule(self) -> None:
        per = self.activity.teams_per_facilitator
        if per <= 0:
            return
        sessions = self.prep.sessions
        everyone = sorted({f for s in self.activity.sessions for f in sessions[s].facilitators})
        literal = self._guard(
            "facilitators_free",
            f"every {per} team(s) need a facilitator, and "
            + (
                f"only {listing(everyone)} are free at some session" if everyone else "none is free"
            ),
            tuple(everyone),
        )
        for session in self.activity.sessions:
            free = len(sessions[session].facilitators)
            self.cp.add(self.teams[session] <= per * free).only_enforce_if(literal)


def _availability_text(profession: str, total: int, best: int) -> str:
    if total == 0:
        return f"the term has no {profession} participant"
    if best == 0:
        return (
            f"none of the {total} {profession} participant(s) is free at any session "
            "(busy time, room access)"
        )
    return f"{total} {profession} participant(s), at most {best} free at any one session"


def _position(prep: Prepared, activity: str) -> int:
    return next(i for i, a in enumerate(prep.scenario.activities) if a.id == activity)
