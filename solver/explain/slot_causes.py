"""Why a student holds fewer placements than required: which rule removed each slot.

Slots of the student's profession are first checked against the placement rules (status,
seats, busy time, language, transit, accessibility, travel limit), each failure named with
the ids to change. Eligible slots the student did not get are then checked against the
schedule: full (and whether its holders had anywhere else to go), clashing with the
student's sessions or placements, or breaking a tag minimum.
"""

from __future__ import annotations

from collections import defaultdict

from scheduler.domain.credentials import placement_gaps
from scheduler.domain.geo import travel_between
from scheduler.domain.scenario import Site, Slot, Student
from solver.explain import codes
from solver.explain.busy import BusySource
from solver.explain.facts import Cause, Facts
from solver.explain.merge import listing, plural, unique
from solver.explain.plan_causes import outside_plan, plan_cause
from solver.explain.week_causes import extension_cause
from solver.period_fit import most_held
from solver.prepare import SlotOption

SlotRule = tuple[str, str]
"""(code, detail) of one rule a slot fails for a student; detail groups the slots."""


def removed_causes(facts: Facts, student: Student, sources: list[BusySource]) -> list[Cause]:
    """One cause per placement rule that removed slots of the student's profession."""
    slots = [s for s in facts.scenario.slots if s.profession == student.profession]
    if not slots:
        return [
            Cause(
                codes.NO_SLOT_FOR_PROFESSION,
                f"the scenario offers no {student.profession} slot",
                (student.profession,),
                (codes.NO_SLOT_FOR_PROFESSION, student.profession),
            )
        ]
    failed: dict[SlotRule, list[Slot]] = defaultdict(list)
    checker = SlotChecker(facts, student, sources)
    for slot in slots:
        for rule in checker.rules(slot):
            failed[rule].append(slot)
    return [_removed_cause(facts, student, rule, items, sources) for rule, items in failed.items()]


class SlotChecker:
    """The placement rules of one student, slot by slot; periods and sites are checked once
    each (a large term has hundreds of slots per profession, on a few periods and sites)."""

    def __init__(self, facts: Facts, student: Student, sources: list[BusySource]) -> None:
        self.facts = facts
        self.student = student
        self.busy = {
            pid: [s.path for s in sources if s.blocks_period(period)]
            for pid, period in facts.prep.periods.items()
        }
        self._sites: dict[str, list[str]] = {}
        self._periods = {p.id: p for p in facts.scenario.periods}

    def rules(self, slot: Slot) -> list[SlotRule]:
        """Every placement rule the slot fails for the student (empty: eligible)."""
        rules: list[SlotRule] = []
        if slot.status == "declined":
            rules.append((codes.SLOT_DECLINED, ""))
        if slot.capacity <= 0:
            rules.append((codes.SLOT_NO_CAPACITY, ""))
        rules += [(codes.BUSY_PERIOD, path) for path in self.busy[slot.period]]
        if slot.language is not None and slot.language not in self.student.languages:
            rules.append((codes.LANGUAGE_REQUIRED, slot.language))
        missing = sorted(slot.required_qualifications - self.student.held_qualifications)
        if missing:  # extension: student plans
            rules.append((codes.QUALIFICATION_REQUIRED, ", ".join(missing)))
        rules += [(code, "") for code in self.site(slot.site)]
        return rules + self.credentials(slot)

    def credentials(self, slot: Slot) -> list[SlotRule]:
        """One rule per required credential the student does not meet for the slot."""
        site = self.facts.sites.get(slot.site)
        gaps = placement_gaps(self.student, site, slot, self._periods[slot.period])
        return [(codes.CREDENTIAL_NOT_VALID, f"{gap.code}\t{gap.text()}") for gap in gaps]

    def site(self, site_id: str) -> list[str]:
        if site_id not in self._sites:
            self._sites[site_id] = site_rules(self.facts, self.student, self.facts.sites[site_id])
        return self._sites[site_id]


def site_rules(facts: Facts, student: Student, site: Site) -> list[str]:
    """Codes of the site rules (transit, accessibility, travel limit) the student fails."""
    rules = []
    if student.travel_mode == "transit" and not site.transit_accessible:
        rules.append(codes.TRANSIT_INACCESSIBLE)
    if student.needs_accessible and not site.accessible:
        rules.append(codes.SITE_INACCESSIBLE)
    limit = facts.scenario.policy.max_travel_km
    home = student.home
    if limit is not None and home is not None and travel_between(home, site.location) > limit:
        rules.append(codes.TOO_FAR)
    return rules


