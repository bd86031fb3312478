"""``pyomo.contrib.solver``'s HiGHS interface with a fast hand-off for flat linear models.

The model builds nearly every row, and every cost item of the objective, as one flat
:class:`LinearExpression` of variables and ``(coefficient, variable)`` monomials
(:func:`.model._lin`). contrib walks each row and the objective generically (collecting their
variables and named expressions, then a standard repn), registers variables one Python call
each and loads the plan back through a ``ComponentMap``: on the national instance that is most
of the hand-off. :class:`FlatHighs` reads flat rows' and a flat objective's terms directly,
hands a run of rows over in one ``addRows``, registers a batch of variables with one
``addVars`` and loads the plan back from one ``col_value`` read. Every other row or objective
(fixed variables, non-numeric coefficients or bounds, nonlinear terms) goes through contrib's
own path, in order.

The HiGHS model is the same as contrib's, column for column and row for row: variables are
registered in order of first appearance, rows in the order given, a variable's coefficients
summed in term order and zero coefficients left out, as contrib's standard repn does. The
bookkeeping contrib's persistent updates rely on (which rows and objective reference which
variables, the named expressions, the row and column maps) is filled the same way, so later
updates, added and removed rows and the solution loader work unchanged.
"""

from __future__ import annotations

from typing import Any

import highspy
import numpy as np
import pyomo.environ  # noqa: F401  (before the contrib solvers)
from pyomo.contrib.solver.common.util import NoSolutionError
from pyomo.contrib.solver.solvers.highs import (
    Highs,
    _MutableConstraintBounds,
    _MutableObjective,
    _MutableObjectiveOffset,
)
from pyomo.core.base.constraint import ConstraintData
from pyomo.core.base.objective import ObjectiveData
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression, SumExpression
from pyomo.core.expr.numvalue import is_constant, value
from pyomo.core.kernel.objective import maximize, minimize

NUMBER = (int, float)
BOUND = (int, float, type(None))
# a flat row: its distinct variables in order of first appearance, each free one's summed
# coefficient (zeros kept: the variable is still referenced by the row), its numeric bounds
# (None: none) and the terms of its fixed variables (moved to the bounds, as contrib does)
FlatRow = tuple[list[Any], list[float], float | None, float | None, list[MonomialTermExpression]]
# a flat objective: its named expressions and its variables (fixed ones too), each in order of
# first appearance as contrib collects them, the free variables' summed coefficients by variable
# id, and its constant (0, or an expression of fixed variables, as contrib's standard repn has it)
FlatObjective = tuple[list[Any], list[Any], dict[int, float], Any]


def flat_row(con: ConstraintData) -> FlatRow | None:
    """A row whose body is a flat linear expression of free variables with numeric coefficients
    and whose bounds are constants, read as :data:`FlatRow`; None for any other row."""
    lo, body, hi = con.to_bounded_expression()
    if type(body) is not LinearExpression:
        return None
    lo, hi = _bound(lo), _bound(hi)
    if lo is False or hi is False:
        return None
    coefs: dict[int, float] = {}
    order: dict[int, Any] = {}
    held: list[MonomialTermExpression] = []
    if not _collect(body, coefs, order, held):
        return None
    if held:  # a fixed variable has no coefficient in the matrix: 0 (skipped) in its place
        return list(order.values()), [coefs.get(k, 0) for k in order], lo, hi, held
    return list(order.values()), list(coefs.values()), lo, hi, held


def _collect(
    expr: LinearExpression, coefs: dict[int, float], order: dict[int, Any], held: list | None = None
) -> bool:
    """Add a flat linear expression's terms to ``coefs`` (by variable id, summed in term order, as
    contrib's standard repn sums them) and its new variables to ``order`` (by id); terms of fixed
    variables go to ``held`` (refused when it is None). False (and partly filled) when it is
    not flat."""
    for arg in expr.args:
        if type(arg) is MonomialTermExpression:
            c, v = arg.args
            if type(c) not in NUMBER or not v.is_variable_type():
                return False
        elif getattr(arg, "is_variable_type", None) and arg.is_variable_type():
            c, v = 1, arg
        else:
            return False
        k = id(v)
        if v.fixed:
            if held is None:
                return False
            held.append(MonomialTermExpression((c, v)))
            order.setdefault(k, v)
        elif k in coefs:
            coefs[k] += c
        else:
            coefs[k] = c
            order[k] = v
    return True


