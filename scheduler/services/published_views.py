"""Published views: each person's schedule built once, at publish, and served as bytes.

A published version never changes, so what a student or partner reads from it is built
when it is published (in the publishing transaction, from the schedule just re-validated)
and stored per person (`published_view`): a student's `GET /me/schedule` JSON and calendar
feed, a partner site's calendar feed. A read is then one query (token, user and view
together) and the stored bytes, with their ETag and Last-Modified for conditional requests.

Views are keyed by school and the person's scenario id (student or site), which outlive
terms, so a view spans every term of the school, as the reads did, and exists before the
person has an account. They are rebuilt, never patched: for every student and site of a
term when a version is published or the term is deleted; for a student and their
teammates when the student's directory choice changes; and on a read that finds none
(data published before views existed). A rebuild that yields the same bytes keeps the
row, so ETag and Last-Modified move only when the content does.

Reads of a site's feed still write the disclosure rows, and before they are answered (the
disclosure record is a promise to the student; it is never deferred): `feed_read` returns
what to record, for the caller's transaction or `disclosure_writer`. A site's view stores,
with its bytes, which students it shows and the facts of each disclosure.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from scheduler.db import repositories
from scheduler.db.tables import (
    ActivityRow,
    AssignmentRow,
    PeriodRow,
    PublishedViewRow,
    RoomRow,
    ScheduleVersionRow,
    SessionRow,
    SiteRow,
    SlotRow,
    StudentRow,
    TermRow,
    UserRow,
)
from scheduler.db.types import utcnow
from scheduler.services import disclosures, ics
from scheduler.services.cancellation import checkpoint
from scheduler.services.errors import Forbidden, NotFound, Unauthorized
from scheduler.services.feeds import EPOCH, student_events
from scheduler.services.my_schedule import MyPlacement, MySession, MyTerm
from scheduler.services.period_hours import weekly_hours
from scheduler.services.view_cache import ViewCache
from scheduler.services.views import MyPlacementView, MySessionView, MyTermView

STUDENT = "student"
SITE = "site"
SCHEDULE = "schedule"
FEED = "feed"
FILTER_MAX = 500
"""Up to this many people, a rebuild reads only their rows; beyond, the whole version."""

_SCHEDULE_JSON = TypeAdapter(list[MyTermView])


@dataclass(frozen=True)
class StoredView:
    """A view as served: the bytes, their validator and when they last changed."""

    body: bytes
    etag: str
    built_at: datetime


def etag_of(body: bytes) -> str:
    """A strong entity tag: a digest of the bytes (quoted, as HTTP wants it)."""
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


# ---- building --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Published:
    term: TermRow
    version_id: int
    number: int
    published_at: datetime | None


def _published_terms(session: Session, school_id: int) -> list[_Published]:
    """The school's terms with a published version, oldest term first."""
    query = (
        select(
            TermRow,
            ScheduleVersionRow.id,
            ScheduleVersionRow.number,
            ScheduleVersionRow.published_at,
        )
        # The scenario document is megabytes; only `weekly_hours` reads it, once per process.
        .options(defer(TermRow.scenario_json))  # type: ignore[arg-type]
        .join(ScheduleVersionRow, col(ScheduleVersionRow.term_id) == TermRow.id)
        .where(col(TermRow.school_id) == school_id, col(ScheduleVersionRow.state) == "published")
        .order_by(col(TermRow.start), col(TermRow.id))
    )
    return [
        _Published(term, int(version_id or 0), int(number), published_at)
        for term, version_id, number, published_at in session.exec(query).all()
    ]


def rebuild_for_term(session: Session, *, term: TermRow) -> None:
    """Rebuild the views of every student and site of a term (after a publish)."""
    students = set(session.exec(select(StudentRow.ref).where(StudentRow.term_id == term.id)).all())
    sites = set(session.exec(select(SiteRow.ref).where(SiteRow.term_id == term.id)).all())
    rebuild_students(session, school_id=term.school_id, refs=students)
    rebuild_sites(session, school_id=term.school_id, refs=sites)


