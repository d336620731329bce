"""Group causes: needs that fail for the same reasons are said once, with their count.

Two entries share a group when they concern the same activity or requirement, their
students share a profession, and their leading causes have the same keys (the same
calendar, the same missing partner profession, the same full seats of a period...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from solver.explain import codes
from solver.explain.facts import Cause, Facts
from solver.explain.merge import listing, plural, unique
from solver.explain.reasons import Explained
from solver.explain.slot_causes import has_alternative

MAX_GROUPS = 50
SAMPLE = 10


@dataclass(frozen=True)
class Group:
    """Needs with the same causes: how many, in one sentence, with the ids concerned."""

    code: str
    need: str
    profession: str
    needs: int
    students: tuple[str, ...]
    message: str
    causes: tuple[str, ...]
    related: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "need": self.need,
            "profession": self.profession,
            "needs": self.needs,
            "students": len(self.students),
            "sample": list(self.students[:SAMPLE]),
            "causes": list(self.causes),
            "message": self.message,
            "related": list(self.related),
        }


def group_causes(facts: Facts, explained: list[Explained]) -> list[Group]:
    """Groups of needs, the largest first."""
    buckets: dict[tuple, list[Explained]] = {}
    for item in explained:
        keys = tuple(sorted({c.key for c in item.causes[: item.primary]}))
        signature = (item.headline.code, item.need, item.profession, keys)
        buckets.setdefault(signature, []).append(item)
    groups = [_group(facts, items) for items in buckets.values()]
    groups.sort(key=lambda g: (-g.needs, g.need, g.profession, g.code))
    return groups[:MAX_GROUPS]


def _group(facts: Facts, items: list[Explained]) -> Group:
    first = items[0]
    students = tuple(dict.fromkeys(i.entry.student for i in items))
    by_key: dict[tuple[str, ...], list[Cause]] = {}
    for item in items:
        for cause in item.causes[: item.primary]:
            by_key.setdefault(cause.key, []).append(cause)
    parts = [_describe(facts, causes) for causes in by_key.values()]
    if not parts:
        parts = [first.headline.message]
    who = plural(len(students), f"{first.profession} student")
    noun = "need" if len(items) == 1 else "needs"
    message = f"{who} ({len(items)} {noun} of {first.need}): {'; '.join(parts)}"
    related = unique(
        [first.need, *(r for causes in by_key.values() for c in causes for r in c.related)]
    )
    code = next(iter(by_key.values()))[0].code if len(by_key) == 1 else first.headline.code
    return Group(
        code=code,
        need=first.need,
        profession=first.profession,
        needs=len(items),
        students=students,
        message=message,
        causes=tuple(k[0] for k in by_key),
        related=related,
    )


def _describe(facts: Facts, causes: list[Cause]) -> str:
    """One sentence for a cause shared by a group (falls back to one student's message)."""
    key = causes[0].key
    describe = DESCRIPTIONS.get(key[0])
    return describe(facts, key, causes) if describe else causes[0].message


def _partner(facts: Facts, key: tuple[str, ...], causes: list[Cause]) -> str:
    _, activity, profession = key
    rule = facts.prep.activities[activity].team.professions[profession]
    return (
        f"free only at sessions of {activity} where no {profession} student is free, and every "
        f"team needs {rule.min} {profession}"
    )


def _capacity(facts: Facts, key: tuple[str, ...], causes: list[Cause]) -> str:
    _, profession, period = key
    slots = unique((r for c in causes for r in c.related if r in facts.slots), limit=10_000)
    seats = sum(facts.slots[s].capacity for s in slots)
    holders = [(h, s) for s in slots for h in facts.holders.get(s, [])]
    stuck = sum(1 for h, s in holders if not has_alternative(facts, h, s))
    return (
        f"all {plural(seats, profession + ' seat')} in {period} they are eligible for "
        f"({listing(slots)}) are taken, {stuck} by students with no other free option"
    )


def _sessions_phrase(text: str) -> Callable[[Facts, tuple[str, ...], list[Cause]], str]:
    def describe(facts: Facts, key: tuple[str, ...], causes: list[Cause]) -> str:
        sessions = unique(
            (r for c in causes for r in c.related if r in facts.prep.sessions), limit=10_000
        )
        return text.format(key=key, sessions=listing(sessions))

    return describe


DESCRIPTIONS: dict[str, Callable[[Facts, tuple[str, ...], list[Cause]], str]] = {
    codes.PARTNER_UNAVAILABLE: _partner,
    codes.CAPACITY_TAKEN: _capacity,
    codes.SESSION_FULL: _sessions_phrase(
        "the sessions they are free for ({sessions}) hold their maximum number of full teams"
    ),
    codes.TEAMS_FULL: _sessions_phrase(
        "the teams of the sessions they are free for ({sessions}) are full"
    ),
    codes.PARTNER_COMMITTED: _sessions_phrase(
        "the {key[2]} students free at {sessions} are needed in other teams"
    ),
    codes.ROOM_TAKEN: _sessions_phrase("room {key[1]} is taken at {sessions}"),
    codes.FACILITATORS_BUSY: _sessions_phrase("no facilitator is available at {sessions}"),
    codes.NO_FACILITATOR: _sessions_phrase("no facilitator is free at {sessions}"),
    codes.PLACEMENT_CLASH: _sessions_phrase(
        "their placements in {key[1]} cover the sessions they are free for ({sessions})"
    ),
    codes.SEARCH_INCOMPLETE: _sessions_phrase(
        "the search stopped (time limit) before placing them"
    ),
}
