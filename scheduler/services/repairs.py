"""Repair after a change: re-solve against the published schedule and review the diff.

After a partner declines, the roster changes or a session is cancelled, the coordinator
starts a repair run: a solve run whose `previous` is the published version, so the solver
keeps everything it can (`stability` right after `coverage`). Its result is a draft like
any other; `version_diff` says who moves, who is added, who is dropped and how many people
are affected, and publishing it tells exactly those people (`scheduler.services.outbox`).

The repair page reads `repair_overview` (partner responses since publication, the rules
the published schedule breaks now, the drafts since with the people each affects) and
`change_preview` (one draft against the published version, in the words of the messages,
with the objective levels before and after). `publish_check` compares the people a draft
affects with the repair's minimum, so the pages ask before a plain re-solve that moves
many people is published where a repair would move a few.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from sqlmodel import Session

from scheduler.db import repositories
from scheduler.db.tables import SolveRunRow, UserRow
from scheduler.domain.diff import ScheduleDiff, diff_schedules, slot_sites
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ErrorItem, Schedule
from scheduler.domain.validator import validate_schedule
from scheduler.services import outbox, slots, term_rows
from scheduler.services.errors import Conflict
from scheduler.services.solve_runs import RunLimits, start_solve_run
from scheduler.services.terms import get_term
from scheduler.services.versions import get_version, version_schedule
from scheduler.services.views import ObjectiveView, RunView, VersionView, View, version_view

if TYPE_CHECKING:
    from scheduler.services.jobs import JobRunner


def start_repair_run(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    runner: JobRunner,
    limits: RunLimits,
    time_limit_s: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    full_repair: bool = False,
) -> RunView:
    """Queue a run that repairs the published version against the term as it is now (the
    local path first, `solver.incremental`; `full_repair` solves the whole term)."""
    term = get_term(session, actor=actor, term_id=term_id)
    published = repositories.published_version(session, term.id or 0)
    if published is None:
        raise Conflict("nothing is published yet: start a solve run", code="nothing_published")
    return start_solve_run(
        session,
        actor=actor,
        term_id=term_id,
        runner=runner,
        limits=limits,
        time_limit_s=time_limit_s,
        workers=workers,
        seed=seed,
        previous_version=published.id,
        full_repair=full_repair,
    )


def version_diff(
    session: Session, *, actor: UserRow, term_id: int, version_id: int, against: int | None = None
) -> ScheduleDiff:
    """What publishing `version_id` would change against `against` (default: the published
    version; nothing published: everything is an addition)."""
    term, version = get_version(session, actor=actor, term_id=term_id, version_id=version_id)
    base = (
        get_version(session, actor=actor, term_id=term_id, version_id=against)[1]
        if against is not None
        else repositories.published_version(session, term.id or 0)
    )
    before = version_schedule(base) if base is not None else None
    scenario = term_rows.current_scenario(session, term)
    return diff_schedules(before, version_schedule(version), sites_of=slot_sites(scenario))


# ---- the repair page: what changed, the drafts, a preview, the publish check -----------


class BrokenRule(View):
    """A rule the published schedule breaks against the term as it is now."""

    rule: str
    code: str
    message: str
    students: list[str]
    """Names of the students the broken rule names."""


class ResponseSince(View):
    """A partner's response to a slot after the published version was published."""

    slot: str
    site_name: str
    period: str
    start: date
    end: date
    decision: str
    reason: str
    responder: str
    at: datetime


class DraftSince(View):
    """A draft made since the publication, with what publishing it would change."""

    version: VersionView
    kind: Literal["repair", "full repair", "re-solve"]
    changes: int
    people_affected: int


class RepairOverview(View):
    """What changed since publication and the drafts that answer it."""

    published: VersionView | None
    responses: list[ResponseSince]
    broken: list[BrokenRule]
    must_change: int
    """Students whose published assignments break a rule now: no valid schedule keeps
    them as they are."""
    drafts: list[DraftSince]


MAX_DRAFTS = 5
"""Drafts compared on the repair page (each is one diff against the published version)."""


