"""People of a school: the first coordinator, invitations, set-password, deactivation.

A school starts with `create_school` (the `ipe school create` command): the school and its
first coordinator, with a password. Everyone else is invited by a coordinator: the account
is made without a password, and an invitation (a `TokenRow` of kind `invitation`: random,
stored only as its SHA-256, expiring, single-use) goes out through the outbox as a message
with a set-password link (SMTP when configured, else the coordinator hands the link over).
Accepting sets the password, uses the invitation up and signs the person in. Resending
revokes the earlier invitations; deactivating revokes every token at once.

Students are linked to their record by its id (`student_ref`, the same across the school's
terms) and partners to their site (`site_ref`); both must exist in a term of the school.
Passwords must pass `password_problems`: a length rule and a check against common and
guessable passwords (zxcvbn's bundled lists: no network).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select
from zxcvbn import zxcvbn

from scheduler.db import audit, repositories
from scheduler.db.tables import (
    ROLES,
    OutboxMessageRow,
    SchoolRow,
    SiteRow,
    StudentRow,
    TermRow,
    TokenRow,
    UserRow,
)
from scheduler.db.types import utcnow
from scheduler.domain.schedule import ErrorItem
from scheduler.services import auth
from scheduler.services.errors import Conflict, Forbidden, Invalid, NotFound, found
from scheduler.services.terms import get_term
from scheduler.services.views import View

INVITATION = "invitation"
INVITATION_TTL = timedelta(days=7)
MIN_PASSWORD = 12
MAX_PASSWORD = 256
MIN_STRENGTH = 3
"""zxcvbn score (0-4) a password needs: 3 is "safely unguessable" against online attacks."""
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PersonView(View):
    """A person of the school as coordinators manage them."""

    id: int
    email: str
    name: str
    role: str
    student_ref: str | None
    site_ref: str | None
    state: str
    """`active` (has a password), `invited`, `invitation expired` or `deactivated`."""
    invited_until: datetime | None = None


class InvitationView(View):
    """An invitation just sent; `link` only when no mail server delivers it (hand it over)."""

    person: PersonView
    delivery: str
    link: str | None = None


@dataclass(frozen=True)
class Invitation:
    user: UserRow
    token: str
    link: str


# ---- passwords -------------------------------------------------------------------------


def password_problems(password: str, *, hints: Sequence[str] = ()) -> list[str]:
    """Why a new password will not do (empty when it will): too short, too long, or common
    or guessable (a breached-list word, a keyboard pattern, the person's own name)."""
    if len(password) < MIN_PASSWORD:
        return [f"must be at least {MIN_PASSWORD} characters long"]
    if len(password) > MAX_PASSWORD:
        return [f"must be at most {MAX_PASSWORD} characters long"]
    result = zxcvbn(password[:100], user_inputs=[h for h in hints if h])
    if result["score"] >= MIN_STRENGTH:
        return []
    warning = result["feedback"].get("warning") or "it is too easy to guess"
    return [f"is too common or easy to guess: {warning.rstrip('.')}; try a few unrelated words"]


def _check_password(password: str, *, hints: Sequence[str]) -> None:
    problems = password_problems(password, hints=hints)
    if problems:
        raise Invalid(
            "the password will not do",
            details=[ErrorItem(path="password", message=m) for m in problems],
        )


# ---- the first coordinator -------------------------------------------------------------


def create_school(
    session: Session, *, school_name: str, email: str, name: str, password: str
) -> UserRow:
    """A new school and its first coordinator (who then invites everyone else)."""
    school_name, name, email = school_name.strip(), name.strip(), email.strip().lower()
    problems = _person_problems(email=email, name=name)
    if not school_name:
        problems.append(ErrorItem(path="school", message="is required"))
    problems += [
        ErrorItem(path="password", message=m)
        for m in password_problems(password, hints=[email, name, school_name])
    ]
    if problems:
        raise Invalid("the school cannot be created", details=problems)
    if session.exec(select(SchoolRow).where(col(SchoolRow.name) == school_name)).first():
        raise Conflict(f"school {school_name!r} already exists", code="school_exists")
    _require_free_email(session, email)
    school = auth.get_or_create_school(session, name=school_name)
    assert school.id is not None
    user = UserRow(email=email, name=name, role="coordinator", school_id=school.id)
    user.password_hash = auth.hash_password(password)
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=None,
        action="school.create",
        entity="school",
        entity_id=school.id,
        detail={"name": school_name, "coordinator": user.id},
    )
    return user


# ---- inviting --------------------------------------------------------------------------


