"""A student's "My schedule": sessions with teammates, placements with their weekly hours,
and what changed since the version published before.

Built only from the student's own assignments in versions they were shown (published, or
published before and since superseded), through the scoped reads in
`scheduler.db.repositories`. Teammates are shown by name and profession: they are the
people the student will meet in the room, and nothing else about them is read. A teammate
who opted out of directory information is shown without a name
(`scheduler.services.directory`). The same
read model feeds the page and the student's calendar feed, so both say the same thing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlmodel import Session

from scheduler.db import repositories
from scheduler.db.repositories import PublishedVersion
from scheduler.db.tables import StudentRow, TermRow, UserRow
from scheduler.domain.privacy import OPTED_OUT_NAME
from scheduler.domain.scenario import WeeklyWindow
from scheduler.services.period_hours import weekly_hours
from scheduler.services.views import View


class Teammate(View):
    name: str
    profession: str


class MySession(View):
    """An IPE session the student attends, with the rest of their team."""

    session: str
    activity: str
    start: datetime
    end: datetime
    room: str
    team: str
    teammates: list[Teammate]


class MyPlacement(View):
    """A placement the student holds: where, which period and which weekly hours."""

    slot: str
    site: str
    site_name: str
    address: str | None = None
    lat: float
    lon: float
    profession: str
    period: str
    start: date
    end: date
    weekly: list[WeeklyWindow]


class Change(View):
    """One difference from the previously published version, in a sentence."""

    kind: str
    text: str


class MyTerm(View):
    """The student's schedule in one term's published version."""

    term_id: int
    code: str
    name: str
    timezone: str
    version: int
    published_at: datetime | None
    previous_version: int | None
    sessions: list[MySession]
    placements: list[MyPlacement]
    changes: list[Change]


def my_terms(session: Session, *, actor: UserRow) -> list[MyTerm]:
    """Every term of the student with a published version, oldest term first."""
    history = repositories.own_published_history(session, actor)
    current = {v.term_id: v for v in history if v.state == "published"}
    previous = _previous_versions(history, current)
    now_sessions = _sessions(session, actor, "published", with_teams=True)
    now_placements = _placements(session, actor, "published")
    old_sessions = _sessions(session, actor, "superseded", with_teams=False)
    old_placements = _placements(session, actor, "superseded")
    terms = []
    for _student, term in repositories.own_student_records(session, actor):
        version = current.get(_id(term.id))
        if version is None:
            continue
        before = previous.get(version.term_id)
        mine = (now_sessions.get(version.id, []), now_placements.get(version.id, []))
        old = None
        if before is not None:
            old = (old_sessions.get(before.id, []), old_placements.get(before.id, []))
        terms.append(_term(term, version, before, mine, old))
    return terms


def _term(
    term: TermRow,
    version: PublishedVersion,
    before: PublishedVersion | None,
    mine: tuple[list[MySession], list[MyPlacement]],
    old: tuple[list[MySession], list[MyPlacement]] | None,
) -> MyTerm:
    sessions, placements = mine
    return MyTerm(
        term_id=_id(term.id),
        code=term.code,
        name=term.name,
        timezone=term.timezone,
        version=version.number,
        published_at=version.published_at,
        previous_version=before.number if before else None,
        sessions=sessions,
        placements=placements,
        changes=changes(old[0], old[1], sessions, placements) if old else [],
    )


def _previous_versions(
    history: list[PublishedVersion], current: dict[int, PublishedVersion]
) -> dict[int, PublishedVersion]:
    """Per term, the version published last before the current one (history is newest first)."""
    previous: dict[int, PublishedVersion] = {}
    for version in history:
        if version.state == "superseded" and version.term_id in current:
            previous.setdefault(version.term_id, version)
    return previous


def _sessions(
    session: Session, actor: UserRow, state: str, *, with_teams: bool
) -> dict[int, list[MySession]]:
    """The student's sessions by version id (teammates only when they are shown)."""
    teams = repositories.own_teammates(session, actor, state=state) if with_teams else {}
    hidden = repositories.opted_out(session, actor, {s.ref for t in teams.values() for s in t})
    found: dict[int, list[MySession]] = defaultdict(list)
    for assignment, held, activity, room in repositories.own_session_assignments(
        session, actor, state=state
    ):
        found[assignment.version_id].append(
            MySession(
                session=held.ref,
                activity=activity.name,
                start=held.start,
                end=held.end,
                room=room.name,
                team=assignment.team_ref or "",
                teammates=_roster(teams.get(_id(assignment.id), []), hidden),
            )
        )
    return found


