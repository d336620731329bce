"""Every student's eligible slots (rules 2 and 6) over a whole term, stored compactly.

A 5,000-student term has millions of (student, slot) options. Each student keeps three
small arrays (slot position, rank, travel) over one term-wide `SlotTable`; the
`SlotOption` tuples the model code reads are made when a list is iterated, and the flow
relaxation reads the arrays directly. Travel to every site is computed for all students at
once with numpy and must equal `scheduler.domain.geo.travel_between` exactly, so values
near a rounding boundary are recomputed with it. Imports only the domain (prepare imports
this module).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple, overload

import numpy as np

from scheduler.domain.geo import EARTH_RADIUS_KM, travel_between
from scheduler.domain.scenario import Scenario, Site, Student
from scheduler.domain.weeks import slot_tags
from solver.credentials import CredentialGate

TRAVEL_SCALE = 10
"""Travel is modelled in tenths of a kilometre (docs/objectives.md rounds to 0.1 km)."""

UNREACHABLE = -1
"""Travel entry of a site the student may not be placed at (mode, access or distance)."""

NEAR_HALF = 1e-6
"""Tenths this close to .5 are recomputed exactly (numpy and math differ by ~1e-12)."""


class SlotOption(NamedTuple):
    """A slot a student may take, with what it costs them."""

    slot: str
    period: str
    site: str
    rank: int
    travel: int
    tags: frozenset[str]


@dataclass(frozen=True)
class SlotTable:
    """Every slot of the scenario by position, with what an option of it carries."""

    ids: list[str]
    periods: list[str]
    sites: list[str]
    tags: list[frozenset[str]]
    capacity: np.ndarray
    period_index: np.ndarray
    """Each slot's period as its position in `period_ids`."""
    period_ids: list[str]
    position: dict[str, int]
    id_order: np.ndarray
    """Each slot's place when slots are sorted by id (ties broken by id, as strings)."""

    @classmethod
    def of(cls, scenario: Scenario) -> SlotTable:
        tags_of = slot_tags(scenario)  # site and unit tags (extension)
        period_ids = {p.id: i for i, p in enumerate(scenario.periods)}
        slots = scenario.slots
        return cls(
            ids=[s.id for s in slots],
            periods=[s.period for s in slots],
            sites=[s.site for s in slots],
            tags=[tags_of[s.id] for s in slots],
            capacity=np.array([s.capacity for s in slots], dtype=np.int64),
            period_index=np.array([period_ids[s.period] for s in slots], dtype=np.int64),
            period_ids=list(period_ids),
            position={s.id: i for i, s in enumerate(slots)},
            id_order=_places_by_id([s.id for s in slots]),
        )

    def tagged(self, tag: str) -> np.ndarray:
        """Per slot position, whether its site carries `tag`."""
        return np.array([tag in tags for tags in self.tags], dtype=bool)