def rebuild_students(session: Session, *, school_id: int, refs: Collection[str]) -> None:
    """Build and store the schedule JSON and feed of these students of a school."""
    wanted = set(refs)
    if not wanted:
        return
    views: dict[str, list[MyTermView]] = defaultdict(list)
    feed_terms: dict[str, list[MyTerm]] = defaultdict(list)
    names: dict[str, str] = {}
    for published in _published_terms(session, school_id):
        _student_term(session, published, wanted, views, feed_terms, names)
    bodies: dict[tuple[str, str], tuple[bytes, list[dict[str, Any]]]] = {}
    for ref in wanted:
        checkpoint()  # a publish stops once its client has left (the transaction rolls back)
        terms = feed_terms.get(ref, [])
        bodies[(ref, SCHEDULE)] = (_SCHEDULE_JSON.dump_json(views.get(ref, [])), [])
        events = [e for term in terms for e in student_events(term, ref)]
        stamps = [t.published_at for t in terms if t.published_at is not None]
        name = f"IPE schedule: {names[ref]}" if ref in names else "IPE schedule"
        calendar = ics.build_calendar(name=name, events=events, stamp=max(stamps, default=EPOCH))
        bodies[(ref, FEED)] = (calendar, [])
    _store(session, school_id, STUDENT, bodies)


def _student_term(
    session: Session,
    published: _Published,
    wanted: set[str],
    views: dict[str, list[MyTermView]],
    feed_terms: dict[str, list[MyTerm]],
    names: dict[str, str],
) -> None:
    """Add one term's sessions and placements of the wanted students."""
    term = published.term
    query = select(StudentRow.id, StudentRow.ref, StudentRow.name).where(
        StudentRow.term_id == term.id
    )
    if len(wanted) <= FILTER_MAX:
        query = query.where(col(StudentRow.ref).in_(wanted))
    students = {
        pk: (ref, name)
        for pk, ref, name in session.exec(query).all()
        if pk is not None and ref in wanted
    }
    if not students:
        return
    only = list(students) if len(wanted) <= FILTER_MAX else None
    sessions: dict[str, list[MySession]] = defaultdict(list)
    for r in _session_rows(session, published.version_id, only):
        if r.student_id in students:
            sessions[students[r.student_id][0]].append(
                MySession(
                    session=r.session,
                    activity=r.activity,
                    start=r.start,
                    end=r.end,
                    room=r.room,
                    team=r.team or "",
                    teammates=[],
                )
            )
    placements: dict[str, list[MyPlacement]] = defaultdict(list)
    rows = _placement_rows(session, published.version_id, only)
    hours = weekly_hours(session, term) if rows else {}
    for r in rows:
        if r.student_id in students:
            placements[students[r.student_id][0]].append(
                MyPlacement(
                    slot=r.slot,
                    site=r.site,
                    site_name=r.site_name,
                    address=r.address,
                    lat=r.lat,
                    lon=r.lon,
                    profession=r.profession,
                    period=r.period,
                    start=r.start,
                    end=r.end,
                    weekly=list(hours.get(r.period, ())),
                )
            )
    for ref, name in students.values():
        names[ref] = name
        mine, placed = sessions.get(ref, []), placements.get(ref, [])
        feed_terms[ref].append(
            MyTerm(
                term_id=_id(term.id),
                code=term.code,
                name=term.name,
                timezone=term.timezone,
                version=published.number,
                published_at=published.published_at,
                previous_version=None,
                sessions=mine,
                placements=placed,
                changes=[],
            )
        )
        if mine or placed:
            views[ref].append(_term_view(term, mine, placed))


def _term_view(term: TermRow, sessions: list[MySession], placements: list[MyPlacement]) -> Any:
    """The `GET /me/schedule` entry of one term (as `students.my_schedule` built it)."""
    return MyTermView(
        term_id=_id(term.id),
        term=term.name,
        timezone=term.timezone,
        sessions=[
            MySessionView(
                activity=s.activity,
                session=s.session,
                start=s.start,
                end=s.end,
                room=s.room,
                team=s.team,
            )
            for s in sessions
        ],
        placements=[
            MyPlacementView(
                slot=p.slot,
                site=p.site,
                site_name=p.site_name,
                address=p.address,
                profession=p.profession,
                start=p.start,
                end=p.end,
                weekly=p.weekly,
            )
            for p in placements
        ],
    )