def _roster(students: list[StudentRow], hidden: set[str]) -> list[Teammate]:
    """Teammates by name, then those who opted out (last, so no order hints at a name)."""
    shown = [s for s in students if s.ref not in hidden]
    named = [Teammate(name=s.name, profession=s.profession) for s in shown]
    withheld = sorted(s.profession for s in students if s.ref in hidden)
    return named + [Teammate(name=OPTED_OUT_NAME, profession=p) for p in withheld]


def _placements(session: Session, actor: UserRow, state: str) -> dict[int, list[MyPlacement]]:
    """The student's placements by version id, with each period's weekly hours."""
    terms = {term.id: term for _, term in repositories.own_student_records(session, actor)}
    found: dict[int, list[MyPlacement]] = defaultdict(list)
    for assignment, slot, site, period in repositories.own_placement_assignments(
        session, actor, state=state
    ):
        hours = weekly_hours(session, terms[slot.term_id])
        found[assignment.version_id].append(
            MyPlacement(
                slot=slot.ref,
                site=site.ref,
                site_name=site.name,
                address=site.address,
                lat=site.lat,
                lon=site.lon,
                profession=slot.profession,
                period=period.ref,
                start=period.start,
                end=period.end,
                weekly=list(hours.get(period.ref, ())),
            )
        )
    return found


# ---- what changed ----------------------------------------------------------------------


def changes(
    old_sessions: list[MySession],
    old_placements: list[MyPlacement],
    sessions: list[MySession],
    placements: list[MyPlacement],
) -> list[Change]:
    """Sessions and placements added, removed, moved or re-teamed since the old version."""
    return _session_changes(old_sessions, sessions) + _placement_changes(old_placements, placements)


def _session_changes(old: list[MySession], new: list[MySession]) -> list[Change]:
    found: list[Change] = []
    for activity in sorted({s.activity for s in old + new}):
        before = {s.session: s for s in old if s.activity == activity}
        after = {s.session: s for s in new if s.activity == activity}
        gone = [before[k] for k in sorted(before.keys() - after.keys())]
        came = [after[k] for k in sorted(after.keys() - before.keys())]
        while gone and came:
            was, now = gone.pop(0), came.pop(0)
            found.append(Change(kind="moved", text=f"{activity}: {when(was)} → {when(now)}"))
        found += [Change(kind="removed", text=f"{activity}: {when(s)}") for s in gone]
        found += [Change(kind="added", text=f"{activity}: {when(s)}") for s in came]
        for key in sorted(before.keys() & after.keys()):
            if before[key].team != after[key].team:
                text = f"{activity}, {when(after[key])}: now in team {after[key].team}"
                found.append(Change(kind="team", text=text))
    return found


def _placement_changes(old: list[MyPlacement], new: list[MyPlacement]) -> list[Change]:
    found: list[Change] = []
    before = {p.slot: p for p in old}
    after = {p.slot: p for p in new}
    gone = [before[k] for k in sorted(before.keys() - after.keys())]
    came = [after[k] for k in sorted(after.keys() - before.keys())]
    for placement in list(came):
        match = next((p for p in gone if p.period == placement.period), None)
        if match is not None:
            gone.remove(match)
            came.remove(placement)
            text = f"period {placement.period}: {match.site_name} → {placement.site_name}"
            found.append(Change(kind="moved", text=text))
    found += [Change(kind="removed", text=f"placement at {p.site_name} ({span(p)})") for p in gone]
    found += [Change(kind="added", text=f"placement at {p.site_name} ({span(p)})") for p in came]
    return found


def when(held: MySession) -> str:
    """ "Thu 28 Jan 2027, 13:00–15:00, Room 2": how a person says when a session is."""
    day = held.start.strftime("%a %d %b %Y")
    return f"{day}, {held.start:%H:%M}–{held.end:%H:%M}, {held.room}"


def span(placement: MyPlacement) -> str:
    return f"{placement.start:%d %b %Y} – {placement.end:%d %b %Y}"


def _id(value: int | None) -> int:
    assert value is not None, "a stored row has an id"
    return value