def repair_overview(session: Session, *, actor: UserRow, term_id: int) -> RepairOverview:
    """Partner responses since publication, the rules the published schedule breaks now,
    and the newest drafts with the people each would affect. Names students, so it is an
    audited read of the term's student records."""
    term = get_term(session, actor=actor, term_id=term_id)
    published = repositories.published_version(session, term.id or 0)
    if published is None:
        return RepairOverview(published=None, responses=[], broken=[], must_change=0, drafts=[])
    repositories.term_students(session, actor, term, via="web.repair")
    scenario = term_rows.current_scenario(session, term)
    before = version_schedule(published)
    broken = _broken(scenario, before)
    runs = {run.id: run for run in repositories.term_runs(session, actor, term)}
    drafts: list[DraftSince] = []
    for row in repositories.term_versions(session, actor, term):
        if row.state != "draft" or row.number < published.number:
            continue
        if len(drafts) == MAX_DRAFTS:
            break
        diff = diff_schedules(before, version_schedule(row), sites_of=slot_sites(scenario))
        run = runs.get(row.run_id) if row.run_id else None
        drafts.append(
            DraftSince(
                version=version_view(row),
                kind=_kind(run, published.id),
                changes=diff.changes,
                people_affected=diff.people_affected,
            )
        )
    return RepairOverview(
        published=version_view(published),
        responses=_responses_since(session, actor, term_id, published.published_at),
        broken=broken,
        must_change=len({s for b in broken for s in b.students}),
        drafts=drafts,
    )


def _kind(
    run: SolveRunRow | None, published_id: int | None
) -> Literal["repair", "full repair", "re-solve"]:
    if run is None or run.parameters.get("previous_version") != published_id:
        return "re-solve"
    return "full repair" if run.parameters.get("full_repair") else "repair"


def _broken(scenario: Scenario, schedule: Schedule) -> list[BrokenRule]:
    names = {s.id: s.name for s in scenario.students}
    return [
        BrokenRule(
            rule=str(v.rule),
            code=v.code,
            message=v.message,
            students=sorted(names[r] for r in v.related if r in names),
        )
        for v in validate_schedule(scenario, schedule)
    ]


def _broken_students(scenario: Scenario, schedule: Schedule) -> dict[str, str]:
    """Each student a broken rule names, with the first such rule's sentence."""
    ids = {s.id for s in scenario.students}
    found: dict[str, str] = {}
    for violation in validate_schedule(scenario, schedule):
        for ref in violation.related:
            if ref in ids:
                found.setdefault(ref, violation.message)
    return found


def _responses_since(
    session: Session, actor: UserRow, term_id: int, since: datetime | None
) -> list[ResponseSince]:
    found = [
        ResponseSince(
            slot=slot.ref,
            site_name=slot.site_name,
            period=slot.period,
            start=slot.start,
            end=slot.end,
            decision=response.decision,
            reason=response.reason,
            responder=response.responder,
            at=response.at,
        )
        for slot in slots.coordinator_slots(session, actor=actor, term_id=term_id)
        for response in slot.responses
        if since is None or response.at >= since
    ]
    return sorted(found, key=lambda r: r.at, reverse=True)


class PreviewLine(View):
    """One change for one student, in the words of the message they will get."""

    student: str
    name: str
    profession: str
    kind: str
    text: str
    why: str
    """The rule the published assignment breaks now, when one does."""


class LevelChange(View):
    """One objective level before (published) and after (this version)."""

    name: str
    before: ObjectiveView | None
    after: ObjectiveView


class PublishCheck(View):
    """How many people publishing a version affects, against the repair's minimum."""

    people_affected: int
    """Students with a changed session or placement (the diff's `people_affected`)."""
    minimum: int | None
    """The fewest people a repair of the publication affects: the smallest among repair
    drafts made since, else the students whose assignments break a rule now."""
    minimum_source: str
    needs_confirmation: bool
    """More people affected than the minimum: publishing asks first."""


class ChangePreview(View):
    """What publishing a version would change against the published one."""

    against: VersionView | None
    changes: int
    moved: int
    added: int
    dropped: int
    regrouped: int
    lines: list[PreviewLine]
    levels: list[LevelChange]
    check: PublishCheck


