"""The "only if open" rows the model leaves out never change the plan, its cost or its LP bound."""

from __future__ import annotations

import dataclasses

import pyomo.environ as pyo
import pytest

from resurssimalli.optimize import build_input, build_model
from resurssimalli.optimize.model import candidate_pairs, necessarily_open, open_links
from resurssimalli.optimize.solve import solve
from resurssimalli.optimize.synthetic import national_instance


def _with_every_link(inp) -> pyo.ConcreteModel:
    """The model plus every ``a <= y`` and ``b <= y`` row it left out (the textbook formulation)."""
    m = build_model(inp)
    pairs = [(q.point, q.site) for q in candidate_pairs(inp)]
    homes = [(s.id, o) for s in inp.sites if s.kind != "office" for o, _ in s.home_offices]
    m.all_assign = pyo.Constraint(pairs, rule=lambda m, i, j: m.a[i, j] <= m.y[j])
    m.all_home = pyo.Constraint(homes, rule=lambda m, j, o: m.b[j, o] <= m.y[o])
    return m


def _lp(m: pyo.ConcreteModel) -> float:
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(m)
    out = solve(m)
    assert out.proven_optimal
    return out.objective


@pytest.fixture(scope="module")
def base(baseline):
    return build_input(baseline)


def test_rows_are_left_out_on_the_baseline(base):
    pairs = candidate_pairs(base)
    assign, homes = open_links(base, pairs)
    assert 0 < len(assign) < len(pairs)
    assert len(homes) < sum(len(s.home_offices) for s in base.sites if s.kind != "office")
    must = necessarily_open(base)
    assert must and all(base.site_by_id[j].kind == "office" for j in must)
    assert not any(j in must for _, j in assign)


def test_same_optimum_and_lp_bound_as_with_every_row(base):
    inp = dataclasses.replace(base, mip_gap=0.0)
    small, full = build_model(inp), _with_every_link(inp)
    assert solve(small, gap=0.0).objective == pytest.approx(solve(full, gap=0.0).objective, abs=1e-4)
    assert _lp(build_model(inp)) == pytest.approx(_lp(_with_every_link(inp)), abs=1e-4)


def test_same_lp_bound_on_a_regional_instance():
    inp = national_instance(n_municipalities=40, n_areas=6, n_sites=120, n_points=400)
    assert len(open_links(inp, candidate_pairs(inp))[0]) < len(candidate_pairs(inp))
    assert _lp(build_model(inp)) == pytest.approx(_lp(_with_every_link(inp)), rel=1e-9)


def test_a_site_forced_closed_is_never_necessarily_open(base):
    sole = sorted(necessarily_open(base))[0]
    closed = dataclasses.replace(base, force_closed=frozenset({sole}))
    assert sole not in necessarily_open(closed)
    assert any(j == sole for _, j in open_links(closed, candidate_pairs(closed))[0])