def flat_objective(expr: Any) -> FlatObjective | None:
    """An objective made of named expressions and sums over flat linear expressions, read as
    :data:`FlatObjective`; None for any other objective."""
    named: dict[int, Any] = {}
    coefs: dict[int, float] = {}
    order: dict[int, Any] = {}
    offset: Any = 0
    stack = [expr]
    while stack:
        e = stack.pop()
        if type(e) is LinearExpression:
            held: list = []
            if not _collect(e, coefs, order, held):
                return None
            if held:  # contrib's constant: this expression's fixed terms summed, then added up
                offset = LinearExpression(held) if type(offset) is int else offset + LinearExpression(held)
        elif type(e) is SumExpression:
            stack.extend(reversed(e.args))
        elif getattr(e, "is_named_expression_type", None) and e.is_named_expression_type():
            named.setdefault(id(e), e)
            stack.append(e.expr)
        else:
            return None
    return list(named.values()), list(order.values()), coefs, offset


def _bound(b: object) -> float | None | bool:
    """A row bound as a number (None: none); False when it is not a constant."""
    if b is None or type(b) in NUMBER:
        return b
    return float(value(b)) if is_constant(b) else False


class FlatHighs(Highs):
    """contrib's persistent HiGHS interface; flat rows, flat objectives, batches of variables and
    the plan handed over in bulk."""

    def add_constraints(self, cons: list[ConstraintData]) -> None:
        batch: list[tuple[ConstraintData, FlatRow]] = []
        for con in cons:
            row = flat_row(con)
            if row is None:
                self._add_flat(batch)
                batch = []
                super().add_constraints([con])
            else:
                batch.append((con, row))
        self._add_flat(batch)

    def _add_flat(self, batch: list[tuple[ConstraintData, FlatRow]]) -> None:
        """contrib's bookkeeping for a run of flat rows (new variables registered first, in order of
        first appearance, as contrib's per-row ``add_variables`` calls would), then the rows."""
        if not batch:
            return
        new: list[Any] = []
        known = self._referenced_variables
        for con, (variables, *_) in batch:
            if con in self._named_expressions:
                raise ValueError(f"Constraint {con.name} has already been added")
            self._active_constraints[con] = con.expr
            self._named_expressions[con] = []
            self._vars_referenced_by_con[con] = variables
            for v in variables:
                ref = known.get(id(v))
                if ref is None:
                    known[id(v)] = ref = [{}, {}, None]
                    new.append(v)
                ref[0][con] = None
        if new:
            self._register(new)
        self._add_rows(batch)

    def add_variables(self, variables: list[Any]) -> None:
        for v in variables:
            if id(v) in self._referenced_variables:
                raise ValueError(f"Variable {v.name} has already been added")
            self._referenced_variables[id(v)] = [{}, {}, None]
        self._register(variables)

    def _register(self, variables: list[Any]) -> None:
        """contrib's ``add_variables`` after the reference lists: each variable's state as contrib
        records it (a domain's interval read once per domain), then its column."""
        entries, intervals = self._vars, {}
        for v in variables:
            domain = v.domain
            known = intervals.get(id(domain))
            if known is None:  # the domain is kept with its interval: its id cannot be reused
                known = intervals[id(domain)] = (domain, domain.get_interval())
            entries[id(v)] = (v, v._lb, v._ub, v.fixed, known[1], v.value)
        self._add_variables(variables)

    def _add_variables(self, variables: list[Any]) -> None:
        """contrib's ``_add_variables`` with its bounds worked out inline for a free variable with
        numeric bounds (contrib's ``_process_domain_and_bounds`` for any other)."""
        self._invalidate()
        col, entries = self._pyomo_var_to_solver_var_map, self._vars
        inf, kinds = highspy.kHighsInf, (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lbs, ubs, types = [], [], []
        first = len(col)
        for v in variables:
            k = id(v)
            _, lb, ub, fixed, (low, high, step), _ = entries[k]
            if fixed or type(lb) not in BOUND or type(ub) not in BOUND or step not in (0, 1):
                low, high, kind = self._process_domain_and_bounds(k)
            else:
                low = -inf if low is None else low
                high = inf if high is None else high
                low = low if lb is None else max(lb, low)
                high = high if ub is None else min(ub, high)
                kind = kinds[1] if step == 1 else kinds[0]
            lbs.append(low)
            ubs.append(high)
            types.append(kind)
            col[k] = first + len(types) - 1
        highs = self._solver_model
        highs.addVars(len(lbs), np.array(lbs, dtype=np.double), np.array(ubs, dtype=np.double))
        highs.changeColsIntegrality(len(types), np.arange(first, first + len(types)), np.array(types))

    def _add_rows(self, batch: list[tuple[ConstraintData, FlatRow]]) -> None:
        """The rows into HiGHS, as contrib's ``_add_constraints`` would add them."""
        self._invalidate()
        col = self._pyomo_var_to_solver_var_map
        row = len(self._pyomo_con_to_solver_con_map)
        inf = highspy.kHighsInf
        lbs, ubs, starts, index, coef = [], [], [], [], []
        for con, (variables, coefs, lo, hi, held) in batch:
            starts.append(len(coef))
            for v, c in zip(variables, coefs, strict=True):
                if c:
                    index.append(col[id(v)])
                    coef.append(c)
            if held:
                lo, hi = self._held_bounds(con, lo, hi, held)
            lbs.append(-inf if lo is None else lo)
            ubs.append(inf if hi is None else hi)
            self._pyomo_con_to_solver_con_map[con] = row
            self._solver_con_to_pyomo_con_map[row] = con
            row += 1
        self._solver_model.addRows(
            len(lbs),
            np.array(lbs, dtype=np.double),
            np.array(ubs, dtype=np.double),
            len(coef),
            np.array(starts),
            np.array(index),
            np.array(coef, dtype=np.double),
        )

    def _held_bounds(self, con: ConstraintData, lo: float | None, hi: float | None, held: list) -> tuple:
        """A row's bounds less its fixed variables' terms, kept mutable (a fixed value may change)
        as contrib's ``_add_constraints`` keeps them."""
        constant = LinearExpression(held)
        inf = highspy.kHighsInf
        lower = -inf if lo is None else lo - constant
        upper = inf if hi is None else hi - constant
        bounds = _MutableConstraintBounds(
            lower, upper, con, self._pyomo_con_to_solver_con_map, self._solver_model
        )
        self._mutable_helpers.setdefault(con, []).append(bounds)
        return value(lower), value(upper)

    def _invalidate(self) -> None:
        """What contrib does before any change to the HiGHS model: the last solution is gone."""
        self._sol = None
        if self._last_results_object is not None:
            self._last_results_object.solution_loader.invalidate()

    def set_objective(self, obj: ObjectiveData | None) -> None:
        flat = flat_objective(obj.expr) if obj is not None and obj.sense in (minimize, maximize) else None
        if flat is None:
            super().set_objective(obj)
            return
        named, variables, coefs, offset = flat
        if self._objective is not None:  # as contrib: release the previous objective's variables
            for v in self._vars_referenced_by_obj:
                self._referenced_variables[id(v)][2] = None
            self._check_to_remove_vars(self._vars_referenced_by_obj)
            self._external_functions.pop(self._objective, None)
        self._objective, self._objective_expr, self._objective_sense = obj, obj.expr, obj.sense
        self._check_for_new_vars(variables)
        self._obj_named_expressions = [(e, e.expr) for e in named]
        self._vars_referenced_by_obj = variables
        for v in variables:
            self._referenced_variables[id(v)][2] = obj
        self._set_flat_objective(obj.sense, coefs, offset)

    def _set_flat_objective(self, sense: int, coefs: dict[int, float], offset: Any) -> None:
        """contrib's ``_set_objective`` for a linear objective with constant coefficients: every
        column's cost in one ``changeColsCost``; the offset (of fixed variables) kept mutable."""
        self._invalidate()
        n = len(self._pyomo_var_to_solver_var_map)
        costs = np.zeros(n, dtype=np.double)
        col = self._pyomo_var_to_solver_var_map
        for k, c in coefs.items():
            if c:
                costs[col[k]] = c
        highs = self._solver_model
        highs.changeObjectiveSense(
            highspy.ObjSense.kMinimize if sense == minimize else highspy.ObjSense.kMaximize
        )
        highs.changeColsCost(n, np.arange(n), costs)
        constant = _MutableObjectiveOffset(expr=offset, highs=highs)
        self._mutable_objective = _MutableObjective(highs, constant, [], [], col)
        self._mutable_objective.update()

    def load_plan(self) -> None:
        """The last solve's primal values into the variables contrib's solution loader would load
        (those a row or the objective references), from one ``col_value`` read."""
        if self._sol is None or not self._sol.value_valid:
            raise NoSolutionError()
        x = self._sol.col_value
        col, entries = self._pyomo_var_to_solver_var_map, self._vars
        for v_id, (cons, sos, obj) in self._referenced_variables.items():
            if cons or sos or obj is not None:
                entries[v_id][0].set_value(x[col[v_id]], skip_validation=True)
