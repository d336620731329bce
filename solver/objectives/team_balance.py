"""Team balance: per held session, largest team size minus smallest (summed, minimised).

Teams are dealt round-robin (`solver.rules.teams`), so sizes differ by at most one: a
session is unbalanced exactly when its attendees do not divide evenly by its team count.
"""

from __future__ import annotations

from solver.model import TermModel
from solver.objectives.base import Objective, ObjectiveModule, ValueOf


def build(model: TermModel) -> Objective:
    uneven_flags = []
    for session, teams in model.teams.items():
        if teams.most < 2:
            continue
        cp = model.cp
        high = model.prep.activities[model.prep.sessions[session].activity].team.max_size
        quotient = cp.new_int_var(0, high, f"team_quotient[{session}]")
        remainder = cp.new_int_var(0, teams.most - 1, f"team_remainder[{session}]")
        uneven = cp.new_bool_var(f"uneven_teams[{session}]")
        for t in range(1, teams.most + 1):
            is_t = cp.new_bool_var(f"team_count_is[{session},{t}]")
            cp.add(teams.count == t).only_enforce_if(is_t)
            cp.add(teams.count != t).only_enforce_if(~is_t)
            cp.add(teams.size == t * quotient + remainder).only_enforce_if(is_t)
            cp.add(remainder <= t - 1).only_enforce_if(is_t)
            model.helpers.append(is_t)
        cp.add(remainder <= (teams.most - 1) * uneven)
        model.helpers += [quotient, remainder, uneven]
        uneven_flags.append(uneven)
    return Objective("team_balance", sum(uneven_flags), maximize=False)


def evaluate(model: TermModel, value_of: ValueOf) -> float:
    """Held sessions whose attendees do not divide evenly into their teams."""
    size: dict[str, int] = {}
    for (_class, _pattern, session), var in model.attend.items():
        size[session] = size.get(session, 0) + value_of(var)
    uneven = 0
    for session, teams in model.teams.items():
        count = value_of(teams.count)
        uneven += count > 1 and size.get(session, 0) % count != 0
    return float(uneven)


OBJECTIVE = ObjectiveModule(
    name="team_balance",
    maximize=False,
    build=build,
    evaluate=evaluate,
    polish_holds=True,  # the LP holds every session's attendees and teams
)
