"""The fast hand-off of flat rows (optimize/flat_handoff.py) gives HiGHS the very model contrib's
own hand-off gives it: same columns, rows, coefficients, bounds and maps (so plans cannot move)."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.common.factory import SolverFactory

from resurssimalli.optimize import build_input, build_model
from resurssimalli.optimize.flat_handoff import FlatHighs, flat_terms
from resurssimalli.optimize.solve import Session
from resurssimalli.optimize.tiebreak import leximin_shares, settle


def _lp(opt) -> dict:
    lp = opt._solver_model.getLp()
    return {
        "cost": list(lp.col_cost_),
        "col_lower": list(lp.col_lower_),
        "col_upper": list(lp.col_upper_),
        "row_lower": list(lp.row_lower_),
        "row_upper": list(lp.row_upper_),
        "start": list(lp.a_matrix_.start_),
        "index": list(lp.a_matrix_.index_),
        "value": list(lp.a_matrix_.value_),
        "integrality": [int(t) for t in lp.integrality_],
        "sense": int(lp.sense_),
    }


@pytest.mark.parametrize("minmax", [False, True])
def test_flat_handoff_builds_the_same_highs_model(baseline, minmax):
    m = build_model(build_input(baseline), minmax=minmax, coverage_first=minmax)
    cons = list(m.component_data_objects(pyo.Constraint, active=True))
    flat = [c for c in cons if flat_terms(c) is not None]
    assert 0 < len(flat) < len(cons)  # both paths are exercised (workstation rows of 0 fall back)
    stock, fast = SolverFactory("highs"), FlatHighs()
    stock.set_instance(m)
    fast.set_instance(m)
    assert _lp(fast) == _lp(stock)
    assert list(fast._pyomo_var_to_solver_var_map.items()) == list(stock._pyomo_var_to_solver_var_map.items())
    assert fast._pyomo_con_to_solver_con_map == stock._pyomo_con_to_solver_con_map
    assert {k: list(v[0]) for k, v in fast._referenced_variables.items()} == {
        k: list(v[0]) for k, v in stock._referenced_variables.items()
    }


def test_flat_terms_refuses_rows_it_cannot_read():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(3))
    m.x[2].fix(1.0)
    m.e = pyo.Expression(expr=m.x[0] + 2 * m.x[1])
    m.ok = pyo.Constraint(expr=m.x[0] + 2 * m.x[1] <= 4)
    m.named = pyo.Constraint(expr=m.e <= 4)
    m.fixed = pyo.Constraint(expr=m.x[0] + m.x[2] <= 4)
    m.twice = pyo.Constraint(expr=m.x[0] + m.x[0] <= 4)
    assert [(v.name, c) for v, c in flat_terms(m.ok)] == [("x[0]", 1), ("x[1]", 2)]
    assert flat_terms(m.named) is None and flat_terms(m.fixed) is None and flat_terms(m.twice) is None


def test_persistent_updates_after_a_flat_handoff_match_a_fresh_solve(baseline):
    """The tie-break adds, deactivates and removes rows on the persistent instance: its plan equals
    the plan of the same stages run through contrib's own hand-off."""
    inp = build_input(baseline)
    plans = []
    for opt in (FlatHighs, lambda: SolverFactory("highs")):
        m = build_model(inp)
        session = Session(seed=inp.seed)
        session._opt = opt()
        session.run(m, gap=inp.mip_gap)
        settle(m, session)
        leximin_shares(m, inp, session)
        plans.append(np.array([x.value or 0.0 for x in m.h.values()]))
    assert np.array_equal(plans[0], plans[1])
