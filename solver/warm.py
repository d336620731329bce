"""Warm start: complete, valid joint schedules built fast, the best one kept.

1. Flow starts (`flow_starts`): placements by min-cost flow over every eligible option,
   keeping tag minimums (`solver.placement_flow`, `solver.placement_repair`): best rank,
   and, when sessions clash with placement periods, fewest placements in the periods that
   clash with sessions each student could attend.
2. Drafts (`greedy_drafts`): greedy sessions around a start's placements, then the best
   placements around those sessions (by flow, then by LP with exact tag minimums); built
   before the model trims the options.
3. On terms that are not large and whose drafts miss the coverage bound, CP-SAT adds the
   IPE part solved alone (its optimum, or proven bound, also bounds the joint coverage)
   with placements around it, and the best placements with sessions around them.
Every rule holds, so each lexicographic level starts from a valid schedule, and the
coverage level is already proven whenever a draft reaches the bound.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ortools.sat.python import cp_model

from solver.greedy import GreedyState, greedy_sessions, greedy_values
from solver.model import Pattern, TermModel
from solver.options import options_among, without_periods
from solver.period_choice import clash_free_options
from solver.placement_flow import TAG_ROUNDS, flow_plan
from solver.placement_lp import lp_placements
from solver.placement_repair import repair_placements
from solver.prepare import IpeClass, Prepared, SlotOption, StudentInfo
from solver.relaxation import PlacementTotals
from solver.rules import apply_rules
from solver.session_groups import regroup
from solver.staffing import counts_of, name_facilitators

SolverFactory = Callable[[], cp_model.CpSolver]
CLASH_SCALE = 10
"""Penalty of one clashing attendee whose whole class could be placed in the clash."""
IPE_WEIGHT = 10**7
"""Weight of attendance over the clash tie-break: one attendee outweighs any clash load."""


def _attendance_bound(weighted_bound: float) -> int:
    """Upper bound on attendance from the bound of IPE_WEIGHT * attendance - load (load >= 0,
    below IPE_WEIGHT)."""
    return int((weighted_bound + IPE_WEIGHT - 1) // IPE_WEIGHT)


@dataclass(frozen=True)
class WarmStart:
    ipe_best: int
    """The best IPE attendance with placements dropped, or its proven upper bound."""
    values: dict[int, int] | None
    """Values of the joint model's variables by index (None when nothing was found)."""
    searched: bool = False
    """Whether CP-SAT's starts ran (the IPE part alone, sessions around the placements)."""


@dataclass(frozen=True)
class FlowStarts:
    """Placements from the exact flow, made valid (`repair_placements`)."""

    best: dict[str, list[str]] | None
    """Most placements, then best rank, then least travel (None: not computed, a large
    term whose sessions clash with placements)."""
    avoiding: dict[str, list[str]] | None
    """Most placements, then fewest in periods that clash with sessions the student could
    attend, then rank and travel: room for sessions (None: no session clashes)."""
    most_placements: int = 0
    """The flow's maximum with tag minimums and sessions left aside: no more can be held."""
    wanted: dict[str, frozenset[str]] = field(default_factory=dict)
    """Per student, the clashing periods the best-rank flow gave them a placement in: the
    sessions that leave those periods free go to them first (`greedy_sessions`)."""

    @property
    def first(self) -> dict[str, list[str]]:
        """The placements sessions are first fitted around."""
        first = self.avoiding if self.avoiding is not None else self.best
        assert first is not None
        return first


def flow_starts(
    prep: Prepared, deadline: float | None = None, rounds: int = TAG_ROUNDS
) -> FlowStarts:
    """The flow starts over every eligible option (one network, two cost settings); on a
    large term whose sessions clash with placements, only the avoiding one (the best-rank
    start lost 406 attendees to clashes on the 5,000 term)."""
    network = PlacementTotals(prep)
    allowed = clash_free_options(prep)  # students whose own periods overlap: one set each
    planned = PlacementTotals(prep, options_of=allowed) if allowed is not None else network
    clashing = clash_periods(prep)
    best, avoiding = None, None
    if not clashing or not prep.large:
        plan = flow_plan(prep, planned, rounds=rounds, options_of=allowed, deadline=deadline)
        best = repair_placements(prep, plan.chosen)
    if not clashing:
        return FlowStarts(best, None, network.max_placements())
    plan = flow_plan(
        prep, planned, avoid=clashing, rounds=rounds, options_of=allowed, deadline=deadline
    )
    avoiding = repair_placements(prep, plan.chosen)
    if best is None:  # one flow without the tag rounds says well enough who wants what
        best_rank = planned.solve(rank_weight=planned.rank_weight, travel_weight=1).chosen
    else:
        best_rank = best
    wanted = _held_periods(prep, best_rank, clashing)
    return FlowStarts(best, avoiding, network.max_placements(), wanted)


