"""Reasons of each `unassigned` entry: a headline code, then one reason per cause.

The headline is the binding cause when one stands out (`_binding_cause`: a search stopped
early, the student's own overlapping periods, a single cause such as a facilitator
shortage), else a summary code (`no_free_session`, `sessions_full`, `no_eligible_slot`,
`seats_taken`, `no_sessions`); the causes after it name the rule
and the ids: busy time with its source, rooms, facilitators, the team rule against who is
free, seats and who holds them, language, transit, travel limit, tag minimums, and
conflicts that keep an activity from ever holding a team (`solver.explain.conflicts`).
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.domain.schedule import Reason, Unassigned
from solver.explain import codes
from solver.explain.busy import BusySource, busy_sources
from solver.explain.conflicts import Conflict
from solver.explain.facts import Cause, Facts
from solver.explain.merge import listing, merge, plural, unique
from solver.explain.session_causes import closed_causes, open_session_cause
from solver.explain.slot_causes import periods_cause, removed_causes, usage_causes

EXTENSION_CODES = (codes.FULL_WEEK, codes.SITE_REPEAT, codes.TAG_LIMIT)
"""Capacity-calendar causes (`solver.explain.week_causes`)."""
USAGE_CODES = frozenset(
    {
        codes.TOO_FEW_PERIODS,
        codes.CAPACITY_TAKEN,
        codes.SESSION_CLASH,
        codes.PLACEMENT_OVERLAP,
        codes.TAG_MINIMUM,
        codes.SEARCH_INCOMPLETE,
        *EXTENSION_CODES,
        codes.DISCIPLINE_DONE,
        codes.UNMET_PRECEDENCE,
        codes.NO_ROTATION_FITS,
    }
)
"""Causes about eligible slots; for `seats_taken` they lead and the removed slots follow."""
SINGLE_CAUSE_HEADLINES = frozenset(
    {
        codes.NO_FACILITATOR,
        codes.FACILITATORS_BUSY,
        codes.ROOM_TAKEN,
        codes.PLACEMENT_CLASH,
        codes.TAG_MINIMUM,
        codes.SESSION_CLASH,
        *EXTENSION_CODES,
        codes.UNMET_PRECEDENCE,
        codes.NO_ROTATION_FITS,
    }
)
"""Causes that, when they alone say why a need is unmet, lead its reasons."""


@dataclass(frozen=True)
class Explained:
    """An unmet need with its headline and causes."""

    entry: Unassigned
    profession: str
    headline: Cause
    causes: tuple[Cause, ...]
    primary: int
    """How many leading causes say why (the rest is context, e.g. slots out of reach)."""

    def reasons(self) -> list[Reason]:
        return [
            Reason(code=c.code, message=c.message, related=list(c.related))
            for c in (self.headline, *self.causes)
        ]

    @property
    def need(self) -> str:
        """The activity or requirement the entry is about."""
        return self.entry.activity or self.entry.requirement or ""


class Explainer:
    """Explains entries of one schedule; busy pieces and placement answers are cached."""

    def __init__(self, facts: Facts, conflicts: list[Conflict]) -> None:
        self.facts = facts
        self.conflicts = {c.activity: c for c in conflicts}
        self._sources: dict[str, list[BusySource]] = {}
        self._placements: dict[str, tuple[Cause, tuple[Cause, ...]]] = {}

    def explain(self, entry: Unassigned) -> Explained:
        profession = self.facts.students[entry.student].profession
        if entry.activity is not None:
            headline, causes = self.activity(entry.student, entry.activity)
            primary = len(causes)
        else:
            headline, causes = self.placement(entry.student)
            primary = _primary_placement_causes(causes)
        lead = _binding_cause(causes, primary)
        if lead is not None:
            causes = tuple(c for c in causes if c is not lead)
            primary = 0 if lead.code == codes.TOO_FEW_PERIODS else max(0, primary - 1)
            headline = lead
        return Explained(entry, profession, headline, causes, primary)

    def sources(self, student: str) -> list[BusySource]:
        if student not in self._sources:
            facts = self.facts
            found = busy_sources(facts.scenario, facts.students[student], facts.positions[student])
            self._sources[student] = found
        return self._sources[student]

    def activity(self, student: str, activity: str) -> tuple[Cause, tuple[Cause, ...]]:
        prep = self.facts.prep
        sessions = prep.activities[activity].sessions
        free = prep.students[student].free_sessions.get(activity, ())
        if not sessions:
            headline = Cause(
                codes.NO_SESSIONS,
                f"{activity} has no session",
                (activity,),
                (codes.NO_SESSIONS, activity),
            )
            return headline, ()
        if not free:
            causes = closed_causes(self.facts, student, activity, self.sources(student))
            headline = _closed_headline(activity, sessions, causes)
        else:
            causes = merge(open_session_cause(self.facts, student, s) for s in free)
            headline = _open_headline(activity, sessions, free, causes)
        conflict = self.conflicts.get(activity)
        if conflict is not None:
            causes.append(_conflict_cause(conflict))
        return headline, tuple(causes)

    def placement(self, student: str) -> tuple[Cause, tuple[Cause, ...]]:
        if student not in self._placements:
            self._placements[student] = self._placement(student)
        return self._placements[student]

    def _placement(self, student: str) -> tuple[Cause, tuple[Cause, ...]]:
        facts = self.facts
        info = facts.prep.students[student]
        removed = removed_causes(facts, facts.students[student], self.sources(student))
        if not info.all_options:
            return _no_slot_headline(info.profession, removed), tuple(removed)
        usage = usage_causes(facts, student)
        periods = periods_cause(facts, student)
        if periods is not None:
            usage.insert(0, periods)
        slots = sorted({o.slot for o in info.all_options})
        headline = Cause(
            codes.SEATS_TAKEN,
            f"{plural(len(slots), 'eligible slot')}, but their seats went to other students or "
            f"would clash with this student's sessions and placements ({_codes(usage)})",
            unique(slots),
            (codes.SEATS_TAKEN, info.profession),
        )
        return headline, (*usage, *removed)


def _binding_cause(causes: tuple[Cause, ...], primary: int) -> Cause | None:
    """The cause that leads instead of the summary headline: a search that stopped before
    proving the need unmeetable (said first, whatever else applies); else the student's
    own periods, when they overlap too much for `count` placements (seats elsewhere cannot
    help); else the one cause that says why, when only one does (a facilitator shortage,
    a room taken at every free session)."""
    leading = causes[:primary]
    for cause in leading:
        if cause.code == codes.SEARCH_INCOMPLETE:
            return cause
    if leading and leading[0].code == codes.TOO_FEW_PERIODS:
        return leading[0]
    if len(leading) == 1 and leading[0].code in SINGLE_CAUSE_HEADLINES:
        return leading[0]
    return None


def _primary_placement_causes(causes: tuple[Cause, ...]) -> int:
    """Too few periods decides alone; else the causes about eligible slots lead."""
    if causes and causes[0].code == codes.TOO_FEW_PERIODS:
        return 1
    return sum(1 for c in causes if c.code in USAGE_CODES) or len(causes)


def _codes(causes: list[Cause]) -> str:
    return ", ".join(dict.fromkeys(c.code.replace("_", " ") for c in causes))


def _closed_headline(activity: str, sessions: tuple[str, ...], causes: list[Cause]) -> Cause:
    labels = []
    for cause in causes:
        if cause.code == codes.BUSY_PROGRAM_CALENDAR:
            labels.append(cause.message.split(" blocks ")[0])
        elif cause.code == codes.BUSY_PERSONAL:
            labels.append("personal time")
        else:
            labels.append("no accessible room")
    return Cause(
        codes.NO_FREE_SESSION,
        f"busy at all {len(sessions)} sessions of {activity} ({'; '.join(dict.fromkeys(labels))})",
        (activity, *sessions),
        (codes.NO_FREE_SESSION, activity),
    )


def _open_headline(
    activity: str, sessions: tuple[str, ...], free: tuple[str, ...], causes: list[Cause]
) -> Cause:
    return Cause(
        codes.SESSIONS_FULL,
        f"free for {len(free)} of {len(sessions)} sessions of {activity} ({listing(free)}), but "
        f"none of them could take this student ({_codes(causes)})",
        unique([activity, *free]),
        (codes.SESSIONS_FULL, activity),
    )


def _no_slot_headline(profession: str, removed: list[Cause]) -> Cause:
    return Cause(
        codes.NO_ELIGIBLE_SLOT,
        f"no {profession} slot fits this student: {'; '.join(c.message for c in removed)}",
        unique(r for c in removed for r in c.related),
        (codes.NO_ELIGIBLE_SLOT, profession),
    )


def _conflict_cause(conflict: Conflict) -> Cause:
    related = unique(r for rule in conflict.rules for r in rule.related)
    return Cause(
        codes.TEAM_RULE_UNSATISFIABLE,
        conflict.message,
        related,
        (codes.TEAM_RULE_UNSATISFIABLE, conflict.activity),
    )