def _session_rows(session: Session, version_id: int, only: list[int] | None) -> list[Any]:
    """A version's session places as plain columns (ORM rows cost seconds at 5,000)."""
    query: Any = (
        sa_select(
            col(AssignmentRow.student_id).label("student_id"),
            col(AssignmentRow.team_ref).label("team"),
            col(SessionRow.ref).label("session"),
            col(SessionRow.start).label("start"),
            col(SessionRow.end).label("end"),
            col(ActivityRow.name).label("activity"),
            col(RoomRow.name).label("room"),
        )
        .join(SessionRow, col(AssignmentRow.session_id) == SessionRow.id)
        .join(ActivityRow, col(SessionRow.activity_id) == ActivityRow.id)
        .join(RoomRow, col(SessionRow.room_id) == RoomRow.id)
        .where(col(AssignmentRow.version_id) == version_id, col(AssignmentRow.kind) == "session")
        .order_by(col(SessionRow.start), col(SessionRow.id))
    )
    if only is not None:
        query = query.where(col(AssignmentRow.student_id).in_(only))
    return list(session.execute(query).all())


def _placement_rows(session: Session, version_id: int, only: list[int] | None) -> list[Any]:
    """A version's placements with slot, site and period, as plain columns."""
    query: Any = (
        sa_select(
            col(AssignmentRow.student_id).label("student_id"),
            col(SlotRow.ref).label("slot"),
            col(SlotRow.profession).label("profession"),
            col(SiteRow.ref).label("site"),
            col(SiteRow.name).label("site_name"),
            col(SiteRow.address).label("address"),
            col(SiteRow.lat).label("lat"),
            col(SiteRow.lon).label("lon"),
            col(PeriodRow.ref).label("period"),
            col(PeriodRow.start).label("start"),
            col(PeriodRow.end).label("end"),
        )
        .join(SlotRow, col(AssignmentRow.slot_id) == SlotRow.id)
        .join(SiteRow, col(SlotRow.site_id) == SiteRow.id)
        .join(PeriodRow, col(SlotRow.period_id) == PeriodRow.id)
        .where(col(AssignmentRow.version_id) == version_id, col(AssignmentRow.kind) == "placement")
        .order_by(col(PeriodRow.start), col(SlotRow.id))
    )
    if only is not None:
        query = query.where(col(AssignmentRow.student_id).in_(only))
    return list(session.execute(query).all())


def rebuild_sites(session: Session, *, school_id: int, refs: Collection[str]) -> None:
    """Build and store the calendar feed of these partner sites of a school."""
    wanted = set(refs)
    if not wanted:
        return
    events: dict[str, list[ics.AnyEvent]] = defaultdict(list)
    stamps: dict[str, list[datetime]] = defaultdict(list)
    shown: dict[str, list[dict[str, Any]]] = defaultdict(list)
    names: dict[str, str] = {}
    for published in _published_terms(session, school_id):
        _site_term(session, published, wanted, events, stamps, shown, names)
    bodies: dict[tuple[str, str], tuple[bytes, list[dict[str, Any]]]] = {}
    for ref in wanted:
        checkpoint()
        name = f"IPE placements: {names[ref]}" if ref in names else "IPE placements"
        stamp = max(stamps.get(ref, []), default=EPOCH)
        calendar = ics.build_calendar(name=name, events=events.get(ref, []), stamp=stamp)
        bodies[(ref, FEED)] = (calendar, shown.get(ref, []))
    _store(session, school_id, SITE, bodies)


