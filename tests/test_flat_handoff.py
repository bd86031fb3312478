"""The fast hand-off of flat rows (optimize/flat_handoff.py) gives HiGHS the very model contrib's
own hand-off gives it: same columns, rows, coefficients, bounds and maps (so plans cannot move)."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.util import NoSolutionError
from pyomo.contrib.solver.solvers.highs import Highs
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from resurssimalli.optimize import build_input, build_model
from resurssimalli.optimize.flat_handoff import FlatHighs, flat_objective, flat_row
from resurssimalli.optimize.solve import Session
from resurssimalli.optimize.synthetic import national_instance
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
        "offset": lp.offset_,
    }


def _bookkeeping(opt) -> dict:
    """contrib's maps and reference lists, by names (ids differ between models, not within one)."""
    refs = opt._referenced_variables
    return {
        "col": list(opt._pyomo_var_to_solver_var_map.items()),
        "row": list(opt._pyomo_con_to_solver_con_map.items()),
        "row_back": list(opt._solver_con_to_pyomo_con_map.items()),
        "vars": [(k, v[0], v[1:]) for k, v in opt._vars.items()],
        "refs": [(k, list(v[0]), list(v[1]), v[2]) for k, v in refs.items()],
        "by_con": [(c, [id(v) for v in vs]) for c, vs in opt._vars_referenced_by_con.items()],
        "active": list(opt._active_constraints.items()),
        "named": [(c, list(e)) for c, e in opt._named_expressions.items()],
        "mutable": sorted(c.name for c in opt._mutable_helpers),
        "mutable_bounds": list(opt._mutable_bounds),
        "by_obj": [id(v) for v in opt._vars_referenced_by_obj],
        "obj_named": opt._obj_named_expressions,
        "obj": (opt._objective, opt._objective_expr, opt._objective_sense),
        "obj_linear": len(opt._mutable_objective.linear_coefs),
    }


def _assert_same_handoff(m: pyo.Block) -> None:
    stock, fast = SolverFactory("highs"), FlatHighs()
    stock.set_instance(m)
    fast.set_instance(m)
    assert _lp(fast) == _lp(stock)
    assert _bookkeeping(fast) == _bookkeeping(stock)


@pytest.mark.parametrize("minmax", [False, True])
def test_flat_handoff_builds_the_same_highs_model(baseline, minmax):
    m = build_model(build_input(baseline), minmax=minmax, coverage_first=minmax)
    assert flat_objective(m.cost.expr) is not None  # the objective is read directly
    _assert_same_handoff(m)


def test_flat_handoff_builds_the_same_national_model():
    m = build_model(national_instance(gap=0.01))
    cons = list(m.component_data_objects(pyo.Constraint, active=True))
    assert all(flat_row(c) is not None for c in cons)
    assert any(flat_row(c)[4] for c in cons)  # the split rows' deviations are held at 0
    _assert_same_handoff(m)