def _removed_cause(
    facts: Facts, student: Student, rule: SlotRule, slots: list[Slot], sources: list[BusySource]
) -> Cause:
    code, detail = rule
    ids = [s.id for s in slots]
    profession = student.profession
    if code == codes.BUSY_PERIOD:
        source = next(s for s in sources if s.path == detail)
        periods = unique(s.period for s in slots)
        key = (code, detail) if source.code == codes.BUSY_PROGRAM_CALENDAR else (code,)
        return Cause(
            code,
            f"busy during period {listing(periods)} ({source.label}), which rules out "
            f"{plural(len(ids), 'slot')}",
            unique([*periods, detail, *ids]),
            key,
        )
    if code == codes.LANGUAGE_REQUIRED:
        return Cause(
            code,
            f"{listing(ids)} require{'s' if len(ids) == 1 else ''} {detail}, which the student "
            "does not speak",
            unique([detail, *ids]),
            (code, detail),
        )
    if code == codes.QUALIFICATION_REQUIRED:
        return Cause(
            code,
            f"{listing(ids)} require{'s' if len(ids) == 1 else ''} {detail}, which the student "
            "does not hold",
            unique([detail, *ids]),
            (code, detail),
        )
    if code in (codes.TRANSIT_INACCESSIBLE, codes.SITE_INACCESSIBLE, codes.TOO_FAR):
        return _site_cause(facts, student, code, slots)
    if code == codes.CREDENTIAL_NOT_VALID:
        credential, _, text = detail.partition("\t")  # ids hold no control characters
        periods, sites = unique(s.period for s in slots), unique(s.site for s in slots)
        return Cause(
            code,
            f"{text}, during {listing(periods)} at {listing(sites)}",
            unique([credential, *periods, *sites, *ids]),
            (code, profession, text),
        )
    what = "declined by the partner" if code == codes.SLOT_DECLINED else "offering no seats"
    return Cause(
        code,
        f"{plural(len(ids), profession + ' slot')} {what}: {listing(ids)}",
        unique(ids),
        (code, profession),
    )


def _site_cause(facts: Facts, student: Student, code: str, slots: list[Slot]) -> Cause:
    sites = unique(s.site for s in slots)
    key = (code, student.profession)
    if code == codes.TRANSIT_INACCESSIBLE:
        text = f"travels by transit, and {listing(sites)} {_is(sites)} not transit-accessible"
    elif code == codes.SITE_INACCESSIBLE:
        text = f"needs an accessible site, and {listing(sites)} {_is(sites)} not accessible"
    else:
        home = student.home
        assert home is not None
        km = sorted((travel_between(home, facts.sites[s].location), s) for s in sites)
        nearest = ", ".join(f"{site} {distance:g} km" for distance, site in km[:3])
        text = (
            f"{plural(len(sites), 'site')} beyond the {facts.scenario.policy.max_travel_km:g} km "
            f"travel limit (nearest: {nearest})"
        )
    return Cause(code, text, unique([*sites, *(s.id for s in slots)]), key)


def _is(items: tuple[str, ...]) -> str:
    return "is" if len(items) == 1 else "are"


def usage_causes(facts: Facts, student: str) -> list[Cause]:
    """Why each eligible slot the student does not hold was not given to them, one cause per
    shared reason (all seats of a period taken, a clash with a session...)."""
    held = set(facts.holds.get(student, ()))
    per_slot: dict[tuple[str, ...], list[Cause]] = {}
    for option in facts.prep.students[student].all_options:
        if option.slot not in held and not outside_plan(facts, student, option):
            cause = option_cause(facts, student, option)
            per_slot.setdefault(cause.key, []).append(cause)
    return [_summarise(facts, causes) for causes in per_slot.values()]


def _summarise(facts: Facts, causes: list[Cause]) -> Cause:
    """One sentence for slots sharing a cause: how many, which, and the ids."""
    first = causes[0]
    slots = [c.related[0] for c in causes]
    related = unique([*first.related[1:], *slots])
    count = plural(len(slots), "eligible slot")
    if first.code == codes.CAPACITY_TAKEN:
        holders = [(h, s) for s in slots for h in facts.holders.get(s, [])]
        stuck = sum(1 for h, s in holders if not has_alternative(facts, h, s))
        text = f"all {plural(len(holders), 'seat')} of {count} in {first.key[2]} are taken "
        text += f"({listing(slots)})" + stuck_clause(stuck)
    elif first.code == codes.SEARCH_INCOMPLETE:
        text = (
            f"{count} still {'has' if len(slots) == 1 else 'have'} a free seat "
            f"({listing(slots)}); the search stopped (time limit) before using "
            f"{'it' if len(slots) == 1 else 'them'}"
        )
    else:
        text = f"{first.message} ({count}: {listing(slots)})"
    return Cause(first.code, text, related, first.key)


