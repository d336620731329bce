"""Explain a schedule: reasons on every `unassigned` entry, group causes and conflicts.

Cheap enough to run after every solve (the read-out calls `annotate`): one pass over the
unmet needs with lookups into the digested schedule, plus a tiny CP-SAT model for each
activity that holds no team at all. The result goes into the schedule itself: each entry's
`reasons`, and `metrics["explanations"]` = {"unmet", "groups", "conflicts"}; with a
deadline (the solve's time limit), entries left when it passes keep no reasons and
"unexplained" counts them (`ipe explain` adds them later).
"""

from __future__ import annotations

import time
from typing import Any

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from solver.explain.conflicts import Conflict, find_conflicts
from solver.explain.facts import Facts
from solver.explain.groups import group_causes
from solver.explain.reasons import Explained, Explainer
from solver.explain.whatif import WhatIfSettings, suggest
from solver.prepare import Prepared, prepare

ALWAYS_EXPLAINED = 100
"""Unmet needs explained whatever the deadline (about a second): a small term's schedule
always carries every reason."""


def annotate(prep: Prepared, schedule: Schedule, deadline: float | None = None) -> Schedule:
    """The schedule with every unmet need explained (`prep` must be of its scenario), or
    those explained before `deadline` (a `time.monotonic()` value; about 10 ms each), at
    least `ALWAYS_EXPLAINED` of them."""
    facts = Facts.of(prep, schedule)
    conflicts = find_conflicts(prep, _idle_activities(facts))
    explainer = Explainer(facts, conflicts)
    explained: list[Explained] = []
    for entry in schedule.unassigned:
        late = deadline is not None and time.monotonic() >= deadline
        if late and len(explained) >= ALWAYS_EXPLAINED:
            break
        explained.append(explainer.explain(entry))
    entries = [item.entry.model_copy(update={"reasons": item.reasons()}) for item in explained]
    unexplained = schedule.unassigned[len(entries) :]
    entries += unexplained
    explanations: dict[str, Any] = {
        "unmet": len(entries),
        "groups": [g.as_dict() for g in group_causes(facts, explained)],
        "conflicts": [c.as_dict() for c in conflicts],
    }
    if unexplained:
        explanations["unexplained"] = len(unexplained)
    metrics = {**schedule.metrics, "explanations": explanations}
    return schedule.model_copy(update={"unassigned": entries, "metrics": metrics})


def explain_schedule(scenario: Scenario, schedule: Schedule) -> Schedule:
    """Explain any valid schedule of a validated scenario (e.g. one read from a file)."""
    return annotate(prepare(scenario), schedule)


def conflicts_of(scenario: Scenario) -> list[Conflict]:
    """Every activity of the scenario whose rules let no team form at all."""
    return find_conflicts(prepare(scenario))


def explain_term(
    scenario: Scenario,
    schedule: Schedule,
    *,
    settings: WhatIfSettings | None = None,
    student: str | None = None,
    reasons: bool = True,
) -> Schedule:
    """Everything at once, preparing the scenario once: reasons (unless the schedule has
    them already, `reasons=False`), conflicts of every activity, verified suggestions."""
    prep = prepare(scenario)
    if reasons:
        schedule = annotate(prep, schedule)
    explanations = dict(schedule.metrics.get("explanations", {}))
    explanations["conflicts"] = [c.as_dict() for c in find_conflicts(prep)]
    schedule = schedule.model_copy(
        update={"metrics": {**schedule.metrics, "explanations": explanations}}
    )
    found = suggest(scenario, schedule, settings=settings, student=student, prep=prep)
    return schedule.model_copy(update={"suggestions": found})


def _idle_activities(facts: Facts) -> list[str]:
    """Activities with unmet needs and no session held: only they can be in conflict."""
    unmet = {e.activity for e in facts.schedule.unassigned if e.activity is not None}
    held = {facts.prep.sessions[s].activity for s in facts.teams}
    return sorted(unmet - held)
