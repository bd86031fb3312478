"""Marginal value of one more HTV in each area, from the LP with the site decisions fixed."""

from __future__ import annotations

import pyomo.environ as pyo

from resurssimalli.optimize.solve import solve


def shadow_price_htv(m: pyo.ConcreteModel) -> dict[str, float]:
    """EUR a year saved by one extra HTV placed in each area (before that HTV's own salary).

    Fixes every integer variable at its value in ``m``'s loaded plan, relaxes the rest and reads
    the dual of ``area_htv_def[a]`` (``Σ h − area_htv = δ``: δ extra HTV in area ``a`` on top of
    the total). The saving is ``−∂cost/∂δ``: zero where the area's work is already served,
    up to productive hours × the unserved-hour penalty where it is not.
    """
    lp = m.clone()
    for v in lp.component_data_objects(pyo.Var):
        if v.is_integer() or v.is_binary():
            v.fix(round(v.value or 0.0))
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(lp)
    if hasattr(lp, "headroom"):  # the token headroom rewards are tie-breakers, not a value of staff
        lp.headroom.fix(max(0.0, lp.headroom.value or 0.0))
        for v in lp.line_headroom.values():
            v.fix(max(0.0, v.value or 0.0))
    out = solve(lp, duals=True)
    if not out.has_solution or not out.duals:
        return {}
    return {a: -float(out.duals.get(lp.area_htv_def[a], 0.0)) + 0.0 for a in lp.area_htv_def}