def option_cause(facts: Facts, student: str, option: SlotOption) -> Cause:
    """Why one eligible slot was not given to the student; `related` starts with the slot."""
    return (
        plan_cause(facts, student, option)
        or _full_cause(facts, option)
        or _session_clash(facts, student, option)
        or _placement_overlap(facts, student, option)
        or _tag_cause(facts, student, option)
        or extension_cause(facts, student, option)  # extension: weeks, repeats, tag limits
        or Cause(
            codes.SEARCH_INCOMPLETE,
            f"{option.slot} has a free seat",
            (option.slot,),
            (codes.SEARCH_INCOMPLETE,),
        )
    )


def _full_cause(facts: Facts, option: SlotOption) -> Cause | None:
    if facts.seats_left(option.slot) > 0:
        return None
    profession = facts.slots[option.slot].profession
    return Cause(
        codes.CAPACITY_TAKEN,
        f"all seats of {option.slot} are taken",
        (option.slot, option.period),
        (codes.CAPACITY_TAKEN, profession, option.period),
    )


def stuck_clause(stuck: int) -> str:
    """How many seat holders could not go anywhere else: the seats are truly needed."""
    if stuck <= 0:
        return ""
    return f", {stuck} by students with no other free seat to move to"


def periods_cause(facts: Facts, student: str) -> Cause | None:
    """When the student's eligible slots lie in too few non-overlapping periods to ever hold
    `count` placements, whoever holds the seats."""
    info = facts.prep.students[student]
    periods = sorted({o.period for o in info.all_options})
    fit = min(
        info.count, most_held([o.period for o in info.all_options], facts.prep.period_clashes)
    )
    if fit >= info.count:
        return None
    offered = {s.period for s in facts.scenario.slots if s.profession == info.profession}
    lost = sorted(offered - set(periods))
    why = f" ({listing(lost)} ruled out, see below)" if lost else ""
    return Cause(
        codes.TOO_FEW_PERIODS,
        f"at most {fit} of {info.count} placements can fit: the eligible slots lie only in "
        f"{listing(periods)}{why}, and placements in one period overlap",
        unique([*periods, *lost]),
        (codes.TOO_FEW_PERIODS, info.requirement.key if info.requirement else ""),
    )


def has_alternative(facts: Facts, holder: str, slot: str) -> bool:
    """True when the holder could move to another eligible slot with a free seat."""
    return bool(facts.open_slots(holder) - {slot})


def _session_clash(facts: Facts, student: str, option: SlotOption) -> Cause | None:
    for activity, session in facts.attends.get(student, {}).items():
        if option.period in facts.prep.sessions[session].clash_periods:
            return Cause(
                codes.SESSION_CLASH,
                f"the on-site hours of {option.period} clash with session {session} "
                f"({activity}), which the student attends",
                (option.slot, option.period, session),
                (codes.SESSION_CLASH, option.period, session),
            )
    return None


def _placement_overlap(facts: Facts, student: str, option: SlotOption) -> Cause | None:
    for slot in facts.holds.get(student, ()):
        period = facts.slots[slot].period
        if frozenset({period, option.period}) in facts.prep.period_clashes:
            return Cause(
                codes.PLACEMENT_OVERLAP,
                f"{option.period} overlaps placement {slot} ({period}), which the student holds",
                (option.slot, slot, period),
                (codes.PLACEMENT_OVERLAP, option.period),
            )
    return None


def _tag_cause(facts: Facts, student: str, option: SlotOption) -> Cause | None:
    requirement = facts.prep.students[student].requirement
    if requirement is None:
        return None
    held = facts.holds.get(student, [])
    if len(held) + 1 != requirement.count:
        return None
    site_tags = [_held_tags(facts, s) for s in held] + [set(option.tags)]
    for tag, minimum in sorted(requirement.tags.items()):
        if sum(tag in t for t in site_tags) < minimum:
            return Cause(
                codes.TAG_MINIMUM,
                f"not at a '{tag}' site, and one more placement there would complete "
                f"{requirement.key} with fewer than {minimum} at '{tag}' sites",
                (option.slot, requirement.key, tag),
                (codes.TAG_MINIMUM, requirement.key, tag),
            )
    return None


def _held_tags(facts: Facts, slot_id: str) -> set[str]:
    """A held placement's tags: its site's and its unit's (extension)."""
    slot = facts.slots[slot_id]
    site = facts.sites[slot.site]
    return set(site.tags).union(*(u.tags for u in site.units if u.id == slot.unit))
