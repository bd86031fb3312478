"""``pyomo.contrib.solver``'s HiGHS interface with a fast hand-off for flat linear rows.

The model builds nearly every row as one flat :class:`LinearExpression` of variables and
``(coefficient, variable)`` monomials (:func:`.model._lin`). For each row, contrib's
``add_constraints`` walks the expression generically to collect its variables, registers new
variables with one ``addVars`` call per row, and ``_add_constraints`` builds a standard repn
per row: on the national instance that per-row work is most of the hand-off. :class:`FlatHighs`
reads such rows' terms directly and hands a run of them over in one batch; every other row
(named expressions, fixed variables, repeated variables, zero or non-numeric coefficients)
goes through contrib's own path, in order.

The HiGHS model is the same as contrib's, column for column and row for row: variables are
registered in order of first appearance, rows in the order given, coefficients in term
order. The bookkeeping contrib's persistent updates rely on (which rows reference which
variables, the row and column maps) is filled the same way, so later updates, added and
removed rows and the solution loader work unchanged.
"""

from __future__ import annotations

import highspy
import numpy as np
import pyomo.environ  # noqa: F401  (before the contrib solvers)
from pyomo.contrib.solver.solvers.highs import Highs
from pyomo.core.base.constraint import ConstraintData
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.core.expr.numvalue import is_constant, value

NUMBER = (int, float)


def flat_terms(con: ConstraintData) -> list[tuple[object, float]] | None:
    """``[(variable, coefficient), ...]`` of a row whose body is a flat linear expression with
    numeric bounds, free variables each appearing once and non-zero numeric coefficients; None
    for any other row."""
    body = con.body
    if type(body) is not LinearExpression or _bound(con.lower) is False or _bound(con.upper) is False:
        return None
    terms = []
    for arg in body.args:
        if type(arg) is MonomialTermExpression:
            c, v = arg.args
        elif getattr(arg, "is_variable_type", None) and arg.is_variable_type():
            c, v = 1, arg
        else:
            return None
        if type(c) not in NUMBER or c == 0 or not v.is_variable_type() or v.fixed:
            return None
        terms.append((v, c))
    if len({id(v) for v, _ in terms}) != len(terms):
        return None
    return terms


def _bound(b: object) -> float | None | bool:
    """A row bound as a number (None: none); False when it is not a constant."""
    if b is None or type(b) in NUMBER:
        return b
    return float(value(b)) if is_constant(b) else False


class FlatHighs(Highs):
    """contrib's persistent HiGHS interface; flat linear rows are handed over in batches."""

    def add_constraints(self, cons: list[ConstraintData]) -> None:
        batch: list[tuple[ConstraintData, list]] = []
        for con in cons:
            terms = flat_terms(con)
            if terms is None:
                self._add_flat(batch)
                batch = []
                super().add_constraints([con])
            else:
                batch.append((con, terms))
        self._add_flat(batch)

    def _add_flat(self, batch: list[tuple[ConstraintData, list]]) -> None:
        if not batch:
            return
        new: dict[int, object] = {}
        for con, terms in batch:
            if con in self._named_expressions:
                raise ValueError(f"Constraint {con.name} has already been added")
            for v, _ in terms:
                if id(v) not in self._referenced_variables:
                    new.setdefault(id(v), v)
        if new:
            self.add_variables(list(new.values()))
        for con, terms in batch:
            self._active_constraints[con] = con.expr
            self._named_expressions[con] = []
            self._vars_referenced_by_con[con] = [v for v, _ in terms]
            for v, _ in terms:
                self._referenced_variables[id(v)][0][con] = None
        self._add_rows(batch)

    def _add_rows(self, batch: list[tuple[ConstraintData, list]]) -> None:
        """The rows into HiGHS, as contrib's ``_add_constraints`` would add them."""
        self._sol = None
        if self._last_results_object is not None:
            self._last_results_object.solution_loader.invalidate()
        col = self._pyomo_var_to_solver_var_map
        row = len(self._pyomo_con_to_solver_con_map)
        inf = highspy.kHighsInf
        lbs, ubs, starts, index, coef = [], [], [], [], []
        for con, terms in batch:
            starts.append(len(coef))
            for v, c in terms:
                index.append(col[id(v)])
                coef.append(c)
            lo, hi = _bound(con.lower), _bound(con.upper)
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
