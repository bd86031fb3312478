"""Name the hard rules that contradict each other, in the planner's words.

Shortfalls of staff hours and face-to-face coverage are penalised slack, so a plan is always
possible unless the *hard* rules clash (e.g. all offices of an area forced closed while an
office is required there). Then a deletion filter (Chinneck) over rule groups finds an
irreducible set: drop one rule at a time and keep it dropped if the rest is still
contradictory. The result is exact for the MIP itself (not only its LP relaxation).

Every conflict is named: after an irreducible set is found, its first rule is set aside and the
search goes on until the remaining rules are consistent, so two independent contradictions
give two sets. The rules come from the registry :data:`.rules.RULES` (label and scenario key),
never from component names looked up one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from resurssimalli.optimize.inputs import OptimisationInput
from resurssimalli.optimize.rules import hard_rules
from resurssimalli.optimize.solve import solve

FEASIBILITY_SECONDS = 30.0


@dataclass(frozen=True, eq=False)
class Rule:
    label: str
    constraints: tuple[pyo.ConstraintData, ...]

    def switch(self, on: bool) -> None:
        for c in self.constraints:
            c.activate() if on else c.deactivate()


def rule_groups(m: pyo.Block, inp: OptimisationInput) -> list[Rule]:
    """The hard rules of a built model, one per row, labelled from the rule registry."""
    rules: list[Rule] = []
    for spec in hard_rules():
        comp = m.component(spec.name)
        if comp is None:  # a family the scenario switched off (e.g. no office rule)
            continue
        if not comp.is_indexed():
            rules.append(Rule(spec.describe(inp, None), (comp,)))
            continue
        rules.extend(Rule(spec.describe(inp, idx), (comp[idx],)) for idx in comp)
    return rules


def _feasible(m: pyo.ConcreteModel) -> bool:
    return solve(m, time_limit=FEASIBILITY_SECONDS).status != "infeasible"


def _irreducible(m: pyo.ConcreteModel, rules: list[Rule]) -> list[Rule]:
    """Deletion filter over the active ``rules`` (all active and contradictory on entry)."""
    keep: list[Rule] = []
    for r in rules:
        r.switch(False)
        if _feasible(m):
            keep.append(r)
            r.switch(True)
    for r in rules:
        r.switch(True)
    return keep


def contradicting_sets(m: pyo.ConcreteModel, inp: OptimisationInput) -> list[list[str]]:
    """Every irreducible set of contradicting hard rules found, as label lists (empty if none are to blame)."""
    active = list(m.component_data_objects(pyo.Objective, active=True))
    for o in active:
        o.deactivate()
    m._feasibility = pyo.Objective(expr=0.0)
    rules = rule_groups(m, inp)
    set_aside: list[Rule] = []
    try:
        for r in rules:
            r.switch(False)
        if not _feasible(m):
            return []  # the contradiction is not among the hard rules
        for r in rules:
            r.switch(True)
        found: list[list[str]] = []
        while not _feasible(m):
            iis = _irreducible(m, [r for r in rules if r not in set_aside])
            if not iis:
                break
            found.append([r.label for r in iis])
            iis[0].switch(False)  # set one rule of this set aside and look for the next conflict
            set_aside.append(iis[0])
        return found
    finally:
        for r in set_aside:
            r.switch(True)
        m.del_component("_feasibility")
        for o in active:
            o.activate()


def contradicting_rules(m: pyo.ConcreteModel, inp: OptimisationInput) -> list[str]:
    """Labels of every rule in some contradicting set (first set first; each label once)."""
    return list(dict.fromkeys(label for s in contradicting_sets(m, inp) for label in s))
