"""Repairs against a previous schedule: who had what, how to keep it, and whom to name.

The model counts interchangeable students per class, blind to who attended what before.
Splitting classes by previous sessions would restore identity but multiplies the model
(5,000 students: 196 classes became 2,369 and 0.75 M attendance variables). Instead, in
each class, placement pattern and activity, the members are *groups* by previous session
p (or none, or GONE when p can no longer be attended): the model counts how many of group
p keep p (`solver.objectives.stability`), and the read-out seats keepers first
(`seat`). That is exact: groups are disjoint and each keeps only its own session, so every
count of keepers the model allows can be named at once.

Pinned students (`policy.pinned`) get a class of their own (`refine_classes`), so a pin is
a count of one. Without a previous schedule or pins nothing here changes the model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.domain.diff import attendance, placements
from scheduler.domain.schedule import Schedule
from solver.model import TermModel
from solver.options import OptionList
from solver.prepare import IpeClass, Prepared, SlotOption, _relevant_periods
from solver.size_policy import DEFAULT_SIZE_POLICY

GONE = "\0gone"
"""Group of members whose previous session can no longer be attended (cancelled, busy,
two sessions of one activity): a change whatever happens."""
ALL_OPTIONS_UP_TO = DEFAULT_SIZE_POLICY.all_options_up_to
"""A repair models every eligible slot up to this many options in all (by default; the
term's `Prepared.size` decides), so its stability bound holds for the whole term; larger
terms keep the usual candidates plus every previously held slot (`candidate_slots`)."""
REPAIR_START_SHARE = 0.2
"""Share of the remaining time for a CP-SAT start of a repair (`repair_start`)."""
MIN_START_S = 5.0
"""Least time for it: on 5,000 students CP-SAT needs about that to load the model."""


@dataclass(frozen=True)
class Previous:
    """The previous schedule by student: sessions per activity, and slots held."""

    sessions: dict[str, dict[str, frozenset[str]]]
    slots: dict[str, frozenset[str]]
    teams: dict[str, int]
    """Teams per session held."""
    facilitators: dict[str, frozenset[str]]
    """Facilitators per session held."""

    @classmethod
    def of(cls, schedule: Schedule) -> Previous:
        sessions: dict[str, dict[str, frozenset[str]]] = defaultdict(dict)
        for (student, activity), ids in attendance(schedule).items():
            sessions[student][activity] = frozenset(ids)
        held = {student: frozenset(slots) for student, slots in placements(schedule).items()}
        teams = {entry.session: len(entry.teams) for entry in schedule.sessions}
        run_by = {entry.session: frozenset(entry.facilitators) for entry in schedule.sessions}
        return cls(dict(sessions), held, teams, run_by)

    def key(self, student: str, activity: str, free: Sequence[str]) -> str | None:
        """None: attended nothing before; the session still open to keep; else GONE."""
        before = self.sessions.get(student, {}).get(activity, frozenset())
        if not before:
            return None
        if len(before) == 1 and next(iter(before)) in free:
            return next(iter(before))
        return GONE


def previous_of(prep: Prepared) -> Previous | None:
    previous = prep.scenario.policy.previous
    return Previous.of(previous) if previous is not None else None


def refine_classes(prep: Prepared) -> None:
    """Give every pinned student a class of their own (in place, renumbered)."""
    pinned = {pin.student for pin in prep.scenario.policy.pinned}
    if not pinned:
        return
    refined: list[IpeClass] = []
    for ipe_class in prep.classes:
        alone = [s for s in ipe_class.students if s in pinned]
        rest = [s for s in ipe_class.students if s not in pinned]
        parts = [[s] for s in alone] + ([rest] if rest else [])
        for members in parts:
            part = IpeClass(
                index=len(refined),
                profession=ipe_class.profession,
                free_sessions=ipe_class.free_sessions,
                students=members,
            )
            part.relevant_periods = (
                ipe_class.relevant_periods
                if len(parts) == 1
                else _relevant_periods(part, prep.students, prep.sessions)
            )
            refined.append(part)
    prep.classes = refined


def candidate_slots(prep: Prepared, chosen: dict[str, list[str]]) -> dict[str, list[str]]:
    """Slots the model must keep per student: the given ones, every previously held or
    pinned slot (so keeping them stays possible), and on a repair every eligible slot of
    the students the change unseated (`unseated`), or of everyone on a term that is not
    too large."""
    previous = previous_of(prep)
    pins = [(p.student, p.slot) for p in prep.scenario.policy.pinned if p.slot is not None]
    if previous is None and not pins:
        return chosen
    result = {student: list(slots) for student, slots in chosen.items()}
    extra: list[tuple[str, str]] = list(pins)
    if previous is not None:
        extra += [(student, slot) for student, held in previous.slots.items() for slot in held]
        options = sum(len(info.all_options) for info in prep.students.values())
        if options <= prep.size.all_options_up_to:
            extra += [(i.id, o.slot) for i in prep.students.values() for o in i.all_options]
        else:
            everyone = prep.students
            extra += [
                (s, o.slot) for s in unseated(prep, previous) for o in everyone[s].all_options
            ]
    for student, slot in extra:
        if student in prep.students:
            result.setdefault(student, []).append(slot)
    return result


def unseated(prep: Prepared, previous: Previous) -> list[str]:
    """Students who held a slot that is now closed to them or cut below its holders: the
    candidates trimmed for the term's size may miss the free seat that re-seats them
    (tight-seats, 2,000 students: all 4 holders of a declined slot dropped), so they
    keep all of theirs (a handful of students)."""
    open_to: dict[str, set[str]] = {}
    holders: dict[str, int] = defaultdict(int)
    for student, held in previous.slots.items():
        if student in prep.students:
            open_to[student] = _still_open(prep.students[student].all_options, held)
            for slot in open_to[student]:
                holders[slot] += 1
    capacity = {slot.id: slot.capacity for slot in prep.scenario.slots}
    cut = {slot for slot, n in holders.items() if n > capacity.get(slot, 0)}
    return sorted(
        s
        for s, held in previous.slots.items()
        if s in open_to and (held - open_to[s] or held & cut)
    )


def _still_open(options: Sequence[SlotOption], held: frozenset[str]) -> set[str]:
    if isinstance(options, OptionList):
        return set(options.among(held))
    return {o.slot for o in options if o.slot in held}


def polish_safe(prep: Prepared, fixed: dict[str, float]) -> bool:
    """Whether the placement LP (`solver.polish`) may re-choose placements: it knows neither
    a frozen stability level nor pinned slots, so not after the one or with the other."""
    return "stability" not in fixed and not any(p.slot for p in prep.scenario.policy.pinned)


def seat(
    order: list[str],
    counts: list[tuple[str, int]],
    key_of: Callable[[str], str | None] | None,
) -> list[tuple[str, str]]:
    """Who fills each session's count, from a pool in `order`: (student, session) pairs.

    Without a previous schedule, sessions take the next students in order. On a repair,
    each session first takes the members whose previous session it is (the keepers the
    model counted), then members who had another session (a move, already a change), and
    only then members who had none (which adds one)."""
    if key_of is None:
        seated = []
        for session, count in counts:
            seated += [(student, session) for student in order[:count]]
            order = order[count:]
        return seated
    wanted = dict(counts)
    seated, rest = [], []
    for student in order:
        key = key_of(student)
        if key is not None and wanted.get(key, 0) > 0:
            wanted[key] -= 1
            seated.append((student, key))
        else:
            rest.append(student)
    rest.sort(key=lambda student: key_of(student) is None)
    for session, _count in counts:
        take, rest = rest[: wanted[session]], rest[wanted[session] :]
        seated += [(student, session) for student in take]
    return seated


def previous_values(
    model: TermModel, previous: Previous, held: dict[str, set[str]] | None = None
) -> dict[int, int]:
    """The previous schedule as values of the model's decisions (placements, placement
    patterns, attendance counts) wherever the model still allows them; `held` replaces the
    placements (default: the previous ones still modelled)."""
    held = held if held is not None else kept_slots(model, previous)
    values = {
        var.index: int(slot in held.get(student, ()))
        for (student, slot), var in model.place.items()
    }
    counts: dict[tuple[int, frozenset[str], str], int] = defaultdict(int)
    flags: dict[str, list[tuple[frozenset[str], int]]] = defaultdict(list)
    for (student, pattern), flag in model.pattern_of.items():
        flags[student].append((pattern, flag.index))
    for ipe_class in model.prep.classes:
        _class_counts(model, ipe_class, previous, held, flags, values, counts)
    for key, var in model.attend.items():
        values[var.index] = counts.get(key, 0)
    return values


def kept_slots(model: TermModel, previous: Previous) -> dict[str, set[str]]:
    """Previous placements the model still has a variable for."""
    held: dict[str, set[str]] = defaultdict(set)
    for student, slots in previous.slots.items():
        held[student] = {slot for slot in slots if (student, slot) in model.place}
    return held


def _class_counts(
    model: TermModel,
    ipe_class: IpeClass,
    previous: Previous,
    held: dict[str, set[str]],
    flags: dict[str, list[tuple[frozenset[str], int]]],
    values: dict[int, int],
    counts: dict[tuple[int, frozenset[str], str], int],
) -> None:
    """Pattern flags of the class's members, and how many keep each session per pattern."""
    relevant = frozenset(ipe_class.relevant_periods)
    for student in ipe_class.students:
        periods = {o.slot: o.period for o in model.prep.students[student].options}
        pattern = frozenset(periods[s] for s in held.get(student, ())) & relevant
        for other, index in flags.get(student, ()):
            values[index] = int(other == pattern)
        for activity, free in ipe_class.free_sessions.items():
            key = previous.key(student, activity, free)
            if key is not None and key != GONE and key in model.teams:
                counts[ipe_class.index, pattern, key] += 1


