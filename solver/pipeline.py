"""The solve as a declared list of stages (`solver.driver.STAGES`) and the walk over it.

A stage is a small value: its name, one line on why it exists, what it reads from the run's
shared state and what it adds to it, its shares of the one time plan (fractions of the time
limit), and when it applies. The walk runs each stage that applies, records a trace entry
(`StageTrace`: seconds, outcome, what it reached) for each, and stops at the first stage
that answers the run with a schedule. Imports only the domain's trace model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from scheduler.domain.schedule import StageDetail, StageTrace

State = TypeVar("State", bound="Traced")


@dataclass
class Traced:
    """The part of a run's state the walk itself keeps: the trace so far and the stage
    that is running (progress events carry both)."""

    trace: list[StageTrace] = field(default_factory=list)
    stage: str | None = None
    answered: bool = False


@dataclass(frozen=True)
class Done:
    """What a stage reports: its outcome and the values it reached."""

    detail: StageDetail = field(default_factory=dict)
    answered: bool = False
    """True: the stage gave the run's schedule; no later stage runs."""


def always(state: object) -> str | None:
    """A stage that always applies."""
    return None


@dataclass(frozen=True)
class Stage(Generic[State]):
    """One step of the solve."""

    name: str
    reason: str
    """One line: why the stage exists."""
    needs: tuple[str, ...]
    """Fields of the run state it reads."""
    produces: tuple[str, ...]
    """Fields of the run state it adds or replaces."""
    run: Callable[[State], Done]
    skip: Callable[[State], str | None] = always
    """Why the stage does not apply to this run (None: it runs)."""
    shares: tuple[tuple[str, float], ...] = ()
    """Its part of the time plan: (what, fraction of the time limit), e.g. the point by
    which it begins no further work, or the cap of each of its solves."""
    hook: str = ""
    """The concern that decides whether it applies (size policy, features, deadline, repair,
    pins), for the documentation."""

    def share(self, what: str) -> float:
        return dict(self.shares)[what]


def walk(stages: Sequence[Stage[State]], state: State) -> State:
    """Run the stages in order until one answers; every stage leaves a trace entry."""
    for stage in stages:
        why = stage.skip(state)
        if why is not None:
            state.trace.append(StageTrace(name=stage.name, outcome="skipped", detail={"why": why}))
            continue
        state.stage = stage.name
        began, at = time.monotonic(), len(state.trace)
        done = stage.run(state)  # may add entries of its own parts (the levels) after `at`
        seconds = round(time.monotonic() - began, 3)
        outcome = "answered" if done.answered else "ran"
        entry = StageTrace(name=stage.name, seconds=seconds, outcome=outcome, detail=done.detail)
        state.trace.insert(at, entry)
        if done.answered:
            state.answered = True
            break
    state.stage = None
    return state


def facts(stage: Stage[State]) -> str:
    """The stage's declared facts as one line of docs/solver.md (a test compares them)."""
    parts = [f"*Needs* {_names(stage.needs)}; *produces* {_names(stage.produces)}"]
    if stage.shares:
        plan = ", ".join(f"`{what}` {share:.3g}" for what, share in stage.shares)
        parts.append(f"*time plan* (share of the limit): {plan}")
    if stage.hook:
        parts.append(f"*decided by*: {stage.hook}")
    return "; ".join(parts) + "."


def _names(fields: tuple[str, ...]) -> str:
    return ", ".join(f"`{name}`" for name in fields)


def diagram(stages: Sequence[Stage[State]]) -> str:
    """The stages as a mermaid flowchart, in order; a stage that may answer the run points
    to the schedule."""
    lines = ["flowchart TD"]
    names = [stage.name for stage in stages]
    for first, second in zip(names, names[1:], strict=False):
        lines.append(f"    {first} --> {second}")
    for stage in stages:
        if "schedule" in stage.produces and stage.name != names[-1]:
            lines.append(f"    {stage.name} -. answers .-> schedule")
    lines.append(f"    {names[-1]} --> schedule")
    return "\n".join(lines)
