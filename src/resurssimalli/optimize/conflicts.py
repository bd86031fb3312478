"""Name the hard rules that contradict each other, in the planner's words.

Shortfalls of staff hours and face-to-face coverage are penalised slack, so a plan is always
possible unless the *hard* rules clash (e.g. all offices of an area forced closed while an
office is required there). Then a deletion filter (Chinneck) over rule groups finds an
irreducible set: drop one rule at a time and keep it dropped if the rest is still
contradictory. The result is exact for the MIP itself (not only its LP relaxation), and every
group carries the scenario key a planner would change.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from resurssimalli.optimize.inputs import OptimisationInput
from resurssimalli.optimize.solve import solve


@dataclass(frozen=True)
class Rule:
    label: str
    constraints: tuple[pyo.ConstraintData, ...]


def rule_groups(m: pyo.ConcreteModel, inp: OptimisationInput) -> list[Rule]:
    """The hard rules of a built model, each with its planner-facing label."""
    sites = inp.site_by_id
    rules: list[Rule] = []

    def add(label: str, comp: str, idx: object = None) -> None:
        c = getattr(m, comp, None)
        if c is None:
            return
        data = c if idx is None else c[idx]
        rules.append(Rule(label, (data,)))

    verb = "exactly" if inp.use_all_htv else "at most"
    add(f"{verb} {inp.total_htv:g} HTV are placed (staff.total_htv, staff.use_all_htv)", "total_htv")
    band = "(staff.customer_facing_split ± staff.split_tolerance)"
    for g in inp.split:
        lo, hi = max(g.share - inp.split_tolerance, 0), min(g.share + inp.split_tolerance, 1)
        add(
            f"customer-facing split: '{g.name}' gets at least {lo:.0%} {band}",
            "split_low",
            g.name,
        )
        add(
            f"customer-facing split: '{g.name}' gets at most {hi:.0%} {band}",
            "split_high",
            g.name,
        )
    if hasattr(m, "presence"):
        for mu in m.presence:
            add(
                f"an office or a service point in municipality {mu} "
                "(access.presence_required_in_every_municipality)",
                "presence",
                mu,
            )
    if hasattr(m, "office_in_area"):
        for a in m.office_in_area:
            add(
                f"at least one office in responsibility area {a} (access.office_required_in_every_area)",
                "office_in_area",
                a,
            )
    for j in m.force_open:
        add(f"site {j} forced open (sites.force_open)", "force_open", j)
    for j in m.force_closed:
        add(f"site {j} forced closed (sites.force_closed)", "force_closed", j)
    for j in m.workstations:
        add(
            f"site {j} has {sites[j].workstations} workstations (sites.csv / sites.workstations)",
            "workstations",
            j,
        )
    for j in m.home_office:
        add(
            f"{sites[j].kind.replace('_', ' ')} {j} is run from an open office of area {sites[j].area} "
            "(sites.csv)",
            "home_office",
            j,
        )
    return rules


def _feasible(m: pyo.ConcreteModel) -> bool:
    return solve(m, time_limit=30).status != "infeasible"


def contradicting_rules(m: pyo.ConcreteModel, inp: OptimisationInput) -> list[str]:
    """Labels of an irreducible set of contradicting hard rules (empty if none are to blame)."""
    active = [o for o in m.component_data_objects(pyo.Objective, active=True)]
    for o in active:
        o.deactivate()
    m._feasibility = pyo.Objective(expr=0.0)
    try:
        rules = rule_groups(m, inp)
        for r in rules:
            for c in r.constraints:
                c.deactivate()
        if not _feasible(m):
            return []
        for r in rules:
            for c in r.constraints:
                c.activate()
        keep: list[Rule] = []
        for r in rules:
            for c in r.constraints:
                c.deactivate()
            if _feasible(m):
                keep.append(r)
                for c in r.constraints:
                    c.activate()
        return [r.label for r in keep]
    finally:
        m.del_component("_feasibility")
        for o in active:
            o.activate()
