"""The model's trimmed options: the array path keeps exactly what the walk over tuples
keeps (the best per period, the best tagged, every chosen slot)."""

from __future__ import annotations

from scheduler.synthetic import generate_term
from solver.candidates import KEEP_PER_PERIOD, restrict_options
from solver.options import OptionList
from solver.prepare import prepare


def test_array_and_walk_keep_the_same_options() -> None:
    scenario = generate_term(students=300, seed=2)
    arrays, tuples = prepare(scenario), prepare(scenario)
    for info in tuples.students.values():
        info.all_options = list(info.all_options)  # the walk, as for trimmed candidates
    assert any(isinstance(i.all_options, OptionList) for i in arrays.students.values())
    chosen = {s: [o.slot for o in list(i.all_options)[::37]] for s, i in arrays.students.items()}
    assert restrict_options(arrays, chosen) and restrict_options(tuples, chosen)
    for student, info in arrays.students.items():
        assert list(info.options) == list(tuples.students[student].options), student
        assert set(chosen[student]) <= {o.slot for o in info.options}
    most = max(len(i.options) for i in arrays.students.values())
    assert KEEP_PER_PERIOD <= most < max(len(i.all_options) for i in arrays.students.values())