def _held_periods(
    prep: Prepared, chosen: dict[str, list[str]], among: dict[str, frozenset[str]]
) -> dict[str, frozenset[str]]:
    """Per student, the periods of their placements that are among the given ones."""
    period = {slot.id: slot.period for slot in prep.scenario.slots}
    held = {
        student: frozenset(period[slot] for slot in slots) & among.get(student, frozenset())
        for student, slots in chosen.items()
    }
    return {student: periods for student, periods in held.items() if periods}


def clash_periods(prep: Prepared) -> dict[str, frozenset[str]]:
    """Per student, the periods whose placements would clash with a session they could
    attend (students without any left out)."""
    return {
        student: frozenset(ipe_class.relevant_periods)
        for ipe_class in prep.classes
        if ipe_class.relevant_periods
        for student in ipe_class.students
    }


@dataclass(frozen=True)
class Draft:
    """A complete schedule outside the model: placements and greedy sessions."""

    placed: dict[str, list[str]]
    state: GreedyState


def greedy_drafts(
    prep: Prepared,
    starts: FlowStarts,
    deadline: float | None = None,
    lp_deadline: float | None = None,
    on_first: Callable[[Draft], None] | None = None,
) -> list[Draft]:
    """Schedules without CP-SAT, built over every eligible option (so before the model's
    options are trimmed): greedy sessions around the first flow start, giving the sessions
    that leave placement days free to the students the best-rank flow placed on those days;
    when those placements avoided clashes, the best placements around the sessions
    (preferences); when the sessions lost attendees, sessions alone with placements around
    them; on a term that is not large, also sessions around the best placements. On the
    5,000 term: 15,710 of a bound of 15,710 (15,303 around the best placements), and the
    students wanting placement days first took the preference sum from 13,684 to about
    13,510.

    With `lp_deadline`, the best draft's placements are instead re-chosen by LP, together
    with who sits in the sessions of an activity that clash with placement periods
    (`solver.session_groups`), else around its sessions (`solver.placement_lp`); the flow
    around the sessions only runs if that fails with time left. 5,000 term: 13,093
    (bound 13,009) by about 25 s."""
    by_lp = lp_deadline is not None
    first = greedy_sessions(prep, starts.first, starts.wanted)
    drafts = [Draft(starts.first, first)]
    if on_first is not None:  # a complete schedule already: say so before the slower steps
        on_first(drafts[0])
    # past `deadline` no further draft is begun (20,000 term: each took 50-130 s)
    lost = _attendance(first) < attendance_ceiling(prep)
    alone = greedy_sessions(prep, {}) if lost and _in_time(deadline) else None
    if starts.avoiding is not None and not by_lp and _in_time(deadline):
        drafts.append(_draft_around(prep, first, deadline, TAG_ROUNDS))
    if alone is not None and _in_time(deadline):  # the flow places (the LP re-chooses them)
        drafts.append(_draft_around(prep, alone, deadline, 0 if by_lp else TAG_ROUNDS))
    if starts.avoiding is not None and starts.best is not None and _in_time(deadline):
        drafts.append(Draft(starts.best, greedy_sessions(prep, starts.best)))
    if not by_lp:
        return drafts
    polished = _lp_draft(prep, drafts, lp_deadline)
    if polished is not None:
        return [*drafts, polished]
    if not _in_time(lp_deadline):
        return drafts  # late: the fallbacks below took 11 s at 5,000, past the time limit
    # the LP failed or ran out of time: the flow's best placements around the sessions
    if starts.avoiding is not None:
        drafts.append(_draft_around(prep, first, lp_deadline, TAG_ROUNDS))
    if alone is not None:
        drafts.append(_draft_around(prep, alone, lp_deadline, TAG_ROUNDS))
    return drafts


def _in_time(deadline: float | None) -> bool:
    return deadline is None or time.monotonic() < deadline


def _draft_around(prep: Prepared, state: GreedyState, deadline: float | None, rounds: int) -> Draft:
    return Draft(_placements_around(prep, state.sessions_of, deadline, rounds), state)