def change_preview(
    session: Session, *, actor: UserRow, term_id: int, version_id: int
) -> ChangePreview:
    """Who moves, is added, is dropped or changes team, why, the objective levels before
    and after, and the publish check. An audited read of the term's student records."""
    term, version = get_version(session, actor=actor, term_id=term_id, version_id=version_id)
    repositories.term_students(session, actor, term, via="web.version.changes")
    scenario = term_rows.current_scenario(session, term)
    published = repositories.published_version(session, term.id or 0)
    before = version_schedule(published) if published is not None else None
    after = version_schedule(version)
    diff = diff_schedules(before, after, sites_of=slot_sites(scenario))
    texts = outbox.MessageTexts(scenario, term.name, first=before is None)
    why = _broken_students(scenario, before) if before is not None else {}
    people = {s.id: s for s in scenario.students}
    lines = [
        PreviewLine(
            student=change.student,
            name=people[change.student].name if change.student in people else change.student,
            profession=people[change.student].profession if change.student in people else "",
            kind=change.kind,
            text=texts.change(change),
            why=why.get(change.student, ""),
        )
        for change in (*diff.moved, *diff.dropped, *diff.added, *diff.regrouped)
    ]
    lines.sort(key=lambda line: (line.why == "", line.name, line.student))
    old = {o.name: o for o in version_view(published).objectives} if published else {}
    return ChangePreview(
        against=version_view(published) if published is not None else None,
        changes=diff.changes,
        moved=len(diff.moved),
        added=len(diff.added),
        dropped=len(diff.dropped),
        regrouped=len(diff.regrouped),
        lines=lines,
        levels=[
            LevelChange(name=o.name, before=old.get(o.name), after=o)
            for o in version_view(version).objectives
        ],
        check=publish_check(session, actor=actor, term_id=term_id, version_id=version_id),
    )


def publish_check(
    session: Session, *, actor: UserRow, term_id: int, version_id: int
) -> PublishCheck:
    """People affected by publishing `version_id`, and whether that is more than a repair
    needs (then the pages ask before publishing)."""
    term, version = get_version(session, actor=actor, term_id=term_id, version_id=version_id)
    published = repositories.published_version(session, term.id or 0)
    if published is None or published.id == version.id:
        return PublishCheck(
            people_affected=0, minimum=None, minimum_source="", needs_confirmation=False
        )
    scenario = term_rows.current_scenario(session, term)
    before = version_schedule(published)
    sites = slot_sites(scenario)
    affected = diff_schedules(before, version_schedule(version), sites_of=sites).people_affected
    runs = {run.id: run for run in repositories.term_runs(session, actor, term)}
    repaired = [
        (diff_schedules(before, version_schedule(row), sites_of=sites).people_affected, row)
        for row in repositories.term_versions(session, actor, term)
        if row.state == "draft"
        and row.number > published.number
        and _kind(runs.get(row.run_id) if row.run_id else None, published.id) != "re-solve"
    ]
    if repaired:
        fewest, row = min(repaired, key=lambda pair: (pair[0], -pair[1].number))
        source = f"the repair in version {row.number}"
    else:
        fewest = len(_broken_students(scenario, before))
        source = "the students whose published assignments break a rule now"
    return PublishCheck(
        people_affected=affected,
        minimum=fewest,
        minimum_source=source,
        needs_confirmation=affected > fewest,
    )


def confirm_publish(
    session: Session, *, actor: UserRow, term_id: int, version_id: int, confirmed: int | None
) -> PublishCheck:
    """The publish check, passed: a publish that affects more people than the repair's
    minimum goes ahead only when `confirmed` is that number of people (so a confirmation
    given before the numbers changed does not count); else Conflict with the numbers."""
    check = publish_check(session, actor=actor, term_id=term_id, version_id=version_id)
    if check.needs_confirmation and confirmed != check.people_affected:
        raise Conflict(
            f"publishing changes the schedule of {check.people_affected} people, more than the"
            f" {check.minimum} of {check.minimum_source}: review the changes and confirm",
            code="confirm_people_affected",
            details=[
                ErrorItem(path="people_affected", message=str(check.people_affected)),
                ErrorItem(path="minimum", message=str(check.minimum)),
                ErrorItem(path="minimum_source", message=check.minimum_source),
            ],
        )
    return check
