"""Small changes worth trying, read off the causes of the unmet needs.

Each proposal answers one kind of cause: students busy at every session or missing a
partner profession get a new session at the time most of them are free; full sessions one
more team; full slots more seats; slots out of reach a new slot where they can go, or a
higher travel limit. Nothing here claims a gain: `solver.explain.whatif` re-solves each.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from scheduler.domain.geo import travel_between
from scheduler.domain.schedule import (
    AddSession,
    AddSlot,
    ScenarioChange,
    SetCapacity,
    SetMaxTeams,
    SetMaxTravel,
)
from solver.explain import codes
from solver.explain.busy import busy_sources
from solver.explain.facts import Facts
from solver.explain.focus import Focus
from solver.explain.reasons import Explained
from solver.explain.renewals import credential_blocked, renewal_changes, site_covered
from solver.explain.session_times import best_time
from solver.explain.slot_causes import SlotChecker, site_rules

MAX_PER_KIND = 2
MAX_RENEWALS = 4
"""Credential renewals tried per profession at most (each is one re-solve)."""
WHOLE_PROFESSION_LIMIT = 300
"""Up to this many students with placements, a profession's placements are re-solved whole
(seats may be reshuffled); above it only its unplaced students move, the rest keep seats."""


@dataclass(frozen=True)
class Proposal:
    """Changes to try, the part of the term they touch, and whose needs motivated them."""

    code: str
    changes: tuple[ScenarioChange, ...]
    focus: Focus
    targets: tuple[str, ...]


def proposals(facts: Facts, explained: list[Explained]) -> list[Proposal]:
    """Proposals for every activity and profession with unmet needs, most targets first."""
    by_activity: dict[str, list[Explained]] = defaultdict(list)
    by_profession: dict[str, list[Explained]] = defaultdict(list)
    for item in explained:
        if item.entry.activity is not None:
            by_activity[item.entry.activity].append(item)
        else:
            by_profession[item.profession].append(item)
    found: list[Proposal] = []
    for activity, items in sorted(by_activity.items()):
        found += _session_proposals(facts, activity, items)
    for profession, items in sorted(by_profession.items()):
        found += _slot_proposals(facts, profession, items)
    found.sort(key=lambda p: -len(p.targets))
    return found


def _students(items: list[Explained]) -> list[str]:
    return list(dict.fromkeys(i.entry.student for i in items))


def _session_proposals(facts: Facts, activity: str, items: list[Explained]) -> list[Proposal]:
    focus = Focus(activity=activity)
    result = []
    added = _add_session(facts, activity, _students(items))
    if added is not None:
        result.append(added)
    full: Counter[str] = Counter()
    for item in items:
        for cause in item.causes:
            if cause.code == codes.SESSION_FULL:
                full.update(r for r in cause.related if r in facts.prep.sessions)
    for session, _count in full.most_common(MAX_PER_KIND):
        targets = tuple(
            i.entry.student
            for i in items
            if session in facts.prep.students[i.entry.student].free_sessions.get(activity, ())
        )
        most = facts.prep.sessions[session].max_teams + 1
        change = SetMaxTeams(session=session, max_teams=most)
        result.append(Proposal("add_team", (change,), focus, targets))
    return result


def _add_session(facts: Facts, activity: str, students: list[str]) -> Proposal | None:
    spec = next(a for a in facts.scenario.activities if a.id == activity)
    found = best_time(facts, spec, students)
    if found is None:
        return None
    taken = {s.id for a in facts.scenario.activities for s in a.sessions}
    number = 1
    while f"{activity}-NEW{number}" in taken:
        number += 1
    change = AddSession(
        activity=activity,
        session=f"{activity}-NEW{number}",
        start=found.start,
        end=found.end,
        room=found.room,
        max_teams=max(s.max_teams for s in spec.sessions) or 1,
    )
    return Proposal("add_session", (change,), Focus(activity=activity), found.free)


def _slot_proposals(facts: Facts, profession: str, items: list[Explained]) -> list[Proposal]:
    students = _students(items)
    focus = placement_focus(facts, profession, students)
    result = _more_seats(facts, focus, students)
    new_slot = _new_slot(facts, focus, profession, students)
    if new_slot is not None:
        result.append(new_slot)
    travel = _further(facts, focus, items)
    if travel is not None:
        result.append(travel)
    return result + _renewals(facts, focus, items)


def _renewals(facts: Facts, focus: Focus, items: list[Explained]) -> list[Proposal]:
    """For each student kept out only by credentials, the renewals that open a slot."""
    result = []
    for student in credential_blocked(items)[:MAX_RENEWALS]:
        changes = renewal_changes(facts, student, usable_periods(facts, student))
        if changes:
            result.append(Proposal("renew_credential", changes, focus, (student,)))
    return result


def placement_focus(facts: Facts, profession: str, unplaced: list[str]) -> Focus:
    """The profession's placements: all of them in a small term, else the unplaced only."""
    placed = sum(
        1 for i in facts.prep.students.values() if i.profession == profession and i.count > 0
    )
    movable = None if placed <= WHOLE_PROFESSION_LIMIT else frozenset(unplaced)
    return Focus(professions=frozenset({profession}), movable=movable)