def _lp_draft(prep: Prepared, drafts: list[Draft], deadline: float | None) -> Draft | None:
    """The best draft re-chosen by LP: placements with the session groups of clashing
    activities, else placements alone around its sessions (tag minimums exact either
    way); None when nothing better comes in time."""
    if not _in_time(deadline):
        return None
    best = max(drafts, key=lambda d: _quality(prep, d))
    sessions_of = best.state.sessions_of

    def allowed(info: StudentInfo) -> Sequence[SlotOption]:
        blocked = {p for s in sessions_of.get(info.id, ()) for p in prep.sessions[s].clash_periods}
        return without_periods(info.all_options, blocked)

    regrouped = regroup(prep, best.placed, best.state, deadline)
    if regrouped is not None:
        draft = Draft(*regrouped)
    else:
        placed = lp_placements(prep, best.placed, allowed, deadline)
        draft = Draft(placed, best.state) if placed is not None else best
    return draft if _quality(prep, draft) > _quality(prep, best) else None


def _quality(prep: Prepared, draft: Draft) -> tuple[int, int]:
    """Coverage first, then preferences: larger is better."""
    return draft_coverage(draft), -_draft_rank(prep, draft)


def draft_coverage(draft: Draft) -> int:
    return sum(len(slots) for slots in draft.placed.values()) + _attendance(draft.state)


def _draft_rank(prep: Prepared, draft: Draft) -> int:
    return sum(
        option.rank
        for student, slots in draft.placed.items()
        for option in options_among(prep.students[student].all_options, slots).values()
    )


def slots_of(drafts: list[Draft]) -> dict[str, list[str]]:
    """Every slot a draft holds, per student: the model must keep them all."""
    result: dict[str, list[str]] = defaultdict(list)
    for draft in drafts:
        for student, slots in draft.placed.items():
            result[student] += [slot for slot in slots if slot not in result[student]]
    return result


def warm_start(
    model: TermModel, make_solver: SolverFactory, seed: int, starts: FlowStarts, drafts: list[Draft]
) -> WarmStart:
    """The drafts as model values, the one of most coverage (then best preferences) kept.

    Unless one of them already reaches the coverage bound, or the term is too large for it
    to help (`Prepared.large`: on the 5,000 term the IPE-only solve found nothing better
    than the greedy sessions in 18 s, the joint one nothing), CP-SAT adds two more:
    sessions first (IPE-only model) with placements around them, and the best placements
    with sessions around them."""
    prep = model.prep
    upper = attendance_ceiling(prep)
    candidates = [greedy_values(model, draft.placed, draft.state) for draft in drafts]
    most = upper + starts.most_placements
    if _best_coverage(model, candidates) >= most or prep.large or starts.best is None:
        return WarmStart(upper, _most_coverage(model, candidates))
    ipe = _ipe_model(prep)
    _hint_ipe(ipe, max((draft.state for draft in drafts), key=_attendance))
    solver = make_solver()
    status = solver.solve(ipe.cp)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return WarmStart(upper, _most_coverage(model, candidates), searched=True)
    ipe_best = min(upper, _attendance_bound(solver.best_objective_bound))
    sessions_of = _name_attendees(model, ipe, solver, seed)
    held = _placements_around(prep, sessions_of)
    candidates.append(_joint_values(model, ipe, solver, sessions_of, held))
    placed_first = _sessions_around(model, make_solver, seed, starts.best)
    if placed_first is not None:
        candidates.append(placed_first)
    return WarmStart(ipe_best, _most_coverage(model, candidates), searched=True)


def _best_coverage(model: TermModel, candidates: list[dict[int, int] | None]) -> int:
    return max((_coverage(model, c) for c in candidates if c is not None), default=0)


def _most_coverage(
    model: TermModel, candidates: list[dict[int, int] | None]
) -> dict[int, int] | None:
    """The candidate of most coverage, then least preference rank."""
    ranks = [
        (model.place[info.id, o.slot].index, o.rank)
        for info in model.prep.students.values()
        for o in info.options
    ]

    def rank_sum(values: dict[int, int]) -> int:
        return sum(rank for index, rank in ranks if values.get(index, 0))

    complete = [c for c in candidates if c is not None]
    return max(complete, key=lambda v: (_coverage(model, v), -rank_sum(v)), default=None)


def _attendance(state: GreedyState) -> int:
    """Sessions attended in a greedy state: the IPE-only solve starts from the better of
    sessions around the placements and sessions alone (measured on the 5,000 term: 9,099
    and 9,510, the latter the attendance ceiling)."""
    return sum(len(sessions) for sessions in state.sessions_of.values())


def attendance_ceiling(prep: Prepared) -> int:
    """Attendance can never exceed one session per student and activity with a free
    session: often the IPE optimum itself on generated terms, proven at no cost."""
    return sum(
        len(c.students) * sum(1 for sessions in c.free_sessions.values() if sessions)
        for c in prep.classes
    )


