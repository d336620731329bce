"""The straightforward CP-SAT model of a term, built from the scenario alone.

What a first model of the problem looks like, and what the product is measured against:

- `x[student, session, team]`: one boolean per eligible student, session and team index;
  `active[session, team]` per team, with the team rule as linear constraints (size,
  per-profession minimum and maximum, `min_professions` through one indicator per
  profession); teams of a session are filled in order (the only symmetry it breaks);
- `y[student, slot]`: one boolean per eligible student and slot; capacity, `count`, tag
  minimums (`tagged >= m * (held - count + 1)`), one slot per period and none in clashing
  periods or sessions;
- rooms, facilitators (`f[facilitator, session]`), one session per activity, no
  overlapping sessions, busy time and accessibility as in the contract;
- **one weighted objective** instead of lexicographic levels:
  `10000 * coverage - 10 * preferences - 5 * worst travel (0.1 km) - total travel (0.1 km)
  - 10 * team balance`. Coverage outweighs anything one more need met can cost, so the
  weights rank coverage first, as the product's default policy does.

Eligibility comes from `bench.baselines.facts`; the answer is converted into an
`ipe-schedule/1` and only counts when the validator accepts it.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from bench.baselines.convert import to_schedule
from bench.baselines.facts import Facts, _busy

WEIGHTS = {
    "coverage": 10_000,
    "preferences": 10,
    "travel_fairness": 5,
    "travel_total": 1,
    "team_balance": 10,
}
"""Weights of the one objective (travel in 0.1 km); maximised as coverage minus the rest."""


@dataclass
class NaiveModel:
    facts: Facts
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    x: dict[tuple[str, str, int], cp_model.IntVar] = field(default_factory=dict)
    active: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    y: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)
    f: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)
    parts: dict[str, cp_model.IntVar] = field(default_factory=dict)
    """One integer variable per objective part, equal to its expression (cheap to read)."""

    def size(self) -> dict[str, int]:
        proto = self.model.Proto()
        return {
            "x_student_session_team": len(self.x),
            "y_student_slot": len(self.y),
            "team_active": len(self.active),
            "facilitator_session": len(self.f),
            "variables": len(proto.variables),
            "constraints": len(proto.constraints),
        }


def estimate_booleans(facts: Facts) -> int:
    """x + y booleans the model would have, known before building it."""
    teams = {sid: s.max_teams for sid, (_, s) in facts.sessions.items()}
    x = sum(teams[sid] for sessions in facts.free_sessions.values() for sid in sessions)
    return x + sum(len(slots) for slots in facts.eligible_slots.values())


def build(facts: Facts) -> NaiveModel:
    m = NaiveModel(facts)
    _teams(m)
    _facilitators_and_rooms(m)
    _placements(m)
    _student_time(m)
    _objective(m)
    return m


def _teams(m: NaiveModel) -> None:
    facts, model = m.facts, m.model
    activities = {a.id: a for a in facts.scenario.activities}
    attendees: dict[str, list[str]] = defaultdict(list)
    for student_id, sessions in facts.free_sessions.items():
        for sid in sessions:
            attendees[sid].append(student_id)
    per_activity: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
    for sid, (activity_id, session) in facts.sessions.items():
        rule = activities[activity_id].team
        members = attendees.get(sid, [])
        by_profession: dict[str, list[str]] = defaultdict(list)
        for student_id in members:
            by_profession[facts.students[student_id].profession].append(student_id)
        previous = None
        for t in range(session.max_teams if members else 0):
            on = model.NewBoolVar(f"active[{sid},{t}]")
            m.active[(sid, t)] = on
            if previous is not None:
                model.Add(previous >= on)
            previous = on
            team = []
            for student_id in members:
                var = model.NewBoolVar(f"x[{student_id},{sid},{t}]")
                m.x[(student_id, sid, t)] = var
                per_activity[(student_id, activity_id)].append(var)
                team.append(var)
            model.Add(sum(team) >= rule.min_size * on)
            model.Add(sum(team) <= rule.max_size * on)
            for code, limit in rule.professions.items():
                of_code = [m.x[(s, sid, t)] for s in by_profession.get(code, [])]
                if limit.min:
                    model.Add(sum(of_code) >= limit.min * on)
                if limit.max is not None:
                    model.Add(sum(of_code) <= limit.max * on)
            if rule.min_professions > 0:
                present = []
                for code, students in by_profession.items():
                    has = model.NewBoolVar(f"has[{code},{sid},{t}]")
                    model.Add(has <= sum(m.x[(s, sid, t)] for s in students))
                    present.append(has)
                model.Add(sum(present) >= rule.min_professions * on)
    for variables in per_activity.values():
        model.AddAtMostOne(variables)


def _held(m: NaiveModel, sid: str) -> Any:
    return m.active.get((sid, 0), 0)  # teams fill in order: the first is on iff any is


def _facilitators_and_rooms(m: NaiveModel) -> None:
    facts, model, sc = m.facts, m.model, m.facts.scenario
    activities = {a.id: a for a in sc.activities}
    by_facilitator: dict[str, list[str]] = defaultdict(list)
    for facilitator in sc.facilitators:
        busy = _busy(
            facilitator.unavailable, facilitator.weekly_unavailable, sc.term.start, sc.term.end
        )
        for sid, span in facts.session_spans.items():
            if (sid, 0) in m.active and not busy.hits(span):
                var = model.NewBoolVar(f"f[{facilitator.id},{sid}]")
                m.f[(facilitator.id, sid)] = var
                model.Add(var <= _held(m, sid))
                by_facilitator[facilitator.id].append(sid)
    for sid, (activity_id, session) in facts.sessions.items():
        per = activities[activity_id].teams_per_facilitator
        teams = [m.active[(sid, t)] for t in range(session.max_teams) if (sid, t) in m.active]
        if per > 0 and teams:
            staff = [v for (fid, s), v in m.f.items() if s == sid]
            model.Add(per * sum(staff) >= sum(teams))
    limits = {f.id: f.max_sessions for f in sc.facilitators}
    overlapping = _overlapping_pairs(facts)
    for fid, sessions in by_facilitator.items():
        if limits[fid] is not None:
            model.Add(sum(m.f[(fid, s)] for s in sessions) <= limits[fid])
        mine = set(sessions)
        for a, b in overlapping:
            if a in mine and b in mine:
                model.AddBoolOr([m.f[(fid, a)].Not(), m.f[(fid, b)].Not()])
    rooms: dict[str, list[str]] = defaultdict(list)
    for sid, (_, session) in facts.sessions.items():
        rooms[session.room].append(sid)
    for a, b in overlapping:
        if facts.sessions[a][1].room == facts.sessions[b][1].room:
            held_a, held_b = _held(m, a), _held(m, b)
            if not isinstance(held_a, int) and not isinstance(held_b, int):
                model.AddBoolOr([held_a.Not(), held_b.Not()])


def _overlapping_pairs(facts: Facts) -> list[tuple[str, str]]:
    """Every pair of sessions (any activity) that overlap in time."""
    ordered = sorted(facts.session_spans.items(), key=lambda item: item[1])
    pairs = []
    for i, (sid, (_, end)) in enumerate(ordered):
        for other, (start, _) in ordered[i + 1 :]:
            if start >= end:
                break
            pairs.append((sid, other))
    return pairs


def _placements(m: NaiveModel) -> None:
    facts, model = m.facts, m.model
    slots = {s.id: s for s in facts.scenario.slots}
    users: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for student_id, eligible in facts.eligible_slots.items():
        requirement = facts.requirement[student_id]
        mine = []
        by_period: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for slot_id in eligible:
            var = model.NewBoolVar(f"y[{student_id},{slot_id}]")
            m.y[(student_id, slot_id)] = var
            users[slot_id].append(var)
            mine.append(var)
            by_period[slots[slot_id].period].append(var)
        if not mine:
            continue
        model.Add(sum(mine) <= requirement.count)
        for tag, minimum in requirement.tags.items():
            tagged = [m.y[(student_id, s)] for s in eligible if tag in facts.slot_tags.get(s, ())]
            model.Add(sum(tagged) >= minimum * (sum(mine) - requirement.count + 1))
        for period, variables in by_period.items():
            if facts.period_spans.get(period):
                model.AddAtMostOne(variables)
        for p, q in facts.period_clash:
            if p in by_period and q in by_period:
                model.AddAtMostOne(by_period[p] + by_period[q])
    for slot_id, variables in users.items():
        model.Add(sum(variables) <= slots[slot_id].capacity)


def _student_time(m: NaiveModel) -> None:
    """No two overlapping sessions, and no session during a held placement's hours."""
    facts, model = m.facts, m.model
    slots = {s.id: s for s in facts.scenario.slots}
    attends: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
    for (student_id, sid, _t), var in m.x.items():
        attends[(student_id, sid)].append(var)
    for student_id, sessions in facts.free_sessions.items():
        mine = set(sessions)
        for a, b in facts.session_overlaps:
            if a in mine and b in mine:
                model.AddAtMostOne(attends[(student_id, a)] + attends[(student_id, b)])
        by_period: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for slot_id in facts.eligible_slots.get(student_id, []):
            by_period[slots[slot_id].period].append(m.y[(student_id, slot_id)])
        for sid in sessions:
            for period, variables in by_period.items():
                if (sid, period) in facts.session_period_clash:
                    model.AddAtMostOne(attends[(student_id, sid)] + variables)


