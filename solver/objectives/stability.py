"""Stability: assignments that differ from `policy.previous` (minimised).

One change (docs/objectives.md, `scheduler.domain.diff`): per student of the scenario and
activity, the session attended before and now differ (none counts as a value); per
student's placements, max(|before - now|, |now - before|).

Sessions, per class c, placement pattern H and activity (`solver.stability`): n_p members
of the pool had session p before (N = their sum, GONE included), the rest none; x_s attend
session s. At best k_p = min(x_p, n_p) keep p, the other N - sum k_p had a session and
lose it (one change each, moved or dropped), and max(0, sum x - N) seats go to members
who had none (one change each). So changes = N - sum k_p + e with k_p <= x_p, k_p <= n_p,
e >= sum x - N: exact when minimised, and `solver.stability.seat` names exactly that.
Placements: |before| - kept + max(0, held - |before|).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from weakref import WeakKeyDictionary

from ortools.sat.python import cp_model

from solver.model import Pattern, TermModel
from solver.objectives.base import Objective, ObjectiveModule, TieBreak
from solver.prepare import IpeClass
from solver.stability import GONE, Previous, previous_of

ValueOf = Callable[[cp_model.IntVar], int]


_BUILT: WeakKeyDictionary[cp_model.CpModel, Objective] = WeakKeyDictionary()


def build(model: TermModel) -> Objective | None:
    """None without a previous schedule: there is nothing to stay close to.

    Built once per model: the repair start, the coverage tie-break and the level share its
    variables, so each starts from the last one's values."""
    previous = previous_of(model.prep)
    if previous is None:
        return None
    if model.cp not in _BUILT:
        _BUILT[model.cp] = _build(model, previous)
    return _BUILT[model.cp]


def _build(model: TermModel, previous: Previous) -> Objective:
    terms: list = []
    constant = _lost_activities(model, previous) + _had_sessions(model, previous)
    for ipe_class, pattern, activity, seats in _pools(model):
        groups = _groups(model, ipe_class, pattern, activity, previous)
        _pool_terms(model, seats, groups, terms, (ipe_class.index, "+".join(sorted(pattern))))
    constant += _placement_terms(model, previous, terms)
    return Objective("stability", sum(terms) + constant, maximize=False)


def value(model: TermModel, value_of: ValueOf) -> float:
    """The level's value in given solution values (the count `build` minimises)."""
    previous = previous_of(model.prep)
    if previous is None:
        return 0.0
    total = _lost_activities(model, previous) + _had_sessions(model, previous)
    for ipe_class, pattern, activity, seats in _pools(model):
        groups = _groups(model, ipe_class, pattern, activity, previous)
        sizes = {key: sum(_evaluate(t, value_of) for t in terms) for key, terms in groups.items()}
        had = sum(size for key, size in sizes.items() if key is not None)
        taken = {session: value_of(var) for session, var in seats}
        total -= sum(min(taken.get(key, 0), size) for key, size in sizes.items() if key)
        total += max(0, sum(taken.values()) - had)
    for info in model.prep.students.values():
        before = previous.slots.get(info.id, frozenset())
        held = {o.slot for o in info.options if value_of(model.place[info.id, o.slot])}
        total += max(len(before - held), len(held - before))
    return float(total)


def tie_break(model: TermModel) -> TieBreak | None:
    """Stability as the coverage level's tie-break on a repair, with a weight above any value
    it can take: coverage then regains what a change cost by the fewest moves, where alone
    it would pick any of its optima and leave the stability level far from home. Reaching
    the coverage bound does not end that search: the fewest moves are still to be found."""
    built = build(model)
    if built is None:
        return None
    previous = previous_of(model.prep)
    assert previous is not None
    most = sum(
        len(info.free_sessions)
        + len(previous.sessions.get(info.id, {}))
        + max(info.count, len(previous.slots.get(info.id, ())))
        for info in model.prep.students.values()
    )
    return TieBreak(built.expression, most + 1, stops_at_bound=False)


Seats = list[tuple[str, cp_model.IntVar]]


def _pools(model: TermModel) -> list[tuple[IpeClass, Pattern, str, Seats]]:
    """Every (class, pattern, activity) with its attendance variables by session."""
    seats: dict[tuple[int, Pattern, str], Seats] = defaultdict(list)
    for (index, pattern, session), var in model.attend.items():
        activity = model.prep.sessions[session].activity
        seats[index, pattern, activity].append((session, var))
    classes = model.prep.classes
    return [(classes[i], pattern, a, found) for (i, pattern, a), found in seats.items()]