def _hint_ipe(ipe: TermModel, state: GreedyState) -> None:
    """Start the IPE-only solve from the greedy sessions (placements left aside)."""
    class_of = {s: c.index for c in ipe.prep.classes for s in c.students}
    counts: dict[tuple, int] = defaultdict(int)
    for student, sessions in state.sessions_of.items():
        for session in sessions:
            counts[class_of[student], frozenset(), session] += 1
    for key, var in ipe.attend.items():
        ipe.cp.add_hint(var, counts.get(key, 0))
    for session, teams in ipe.teams.items():
        formed = state.teams.get(session, [])
        ipe.cp.add_hint(teams.count, len(formed))
        ipe.cp.add_hint(teams.used, int(bool(formed)))
        members: dict[str, int] = defaultdict(int)
        for team in formed:
            for student in team:
                members[ipe.prep.students[student].profession] += 1
        for profession, spread in teams.spreads.items():
            ipe.cp.add_hint(spread, min(members[profession], len(formed)))
    staff = counts_of(ipe.facilitator_groups, state.facilitators)
    for staff_key, var in ipe.staff.items():
        ipe.cp.add_hint(var, staff.get(staff_key, 0))


def _coverage(model: TermModel, values: dict[int, int]) -> int:
    return sum(values.get(v.index, 0) for v in (*model.attend.values(), *model.place.values()))


def _sessions_around(
    model: TermModel, make_solver: SolverFactory, seed: int, held: dict[str, list[str]]
) -> dict[int, int] | None:
    """The placements held, and the most attendance in sessions that do not clash with
    them: an IPE model whose classes are split by placement pattern."""
    prep = model.prep
    split, origin = _split_classes(prep, held)
    students = {sid: replace(info, options=[]) for sid, info in prep.students.items()}
    ipe = TermModel(replace(prep, students=students, classes=split))
    apply_rules(ipe)
    ipe.cp.maximize(sum(ipe.attend.values()))
    solver = make_solver()
    if solver.solve(ipe.cp) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    sessions_of: dict[str, list[str]] = defaultdict(list)
    for sub in split:
        for activity, sessions in sub.free_sessions.items():
            pool = sorted(sub.students)
            random.Random(f"{seed}:{origin[sub.index]}:{activity}").shuffle(pool)
            for session in sessions:
                var = ipe.attend.get((sub.index, frozenset(), session))
                count = int(solver.value(var)) if var is not None else 0
                for student in pool[:count]:
                    sessions_of[student].append(session)
                pool = pool[count:]
    return _joint_values(model, ipe, solver, sessions_of, held)


def _split_classes(
    prep: Prepared, held: dict[str, list[str]]
) -> tuple[list[IpeClass], dict[int, int]]:
    """Each class split by its members' placement pattern, each part's sessions limited to
    those that do not clash with the pattern; origin maps part index to class index."""
    parts: list[IpeClass] = []
    origin: dict[int, int] = {}
    for ipe_class in prep.classes:
        relevant = frozenset(ipe_class.relevant_periods)
        groups: dict[frozenset[str], list[str]] = defaultdict(list)
        for student in ipe_class.students:
            periods = {o.slot: o.period for o in prep.students[student].options}
            groups[frozenset(periods[s] for s in held.get(student, ())) & relevant].append(student)
        for pattern, members in sorted(groups.items(), key=lambda item: sorted(item[0])):
            free = {
                activity: tuple(s for s in sessions if not prep.sessions[s].clash_periods & pattern)
                for activity, sessions in ipe_class.free_sessions.items()
            }
            origin[len(parts)] = ipe_class.index
            parts.append(
                replace(
                    ipe_class,
                    index=len(parts),
                    free_sessions=free,
                    students=members,
                    relevant_periods=(),
                )
            )
    return parts, origin


def _ipe_model(prep: Prepared) -> TermModel:
    students = {sid: replace(info, options=[]) for sid, info in prep.students.items()}
    classes = [replace(c, relevant_periods=()) for c in prep.classes]
    model = TermModel(replace(prep, students=students, classes=classes))
    apply_rules(model)
    model.cp.maximize(IPE_WEIGHT * sum(model.attend.values()) - _clash_load(model, prep))
    return model