def repair_start(
    model: TermModel,
    warm: dict[int, int] | None,
    make_solver: Callable[[], cp_model.CpSolver],
    remaining_s: float,
) -> dict[int, int] | None:
    """A valid start as close to the previous schedule as the rules now allow.

    First the previous schedule projected onto the changed term (`solver.projection`):
    what the change made impossible dropped, the students it unseated re-seated where a
    seat fits, every constraint checked in Python. Failing that (a withdrawal left a team
    too small, ...), CP-SAT completes the previous decisions it can keep, or else finds the
    fewest changes from them as a hint. The warm start, built for coverage far from the
    previous schedule, is kept only without a previous schedule or when all of these find
    nothing; the coverage level then regains what the change cost, with stability as its
    tie-break."""
    previous = previous_of(model.prep)
    if previous is None:
        return warm
    from solver.objectives.stability import build
    from solver.projection import project

    build(model)  # its variables exist before the first solve, so every snapshot has them
    projected = project(model, previous)
    if projected is not None:
        return projected
    hint = previous_values(model, previous)
    model.cp.clear_hints()
    for var in model.all_variables():
        if var.index in hint:
            model.cp.add_hint(var, hint[var.index])
    budget = max(MIN_START_S, remaining_s * REPAIR_START_SHARE)
    found = _completed(model, make_solver(), budget) or _closest(model, make_solver(), budget)
    return found if found is not None else warm


def _completed(model: TermModel, solver: cp_model.CpSolver, budget: float) -> dict[int, int] | None:
    """The hinted decisions fixed, the rest (teams, facilitators) found: None if invalid."""
    model.cp.clear_objective()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.max_time_in_seconds = budget
    if solver.solve(model.cp) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return _values(model, solver)


def _closest(model: TermModel, solver: cp_model.CpSolver, budget: float) -> dict[int, int] | None:
    """Fewest changes from the hinted previous schedule, as far as the budget goes."""
    from solver.objectives.stability import build

    objective = build(model)
    assert objective is not None
    model.cp.minimize(objective.expression)
    solver.parameters.max_time_in_seconds = budget
    if solver.solve(model.cp) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return _values(model, solver)


def _values(model: TermModel, solver: cp_model.CpSolver) -> dict[int, int]:
    """Every variable's value by index (what `solver.readout.snapshot` gives, without the
    import cycle: the read-out seats students with `seat`)."""
    return {var.index: int(solver.value(var)) for var in model.all_variables()}
