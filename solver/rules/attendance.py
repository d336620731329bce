"""Rules 1 and 2 for sessions: at most one session per activity, only when free, and never
during a placement the student holds.

Students of one class are interchangeable, so the model counts them: attend[c, H, s] is how
many members of class c whose held clashing periods are exactly H attend session s. A
session is open to a pattern only when none of its periods clash with the session. Members
that could double-book two activities are classes of one (see `solver.prepare`), so the
per-activity limit is exact.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from ortools.sat.python import cp_model

from solver.model import Pattern, TermModel
from solver.prepare import IpeClass

EMPTY: Pattern = frozenset()


def add(model: TermModel) -> None:
    """Create the attendance counts of every class and bound them by the class's patterns."""
    for ipe_class in model.prep.classes:
        for pattern, size in _pattern_sizes(model, ipe_class).items():
            _add_pattern_attendance(model, ipe_class, pattern, size)
    singles: dict[int, dict[str, list]] = {
        c.index: {} for c in model.prep.classes if len(c.students) == 1
    }
    for (class_index, _pattern, session), var in model.attend.items():
        if class_index in singles:
            singles[class_index].setdefault(session, []).append(var)
    for by_session in singles.values():
        _no_double_booking(model, by_session)


def _no_double_booking(model: TermModel, by_session: dict[str, list]) -> None:
    """A class of one never attends two overlapping sessions of different activities
    (classes of several never could: `solver.prepare` keeps such students alone)."""
    sessions = model.prep.sessions
    for session, variables in by_session.items():
        for other in model.prep.session_overlaps.get(session, ()):
            if (
                other > session
                and other in by_session
                and sessions[other].activity != sessions[session].activity
            ):
                model.cp.add(sum(variables) + sum(by_session[other]) <= 1)


def _patterns(model: TermModel, ipe_class: IpeClass) -> list[Pattern]:
    """Sets of relevant periods a member could hold together (no two of them clashing)."""
    periods = ipe_class.relevant_periods
    most = max(model.prep.students[s].count for s in ipe_class.students)
    result = [EMPTY]
    for size in range(1, min(most, len(periods)) + 1):
        for combo in combinations(periods, size):
            if not any(
                frozenset(pair) in model.prep.period_clashes for pair in combinations(combo, 2)
            ):
                result.append(frozenset(combo))
    return result


def _pattern_sizes(model: TermModel, ipe_class: IpeClass) -> dict[Pattern, cp_model.LinearExprT]:
    """How many members have each pattern: a constant, or a sum of pattern flags."""
    if not ipe_class.relevant_periods:
        return {EMPTY: len(ipe_class.students)}
    patterns = _patterns(model, ipe_class)
    sizes: dict[Pattern, Any] = {pattern: 0 for pattern in patterns}
    fixed_empty = 0
    for student in ipe_class.students:
        info = model.prep.students[student]
        held_periods = {o.period for o in info.options} & set(ipe_class.relevant_periods)
        if not held_periods:
            fixed_empty += 1
            continue
        flags = []
        for pattern in patterns:
            if pattern <= held_periods:
                flag = model.cp.new_bool_var(f"pattern[{student},{'+'.join(sorted(pattern))}]")
                model.pattern_of[student, pattern] = flag
                flags.append((pattern, flag))
                sizes[pattern] = sizes[pattern] + flag
        model.cp.add_exactly_one(flag for _, flag in flags)
        for period in held_periods:
            in_period = [model.place[student, o.slot] for o in info.options if o.period == period]
            model.cp.add(sum(in_period) == sum(f for p, f in flags if period in p))
    sizes[EMPTY] = sizes[EMPTY] + fixed_empty
    return sizes


def _add_pattern_attendance(
    model: TermModel, ipe_class: IpeClass, pattern: Pattern, size: cp_model.LinearExprT
) -> None:
    upper = len(ipe_class.students)
    for sessions in ipe_class.free_sessions.values():
        counts = []
        for session in sessions:
            if model.prep.sessions[session].clash_periods & pattern:
                continue
            var = model.cp.new_int_var(
                0, upper, f"attend[{ipe_class.index},{'+'.join(sorted(pattern))},{session}]"
            )
            model.attend[ipe_class.index, pattern, session] = var
            counts.append(var)
        if counts:
            model.cp.add(sum(counts) <= size)
