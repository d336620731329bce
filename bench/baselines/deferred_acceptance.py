"""Placements by deferred acceptance: the classic stable-matching answer to "who goes where".

Residents are the students who need placements, **one placement each**: a student whose
requirement asks for two (`count` 2) gets only one here, and tag minimums are kept only
where that one placement must meet them (`count` 1); the product is compared on the same
reduced problem (`one_each`). Hospitals are the open slots with their capacity. A student
ranks every slot they may hold (`bench.baselines.facts`) by their site preference rank, then
by distance; a slot ranks the students who rank it by distance (nearest first). The
matching is student-proposing, so it is the student-optimal stable matching.

`matching.games.HospitalResident` is run as published. Its constructor deep-copies the
players, which recurses through their preference lists: it raises RecursionError from
about 2,000 residents here, and the size where that happens is recorded, not hidden. The
same algorithm, written iteratively (`deferred_acceptance`), gives the matching at every
size; where both finish they are checked to be identical.
"""

from __future__ import annotations

import heapq
import sys
import time
import warnings
from collections import deque
from typing import Any

from bench.baselines.facts import Facts
from scheduler.domain.scenario import PlacementRequirement, Scenario

Prefs = dict[str, list[str]]


def one_each(scenario: Scenario) -> Scenario:
    """The reduced problem both sides solve: placements only, at most one per student.

    Activities are dropped; a requirement of `count` >= 1 becomes `count` 1, keeping its tag
    minimums only when it already was 1 (the single placement must then meet them)."""
    requirements = [
        r
        if r.count <= 1
        else PlacementRequirement(id=r.id, profession=r.profession, cohort=r.cohort, count=1)
        for r in scenario.placement_requirements
    ]
    return scenario.model_copy(update={"activities": [], "placement_requirements": requirements})


def preferences(facts: Facts) -> tuple[Prefs, Prefs, dict[str, int]]:
    """Resident preference lists, hospital preference lists and capacities."""
    capacities = {s.id: s.capacity for s in facts.scenario.slots}
    residents: Prefs = {}
    proposers: dict[str, list[str]] = {}
    for student_id, slots in facts.eligible_slots.items():
        requirement = facts.requirement[student_id]
        needed = (
            {t for t, m in requirement.tags.items() if m > 0} if requirement.count == 1 else set()
        )
        if any(m > 1 for m in requirement.tags.values()) and requirement.count == 1:
            slots = []  # one placement cannot meet a minimum above one
        usable = [s for s in slots if needed <= facts.slot_tags.get(s, frozenset())]
        usable.sort(key=lambda s: (facts.rank[(student_id, s)], facts.travel[(student_id, s)], s))
        residents[student_id] = usable
        for slot_id in usable:
            proposers.setdefault(slot_id, []).append(student_id)
    hospitals = {
        slot_id: sorted(students, key=lambda r: (facts.travel[(r, slot_id)], r))
        for slot_id, students in proposers.items()
    }
    return residents, hospitals, {h: capacities[h] for h in hospitals}


def deferred_acceptance(
    residents: Prefs, hospitals: Prefs, capacities: dict[str, int]
) -> dict[str, str]:
    """Student-proposing deferred acceptance (Gale-Shapley, hospitals with capacities),
    without recursion: resident -> slot for every matched resident."""
    rank = {h: {r: n for n, r in enumerate(members)} for h, members in hospitals.items()}
    held: dict[str, list[tuple[int, str]]] = {h: [] for h in hospitals}  # max-heap by rank
    cursor = dict.fromkeys(residents, 0)
    free = deque(sorted(residents))
    while free:
        resident = free.popleft()
        prefs = residents[resident]
        while cursor[resident] < len(prefs):
            hospital = prefs[cursor[resident]]
            cursor[resident] += 1
            mine, heap = rank[hospital][resident], held[hospital]
            if len(heap) < capacities[hospital]:
                heapq.heappush(heap, (-mine, resident))
                break
            if heap and -heap[0][0] > mine:
                _, rejected = heapq.heapreplace(heap, (-mine, resident))
                free.append(rejected)
                break
    return {r: h for h, heap in held.items() for _, r in heap}


def with_matching_package(
    residents: Prefs, hospitals: Prefs, capacities: dict[str, int]
) -> dict[str, Any]:
    """Run `matching.games.HospitalResident` as published; report how far it got."""
    from matching.games import HospitalResident

    # Residents who may hold no slot are left out: the game (unless cleaned) fails on an
    # empty preference list, and they are unmatched either way.
    residents = {r: prefs for r, prefs in residents.items() if prefs}
    outcome: dict[str, Any] = {
        "package": _version("matching"),
        "residents": len(residents),
        "recursion_limit": sys.getrecursionlimit(),
    }
    started = time.monotonic()
    stage = "create_from_dictionaries"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            game = HospitalResident.create_from_dictionaries(residents, hospitals, capacities)
            stage = "solve"
            solved = game.solve(optimal="resident")
    except RecursionError as error:
        outcome.update(ok=False, failed_at=stage, error=f"RecursionError: {error}")
        outcome["seconds"] = round(time.monotonic() - started, 2)
        return outcome
    outcome["seconds"] = round(time.monotonic() - started, 2)
    matched = {
        resident.name: hospital.name for hospital, members in solved.items() for resident in members
    }
    outcome.update(ok=True, matching=matched)
    return outcome


def largest_solvable(
    residents: Prefs, hospitals: Prefs, capacities: dict[str, int], failing: int
) -> dict[str, Any]:
    """Where the published package stops: the largest k such that the game of the first k
    residents (by id, with the slots they rank) still runs, by bisection below `failing`."""
    ids = sorted(residents)

    def runs(k: int) -> bool:
        sub = {r: residents[r] for r in ids[:k]}
        kept = {h for prefs in sub.values() for h in prefs}
        members = set(sub)
        sub_h = {h: [r for r in hospitals[h] if r in members] for h in kept}
        return bool(with_matching_package(sub, sub_h, {h: capacities[h] for h in kept})["ok"])

    lo, hi = 0, failing  # runs(lo) assumed, runs(hi) failed
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if runs(mid) else (lo, mid)
    links = sum(len(residents[r]) for r in ids[:lo])
    return {"largest_ok_residents": lo, "smallest_failing_residents": hi, "ok_links": links}


def with_deep_stack(
    residents: Prefs, hospitals: Prefs, capacities: dict[str, int], stack_mb: int = 1024
) -> dict[str, Any]:
    """The package again in a thread with a large stack and recursion limit: the workaround,
    used only to check that the iterative implementation gives the same matching."""
    import threading

    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box.update(with_matching_package(residents, hospitals, capacities))
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            box.update(ok=False, error=f"{type(error).__name__}: {error}")

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)
    previous = threading.stack_size(stack_mb << 20)
    try:
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(previous)
        sys.setrecursionlimit(limit)
    return box


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"