def _clash_load(model: TermModel, prep: Prepared) -> Any:
    """Attendance in sessions that clash with placement periods, weighted by how many of
    the class could be placed in them: the tie-break that leaves room for placements."""
    periods_of: dict[str, frozenset[str]] = {}
    terms = []
    for (class_index, _pattern, session), var in model.attend.items():
        clash = prep.sessions[session].clash_periods
        if not clash:
            continue
        ipe_class = prep.classes[class_index]
        for student in ipe_class.students:
            if student not in periods_of:  # options are walked once per student, not per var
                periods_of[student] = frozenset(o.period for o in prep.students[student].options)
        exposed = sum(bool(periods_of[s] & clash) for s in ipe_class.students)
        if exposed:
            terms.append(round(CLASH_SCALE * exposed / len(ipe_class.students)) * var)
    return sum(terms)


def _clash_options(info: StudentInfo, periods: frozenset[str]) -> int:
    return sum(option.period in periods for option in info.options)


def _name_attendees(
    model: TermModel, ipe: TermModel, solver: cp_model.CpSolver, seed: int
) -> dict[str, list[str]]:
    """Sessions per student, from the IPE counts; the least disrupted students go first."""
    prep = model.prep
    result: dict[str, list[str]] = defaultdict(list)
    for ipe_class in prep.classes:
        for activity, sessions in ipe_class.free_sessions.items():
            pool = sorted(ipe_class.students)
            random.Random(f"{seed}:{ipe_class.index}:{activity}").shuffle(pool)
            ordered = sorted(sessions, key=lambda s: -len(prep.sessions[s].clash_periods))
            for session in ordered:
                var = ipe.attend.get((ipe_class.index, frozenset(), session))
                count = int(solver.value(var)) if var is not None else 0
                if count == 0:
                    continue
                clash = prep.sessions[session].clash_periods
                pool.sort(key=lambda s: _clash_options(prep.students[s], clash))
                for student in pool[:count]:
                    result[student].append(session)
                pool = pool[count:]
    return result


def _placements_around(
    prep: Prepared,
    sessions_of: dict[str, list[str]],
    deadline: float | None = None,
    rounds: int = TAG_ROUNDS,
) -> dict[str, list[str]]:
    """Most placements at best rank, then travel, in periods free of each student's sessions."""

    def allowed(info: StudentInfo) -> Sequence[SlotOption]:
        blocked = {p for s in sessions_of.get(info.id, ()) for p in prep.sessions[s].clash_periods}
        return without_periods(info.options, blocked)

    network = PlacementTotals(prep, options_of=allowed)
    plan = flow_plan(prep, network, options_of=allowed, rounds=rounds, deadline=deadline)
    return repair_placements(prep, plan.chosen, options_of=allowed)


def _joint_values(
    model: TermModel,
    ipe: TermModel,
    solver: cp_model.CpSolver,
    sessions_of: dict[str, list[str]],
    held: dict[str, list[str]],
) -> dict[int, int] | None:
    """The joint model's variables set to the named attendance and the placements (None
    when an attendee's placement pattern is not modelled: not a valid start)."""
    values: dict[int, int] = {}
    for (student, slot), var in model.place.items():
        values[var.index] = int(slot in held.get(student, ()))
    for session, teams in model.teams.items():
        ipe_teams = ipe.teams.get(session)
        if ipe_teams is None:
            continue
        values[teams.count.index] = int(solver.value(ipe_teams.count))
        values[teams.used.index] = int(solver.value(ipe_teams.used))
        for profession, spread in teams.spreads.items():
            if profession in ipe_teams.spreads:
                values[spread.index] = int(solver.value(ipe_teams.spreads[profession]))
    ipe_counts = {key: int(solver.value(var)) for key, var in ipe.staff.items()}
    named = name_facilitators(model.prep.sessions, ipe.facilitator_groups, ipe_counts)
    staff = counts_of(model.facilitator_groups, named)
    for staff_key, var in model.staff.items():
        values[var.index] = staff.get(staff_key, 0)
    counts: dict[tuple[int, Pattern, str], int] = defaultdict(int)
    for ipe_class in model.prep.classes:
        relevant = frozenset(ipe_class.relevant_periods)
        for student in ipe_class.students:
            info = model.prep.students[student]
            periods = {o.slot: o.period for o in info.options}
            pattern = frozenset(periods[s] for s in held.get(student, ())) & relevant
            flag = model.pattern_of.get((student, pattern))
            if flag is not None:
                values[flag.index] = 1
            for session in sessions_of.get(student, ()):
                counts[ipe_class.index, pattern, session] += 1
    if not all(key in model.attend for key in counts):
        return None  # an attendee the model cannot hold: not a valid start
    for attend_key, var in model.attend.items():
        values[var.index] = counts.get(attend_key, 0)
    return values