def invite(
    session: Session,
    *,
    actor: UserRow,
    email: str,
    name: str,
    role: str,
    base_url: str,
    student_ref: str | None = None,
    site_ref: str | None = None,
    ttl: timedelta = INVITATION_TTL,
) -> Invitation:
    """Make an account without a password and send it an invitation."""
    _require_coordinator(actor)
    email, name = email.strip().lower(), name.strip()
    student_ref = (student_ref or "").strip() or None
    site_ref = (site_ref or "").strip() or None
    problems = _person_problems(email=email, name=name)
    if role not in ROLES:
        problems.append(ErrorItem(path="role", message=f"must be one of {', '.join(ROLES)}"))
    if role == "student" and not _school_has(session, actor, StudentRow, student_ref):
        problems.append(
            ErrorItem(path="student_ref", message="must be a student id of a term of the school")
        )
    if role == "partner" and not _school_has(session, actor, SiteRow, site_ref):
        problems.append(
            ErrorItem(path="site_ref", message="must be a site id of a term of the school")
        )
    if problems:
        raise Invalid("the invitation has problems", details=problems)
    _require_free_email(session, email)
    user = UserRow(
        email=email,
        name=name,
        role=role,
        school_id=actor.school_id,
        student_ref=student_ref if role == "student" else None,
        site_ref=site_ref if role == "partner" else None,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="person.invite",
        entity="user",
        entity_id=user.id,
        detail={"role": role, "student_ref": user.student_ref, "site_ref": user.site_ref},
    )
    return _send_invitation(session, actor=actor, user=user, base_url=base_url, ttl=ttl)


def invite_term_students(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    base_url: str,
    ttl: timedelta = INVITATION_TTL,
    only: set[str] | None = None,
) -> list[Invitation]:
    """An account and an invitation for each student of the term with an email address and
    no account yet in the school (students with an account, active or invited, are left);
    `only` narrows it to these student ids (a student just added)."""
    term = get_term(session, actor=actor, term_id=term_id)
    records = session.exec(
        select(StudentRow).where(col(StudentRow.term_id) == term.id).order_by(col(StudentRow.id))
    ).all()
    linked = set(
        session.exec(
            select(UserRow.student_ref).where(
                col(UserRow.school_id) == actor.school_id, col(UserRow.role) == "student"
            )
        ).all()
    )
    sent = []
    for record in records:
        if only is not None and record.ref not in only:
            continue
        if record.ref in linked or not record.email or not EMAIL.match(record.email):
            continue
        if repositories.user_by_email(session, record.email) is not None:
            continue
        sent.append(
            invite(
                session,
                actor=actor,
                email=record.email,
                name=record.name,
                role="student",
                student_ref=record.ref,
                base_url=base_url,
                ttl=ttl,
            )
        )
    return sent


def resend(
    session: Session,
    *,
    actor: UserRow,
    user_id: int,
    base_url: str,
    ttl: timedelta = INVITATION_TTL,
) -> Invitation:
    """A fresh invitation for someone who has not set a password; earlier links stop working."""
    user = _school_person(session, actor, user_id)
    if not user.active:
        raise Conflict("the account is deactivated", code="person_deactivated")
    if user.password_hash:
        raise Conflict("the person has already set a password", code="already_active")
    return _send_invitation(session, actor=actor, user=user, base_url=base_url, ttl=ttl)


def deactivate(session: Session, *, actor: UserRow, user_id: int) -> UserRow:
    """Stop an account: every token and invitation ends now (again is fine)."""
    user = _school_person(session, actor, user_id)
    if user.id == actor.id:
        raise Conflict("you cannot deactivate your own account", code="own_account")
    if user.active:
        user.active = False
        session.add(user)
        auth.revoke_all_tokens(
            session, user=user, kinds=(*auth.BEARER_KINDS, auth.CALENDAR_FEED, INVITATION)
        )
        audit.record(
            session, actor=actor, action="person.deactivate", entity="user", entity_id=user.id
        )
    return user


