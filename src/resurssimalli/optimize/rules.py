"""The model's rules as a table of contents: one entry per constraint family of :mod:`.model`.

Each entry names the constraint component on the model (or scenario block), says in plain
language what one of its rows means, and gives the scenario key a planner would change. The
model builder refuses to add a constraint that is not listed here, and the conflict finder
(:mod:`.conflicts`) reads this table instead of looking components up by name, so a renamed or
new rule can neither be built unlisted nor silently drop out of the conflict messages.

``hard`` marks the planner's rules the conflict finder may name. Definitions (``area_htv_def``,
``cover``) and the "only if open" links (``assign_open``, ``home_open``, ``pair_used`` ...) are
not rules a planner sets: they are never dropped when looking for a contradiction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from resurssimalli.optimize.inputs import OptimisationInput

Label = Callable[[OptimisationInput, Any], str]


@dataclass(frozen=True)
class RuleSpec:
    """One constraint family: ``name`` of the component, ``family`` (staff, split, sites, access,
    equity), ``label(inp, index)`` in the planner's words, the ``scenario_key`` behind it."""

    name: str
    family: str
    label: Label
    scenario_key: str
    hard: bool = True

    def describe(self, inp: OptimisationInput, index: Any) -> str:
        """The row's label followed by the scenario key to change."""
        return f"{self.label(inp, index)} ({self.scenario_key})"


def _split_label(bound: str) -> Label:
    def label(inp: OptimisationInput, group: str) -> str:
        g = next(x for x in inp.split if x.name == group)
        lo, hi = max(g.share - inp.split_tolerance, 0.0), min(g.share + inp.split_tolerance, 1.0)
        share = lo if bound == "at least" else hi
        return f"customer-facing split: '{group}' gets {bound} {share:.0%}"

    return label


def _total_label(inp: OptimisationInput, _: Any) -> str:
    verb = "exactly" if inp.use_all_htv else "at most"
    return f"{verb} {inp.total_htv:g} HTV are placed"


def _workstations_label(inp: OptimisationInput, j: str) -> str:
    return f"site {j} has {inp.site_by_id[j].workstations} workstations"


def _home_label(inp: OptimisationInput, j: str) -> str:
    s = inp.site_by_id[j]
    return f"{s.kind.replace('_', ' ')} {j} is run from an open office of area {s.area}"


def _capacity_label(inp: OptimisationInput, j: str) -> str:
    return f"site {j} takes at most {inp.site_by_id[j].visit_capacity:,.0f} visits a year"


RULES: dict[str, RuleSpec] = {
    r.name: r
    for r in (
        # staff
        RuleSpec("workload", "staff", lambda inp, k: f"{k[0]} / {k[1]}: staff hours plus unserved hours "
                 "cover the workload", "service, demand", hard=False),  # fmt: skip
        RuleSpec("area_htv_def", "staff", lambda inp, a: f"HTV of area {a} add up", "-", hard=False),
        RuleSpec("total_htv", "staff", _total_label, "staff.total_htv, staff.use_all_htv"),
        # split
        RuleSpec("split_low", "split", _split_label("at least"),
                 "staff.customer_facing_split ± staff.split_tolerance"),  # fmt: skip
        RuleSpec("split_high", "split", _split_label("at most"),
                 "staff.customer_facing_split ± staff.split_tolerance"),  # fmt: skip
        # sites
        RuleSpec("presence", "sites", lambda inp, mu: f"an office or a service point in municipality {mu}",
                 "access.presence_required_in_every_municipality"),  # fmt: skip
        RuleSpec("office_in_area", "sites", lambda inp, a: f"at least one office in responsibility area {a}",
                 "access.office_required_in_every_area"),  # fmt: skip
        RuleSpec("force_open", "sites", lambda inp, j: f"site {j} forced open", "sites.force_open"),
        RuleSpec("force_closed", "sites", lambda inp, j: f"site {j} forced closed", "sites.force_closed"),
        RuleSpec("workstations", "staff", _workstations_label, "sites.csv / sites.workstations"),
        RuleSpec("home_office", "sites", _home_label, "sites.csv"),
        RuleSpec("home_open", "sites", lambda inp, k: f"{k[0]} run from {k[1]} only if it is open", "-",
                 hard=False),  # fmt: skip
        # access
        RuleSpec("assign_open", "access", lambda inp, k: f"{k[0]} served at {k[1]} only if it is open", "-",
                 hard=False),  # fmt: skip
        RuleSpec("cover", "access", lambda inp, p: f"every visit of {p} is served or counted uncovered", "-",
                 hard=False),  # fmt: skip
        RuleSpec("visit_capacity", "access", _capacity_label, "access.visits_per_staff_day, "
                 "access.staff_visit_days_per_year"),  # fmt: skip
        RuleSpec("coverage_floor", "access", lambda inp, _: "at least as many visits served as capacity "
                 "allows (coverage first)", "access.max_travel_minutes", hard=False),  # fmt: skip
        # equity (minmax-travel only)
        RuleSpec("pair_used", "equity", lambda inp, k: f"{k[0]} → {k[1]} used", "-", hard=False),
        RuleSpec("longest_trip", "equity", lambda inp, k: f"longest trip ≥ {k[0]} → {k[1]}", "-", hard=False),
        RuleSpec("left_out_flag", "equity", lambda inp, p: f"{p} left out", "-", hard=False),
        RuleSpec("longest_left_out", "equity", lambda inp, p: f"{p} left out counts as beyond the limit", "-",
                 hard=False),  # fmt: skip
    )
}


def hard_rules() -> list[RuleSpec]:
    """The rules a planner sets, in table order (the order the conflict finder tries them)."""
    return [r for r in RULES.values() if r.hard]
