"""The stable reason codes of `unassigned` entries: snake_case, never renamed or re-meant.

Each entry's first reason is a *headline* (why, in one word, the need is unmet); the reasons
after it are *causes*, one per rule that removed the student's sessions or slots. Consumers
(the CLI, the web app, reports) may switch on these codes. docs/explanations.md lists them.
"""

from __future__ import annotations

from typing import Final

# Headlines of activity entries.
NO_SESSIONS: Final = "no_sessions"
"""The activity has no session at all."""
NO_FREE_SESSION: Final = "no_free_session"
"""Every session of the activity is closed to the student (busy time, room access)."""
SESSIONS_FULL: Final = "sessions_full"
"""The student is free for some sessions, but none of them could take the student."""

# Headlines of placement entries.
NO_ELIGIBLE_SLOT: Final = "no_eligible_slot"
"""No slot of the student's profession passes the placement rules for this student."""
SEATS_TAKEN: Final = "seats_taken"
"""Eligible slots exist, but each is full or unusable together with the rest of the schedule."""

# Causes: busy time and access.
BUSY_PROGRAM_CALENDAR: Final = "busy_program_calendar"
BUSY_PERSONAL: Final = "busy_personal"
ROOM_INACCESSIBLE: Final = "room_inaccessible"

# Causes: a free session that did not take the student.
ATTENDS_OVERLAPPING: Final = "attends_overlapping"
PLACEMENT_CLASH: Final = "placement_clash"
SESSION_FULL: Final = "session_full"
TEAMS_FULL: Final = "teams_full"
ROOM_TAKEN: Final = "room_taken"
NO_FACILITATOR: Final = "no_facilitator"
FACILITATORS_BUSY: Final = "facilitators_busy"
SESSION_CLOSED: Final = "session_closed"
PARTNER_UNAVAILABLE: Final = "partner_unavailable"
PARTNER_COMMITTED: Final = "partner_committed"
TOO_FEW_FREE: Final = "too_few_free"
TOO_FEW_PROFESSIONS: Final = "too_few_professions"
TEAM_RULE_UNSATISFIABLE: Final = "team_rule_unsatisfiable"

# Causes: slots removed by the placement rules.
NO_SLOT_FOR_PROFESSION: Final = "no_slot_for_profession"
SLOT_DECLINED: Final = "slot_declined"
SLOT_NO_CAPACITY: Final = "slot_no_capacity"
BUSY_PERIOD: Final = "busy_period"
LANGUAGE_REQUIRED: Final = "language_required"
TRANSIT_INACCESSIBLE: Final = "transit_inaccessible"
SITE_INACCESSIBLE: Final = "site_inaccessible"
TOO_FAR: Final = "too_far"
CREDENTIAL_NOT_VALID: Final = "credential_not_valid"
"""A credential the slot's site or the slot requires is missing, pending, not yet valid or
expires during the period (`scheduler.domain.credentials`)."""

# Causes: an eligible slot the student did not get.
TOO_FEW_PERIODS: Final = "too_few_periods"
"""The eligible slots lie in too few non-overlapping periods for `count` placements."""
CAPACITY_TAKEN: Final = "capacity_taken"
SESSION_CLASH: Final = "session_clash"
PLACEMENT_OVERLAP: Final = "placement_overlap"
TAG_MINIMUM: Final = "tag_minimum"
# Causes of the capacity-calendar extension (`solver.explain.week_causes`).
FULL_WEEK: Final = "full_week"
"""A weekly capacity of the slot's site or unit is reached in a week of its period."""
SITE_REPEAT: Final = "site_repeat"
"""`policy.no_repeat_site`: the student was placed at the site already (or before)."""
TAG_LIMIT: Final = "tag_limit"
"""The requirement's tag limit is reached (history included)."""

# Causes of student plans (extension): a slot removed, or an eligible one that does not fit.
QUALIFICATION_REQUIRED: Final = "qualification_required"
"""The slot requires a qualification the student does not hold."""
DISCIPLINE_DONE: Final = "discipline_done"
"""The slot's discipline is held already, or its elective group is chosen in full."""
UNMET_PRECEDENCE: Final = "unmet_precedence"
"""The slot's discipline comes after another the student does not finish before it."""
NO_ROTATION_FITS: Final = "no_rotation_fits"
"""The rotation shares dates with one held, or breaks a gap, site or site-change limit."""

# Either kind: nothing blocks it, the search stopped first (time limit).
SEARCH_INCOMPLETE: Final = "search_incomplete"