def _places_by_id(ids: list[str]) -> np.ndarray:
    places = np.empty(len(ids), dtype=np.int64)
    places[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    return places


class OptionList(Sequence[SlotOption]):
    """One student's options as arrays; iterating makes the `SlotOption` tuples."""

    __slots__ = ("table", "slots", "ranks", "travels")

    def __init__(
        self, table: SlotTable, slots: np.ndarray, ranks: np.ndarray, travels: np.ndarray
    ) -> None:
        self.table = table
        self.slots = slots
        self.ranks = ranks
        self.travels = travels

    def __len__(self) -> int:
        return len(self.slots)

    def __iter__(self) -> Iterator[SlotOption]:
        return iter(self._made(self.slots, self.ranks, self.travels))

    @overload
    def __getitem__(self, index: int) -> SlotOption: ...

    @overload
    def __getitem__(self, index: slice) -> list[SlotOption]: ...

    def __getitem__(self, index: int | slice) -> SlotOption | list[SlotOption]:
        if isinstance(index, slice):
            return self._made(self.slots[index], self.ranks[index], self.travels[index])
        at = slice(range(len(self))[index], None)
        return self._made(self.slots[at][:1], self.ranks[at][:1], self.travels[at][:1])[0]

    def __repr__(self) -> str:
        return f"OptionList({list(self)!r})"

    def among(self, slot_ids: Iterable[str]) -> dict[str, SlotOption]:
        """The options of the given slots (those the student has), without making the rest."""
        positions = [self.table.position[s] for s in slot_ids if s in self.table.position]
        at = np.flatnonzero(np.isin(self.slots, positions))
        made = self._made(self.slots[at], self.ranks[at], self.travels[at])
        return {option.slot: option for option in made}

    def picked(self, mask: np.ndarray) -> list[SlotOption]:
        """The options where `mask` is true, as a plain list."""
        return self._made(self.slots[mask], self.ranks[mask], self.travels[mask])

    def best_per_period(self, count: int, among: np.ndarray | None = None) -> np.ndarray:
        """Mask of the `count` best options of each period by (rank, travel, slot id),
        counting only options where `among` is true (all when None)."""
        chosen = np.zeros(len(self.slots), dtype=bool)
        candidates = np.arange(len(self.slots)) if among is None else np.flatnonzero(among)
        if not len(candidates) or count <= 0:
            return chosen
        slots = self.slots[candidates]
        periods = self.table.period_index[slots]
        order = np.lexsort(
            (self.table.id_order[slots], self.travels[candidates], self.ranks[candidates], periods)
        )
        periods = periods[order]
        starts = np.r_[0, np.flatnonzero(periods[1:] != periods[:-1]) + 1]
        place = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        chosen[candidates[order[place < count]]] = True
        return chosen

    def _made(self, slots: np.ndarray, ranks: np.ndarray, travels: np.ndarray) -> list[SlotOption]:
        table, new = self.table, tuple.__new__
        ids, periods, sites, tags = table.ids, table.periods, table.sites, table.tags
        return [
            new(SlotOption, (ids[i], periods[i], sites[i], rank, travel, tags[i]))
            for i, rank, travel in zip(
                slots.tolist(), ranks.tolist(), travels.tolist(), strict=True
            )
        ]


@dataclass(frozen=True)
class _ProfessionSlots:
    """A profession's usable slots in scenario order, as positions and attributes."""

    slots: np.ndarray
    sites: np.ndarray
    periods: np.ndarray
    languages: np.ndarray


class TermOptions:
    """Options of every student of a term, from arrays computed once per solve."""

    def __init__(self, scenario: Scenario) -> None:
        self.table = SlotTable.of(scenario)
        self._sites = scenario.sites
        self._site_index = {s.id: i for i, s in enumerate(scenario.sites)}
        self._period_index = {p.id: i for i, p in enumerate(scenario.periods)}
        languages = sorted({s.language for s in scenario.slots if s.language is not None})
        self._languages = [None, *languages]
        self._by_profession = self._profession_slots(scenario)
        self._max_km = scenario.policy.max_travel_km
        self._travel = travel_tenths(scenario.students, scenario.sites, self._max_km)
        self._row = {s.id: i for i, s in enumerate(scenario.students)}
        self._credentials = CredentialGate(scenario)

    def _profession_slots(self, scenario: Scenario) -> dict[str, _ProfessionSlots]:
        language_code = {language: i for i, language in enumerate(self._languages)}
        rows: dict[str, list[tuple[int, int, int, int]]] = {}
        for position, slot in enumerate(scenario.slots):
            if slot.status != "declined" and slot.capacity > 0:
                rows.setdefault(slot.profession, []).append(
                    (
                        position,
                        self._site_index[slot.site],
                        self._period_index[slot.period],
                        language_code[slot.language],
                    )
                )
        result = {}
        for profession, entries in rows.items():
            columns = np.array(entries, dtype=np.int32).T
            result[profession] = _ProfessionSlots(*columns)
        return result

    def of(self, student: Student, period_free: dict[str, bool]) -> OptionList:
        """The student's options, in the scenario's slot order."""
        empty = np.zeros(0, dtype=np.int32)
        slots = self._by_profession.get(student.profession)
        if slots is None:
            return OptionList(self.table, empty, empty, empty)
        period_ok = np.array([period_free[p] for p in self._period_index], dtype=bool)
        language_ok = np.array(
            [code is None or code in student.languages for code in self._languages], dtype=bool
        )
        travel = self._travel[self._row[student.id]]
        keep = period_ok[slots.periods] & language_ok[slots.languages] & (travel[slots.sites] >= 0)
        if self._credentials.active:
            keep &= ~self._credentials.barred(student)[slots.slots]
        sites = slots.sites[keep]
        ranks = self._ranks(student)[sites]
        return OptionList(self.table, slots.slots[keep], ranks, travel[sites])

    def _ranks(self, student: Student) -> np.ndarray:
        """Per site, the student's rank of it (unranked sites: number of ranked + 1)."""
        ranks = np.full(len(self._sites), len(student.site_preferences) + 1, dtype=np.int32)
        for index, site in enumerate(student.site_preferences):
            if site in self._site_index:
                ranks[self._site_index[site]] = index + 1
        return ranks


def travel_tenths(
    students: Sequence[Student], sites: Sequence[Site], max_km: float | None
) -> np.ndarray:
    """Students x sites travel in 0.1 km (`travel_between` rounded), UNREACHABLE where the
    mode, access needs or `max_km` rule the site out."""
    site_lat = np.array([s.location.lat for s in sites], dtype=np.float64)
    site_lon = np.array([s.location.lon for s in sites], dtype=np.float64)
    homes = [s.home for s in students]
    home_lat = np.array([h.lat if h else 0.0 for h in homes], dtype=np.float64)[:, None]
    home_lon = np.array([h.lon if h else 0.0 for h in homes], dtype=np.float64)[:, None]
    raw = _haversine(home_lat, home_lon, site_lat[None, :], site_lon[None, :]) * TRAVEL_SCALE
    tenths = np.floor(raw + 0.5)
    near = np.nonzero(np.abs(raw - np.floor(raw) - 0.5) < NEAR_HALF)
    for row, column in zip(*near, strict=True):
        km = travel_between(homes[row], sites[column].location)
        tenths[row, column] = round(km * TRAVEL_SCALE)
    has_home = np.array([h is not None for h in homes], dtype=bool)[:, None]
    tenths = np.where(has_home, tenths, 0.0)
    out = has_home & (tenths / TRAVEL_SCALE > max_km) if max_km is not None else False
    transit = np.array([s.travel_mode == "transit" for s in students], dtype=bool)[:, None]
    needs = np.array([s.needs_accessible for s in students], dtype=bool)[:, None]
    by_transit = np.array([s.transit_accessible for s in sites], dtype=bool)[None, :]
    accessible = np.array([s.accessible for s in sites], dtype=bool)[None, :]
    barred = out | (transit & ~by_transit) | (needs & ~accessible)
    return np.where(barred, UNREACHABLE, tenths).astype(np.int32)


def _haversine(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """`scheduler.domain.geo.haversine_km` term by term, vectorised."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def periods_of(options: Sequence[SlotOption]) -> set[str]:
    """The periods of a student's options, without making the tuples of an `OptionList`."""
    if isinstance(options, OptionList):
        slots = options.slots
        _, first = np.unique(options.table.period_index[slots], return_index=True)
        return {options.table.periods[slots[i]] for i in first.tolist()}
    return {o.period for o in options}


def without_periods(options: Sequence[SlotOption], periods: set[str]) -> Sequence[SlotOption]:
    """The options outside the given periods; an `OptionList` stays one (masked arrays)."""
    if not periods:
        return options
    if isinstance(options, OptionList):
        table = options.table
        blocked = [table.period_ids.index(p) for p in periods if p in table.period_ids]
        keep = ~np.isin(table.period_index[options.slots], blocked)
        return OptionList(table, options.slots[keep], options.ranks[keep], options.travels[keep])
    return [o for o in options if o.period not in periods]


def options_among(options: Sequence[SlotOption], slot_ids: Iterable[str]) -> dict[str, SlotOption]:
    """The options of the given slots: by position for an `OptionList` (the rest are never
    made), by a walk for a plain list (candidates trimmed by `solver.candidates`)."""
    if isinstance(options, OptionList):
        return options.among(slot_ids)
    wanted = set(slot_ids)
    return {o.slot: o for o in options if o.slot in wanted}