def _groups(
    model: TermModel, ipe_class: IpeClass, pattern: Pattern, activity: str, previous: Previous
) -> dict[str | None, list]:
    """Members of the pool by previous key, each as 1 or as their pattern flag (a member
    without flags holds nothing in the class's clashing periods: pattern empty)."""
    free = ipe_class.free_sessions[activity]
    groups: dict[str | None, list] = defaultdict(list)
    for student in ipe_class.students:
        flag = model.pattern_of.get((student, pattern))
        if flag is None and pattern:
            continue
        groups[previous.key(student, activity, free)].append(1 if flag is None else flag)
    return groups


def _had_sessions(model: TermModel, previous: Previous) -> int:
    """Members who had a session of an activity still open to them: each is a change
    unless counted back as a keeper."""
    had = 0
    for ipe_class in model.prep.classes:
        for activity, free in ipe_class.free_sessions.items():
            if free:
                had += sum(previous.key(s, activity, free) is not None for s in ipe_class.students)
    return had


def _pool_terms(
    model: TermModel, seats: Seats, groups: dict[str | None, list], terms: list, name: tuple
) -> None:
    """Add one pool's keepers (negative) and newcomers (positive) to `terms`."""
    cp = model.cp
    had = [t for key, members in groups.items() if key is not None for t in members]
    if not had:
        terms += [var for _, var in seats]
        return
    for session, var in seats:
        members = groups.get(session, [])
        if not members:
            continue
        keep = cp.new_int_var(0, len(members), f"keep[{name[0]},{name[1]},{session}]")
        cp.add_min_equality(keep, [var, sum(members)])
        model.helpers.append(keep)
        terms.append(-keep)
    if None in groups:
        excess = cp.new_int_var(0, len(groups[None]), f"newcomers[{name[0]},{name[1]}]")
        cp.add_max_equality(excess, [0, sum(var for _, var in seats) - sum(had)])
        model.helpers.append(excess)
        terms.append(excess)


def _evaluate(term: object, value_of: ValueOf) -> int:
    return term if isinstance(term, int) else value_of(term)  # type: ignore[arg-type]


def _lost_activities(model: TermModel, previous: Previous) -> int:
    """Previous attendances in activities the student no longer takes part in, or in which
    no session is open to them any more: changes whatever the solver does."""
    lost = 0
    for info in model.prep.students.values():
        before = previous.sessions.get(info.id, {})
        lost += sum(not info.free_sessions.get(activity) for activity in before)
    return lost


def _placement_terms(model: TermModel, previous: Previous, terms: list) -> int:
    """|before| - kept per student, plus the excess of new placements over |before|;
    returns the constant part."""
    constant = 0
    for info in model.prep.students.values():
        before = previous.slots.get(info.id, frozenset())
        constant += len(before)
        held = [model.place[info.id, o.slot] for o in info.options]
        terms += [-model.place[info.id, slot] for slot in before if (info.id, slot) in model.place]
        if info.count > len(before) and held:
            excess = model.cp.new_int_var(0, info.count - len(before), f"new_placements[{info.id}]")
            model.cp.add_max_equality(excess, [0, sum(held) - len(before)])
            model.helpers.append(excess)
            terms.append(excess)
    return constant


def forced(model: TermModel) -> float | None:
    """A lower bound valid for the whole term: changes no schedule avoids. A previous session
    or slot no longer open to its student (declined, cancelled, now busy, dropped activity)
    is one change each, since a move counts once; everything else could stay."""
    previous = previous_of(model.prep)
    if previous is None:
        return None
    count = _lost_activities(model, previous)
    for ipe_class in model.prep.classes:
        for activity, free in ipe_class.free_sessions.items():
            if free:
                count += sum(previous.key(s, activity, free) == GONE for s in ipe_class.students)
    for info in model.prep.students.values():
        eligible = {option.slot for option in info.all_options}
        count += len(previous.slots.get(info.id, frozenset()) - eligible)
    return float(count)


OBJECTIVE = ObjectiveModule(
    name="stability",
    maximize=False,
    build=build,
    evaluate=value,
    model_bound=forced,
    tie_break=tie_break,
)