def _objective(m: NaiveModel) -> None:
    facts, model = m.facts, m.model
    x_vars, y_items = list(m.x.values()), list(m.y.items())
    most = sum(len(v) for v in facts.participants.values()) + sum(
        r.count for r in facts.requirement.values()
    )
    coverage = model.NewIntVar(0, most, "coverage")
    model.Add(coverage == sum(x_vars) + sum(v for _, v in y_items))
    worst_tenths = max(facts.travel.values(), default=0)
    preferences = model.NewIntVar(0, sum(facts.rank.values()), "preferences")
    model.Add(preferences == sum(facts.rank[key] * v for key, v in y_items))
    worst = model.NewIntVar(0, worst_tenths, "travel_fairness")
    for key, v in y_items:
        if facts.travel[key]:
            model.Add(worst >= facts.travel[key] * v)
    total = model.NewIntVar(0, sum(facts.travel.values()), "travel_total")
    model.Add(total == sum(facts.travel[key] * v for key, v in y_items))
    balance = model.NewIntVar(0, 10**6, "team_balance")
    spreads = []
    activities = {a.id: a for a in facts.scenario.activities}
    members: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
    for (_student, sid, t), var in m.x.items():
        members[(sid, t)].append(var)
    for sid, (activity_id, session) in facts.sessions.items():
        teams = [t for t in range(session.max_teams) if (sid, t) in m.active]
        if len(teams) < 2:
            continue
        top = activities[activity_id].team.max_size
        largest = model.NewIntVar(0, top, f"largest[{sid}]")
        smallest = model.NewIntVar(0, top, f"smallest[{sid}]")
        for t in teams:
            size = sum(members[(sid, t)])
            model.Add(largest >= size)
            model.Add(smallest <= size + top * (1 - m.active[(sid, t)]))
        spread = model.NewIntVar(0, top, f"spread[{sid}]")
        model.Add(spread >= largest - smallest)
        spreads.append(spread)
    model.Add(balance == sum(spreads))
    m.parts = {
        "coverage": coverage,
        "preferences": preferences,
        "travel_fairness": worst,
        "travel_total": total,
        "team_balance": balance,
    }
    model.Maximize(
        WEIGHTS["coverage"] * coverage
        - WEIGHTS["preferences"] * preferences
        - WEIGHTS["travel_fairness"] * worst
        - WEIGHTS["travel_total"] * total
        - WEIGHTS["team_balance"] * balance
    )