def _send_invitation(
    session: Session, *, actor: UserRow, user: UserRow, base_url: str, ttl: timedelta
) -> Invitation:
    auth.revoke_all_tokens(session, user=user, kinds=(INVITATION,))
    issued = auth.issue_token(session, user=user, kind=INVITATION, ttl=ttl)
    link = f"{base_url.rstrip('/')}/app/invitations/{issued.token}"
    school = session.get(SchoolRow, user.school_id)
    school_name = school.name if school else "your school"
    session.add(
        OutboxMessageRow(
            key=f"invitation:{issued.row.id}",
            recipient_kind=INVITATION,
            recipient_ref=user.email,
            user_id=user.id,
            email=user.email,
            subject=f"Your IPE scheduler account at {school_name}",
            body="\n".join(
                [
                    f"Hello {user.name},",
                    "",
                    f"{actor.name} invited you to the IPE scheduler of {school_name}"
                    f" as a {user.role}.",
                    "Choose your password here (the link works once, until"
                    f" {issued.row.expires_at:%d %b %Y %H:%M} UTC):",
                    "",
                    link,
                ]
            ),
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="person.invitation",
        entity="user",
        entity_id=user.id,
        detail={"expires_at": issued.row.expires_at.isoformat()},
    )
    return Invitation(user=user, token=issued.token, link=link)


# ---- accepting -------------------------------------------------------------------------


def invitation_owner(session: Session, *, token: str, now: datetime | None = None) -> UserRow:
    """The person an invitation link is for; a used, expired or unknown link is NotFound."""
    row, user = _live_invitation(session, token, now)
    return user


def accept(
    session: Session, *, token: str, password: str, login_ttl: timedelta
) -> auth.IssuedToken:
    """Set the password of an invited person, use the invitation up and sign them in."""
    row, user = _live_invitation(session, token, None)
    school = session.get(SchoolRow, user.school_id)
    _check_password(password, hints=[user.email, user.name, school.name if school else ""])
    row.revoked_at = utcnow()
    session.add(row)
    auth.set_password(session, user=user, password=password)
    audit.record(session, actor=user, action="person.accept", entity="user", entity_id=user.id)
    return auth.issue_token(session, user=user, kind=auth.LOGIN, ttl=login_ttl)


def _live_invitation(
    session: Session, token: str, now: datetime | None
) -> tuple[TokenRow, UserRow]:
    found_row = repositories.token_with_user(session, hashlib.sha256(token.encode()).hexdigest())
    moment = now or utcnow()
    if found_row is None or found_row[0].kind != INVITATION:
        raise NotFound("this invitation link is unknown", code="invitation_unknown")
    row, user = found_row
    if row.revoked_at is not None or not user.active:
        raise NotFound(
            "this invitation link was already used or replaced by a newer one",
            code="invitation_used",
        )
    if row.expires_at <= moment:
        raise NotFound(
            "this invitation link has expired; ask your coordinator to send a new one",
            code="invitation_expired",
        )
    return row, user


# ---- reading ---------------------------------------------------------------------------


def list_people(session: Session, *, actor: UserRow, role: str | None = None) -> list[PersonView]:
    """Everyone of the coordinator's school with the state of their account."""
    _require_coordinator(actor)
    query = select(UserRow).where(col(UserRow.school_id) == actor.school_id)
    if role:
        query = query.where(col(UserRow.role) == role)
    users = session.exec(query.order_by(col(UserRow.role), col(UserRow.name))).all()
    invitations = _latest_invitations(session, [u.id for u in users if u.id is not None])
    return [person_view(u, invitations.get(u.id or 0)) for u in users]


def person_view(user: UserRow, invitation: TokenRow | None = None) -> PersonView:
    state = "active"
    until = None
    if not user.active:
        state = "deactivated"
    elif not user.password_hash:
        live = invitation is not None and invitation.revoked_at is None
        until = invitation.expires_at if live and invitation else None
        state = "invited" if until is not None and until > utcnow() else "invitation expired"
    return PersonView(
        id=user.id or 0,
        email=user.email,
        name=user.name,
        role=user.role,
        student_ref=user.student_ref,
        site_ref=user.site_ref,
        state=state,
        invited_until=until,
    )


def _latest_invitations(session: Session, user_ids: list[int]) -> dict[int, TokenRow]:
    if not user_ids:
        return {}
    rows = session.exec(
        select(TokenRow)
        .where(col(TokenRow.kind) == INVITATION, col(TokenRow.user_id).in_(user_ids))
        .order_by(col(TokenRow.id))
    ).all()
    return {row.user_id: row for row in rows}


def invitation_view(session: Session, invitation: Invitation, *, show_link: bool) -> InvitationView:
    user_id = invitation.user.id or 0
    person = person_view(invitation.user, _latest_invitations(session, [user_id]).get(user_id))
    return InvitationView(
        person=person,
        delivery="in_app" if show_link else "email",
        link=invitation.link if show_link else None,
    )


# ---- helpers ---------------------------------------------------------------------------


def _person_problems(*, email: str, name: str) -> list[ErrorItem]:
    problems = []
    if not EMAIL.match(email) or len(email) > 254:
        problems.append(ErrorItem(path="email", message="must be an email address"))
    if not name:
        problems.append(ErrorItem(path="name", message="is required"))
    elif len(name) > 200:
        problems.append(ErrorItem(path="name", message="must be at most 200 characters"))
    return problems


def _require_free_email(session: Session, email: str) -> None:
    if repositories.user_by_email(session, email) is not None:
        raise Conflict(
            "an account with this email already exists",
            code="email_taken",
            details=[ErrorItem(path="email", message="is already in use")],
        )


def _school_has(
    session: Session, actor: UserRow, table: type[StudentRow] | type[SiteRow], ref: str | None
) -> bool:
    if not ref:
        return False
    query = (
        select(table.id)
        .join(TermRow, col(table.term_id) == TermRow.id)
        .where(col(table.ref) == ref, col(TermRow.school_id) == actor.school_id)
    )
    return session.exec(query).first() is not None


def _school_person(session: Session, actor: UserRow, user_id: int) -> UserRow:
    _require_coordinator(actor)
    user = session.get(UserRow, user_id)
    if user is None or user.school_id != actor.school_id:
        user = None
    return found(user, "person")


def _require_coordinator(actor: UserRow) -> None:
    if actor.role != "coordinator":
        raise Forbidden("only coordinators manage people")