def _site_term(
    session: Session,
    published: _Published,
    wanted: set[str],
    events: dict[str, list[ics.AnyEvent]],
    stamps: dict[str, list[datetime]],
    shown: dict[str, list[dict[str, Any]]],
    names: dict[str, str],
) -> None:
    """Add one term's slots with placed students, per wanted site (as `feeds` did)."""
    term = published.term
    query = (
        select(SlotRow, SiteRow, PeriodRow)
        .join(SiteRow, col(SlotRow.site_id) == SiteRow.id)
        .join(PeriodRow, col(SlotRow.period_id) == PeriodRow.id)
        .where(col(SlotRow.term_id) == term.id)
        .order_by(col(PeriodRow.start), col(SlotRow.ref))
    )
    if len(wanted) <= FILTER_MAX:
        query = query.where(col(SiteRow.ref).in_(wanted))
    slots = [(s, site, p) for s, site, p in session.exec(query).all() if site.ref in wanted]
    if not slots:
        return
    placed_query = (
        select(AssignmentRow.slot_id, StudentRow)
        .join(StudentRow, col(AssignmentRow.student_id) == StudentRow.id)
        .where(
            col(AssignmentRow.version_id) == published.version_id,
            col(AssignmentRow.kind) == "placement",
        )
        .order_by(col(StudentRow.name))
    )
    if len(slots) <= FILTER_MAX:
        placed_query = placed_query.where(col(AssignmentRow.slot_id).in_([s.id for s, *_ in slots]))
    placed: dict[int, list[StudentRow]] = defaultdict(list)
    for slot_id, student in session.exec(placed_query).all():
        if slot_id is not None:
            placed[slot_id].append(student)
    hours = weekly_hours(session, term)
    for slot, site, period in slots:
        names[site.ref] = site.name
        students = placed.get(_id(slot.id), [])
        if not students:
            continue
        if published.published_at is not None:
            stamps[site.ref].append(published.published_at)
        shown[site.ref] += [
            _disclosure(student, term, site, slot, period, published.number) for student in students
        ]
        listed = ", ".join(f"{s.name} ({s.profession})" for s in students)
        about = ics.About(
            summary=f"Placement students: {len(students)} {slot.profession}",
            location=f"{site.name}, {site.address}" if site.address else site.name,
            description=f"{term.name}. Slot {slot.ref}, period {period.ref}: {listed}.",
            geo=(site.lat, site.lon),
            sequence=published.number,
        )
        events[site.ref] += ics.weekly_events(
            ["slot", term.code, site.ref, slot.ref],
            hours.get(period.ref, ()),
            about=about,
            timezone=term.timezone,
            first=period.start,
            last=period.end,
        )


def _disclosure(
    student: StudentRow,
    term: TermRow,
    site: SiteRow,
    slot: SlotRow,
    period: PeriodRow,
    version: int,
) -> dict[str, Any]:
    """What a read of the feed discloses about one student (`disclosures.Shown`'s facts)."""
    return {
        "student_ref": student.ref,
        "school_id": term.school_id,
        "term_id": term.id,
        "term_name": term.name,
        "site_ref": site.ref,
        "site_name": site.name,
        "slot_ref": slot.ref,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "version": version,
        "fields": list(disclosures.placement_fields(student, with_needs=False)),
    }


def _store(
    session: Session,
    school_id: int,
    owner_kind: str,
    bodies: dict[tuple[str, str], tuple[bytes, list[dict[str, Any]]]],
) -> None:
    """Insert or replace the rows in bulk; a row whose bytes did not change is kept as is.

    Plain column reads and executemany statements, not ORM objects: a publish of 5,000
    students writes 10,000 rows.
    """
    refs = {ref for ref, _ in bodies}
    query = sa_select(
        col(PublishedViewRow.id),
        col(PublishedViewRow.owner_ref),
        col(PublishedViewRow.kind),
        col(PublishedViewRow.etag),
        col(PublishedViewRow.disclosures),
    ).where(
        col(PublishedViewRow.school_id) == school_id, col(PublishedViewRow.owner_kind) == owner_kind
    )
    if len(refs) <= FILTER_MAX:
        query = query.where(col(PublishedViewRow.owner_ref).in_(refs))
    existing = {
        (ref, kind): (pk, etag, shown) for pk, ref, kind, etag, shown in session.execute(query)
    }
    now = utcnow()
    added: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for (ref, kind), (body, shown) in bodies.items():
        etag = etag_of(body)
        old = existing.get((ref, kind))
        if old is None:
            added.append(
                {
                    "school_id": school_id,
                    "owner_kind": owner_kind,
                    "owner_ref": ref,
                    "kind": kind,
                    "body": body,
                    "etag": etag,
                    "built_at": now,
                    "disclosures": shown,
                }
            )
        elif old[1] != etag or old[2] != shown:
            row = {"id": old[0], "body": body, "etag": etag, "disclosures": shown}
            changed.append(row | ({"built_at": now} if old[1] != etag else {}))
    if added:
        session.execute(insert(PublishedViewRow), added)
    for group in (
        [r for r in changed if "built_at" in r],
        [r for r in changed if "built_at" not in r],
    ):
        if group:
            session.execute(update(PublishedViewRow), group)