def part_values(raw: dict[str, int]) -> dict[str, float]:
    """Objective parts in the contract's units (travel in km)."""
    return {
        name: raw[name] / 10 if name.startswith("travel") else float(raw[name]) for name in WEIGHTS
    }


class _Trace(cp_model.CpSolverSolutionCallback):
    def __init__(self, m: NaiveModel, started: float, sink: Callable[[dict], None] | None):
        super().__init__()
        self.m, self.started, self.sink = m, started, sink
        self.events: list[dict[str, Any]] = []

    def on_solution_callback(self) -> None:
        raw = {name: int(self.Value(var)) for name, var in self.m.parts.items()}
        event = {
            "elapsed_s": round(time.monotonic() - self.started, 3),
            "objective": self.ObjectiveValue(),
            "bound": self.BestObjectiveBound(),
            **part_values(raw),
        }
        self.events.append(event)
        if self.sink is not None:
            self.sink(event)


def solve(
    m: NaiveModel,
    *,
    time_limit: float,
    workers: int,
    seed: int = 0,
    sink: Callable[[dict], None] | None = None,
) -> dict[str, Any]:
    """Solve with one weighted objective; returns status, trace and the schedule (if any)."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    started = time.monotonic()
    trace = _Trace(m, started, sink)
    status = solver.Solve(m.model, trace)
    seconds = time.monotonic() - started
    result: dict[str, Any] = {
        "status": solver.StatusName(status),
        "solve_s": round(seconds, 2),
        "objective": None,
        "bound": None,
        "trace": trace.events,
        "schedule": None,
    }
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        result["objective"] = solver.ObjectiveValue()
        result["bound"] = solver.BestObjectiveBound()
        result["parts"] = part_values({n: int(solver.Value(v)) for n, v in m.parts.items()})
        result["schedule"] = _read(m, solver, seconds)
    return result


def _read(m: NaiveModel, solver: cp_model.CpSolver, seconds: float):
    facts = m.facts
    teams: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for (student_id, sid, t), var in m.x.items():
        if solver.BooleanValue(var):
            teams[sid][t].append(student_id)
    staff: dict[str, list[str]] = defaultdict(list)
    for (fid, sid), var in m.f.items():
        if solver.BooleanValue(var):
            staff[sid].append(fid)
    activities = {a.id: a for a in facts.scenario.activities}
    plan = {}
    for sid, by_team in teams.items():
        listed = [by_team[t] for t in sorted(by_team) if by_team[t]]
        per = activities[facts.sessions[sid][0]].teams_per_facilitator
        needed = math.ceil(len(listed) / per) if per > 0 else 0
        # only as many facilitators as the teams need (the model may keep spare ones on)
        plan[sid] = (sorted(staff[sid])[: max(needed, 0)] if per > 0 else staff[sid], listed)
    placements = [key for key, var in m.y.items() if solver.BooleanValue(var)]
    return to_schedule(facts, plan, placements, solver="naive cp-sat", seconds=seconds)
