"""What the model leaves out of the textbook formulation never changes the optimum or the LP bound."""

from __future__ import annotations

import dataclasses

import pyomo.environ as pyo
import pytest

from resurssimalli.errors import ContradictoryRules
from resurssimalli.optimize import build_input, build_model, optimize_input
from resurssimalli.optimize import model as model_module
from resurssimalli.optimize.model import Reductions, candidate_pairs, necessarily_open, reductions
from resurssimalli.optimize.solve import solve
from resurssimalli.optimize.synthetic import national_instance


def _textbook(inp, pairs) -> Reductions:
    """Every pair, every ``a <= y`` and ``b <= y`` row, no home office held at 0."""
    pairs = list(pairs)
    homes = [(s.id, o) for s in inp.sites if s.kind != "office" for o, _ in s.home_offices]
    return Reductions(pairs, [(q.point, q.site) for q in pairs], homes, frozenset())


def _solve(inp, *, lp: bool, minmax: bool = False) -> float:
    m = build_model(inp, minmax=minmax)
    if minmax:
        m.cost.deactivate()
        m.equity.activate()
    if lp:
        pyo.TransformationFactory("core.relax_integer_vars").apply_to(m)
    out = solve(m, gap=0.0)
    assert out.proven_optimal
    return out.objective


def _both(monkeypatch, inp, **kw) -> tuple[float, float]:
    reduced = _solve(inp, **kw)
    with monkeypatch.context() as mp:
        mp.setattr(model_module, "reductions", _textbook)
        full = _solve(inp, **kw)
    return reduced, full


@pytest.fixture(scope="module")
def base(baseline):
    return dataclasses.replace(build_input(baseline), mip_gap=0.0)


def test_the_baseline_model_is_smaller(base):
    pairs = candidate_pairs(base)
    red = reductions(base, pairs)
    assert 0 < len(red.assign_links) < len(red.pairs) <= len(pairs)
    assert len(red.home_links) < sum(len(s.home_offices) for s in base.sites if s.kind != "office")
    must = necessarily_open(base)
    assert must and all(base.site_by_id[j].kind == "office" for j in must)
    assert not any(j in must for _, j in red.assign_links)


@pytest.mark.parametrize("lp", [False, True])
def test_same_cost_optimum_and_lp_bound_on_the_baseline(monkeypatch, base, lp):
    reduced, full = _both(monkeypatch, base, lp=lp)
    assert reduced == pytest.approx(full, abs=1e-4)


def test_same_longest_trip_on_the_baseline(monkeypatch, base):
    reduced, full = _both(monkeypatch, base, lp=False, minmax=True)
    assert reduced == pytest.approx(full, abs=1e-6)


def test_same_lp_bound_on_a_regional_instance(monkeypatch):
    inp = national_instance(n_municipalities=40, n_areas=6, n_sites=120, n_points=400)
    red = reductions(inp, candidate_pairs(inp))
    assert len(red.pairs) < len(candidate_pairs(inp)) and red.closed_homes
    reduced, full = _both(monkeypatch, inp, lp=True)
    assert reduced == pytest.approx(full, rel=1e-9)


def test_a_site_forced_closed_is_never_necessarily_open(base):
    sole = sorted(necessarily_open(base))[0]
    closed = dataclasses.replace(base, force_closed=frozenset({sole}))
    assert sole not in necessarily_open(closed)
    assert any(j == sole for _, j in reductions(closed, candidate_pairs(closed)).assign_links)


def test_conflicts_are_named_the_same_as_with_every_row(monkeypatch, base):
    """Closing the only office of an area: the reductions must not hide or invent a rule."""
    sole = sorted(necessarily_open(base))[0]
    inp = dataclasses.replace(
        base, force_closed=frozenset({sole}), force_open=frozenset({"Kilvakkala_popup"})
    )
    labels = []
    for textbook in (False, True):
        with monkeypatch.context() as mp:
            if textbook:
                mp.setattr(model_module, "reductions", _textbook)
            with pytest.raises(ContradictoryRules) as err:
                optimize_input(inp)
            labels.append(str(err.value))
    assert labels[0] == labels[1] and sole in labels[0]
