"""What changed between two schedules of a term: who moves, who is added, who is dropped.

Pure and solver-free. A repair's draft is reviewed with it, publishing tells each affected
person from it, and the validator counts the `stability` objective with it, so all three
agree on what one change is (docs/objectives.md):
- per student and activity, the session attended before and after differ ("none" is a
  value too): a move, an addition or a drop is one change; a new team inside the same
  session is not a change (it is listed in `regrouped`, so the student is still told, but
  it is not counted);
- per student's placements, max(|before - after|, |after - before|) changes: trading one
  slot for another is one move, not a drop plus an addition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule

ChangeKind = Literal["moved", "added", "dropped", "regrouped"]
Need = Literal["session", "placement"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Change(Frozen):
    """One need of one student assigned differently: `before`/`after` are session or slot ids
    (None: unassigned on that side); a `regrouped` change has the same session on both
    sides and differs in team only."""

    student: str
    need: Need
    kind: ChangeKind
    activity: str | None = None
    before: str | None = None
    after: str | None = None
    team_before: str | None = None
    """The student's team in the `before` session (sessions only)."""
    team_after: str | None = None
    """The student's team in the `after` session (sessions only)."""


class ScheduleDiff(Frozen):
    """Every change from one schedule to the next, and whom they concern."""

    moved: list[Change] = Field(default_factory=list)
    added: list[Change] = Field(default_factory=list)
    dropped: list[Change] = Field(default_factory=list)
    regrouped: list[Change] = Field(default_factory=list)
    """Same session, another team: not a change for `stability`, but the student is told."""
    students: list[str] = Field(default_factory=list)
    """Students with at least one change, sorted."""
    notified: list[str] = Field(default_factory=list)
    """Students with a change or a new team: who gets a message on publishing, sorted."""
    sites: list[str] = Field(default_factory=list)
    """Sites that gain or lose a placed student (slots whose site is known), sorted."""
    changes: int = 0
    """len(moved) + len(added) + len(dropped): the `stability` count over these students."""
    people_affected: int = 0
    """len(students): how many students are told about a change."""

    def for_student(self, student: str) -> list[Change]:
        """The student's changes and team changes, in diff order."""
        return list(self.by_student.get(student, ()))

    @cached_property
    def by_student(self) -> dict[str, list[Change]]:
        """Changes per student (moved, added, dropped, regrouped), indexed once: publishing
        asks for every student's, and a scan per student was quadratic (80 s at 5,000)."""
        found: dict[str, list[Change]] = defaultdict(list)
        for change in (*self.moved, *self.added, *self.dropped, *self.regrouped):
            found[change.student].append(change)
        return found


def slot_sites(scenario: Scenario) -> dict[str, str]:
    """Site of every slot of a scenario, for `diff_schedules`."""
    return {slot.id: slot.site for slot in scenario.slots}


def diff_schedules(
    before: Schedule | None, after: Schedule, *, sites_of: Mapping[str, str] | None = None
) -> ScheduleDiff:
    """The changes from `before` (None: nothing was scheduled) to `after`."""
    changes = _session_changes(before, after) + _placement_changes(before, after)
    regrouped = _team_changes(before, after)
    students = sorted({c.student for c in changes})
    touched_slots = {s for c in changes if c.need == "placement" for s in (c.before, c.after)}
    sites = sorted({sites_of[s] for s in touched_slots if s and sites_of and s in sites_of})
    by_kind: dict[str, list[Change]] = defaultdict(list)
    for change in changes:
        by_kind[change.kind].append(change)
    return ScheduleDiff(
        moved=by_kind["moved"],
        added=by_kind["added"],
        dropped=by_kind["dropped"],
        regrouped=regrouped,
        students=students,
        notified=sorted({*students, *(c.student for c in regrouped)}),
        sites=sites,
        changes=len(changes),
        people_affected=len(students),
    )


def changed_assignments(
    before: Schedule, after: Schedule, students: Collection[str] | None = None
) -> int:
    """The `stability` value: changes of the given students (default: everyone)."""
    diff = diff_schedules(before, after)
    everything = (*diff.moved, *diff.added, *diff.dropped)
    if students is None:
        return len(everything)
    wanted = set(students)
    return sum(change.student in wanted for change in everything)


def attendance(schedule: Schedule | None) -> dict[tuple[str, str], set[str]]:
    """Sessions attended per (student, activity); a valid schedule has one each."""
    result: dict[tuple[str, str], set[str]] = defaultdict(set)
    for entry in schedule.sessions if schedule else ():
        for team in entry.teams:
            for student in team.students:
                result[student, entry.activity].add(entry.session)
    return result


def placements(schedule: Schedule | None) -> dict[str, set[str]]:
    """Slots held per student."""
    result: dict[str, set[str]] = defaultdict(set)
    for placement in schedule.placements if schedule else ():
        result[placement.student].add(placement.slot)
    return result


def teams(schedule: Schedule | None) -> dict[tuple[str, str], str]:
    """Team of each (student, session)."""
    return {
        (student, entry.session): team.id
        for entry in (schedule.sessions if schedule else ())
        for team in entry.teams
        for student in team.students
    }


def _session_changes(before: Schedule | None, after: Schedule) -> list[Change]:
    old, new = attendance(before), attendance(after)
    old_teams, new_teams = teams(before), teams(after)
    changes = []
    for student, activity in sorted(old.keys() | new.keys()):
        was, now = old.get((student, activity), set()), new.get((student, activity), set())
        if was == now:
            continue
        kind: ChangeKind = "moved" if was and now else "added" if now else "dropped"
        first, then = min(was, default=None), min(now, default=None)
        changes.append(
            Change(
                student=student,
                need="session",
                kind=kind,
                activity=activity,
                before=first,
                after=then,
                team_before=old_teams.get((student, first or "")),
                team_after=new_teams.get((student, then or "")),
            )
        )
    return changes


def _team_changes(before: Schedule | None, after: Schedule) -> list[Change]:
    """Students who stay in a session but change team in it."""
    old, new = teams(before), teams(after)
    activity_of = {e.session: e.activity for e in after.sessions}
    return [
        Change(
            student=student,
            need="session",
            kind="regrouped",
            activity=activity_of.get(session),
            before=session,
            after=session,
            team_before=old[student, session],
            team_after=team,
        )
        for (student, session), team in sorted(new.items())
        if (student, session) in old and old[student, session] != team
    ]


def _placement_changes(before: Schedule | None, after: Schedule) -> list[Change]:
    """Lost and gained slots of each student, paired up as moves where both exist."""
    old, new = placements(before), placements(after)
    changes = []
    for student in sorted(old.keys() | new.keys()):
        lost = sorted(old.get(student, set()) - new.get(student, set()))
        gained = sorted(new.get(student, set()) - old.get(student, set()))
        for index in range(max(len(lost), len(gained))):
            was = lost[index] if index < len(lost) else None
            now = gained[index] if index < len(gained) else None
            kind: ChangeKind = "moved" if was and now else "added" if now else "dropped"
            changes.append(
                Change(student=student, need="placement", kind=kind, before=was, after=now)
            )
    return changes
