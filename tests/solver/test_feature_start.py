"""The greedy start of terms solved by the exact model alone (`solver.feature_start`): it
keeps every placement rule (the validator finds nothing but `min_fill`, which it does not
deal for and then marks itself a hint), and it prefers new wards."""

from __future__ import annotations

from collections import defaultdict

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import SolveInfo
from scheduler.domain.validator import validate_schedule
from scheduler.synthetic import generate_term
from scheduler.synthetic_families import family_named
from solver.feature_start import feature_start
from solver.model import TermModel
from solver.prepare import prepare
from solver.readout import read_schedule
from solver.rules import apply_rules


def test_the_deal_keeps_every_rule_but_min_fill() -> None:
    term = generate_term(students=90, seed=3, family=family_named("nursing-trust"))
    for repeat in (False, True):
        policy = term.policy.model_copy(update={"no_repeat_site": repeat})
        _check_deal(term.model_copy(update={"policy": policy}))


def _check_deal(term: Scenario) -> None:
    model = TermModel(prepare(term))
    apply_rules(model)
    dealt = feature_start(model)
    assert dealt is not None and dealt.values
    schedule = read_schedule(model, dealt.values, "feasible", [], SolveInfo())
    codes = {v.code for v in validate_schedule(term, schedule)}
    assert codes <= {"unit_under_min_fill"}
    assert dealt.valid == (not codes)
    slots = {s.id: s for s in term.slots}
    wards = defaultdict(list)
    for p in schedule.placements:
        wards[p.student].append((slots[p.slot].site, slots[p.slot].unit))
    repeats = sum(len(w) - len(set(w)) for w in wards.values())
    assert repeats <= len(schedule.placements) // 10  # new wards first


def test_no_start_for_terms_with_sessions() -> None:
    term = generate_term(students=20, seed=1)
    model = TermModel(prepare(term))
    apply_rules(model)
    assert feature_start(model) is None
