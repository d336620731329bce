"""Group causes: needs that fail for the same reasons are said once, with their count.

Two entries share a group when they concern the same activity or requirement, have the same
headline, and their leading causes have the same keys (the same calendar, the same missing
partner profession, the same full seats of a period...). Professions are counted, not split.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Container
from dataclasses import dataclass

from solver.explain import codes
from solver.explain.facts import Cause, Facts
from solver.explain.merge import listing, plural, unique
from solver.explain.reasons import Explained
from solver.explain.slot_causes import has_alternative, stuck_clause

MAX_GROUPS = 50
SAMPLE = 10


@dataclass(frozen=True)
class Group:
    """Needs with the same causes: how many, in one sentence, with the ids concerned."""

    code: str
    need: str
    professions: dict[str, int]
    needs: int
    students: tuple[str, ...]
    message: str
    causes: tuple[str, ...]
    related: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "need": self.need,
            "professions": self.professions,
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
        signature = (item.headline.code, item.need, keys)
        buckets.setdefault(signature, []).append(item)
    groups = [_group(facts, items) for items in buckets.values()]
    groups.sort(key=lambda g: (-g.needs, g.need, g.code))
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
    professions = Counter(facts.students[s].profession for s in students)
    message = f"{_who(professions)} ({plural(len(items), 'need')} of {first.need}): "
    message += "; ".join(parts)
    related = unique(
        [first.need, *(r for causes in by_key.values() for c in causes for r in c.related)]
    )
    code = next(iter(by_key.values()))[0].code if len(by_key) == 1 else first.headline.code
    return Group(
        code=code,
        need=first.need,
        professions=dict(professions.most_common()),
        needs=len(items),
        students=students,
        message=message,
        causes=tuple(k[0] for k in by_key),
        related=related,
    )


def _who(professions: Counter[str]) -> str:
    """ "14 GC students", or "22 students (7 OT, 6 NURS, ...)" when professions mix."""
    total = sum(professions.values())
    if len(professions) == 1:
        return plural(total, f"{next(iter(professions))} student")
    mix = ", ".join(f"{n} {code}" for code, n in professions.most_common())
    return f"{plural(total, 'student')} ({mix})"


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
        f"({listing(slots)}) are taken{stuck_clause(stuck)}"
    )


def _ids_phrase(text: str, kind: str) -> Callable[[Facts, tuple[str, ...], list[Cause]], str]:
    """A template over the union of the group's ids of one kind (sessions, slots, sites)."""

    def describe(facts: Facts, key: tuple[str, ...], causes: list[Cause]) -> str:
        lookups: dict[str, Container[str]] = {
            "sessions": facts.prep.sessions,
            "slots": facts.slots,
            "sites": facts.sites,
            "periods": facts.prep.periods,
        }
        known = lookups[kind]
        ids = unique((r for c in causes for r in c.related if r in known), limit=10_000)
        s = "" if len(ids) == 1 else "s"
        return text.format(key=key, ids=listing(ids), count=len(ids), s=s)

    return describe


DESCRIPTIONS: dict[str, Callable[[Facts, tuple[str, ...], list[Cause]], str]] = {
    codes.PARTNER_UNAVAILABLE: _partner,
    codes.CAPACITY_TAKEN: _capacity,
    codes.BUSY_PERSONAL: _ids_phrase("their own busy time blocks {ids}", "sessions"),
    codes.ROOM_INACCESSIBLE: _ids_phrase(
        "they need accessible rooms, and the rooms of {ids} are not", "sessions"
    ),
    codes.SESSION_FULL: _ids_phrase(
        "the sessions they are free for ({ids}) hold their maximum number of full teams",
        "sessions",
    ),
    codes.TEAMS_FULL: _ids_phrase(
        "the teams of the sessions they are free for ({ids}) are full", "sessions"
    ),
    codes.PARTNER_COMMITTED: _ids_phrase(
        "the {key[2]} students free at {ids} are needed in other teams", "sessions"
    ),
    codes.ROOM_TAKEN: _ids_phrase("room {key[1]} is taken at {ids}", "sessions"),
    codes.FACILITATORS_BUSY: _ids_phrase("no facilitator is available at {ids}", "sessions"),
    codes.NO_FACILITATOR: _ids_phrase("no facilitator is free at {ids}", "sessions"),
    codes.PLACEMENT_CLASH: _ids_phrase(
        "their placements in {key[1]} cover the sessions they are free for ({ids})", "sessions"
    ),
    codes.BUSY_PERIOD: _ids_phrase("busy time rules out period {ids}", "periods"),
    codes.TRANSIT_INACCESSIBLE: _ids_phrase(
        "they travel by transit, and {count} site{s} with {key[1]} slots are not "
        "transit-accessible ({ids})",
        "sites",
    ),
    codes.SITE_INACCESSIBLE: _ids_phrase(
        "they need accessible sites, and {count} site{s} are not ({ids})", "sites"
    ),
    codes.TOO_FAR: _ids_phrase(
        "{count} site{s} with {key[1]} slots lie beyond the travel limit ({ids})", "sites"
    ),
    codes.LANGUAGE_REQUIRED: _ids_phrase(
        "{count} slot{s} require {key[1]}, which they do not speak ({ids})", "slots"
    ),
    codes.SLOT_DECLINED: _ids_phrase("{count} {key[1]} slot{s} declined ({ids})", "slots"),
    codes.PLACEMENT_OVERLAP: _ids_phrase(
        "the remaining slots in {key[1]} overlap placements they hold", "slots"
    ),
    codes.SESSION_CLASH: _ids_phrase(
        "the remaining slots in {key[1]} clash with session {key[2]}, which they attend", "slots"
    ),
    codes.TOO_FEW_PERIODS: _ids_phrase(
        "{key[1]} asks for more placements than fit in the periods left to them ({ids}); "
        "busy time or clashes rule out the others",
        "periods",
    ),
    codes.SEARCH_INCOMPLETE: _ids_phrase(
        "the search stopped (time limit) before placing them", "sessions"
    ),
    # student plans (extension)
    codes.QUALIFICATION_REQUIRED: _ids_phrase(
        "{count} slot{s} require {key[1]}, which they do not hold ({ids})", "slots"
    ),
    codes.DISCIPLINE_DONE: _ids_phrase(
        "{key[1]} is done already or its elective choice is full ({ids})", "slots"
    ),
    codes.UNMET_PRECEDENCE: _ids_phrase(
        "their {key[1]} rotations ({ids}) would start before a discipline it needs is finished",
        "slots",
    ),
    codes.NO_ROTATION_FITS: _ids_phrase(
        "no {key[1]} rotation ({ids}) fits beside the rotations they hold", "slots"
    ),
}
