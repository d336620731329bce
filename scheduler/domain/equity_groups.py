"""Student groups for equity: who belongs to which group, and which groups may be shown.

One definition serves the equity report (`scheduler.domain.equity`) and the `equity_gap`
objective the solver models (docs/objectives.md), so both speak of the same groups. The
independent validator recomputes `equity_gap` with its own code on purpose.

Privacy: a group of fewer than `MIN_GROUP_SIZE` students, or whose rest is that small, is
never shown (its figures, or the rest's, would describe a handful of identifiable people).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from scheduler.domain.matching import requirement_for
from scheduler.domain.scenario import AttributeValue, Scenario, Student

MIN_GROUP_SIZE = 5
"""Smallest group (and smallest rest) whose figures are shown or optimised."""

ATTRIBUTE_PREFIX = "attributes."


@dataclass(frozen=True)
class Group:
    """Students sharing one value of one dimension (`profession`, `travel_mode`, `language`,
    `need`, or `attributes.NAME`)."""

    dimension: str
    value: AttributeValue
    members: frozenset[str]

    @property
    def label(self) -> str:
        return f"{self.dimension}={format_value(self.value)}"


def format_value(value: AttributeValue) -> str:
    """A group value as people read it: true/false, 3, 2.5, or the string itself."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def value_key(value: AttributeValue) -> tuple[bool, AttributeValue]:
    """Equality as JSON values: `true` is not `1`, but `2` and `2.0` are the same number."""
    return (isinstance(value, bool), value)


def student_values(student: Student) -> list[tuple[str, AttributeValue]]:
    """Every (dimension, value) the student belongs to: one per language, need and attribute."""
    values: list[tuple[str, AttributeValue]] = [
        ("profession", student.profession),
        ("travel_mode", student.travel_mode),
    ]
    values += [("language", language) for language in dict.fromkeys(student.languages)]
    values += [("need", need) for need in dict.fromkeys(student.needs)]
    values += [(ATTRIBUTE_PREFIX + name, value) for name, value in student.attributes.items()]
    return values


def all_groups(students: Iterable[Student]) -> list[Group]:
    """Every group present among the students, whatever its size, in a stable order
    (dimensions as first met, values sorted by label)."""
    members: dict[tuple[str, tuple[bool, AttributeValue]], set[str]] = {}
    values: dict[tuple[str, tuple[bool, AttributeValue]], AttributeValue] = {}
    for student in students:
        for dimension, value in student_values(student):
            key = (dimension, value_key(value))
            members.setdefault(key, set()).add(student.id)
            values.setdefault(key, value)
    order = list(dict.fromkeys(dimension for dimension, _ in members))
    groups = [Group(d, values[d, k], frozenset(m)) for (d, k), m in members.items()]
    return sorted(groups, key=lambda g: (order.index(g.dimension), format_value(g.value)))


def shown(group: Group, population: int) -> bool:
    """True when the group and its rest both have at least `MIN_GROUP_SIZE` students."""
    size = len(group.members)
    return size >= MIN_GROUP_SIZE and population - size >= MIN_GROUP_SIZE


def comparable(group: Group, population: int) -> bool:
    """True when the group leaves a rest to compare with (it is not everyone)."""
    return len(group.members) < population


@dataclass(frozen=True)
class GapGroups:
    """What `equity_gap` compares: students who need placements, and their attribute groups
    that may be shown (both the group and its rest have `MIN_GROUP_SIZE` students)."""

    population: tuple[str, ...]
    groups: tuple[Group, ...]


def gap_groups(scenario: Scenario) -> GapGroups:
    """The population and groups of the `equity_gap` objective (docs/objectives.md)."""
    needing = [
        s
        for s in scenario.students
        if (requirement := requirement_for(s, scenario.placement_requirements)) is not None
        and requirement.count > 0
    ]
    candidates = [g for g in all_groups(needing) if g.dimension.startswith(ATTRIBUTE_PREFIX)]
    eligible = tuple(g for g in candidates if shown(g, len(needing)))
    return GapGroups(tuple(s.id for s in needing), eligible)


def ceil_div(numerator: int, denominator: int) -> int:
    """Integer ceiling of a non-negative fraction, exact for any size."""
    return -(-numerator // denominator)


def travel_difference(
    members: frozenset[str], population: tuple[str, ...], travel: dict[str, int]
) -> int:
    """n*T_G - |G|*T: the group's mean travel per student minus the rest's, times |G|*|rest|
    (0.1 km); positive when the group travels more."""
    group_total = sum(travel.get(s, 0) for s in members)
    total = sum(travel.get(s, 0) for s in population)
    return len(population) * group_total - len(members) * total


def travel_gap_metres(
    members: frozenset[str], population: tuple[str, ...], travel: dict[str, int]
) -> int:
    """|mean travel per student of the group - mean of the rest| in metres, rounded up,
    from each student's travel in 0.1 km (the exact integer form the solver models)."""
    size, rest = len(members), len(population) - len(members)
    return ceil_div(100 * abs(travel_difference(members, population, travel)), size * rest)