def teammates(session: Session, *, school_id: int, student_ref: str) -> set[str]:
    """Students who share a team with this one in a published or superseded version."""
    mine = (
        select(AssignmentRow.version_id, AssignmentRow.session_id, AssignmentRow.team_ref)
        .join(StudentRow, col(AssignmentRow.student_id) == StudentRow.id)
        .join(TermRow, col(StudentRow.term_id) == TermRow.id)
        .where(
            col(TermRow.school_id) == school_id,
            col(StudentRow.ref) == student_ref,
            col(AssignmentRow.kind) == "session",
        )
    )
    found: set[str] = set()
    for version_id, session_id, team in session.exec(mine).all():
        query = (
            select(StudentRow.ref)
            .join(AssignmentRow, col(AssignmentRow.student_id) == StudentRow.id)
            .join(ScheduleVersionRow, col(AssignmentRow.version_id) == ScheduleVersionRow.id)
            .where(
                col(AssignmentRow.version_id) == version_id,
                col(AssignmentRow.session_id) == session_id,
                col(AssignmentRow.team_ref) == team,
                col(ScheduleVersionRow.state).in_(repositories.STUDENT_VISIBLE_STATES),
            )
        )
        found.update(session.exec(query).all())
    found.discard(student_ref)
    return found


def directory_changed(session: Session, *, school_id: int, student_ref: str) -> None:
    """Rebuild the views that may show this student to others: their teammates' and theirs."""
    refs = teammates(session, school_id=school_id, student_ref=student_ref) | {student_ref}
    rebuild_students(session, school_id=school_id, refs=refs)


def forget_term(session: Session, *, term: TermRow) -> tuple[set[str], set[str]]:
    """The students and sites of a term about to be deleted (to rebuild once it is gone)."""
    students = set(session.exec(select(StudentRow.ref).where(StudentRow.term_id == term.id)).all())
    sites = set(session.exec(select(SiteRow.ref).where(SiteRow.term_id == term.id)).all())
    return students, sites


# ---- reading ---------------------------------------------------------------------------


def my_view(
    session: Session, *, token: str | None, kind: str, cache: ViewCache | None = None
) -> StoredView:
    """The signed-in student's stored view (`schedule` JSON or `feed`), in one query.

    Authentication is `auth.authenticate`'s, checked on the same row: a sign-out, an
    expired token or a deactivated account counts from the next request. The query reads
    the view's ETag, not its bytes: those come from `cache` when it holds that ETag.
    """
    if not token:
        raise Unauthorized("sign in first: send `Authorization: Bearer <token>`")
    ref = repositories.token_view_ref(session, _digest(token), kind)
    if ref is None:
        raise Unauthorized("unknown token", code="invalid_token")
    _check_bearer(ref)
    if ref.role != "student":
        raise Forbidden("this endpoint is for students", code="wrong_role")
    return _cached(session, ref, kind=kind, cache=cache)


def _check_bearer(ref: Any) -> None:
    from scheduler.services import auth

    if ref.token_kind not in auth.BEARER_KINDS:
        raise Unauthorized("unknown token", code="invalid_token")
    if ref.revoked_at is not None or ref.expires_at <= utcnow() or not ref.active:
        raise Unauthorized("the token has expired or was revoked", code="invalid_token")
    if ref.token_kind == auth.PARTNER_API and ref.role != "partner":
        raise Unauthorized("a partner API token serves partner accounts only", code="invalid_token")


def _cached(session: Session, ref: Any, *, kind: str, cache: ViewCache | None) -> StoredView:
    """The view `ref` names: its bytes from `cache` under the ETag just read, else from its
    row (then kept in `cache`)."""
    if ref.view_id is None:  # none built yet (published before views existed)
        return view_or_build(session, user=_user(session, ref), view=None, kind=kind)
    body = cache.get(ref.etag) if cache is not None else None
    if body is None:
        body = repositories.view_body(session, ref.view_id, ref.etag)
        if body is None:  # rebuilt since the first query: the row as it is now
            user = _user(session, ref)
            view = repositories.own_view(session, user, kind)
            return view_or_build(session, user=user, view=view, kind=kind)
        if cache is not None and etag_of(body) == ref.etag:
            cache.put(ref.etag, body)
    return StoredView(body=body, etag=ref.etag, built_at=ref.built_at)