def _more_seats(facts: Facts, focus: Focus, students: list[str]) -> list[Proposal]:
    """More seats in the full slots most of the unplaced students are eligible for."""
    wanting: dict[str, list[str]] = defaultdict(list)
    for student in students:
        usable = usable_periods(facts, student)
        for option in facts.prep.students[student].all_options:
            if option.period in usable and facts.seats_left(option.slot) <= 0:
                wanting[option.slot].append(student)
    ranked = sorted(wanting.items(), key=lambda item: (-len(item[1]), item[0]))
    result = []
    for slot, targets in ranked[:MAX_PER_KIND]:
        capacity = facts.slots[slot].capacity + len(targets)
        change = SetCapacity(slot=slot, capacity=capacity)
        result.append(Proposal("add_seats", (change,), focus, tuple(targets)))
    return result


def _new_slot(facts: Facts, focus: Focus, profession: str, students: list[str]) -> Proposal | None:
    """A new slot at the site and period most of the unplaced students could use."""
    counts: dict[tuple[str, str], list[str]] = defaultdict(list)
    for student in students:
        for pair in _usable_pairs(facts, student):
            counts[pair].append(student)
    if not counts:
        return None
    (site, period), targets = min(counts.items(), key=lambda item: (-len(item[1]), item[0]))
    taken = {s.id for s in facts.scenario.slots}
    slot_id = f"{site}-{period}-{profession}-NEW"
    while slot_id in taken:
        slot_id += "+"
    change = AddSlot(
        slot=slot_id, site=site, period=period, profession=profession, capacity=len(targets)
    )
    return Proposal("add_slot", (change,), focus, tuple(targets))


def _usable_pairs(facts: Facts, student: str) -> list[tuple[str, str]]:
    """(site, period) where a new slot of the student's profession would be eligible and
    would not clash with what the student already holds or attends."""
    person = facts.students[student]
    sources = busy_sources(facts.scenario, person, facts.positions[student])
    periods = [
        period_id
        for period_id in usable_periods(facts, student)
        if not any(s.blocks_period(facts.prep.periods[period_id]) for s in sources)
    ]
    sites = [s for s in facts.scenario.sites if not site_rules(facts, person, s)]
    dates = {p.id: p for p in facts.scenario.periods}
    return [
        (site.id, period)
        for site in sites
        for period in periods
        if site_covered(person, site, dates[period])
    ]


def usable_periods(facts: Facts, student: str) -> set[str]:
    """Periods where one more placement would clash with nothing the student holds or
    attends (busy time aside)."""
    prep = facts.prep
    taken = {facts.slots[s].period for s in facts.holds.get(student, ())}
    attended = [prep.sessions[s] for s in facts.attends.get(student, {}).values()]
    return {
        period
        for period in prep.periods
        if not any(frozenset({period, t}) in prep.period_clashes for t in taken)
        and not any(period in session.clash_periods for session in attended)
    }


def _further(facts: Facts, focus: Focus, items: list[Explained]) -> Proposal | None:
    """The smallest travel limit that puts a slot failing only the limit in reach of every
    unplaced student kept out by it."""
    limit = facts.scenario.policy.max_travel_km
    if limit is None:
        return None
    needed = 0.0
    targets = []
    for student in _students(items):
        nearest = _nearest_beyond(facts, student)
        if nearest is not None:
            needed = max(needed, nearest)
            targets.append(student)
    if not targets:
        return None
    change = SetMaxTravel(max_travel_km=math.ceil(needed * 10) / 10)
    return Proposal("relax_travel", (change,), focus, tuple(targets))


def _nearest_beyond(facts: Facts, student: str) -> float | None:
    person = facts.students[student]
    if person.home is None:
        return None
    sources = busy_sources(facts.scenario, person, facts.positions[student])
    checker = SlotChecker(facts, person, sources)
    usable = usable_periods(facts, student)
    best = None
    for slot in facts.scenario.slots:
        if slot.profession != person.profession or slot.period not in usable:
            continue
        if checker.rules(slot) != [(codes.TOO_FAR, "")]:
            continue
        km = travel_between(person.home, facts.sites[slot.site].location)
        best = km if best is None else min(best, km)
    return best
