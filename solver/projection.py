"""The previous schedule projected onto the changed term: a complete start for a repair.

What the change made impossible is dropped (a declined seat, a cancelled session, new busy
time); each student who lost a placement gets the best free seat that fits them (eligible,
no clash with their sessions or other placements, tag minimums kept); teams and
facilitators stay as they were where they still fit. `solver.assignment` then checks every
constraint of the model: a projection that breaks one is never used as a solution, and the
repair falls back to CP-SAT (`solver.stability.repair_start`).
"""

from __future__ import annotations

from collections import defaultdict

from solver.assignment import complete_max_targets, satisfies
from solver.model import TermModel
from solver.prepare import SlotOption, StudentInfo
from solver.stability import GONE, Previous, kept_slots, previous_values
from solver.staffing import counts_of


def project(model: TermModel, previous: Previous) -> dict[int, int] | None:
    """Values of every model variable for the projected previous schedule, or None when
    they break a constraint."""
    held = kept_slots(model, previous)
    _replace_lost(model, previous, held)
    values = previous_values(model, previous, held)
    _team_values(model, previous, values)
    complete_max_targets(model.cp, values)
    return values if satisfies(model.cp, values) else None


def _replace_lost(model: TermModel, previous: Previous, held: dict[str, set[str]]) -> None:
    """Give each student who lost a placement the best free seat that fits, if any."""
    prep = model.prep
    free = {slot.id: slot.capacity for slot in prep.scenario.slots}
    for slots in held.values():
        for slot in slots:
            free[slot] -= 1
    for student, before in sorted(previous.slots.items()):
        info = prep.students.get(student)
        if info is None:
            continue
        for _lost in range(min(len(before - held[student]), info.count - len(held[student]))):
            seat = _best_seat(model, info, previous, held[student], free)
            if seat is None:
                break
            held[student].add(seat.slot)
            free[seat.slot] -= 1


def _best_seat(
    model: TermModel,
    info: StudentInfo,
    previous: Previous,
    mine: set[str],
    free: dict[str, int],
) -> SlotOption | None:
    """The best-ranked (then nearest) free option that clashes with nothing of theirs."""
    prep = model.prep
    by_slot = {o.slot: o for o in info.options}
    periods = {by_slot[s].period for s in mine}
    blocked = {
        p for s in _sessions_kept(model, info, previous) for p in prep.sessions[s].clash_periods
    }
    for option in sorted(info.options, key=lambda o: (o.rank, o.travel, o.slot)):
        if free.get(option.slot, 0) <= 0 or option.slot in mine or option.period in blocked:
            continue
        if any(frozenset({option.period, p}) in prep.period_clashes for p in periods):
            continue
        if _tags_kept(info, [by_slot[s] for s in mine] + [option]):
            return option
    return None


def _sessions_kept(model: TermModel, info: StudentInfo, previous: Previous) -> list[str]:
    return [
        key
        for activity, free in info.free_sessions.items()
        if (key := previous.key(info.id, activity, free)) is not None and key != GONE
    ]


def _tags_kept(info: StudentInfo, options: list[SlotOption]) -> bool:
    """Tag minimums bind only a student who holds all `count` placements."""
    if info.requirement is None or len(options) < info.count:
        return True
    return all(
        sum(tag in o.tags for o in options) >= minimum
        for tag, minimum in info.requirement.tags.items()
    )


def _team_values(model: TermModel, previous: Previous, values: dict[int, int]) -> None:
    """Team counts (the previous one when it still fits), held flags, per-profession spreads
    and the previous facilitators of every session."""
    members: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    classes = model.prep.classes
    for (index, _pattern, session), var in model.attend.items():
        members[session][classes[index].profession] += values[var.index]
    for session, teams in model.teams.items():
        count = _team_count(model, session, members[session], previous.teams.get(session, 0))
        values[teams.count.index] = count
        values[teams.used.index] = int(count > 0)
        for profession, spread in teams.spreads.items():
            values[spread.index] = min(members[session].get(profession, 0), count)
    counts = counts_of(model.facilitator_groups, previous.facilitators)
    for key, var in model.staff.items():
        values[var.index] = counts.get(key, 0)


def _team_count(model: TermModel, session: str, members: dict[str, int], before: int) -> int:
    """The previous team count if the attendees still fit it, else the fewest that fit."""
    size = sum(members.values())
    if size == 0:
        return 0
    most = model.teams[session].most
    rule = model.prep.activities[model.prep.sessions[session].activity].team
    choices = [before] + [t for t in range(1, most + 1) if t != before]
    for count in choices:
        if 1 <= count <= most and _fits(rule, members, count):
            return count
    return before


def _fits(rule, members: dict[str, int], count: int) -> bool:
    if not rule.min_size * count <= sum(members.values()) <= rule.max_size * count:
        return False
    for profession, limit in rule.professions.items():
        n = members.get(profession, 0)
        high = rule.max_size if limit.max is None else min(limit.max, rule.max_size)
        if not limit.min * count <= n <= high * count:
            return False
    return sum(min(n, count) for n in members.values()) >= rule.min_professions * count