def _user(session: Session, ref: Any) -> UserRow:
    user = session.get(UserRow, ref.user_id)
    if user is None:  # pragma: no cover - the query just found it
        raise NotFound("no such user")
    return user


@dataclass(frozen=True)
class FeedDisclosure:
    """What a read of a site's feed disclosed: the rows the caller must write before
    answering (`disclosures.record` in the request, or `DisclosureWriter.record`)."""

    recipient: UserRow
    shown: list[disclosures.Shown]
    channel: disclosures.Channel = disclosures.CALENDAR_FEED
    resource: str = "partner.feed"
    export: bool = True


def feed_read(
    session: Session, *, token: str, cache: ViewCache | None = None
) -> tuple[StoredView, FeedDisclosure | None]:
    """The stored calendar feed behind a feed token, and for a site's feed what it discloses.

    Every refusal is the same NotFound: the address is the only secret a calendar app holds.
    The bytes come from `cache` when it holds the ETag the query just read (`my_view`).
    """
    from scheduler.services import auth

    ref = repositories.token_view_ref(session, _digest(token), FEED)
    if ref is None:
        raise NotFound("no such calendar feed")
    if (
        ref.token_kind != auth.CALENDAR_FEED
        or ref.revoked_at is not None
        or ref.expires_at <= utcnow()
    ):
        raise NotFound("no such calendar feed")
    if not ref.active or ref.role not in ("student", "partner"):
        raise NotFound("no such calendar feed")
    stored = _cached(session, ref, kind=FEED, cache=cache)
    if ref.role != "partner":
        return stored, None
    user = _user(session, ref)
    if ref.view_id is not None and stored.etag == ref.etag:
        shown = ref.disclosures
    else:  # built or rebuilt since the first query
        view = repositories.own_view(session, user, FEED)
        shown = view.disclosures if view else []
    return stored, FeedDisclosure(user, shown_items(shown))


def feed_view(session: Session, *, token: str) -> StoredView:
    """`feed_read`, its disclosure rows written in the caller's transaction."""
    stored, disclosed = feed_read(session, token=token)
    if disclosed is not None:
        disclosures.record(
            session,
            recipient=disclosed.recipient,
            channel=disclosed.channel,
            resource=disclosed.resource,
            shown=disclosed.shown,
            export=disclosed.export,
        )
    return stored


def view_or_build(
    session: Session, *, user: UserRow, view: PublishedViewRow | None, kind: str
) -> StoredView:
    """The stored view; when there is none yet (published before views existed), build it."""
    if view is None:
        _build_own(session, user)
        view = repositories.own_view(session, user, kind)
        if view is None:  # pragma: no cover - a build always stores a row
            raise NotFound("no published schedule")
    return StoredView(body=view.body, etag=view.etag, built_at=view.built_at)


def _build_own(session: Session, user: UserRow) -> None:
    try:
        with session.begin_nested():
            if user.role == "student" and user.student_ref:
                rebuild_students(session, school_id=user.school_id, refs=[user.student_ref])
            elif user.role == "partner" and user.site_ref:
                rebuild_sites(session, school_id=user.school_id, refs=[user.site_ref])
    except IntegrityError:  # a concurrent read stored it first: that row is the answer
        pass


def shown_items(stored: Iterable[dict[str, Any]]) -> list[disclosures.Shown]:
    """The disclosure facts a site's view keeps, as `disclosures.Shown`."""
    terms: dict[int, TermRow] = {}
    items = []
    for item in stored:
        term_id = int(item["term_id"])
        # Only the facts a disclosure row names; the term itself is not loaded.
        term = terms.setdefault(
            term_id,
            TermRow(
                id=term_id,
                school_id=item["school_id"],
                name=item["term_name"],
                code="",
                start=date.min,
                end=date.min,
                timezone="UTC",
                scenario_json="",
            ),
        )
        items.append(
            disclosures.Shown(
                student_ref=item["student_ref"],
                term=term,
                site_ref=item["site_ref"],
                site_name=item["site_name"],
                slot_ref=item["slot_ref"],
                start=date.fromisoformat(item["start"]),
                end=date.fromisoformat(item["end"]),
                version=item["version"],
                fields=tuple(item["fields"]),
            )
        )
    return items


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _id(value: int | None) -> int:
    assert value is not None, "a stored row has an id"
    return value