def _odd_model() -> pyo.ConcreteModel:
    """Rows and objectives of every kind: flat ones with repeated, zero and cancelling terms, and
    ones that must go through contrib's path (fixed variable, mutable coefficient and bound,
    a constant term)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(6), bounds=(0, 10))
    m.n = pyo.Var(domain=pyo.Integers, bounds=(-3, 3))
    m.p = pyo.Param(initialize=2.0, mutable=True)
    m.w = pyo.Var(bounds=(0, m.p))  # a mutable bound
    m.free = pyo.Var()
    m.x[5].fix(1.0)
    m.e = pyo.Expression(expr=m.x[0] + 2 * m.x[1])
    m.ok = pyo.Constraint(expr=LinearExpression([m.x[3], MonomialTermExpression((2.0, m.x[4])), m.w, m.free]) <= 4)
    m.twice = pyo.Constraint(expr=LinearExpression([MonomialTermExpression((0.5, m.x[2])), m.n, m.x[2]]) >= -1)
    m.zero = pyo.Constraint(expr=LinearExpression([MonomialTermExpression((-0.0, m.x[1]))]) <= 0)
    m.gone = pyo.Constraint(expr=(1, LinearExpression([MonomialTermExpression((2.0, m.x[0])),
                                                       MonomialTermExpression((-2.0, m.x[0])), m.x[3]]), 5))
    m.named = pyo.Constraint(expr=m.e <= 4)
    m.fixed = pyo.Constraint(expr=m.x[0] + m.x[5] <= 4)
    m.mutable = pyo.Constraint(expr=m.p * m.x[0] + m.x[1] <= m.p)
    m.item = pyo.Expression(expr=LinearExpression([MonomialTermExpression((3.0, m.x[4])), m.n]))
    m.held = pyo.Expression(expr=LinearExpression([m.x[4], MonomialTermExpression((2.0, m.x[5]))]))
    inline = LinearExpression([MonomialTermExpression((1.5, m.x[4])), m.x[0], MonomialTermExpression((0.5, m.x[5]))])
    m.obj = pyo.Objective(expr=m.item + inline + m.held)
    return m


def test_flat_handoff_matches_contrib_on_rows_and_objectives_of_every_kind():
    m = _odd_model()
    assert [flat_row(c) is not None for c in m.component_data_objects(pyo.Constraint)] == [
        True, True, True, True, False, True, False]  # fmt: skip
    named, variables, coefs, offset = flat_objective(m.obj.expr)
    assert named == [m.item, m.held] and [v.name for v in variables] == ["x[4]", "n", "x[0]", "x[5]"]
    assert list(coefs.values()) == [5.5, 1, 1] and pyo.value(offset) == 2.5  # x[5] is fixed at 1
    _assert_same_handoff(m)
    stock, fast = SolverFactory("highs"), FlatHighs()
    for opt in (stock, fast):  # a fixed variable's new value reaches the objective's offset
        opt.solve(m, load_solutions=False, solver_options={"output_flag": False})
    m.x[5].fix(3.0)
    m.p = 1.5  # the mutable bound of w, the mutable row
    for opt in (stock, fast):
        opt.solve(m, load_solutions=False, solver_options={"output_flag": False})
    assert _lp(fast) == _lp(stock) and _lp(fast)["offset"] == 7.5
    m.obj.sense = pyo.maximize
    _assert_same_handoff(m)
    m.obj.expr = m.p * m.x[0] + m.x[2]  # a mutable coefficient: contrib's path
    assert flat_objective(m.obj.expr) is None
    _assert_same_handoff(m)


def test_a_later_flat_objective_releases_the_old_ones_variables():
    """A new objective on the persistent instance drops variables only the old one used, as contrib."""
    m = _odd_model()
    m.only = pyo.Var(bounds=(0, 1))
    m.obj.expr = LinearExpression([m.only, m.x[3]])
    opts = [SolverFactory("highs"), FlatHighs()]
    for opt in opts:
        opt.set_instance(m)
    m.obj.expr = LinearExpression([MonomialTermExpression((-1.0, m.x[2])), m.x[3]])
    for opt in opts:
        opt.set_objective(m.obj)
        opt.solve(m, load_solutions=False, solver_options={"output_flag": False})
    assert id(m.only) not in opts[1]._pyomo_var_to_solver_var_map
    assert _lp(opts[1]) == _lp(opts[0]) and _bookkeeping(opts[1]) == _bookkeeping(opts[0])


def test_load_plan_sets_what_contribs_loader_would():
    m = _odd_model()
    opt = FlatHighs()
    res = opt.solve(m, load_solutions=False, solver_options={"output_flag": False})
    expected = {v.name: x for v, x in res.solution_loader.get_vars().items()}
    for v in m.component_data_objects(pyo.Var):
        v.value = None if not v.fixed else v.value
    opt.load_plan()
    assert {v.name: v.value for v in m.component_data_objects(pyo.Var) if v.name in expected} == expected
    assert set(expected) == {v.name for v in m.component_data_objects(pyo.Var)}  # x[5]: fixed, still referenced
    m.x[0].setub(9)
    opt.solve(m, load_solutions=False, solver_options={"output_flag": False}, auto_updates={"update_vars": True})
    opt._sol = None  # no solution: nothing to load
    with pytest.raises(NoSolutionError):
        opt.load_plan()


class _Stock(Highs):
    """contrib's interface as shipped; the plan loaded through its own solution loader."""

    def load_plan(self) -> None:
        for v, x in self._get_primals().items():
            v.set_value(x, skip_validation=True)


def test_persistent_updates_after_a_flat_handoff_match_a_fresh_solve(baseline):
    """The tie-break adds, deactivates and removes rows on the persistent instance: its plan equals
    the plan of the same stages run through contrib's own hand-off."""
    inp = build_input(baseline)
    plans = []
    for opt in (FlatHighs, _Stock):
        m = build_model(inp)
        session = Session(seed=inp.seed)
        session._opt = opt()
        session.run(m, gap=inp.mip_gap)
        settle(m, session)
        leximin_shares(m, inp, session)
        plans.append(np.array([x.value or 0.0 for x in m.h.values()]))
    assert np.array_equal(plans[0], plans[1])
