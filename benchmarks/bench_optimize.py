"""Optimiser benchmarks: baseline build + solve; national instance build, hand-off and solve in
Pyomo against the same model built directly in highspy.

Targets (2-core machine): baseline to proven optimality < 0.5 s in process (< 3 s whole CLI);
national instance to a 1 % gap < 10 s; Pyomo total <= 1.5 x direct highspy total. The Pyomo
side is the product's path: ``build_model`` and ``solve`` (``pyomo.contrib.solver``'s ``highs``).

Other hand-off routes, measured on the same built model (:func:`bench_routes`): Pyomo's
standard-form compiler (sparse matrices) passed to highspy, and Pyomo's LP writer read by highspy.

``python benchmarks/bench_optimize.py national`` runs only the national figures. With
``RESURSSIMALLI_OLD=/path/to/old/checkout`` the national ``optimize_input()`` end to end is also
run from that checkout's ``src`` (in turn with this one, in separate processes) for a before/after.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from resurssimalli.optimize import build_input, build_model, optimize_input
from resurssimalli.optimize.gc_pause import gc_paused
from resurssimalli.optimize.inputs import OptimisationInput
from resurssimalli.optimize.model import candidate_pairs, reductions
from resurssimalli.optimize.solve import Session, solve
from resurssimalli.optimize.synthetic import national_instance
from resurssimalli.optimize.tiebreak import leximin_shares, settle
from resurssimalli.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 3


def build_highs(inp: OptimisationInput) -> highspy.Highs:
    """The cost model of :func:`build_model` (default k, no widening) built directly in highspy."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    cols_lb: list[float] = []
    cols_ub: list[float] = []
    cost: list[float] = []
    integer: list[int] = []

    def var(lb: float, ub: float, c: float, is_int: bool = False) -> int:
        cols_lb.append(lb)
        cols_ub.append(ub)
        cost.append(c)
        if is_int:
            integer.append(len(cost) - 1)
        return len(cost) - 1

    sites = inp.site_by_id
    y = {s.id: var(0, 1, s.fixed_cost_eur, True) for s in inp.sites}
    hv = {(s.id, line): var(0, highspy.kHighsInf, 0.0) for s in inp.sites for line in inp.allowed_lines(s)}
    work = [k for k, v in inp.workload_hours.items() if v > 0]
    u = {k: var(0, highspy.kHighsInf, inp.unserved_hour_penalty_eur) for k in work}
    red = reductions(inp, candidate_pairs(inp))  # the model's own reductions: the same formulation
    pairs = red.pairs
    vis = {p.id: p.visits for p in inp.points}
    a = {(q.point, q.site): var(0, 1, vis[q.point] * q.eur_per_visit) for q in pairs}
    v = {p.id: var(0, 1, inp.uncovered_visit_penalty_eur * p.visits) for p in inp.points}
    b = {
        (s.id, o): var(0, 0 if (s.id, o) in red.closed_homes else 1, s.staff_days_per_year * eur)
        for s in inp.sites
        if s.kind != "office"
        for o, eur in s.home_offices
    }
    ah = {ar: var(0, highspy.kHighsInf, inp.cost_per_htv_eur) for ar in inp.areas}
    rows_lb: list[float] = []
    rows_ub: list[float] = []
    starts: list[int] = []
    idx: list[int] = []
    val: list[float] = []
    inf = highspy.kHighsInf

    def row(terms: list[tuple[int, float]], lb: float, ub: float) -> None:
        starts.append(len(idx))
        for i, c in terms:
            idx.append(i)
            val.append(c)
        rows_lb.append(lb)
        rows_ub.append(ub)

    P = inp.productive_hours_per_htv
    by_al: dict = defaultdict(list)
    by_a: dict = defaultdict(list)
    by_s: dict = defaultdict(list)
    for (j, line), i in hv.items():
        by_al[(sites[j].area, line)].append(i)
        by_a[sites[j].area].append(i)
        by_s[j].append(i)
    for k in work:  # staff hours + unserved hours cover the workload (the tie-break places spare staff)
        row([(i, P) for i in by_al[k]] + [(u[k], 1.0)], inp.workload_hours[k], inf)
    for ar in inp.areas:
        row([(i, 1.0) for i in by_a[ar]] + [(ah[ar], -1.0)], 0.0, 0.0)
    row([(ah[ar], 1.0) for ar in inp.areas], inp.total_htv if inp.use_all_htv else -inf, inp.total_htv)
    for s in inp.sites:
        row([(i, 1.0) for i in by_s[s.id]] + [(y[s.id], -float(s.workstations))], -inf, 0.0)
    split_lines = {line for g in inp.split for line in g.lines}
    for g in inp.split:
        lo, hi = max(g.share - inp.split_tolerance, 0.0), min(g.share + inp.split_tolerance, 1.0)
        for bound, sign in ((lo, 1), (hi, -1)):
            terms = [
                (i, sign * ((1.0 if line in g.lines else 0.0) - bound))
                for (j, line), i in hv.items()
                if line in split_lines
            ]
            row(terms, 0.0, inf)
    if inp.office_required_in_every_area:
        for ar in inp.areas:
            row([(y[s.id], 1.0) for s in inp.sites if s.area == ar and s.kind == "office"], 1.0, inf)
    if inp.presence_required_in_every_municipality:
        by_m: dict = defaultdict(list)
        for s in inp.sites:
            if s.kind in ("office", "service_point"):
                by_m[s.municipality].append(y[s.id])
        for mu in inp.municipality_area:
            row([(i, 1.0) for i in by_m[mu]], 1.0, inf)
    for s in inp.sites:
        if s.kind != "office":
            row([(b[(s.id, o)], 1.0) for o, _ in s.home_offices] + [(y[s.id], -1.0)], 0.0, 0.0)
    for j, o in red.home_links:
        row([(b[(j, o)], 1.0), (y[o], -1.0)], -inf, 0.0)
    for p, j in red.assign_links:
        row([(a[(p, j)], 1.0), (y[j], -1.0)], -inf, 0.0)
    by_p: dict = defaultdict(list)
    by_site_pairs: dict = defaultdict(list)
    for (p, j), i in a.items():
        by_p[p].append(i)
        by_site_pairs[j].append((i, vis[p]))
    for p in inp.points:
        row([(i, 1.0) for i in by_p[p.id]] + [(v[p.id], 1.0)], 1.0, 1.0)
    for s in inp.sites:
        if s.visit_capacity is not None and by_site_pairs[s.id]:
            row(by_site_pairs[s.id] + [(y[s.id], -s.visit_capacity)], -inf, 0.0)
    n = len(cost)
    h.addVars(n, np.array(cols_lb), np.array(cols_ub))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.array(cost))
    h.changeColsIntegrality(
        len(integer), np.array(integer, dtype=np.int32), np.full(len(integer), highspy.HighsVarType.kInteger)
    )
    h.addRows(
        len(rows_lb),
        np.array(rows_lb),
        np.array(rows_ub),
        len(idx),
        np.array(starts, dtype=np.int32),
        np.array(idx, dtype=np.int32),
        np.array(val),
    )
    return h


def check_same_model(inp: OptimisationInput) -> None:
    """Print the size and the LP-relaxation optimum of both models: equal values = same formulation."""
    m = build_model(inp)
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(m)
    lp = solve(m)
    rows = sum(1 for _ in m.component_data_objects(pyo.Constraint, active=True))
    cols = sum(1 for _ in m.component_data_objects(pyo.Var))
    h = build_highs(inp)
    n = h.getNumCol()
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kContinuous))
    h.run()
    print(
        f"national same model? rows {rows} / {h.getNumRow()}, columns {cols} / {n}, LP relaxation "
        f"{lp.objective:,.2f} / {h.getInfo().objective_function_value:,.2f} (Pyomo / direct)"
    )


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def bench_baseline() -> None:
    s = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    inp = build_input(s)
    builds, solves, totals = [], [], []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        m = build_model(inp)
        t1 = time.perf_counter()
        res = solve(m, gap=inp.mip_gap)
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        solves.append(t2 - t1)
        t3 = time.perf_counter()
        optimize_input(inp)
        totals.append(time.perf_counter() - t3)
    print(
        f"baseline: build {_median(builds):.3f} s, build+solve {_median(builds) + _median(solves):.3f} s "
        f"({res.status}); optimize() with tables, shadow prices "
        f"{_median(totals):.3f} s"
    )
    clis = []
    for _ in range(REPEATS):
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "resurssimalli.cli",
                    "optimize",
                    str(ROOT / "scenarios" / "baseline.yaml"),
                    "--out",
                    str(Path(d) / "run"),
                ],
                check=True,
                capture_output=True,
                cwd=ROOT,
            )
            clis.append(time.perf_counter() - t0)
    print(f"baseline: whole CLI call (python start, imports, solve, run folder) {_median(clis):.2f} s")


def bench_national() -> None:
    t0 = time.perf_counter()
    inp = national_instance(gap=0.01)
    gen = time.perf_counter() - t0
    n_pairs = len(candidate_pairs(inp))
    n_kept = len(reductions(inp, candidate_pairs(inp)).pairs)
    print(
        f"national: {len(inp.municipality_area)} municipalities, {len(inp.areas)} areas, "
        f"{len(inp.sites)} sites, {len(inp.points)} demand points, {n_pairs} sparse pairs "
        f"({n_kept} after dropping those a necessarily open office beats) "
        f"(k={inp.k_nearest_sites}); generated in {gen:.2f} s"
    )
    check_same_model(inp)
    py_build, py_solve, py_handoff, py_obj = [], [], [], []
    hs_build, hs_solve, hs_obj = [], [], []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        m = build_model(inp)
        t1 = time.perf_counter()
        res = solve(m, gap=0.01)  # the product's solve(): hand-off, HiGHS, loading the plan
        t2 = time.perf_counter()
        py_build.append(t1 - t0)
        py_solve.append(t2 - t1)
        py_handoff.append((t2 - t1) - res.highs_seconds if res.highs_seconds else float("nan"))
        py_obj.append(res.objective)
        t0 = time.perf_counter()
        with gc_paused():  # the same treatment as the Pyomo build, for a fair comparison
            h = build_highs(inp)
        h.setOptionValue("mip_rel_gap", 0.01)
        t1 = time.perf_counter()
        h.run()
        t2 = time.perf_counter()
        hs_build.append(t1 - t0)
        hs_solve.append(t2 - t1)
        hs_obj.append(h.getInfo().objective_function_value)
    pyt = _median(py_build) + _median(py_solve)
    hst = _median(hs_build) + _median(hs_solve)
    print(
        f"national Pyomo: build {_median(py_build):.2f} s, hand-off + solve {_median(py_solve):.2f} s "
        f"(hand-off ~{_median(py_handoff):.2f} s), total {pyt:.2f} s, objective {py_obj[-1]:,.0f} "
        f"({res.status})"
    )
    print(
        f"national highspy direct: build {_median(hs_build):.2f} s, solve {_median(hs_solve):.2f} s, "
        f"total {hst:.2f} s, objective {hs_obj[-1]:,.0f}"
    )
    print(f"national ratio Pyomo / direct highspy total: {pyt / hst:.2f} (target <= 1.5)")
    t0 = time.perf_counter()
    r = optimize_input(inp)
    print(
        f"national optimize() end to end (pricing rounds, tables, shadow prices, tie-break): "
        f"{time.perf_counter() - t0:.2f} s, "
        f"status {r.summary['status']}, gap {r.summary['gap']:.3%}"
    )


def _tiebreak_times(inp: OptimisationInput, gap: float) -> tuple[float, float, float, int]:
    """MIP (cost, with hand-off), the plan's LP (integers held), leximin rounds — seconds each, rounds."""
    m = build_model(inp)
    session = Session(seed=inp.seed)
    t0 = time.perf_counter()
    session.run(m, gap=gap)
    t1 = time.perf_counter()
    settle(m, session)
    t2 = time.perf_counter()
    rounds = leximin_shares(m, inp, session)
    return t1 - t0, t2 - t1, time.perf_counter() - t2, rounds


def bench_tiebreak() -> None:
    """What the lexicographic tie-break (issue 9 item 5) costs next to the cost MIP."""
    inp = build_input(load_scenario(ROOT / "scenarios" / "baseline.yaml"))
    runs = [_tiebreak_times(inp, inp.mip_gap) for _ in range(REPEATS)]
    mip, lp, lex = (_median([r[i] for r in runs]) for i in range(3))
    print(f"baseline tie-break: cost MIP {mip:.3f} s, plan LP + duals {lp:.3f} s, leximin {lex:.3f} s "
          f"({runs[0][3]} rounds)")  # fmt: skip
    for marginals in (False, True):
        t = []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            optimize_input(inp, marginals=marginals)
            t.append(time.perf_counter() - t0)
        print(f"baseline optimize_input(marginals={marginals}): {_median(t):.3f} s")
    nat = national_instance(gap=0.01)
    mip, lp, lex, rounds = _tiebreak_times(nat, 0.01)
    print(f"national tie-break: cost MIP {mip:.2f} s, plan LP + duals {lp:.2f} s, leximin {lex:.2f} s ({rounds} rounds)")


def _new_highs(gap: float) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", gap)
    return h


def _solve_and_load(h: highspy.Highs, t0: float, plan) -> tuple[float, float, float]:
    """Run HiGHS on the model handed over since ``t0`` and load ``plan()`` (columns, values) back into
    Pyomo: (seconds since ``t0``, HiGHS seconds, objective)."""
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    with gc_paused():
        columns, values = plan()
        for v, x in zip(columns, values, strict=True):
            v.set_value(x, skip_validation=True)
    return time.perf_counter() - t0, t2 - t1, h.getInfo().objective_function_value


def route_standard_form(m: pyo.ConcreteModel, gap: float) -> tuple[float, float, float]:
    """Pyomo's standard-form compiler (scipy sparse ``A``) handed to highspy as one ``HighsLp``;
    the plan loaded back into the Pyomo variables. Returns (seconds, HiGHS seconds, objective)."""
    inf = highspy.kHighsInf
    t0 = time.perf_counter()
    with gc_paused():
        form = LinearStandardFormCompiler().write(m, mixed_form=True, set_sense=None)
        cols = form.columns
        sense = np.array([s for _, s in form.rows])
        rhs = np.asarray(form.rhs, dtype=float)
        a = form.A.tocsc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(cols), len(rhs)
        lp.col_cost_ = np.asarray(form.c.toarray()).ravel()
        lp.offset_ = float(form.c_offset[0]) if len(form.c_offset) else 0.0
        lp.col_lower_ = np.array([-inf if v.lb is None else v.lb for v in cols], dtype=float)
        lp.col_upper_ = np.array([inf if v.ub is None else v.ub for v in cols], dtype=float)
        lp.row_lower_ = np.where(sense >= 0, np.where(sense == 0, rhs, -inf), rhs)
        lp.row_upper_ = np.where(sense <= 0, np.where(sense == 0, rhs, inf), rhs)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[v.is_integer()] for v in cols]
        h = _new_highs(gap)
        h.passModel(lp)
    return _solve_and_load(h, t0, lambda: (cols, list(h.getSolution().col_value)))


def route_lp_file(m: pyo.ConcreteModel, gap: float) -> tuple[float, float, float]:
    """Pyomo's LP writer to a temporary file, read by highspy; the plan loaded back by the symbol map."""
    t0 = time.perf_counter()
    with gc_paused(), tempfile.TemporaryDirectory() as d:
        path = str(Path(d) / "model.lp")
        _, smap_id = m.write(path, io_options={"symbolic_solver_labels": False})
        by_symbol = m.solutions.symbol_map[smap_id].bySymbol
        h = _new_highs(gap)
        h.readModel(path)

    def plan() -> tuple[list, list[float]]:
        names, values = h.getLp().col_names_, h.getSolution().col_value
        pairs = [(by_symbol[n], x) for n, x in zip(names, values, strict=True) if n in by_symbol]
        return [v for v, _ in pairs], [x for _, x in pairs]

    return _solve_and_load(h, t0, plan)


def route_contrib(m: pyo.ConcreteModel, gap: float) -> tuple[float, float, float]:
    """The product's route: ``solve()`` through ``pyomo.contrib.solver``'s ``highs``."""
    t0 = time.perf_counter()
    res = solve(m, gap=gap)
    return time.perf_counter() - t0, res.highs_seconds or float("nan"), res.objective


def route_contrib_stock(m: pyo.ConcreteModel, gap: float) -> tuple[float, float, float]:
    """``pyomo.contrib.solver``'s ``highs`` as it ships (no flat-row hand-off), the plan loaded back."""
    t0 = time.perf_counter()
    with gc_paused():
        res = SolverFactory("highs").solve(
            m, load_solutions=False, rel_gap=gap, solver_options={"output_flag": False, "random_seed": 0}
        )
        for v, x in res.solution_loader.get_vars().items():
            v.set_value(x, skip_validation=True)
    return time.perf_counter() - t0, res.timing_info.highs_time, res.incumbent_objective


def route_direct(inp: OptimisationInput, gap: float) -> tuple[float, float, float, float]:
    """The same model built directly in highspy: (build, solve, total, objective)."""
    t0 = time.perf_counter()
    with gc_paused():
        h = build_highs(inp)
    h.setOptionValue("mip_rel_gap", gap)
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, t2 - t0, h.getInfo().objective_function_value


def bench_routes(inp: OptimisationInput | None = None, gap: float = 0.01) -> None:
    """Build + hand-off + solve + plan loaded back, per route, medians of ``REPEATS`` (interleaved)."""
    inp = inp or national_instance(gap=gap)
    routes = {"pyomo.contrib.solver highs + flat-row hand-off (product)": route_contrib,
              "pyomo.contrib.solver highs as shipped": route_contrib_stock,
              "standard-form compiler -> highspy": route_standard_form,
              "LP writer -> file -> highspy": route_lp_file}  # fmt: skip
    rows: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    direct = []
    for _ in range(REPEATS):
        for name, route in routes.items():
            t0 = time.perf_counter()
            m = build_model(inp)
            build = time.perf_counter() - t0
            rows[name].append((build, *route(m, gap)))
        direct.append(route_direct(inp, gap))
    d_total = _median([d[2] for d in direct])
    print(f"routes (national, gap {gap:.0%}, medians of {REPEATS}; hand-off = total - HiGHS run - build):")
    d_build, d_solve = _median([d[0] for d in direct]), _median([d[1] for d in direct])
    print(f"  direct highspy build: build {d_build:.2f} s, HiGHS {d_solve:.2f} s, total {d_total:.2f} s, "
          f"objective {direct[-1][3]:,.0f}")  # fmt: skip
    for name, rs in rows.items():
        build, total, hs = (_median([r[i] for r in rs]) for i in range(3))
        print(f"  {name}: build {build:.2f} s, hand-off + load back {total - hs:.2f} s, HiGHS {hs:.2f} s, "
              f"total {build + total:.2f} s, objective {rs[-1][3]:,.0f}, ratio to direct "
              f"{(build + total) / d_total:.2f}")  # fmt: skip


END_TO_END = r"""
import json, time
from resurssimalli.optimize import optimize_input
from resurssimalli.optimize.synthetic import national_instance
inp = national_instance(gap=0.01)
optimize_input(inp)  # warm: imports and first-call caches
t0, c0 = time.perf_counter(), time.process_time()
r = optimize_input(inp)
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "objective": r.summary["objective"], "status": r.summary["status"]}))
"""


def bench_end_to_end() -> None:
    """National ``optimize_input()`` end to end, each run in its own process, old and new in turn."""
    checkouts = {"new": ROOT}
    if os.environ.get("RESURSSIMALLI_OLD"):
        checkouts["old"] = Path(os.environ["RESURSSIMALLI_OLD"]).resolve()
    res: dict[str, list[dict]] = defaultdict(list)
    for _ in range(REPEATS):
        for name, path in checkouts.items():
            env = {**os.environ, "PYTHONPATH": str(path / "src")}
            done = subprocess.run([sys.executable, "-c", END_TO_END], cwd=path, env=env, check=True,
                                  capture_output=True, text=True)  # fmt: skip
            res[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    for name, rs in res.items():
        walls = [r["wall"] for r in rs]
        print(f"national optimize_input() end to end [{name}]: median {_median(walls):.2f} s wall "
              f"(runs {', '.join(f'{w:.2f}' for w in walls)}), CPU {_median([r['cpu'] for r in rs]):.2f} s, "
              f"{rs[-1]['status']}, objective {rs[-1]['objective']:,.2f}")  # fmt: skip
    if "old" in res:
        ratios = [o["wall"] / n["wall"] for o, n in zip(res["old"], res["new"], strict=True)]
        print(f"  old / new, run by run: median {_median(ratios):.2f}")


def main(national_only: bool = False) -> None:
    if not national_only:
        bench_baseline()
        bench_tiebreak()
        bench_national()
    bench_routes()
    bench_end_to_end()


if __name__ == "__main__":
    main(national_only="national" in sys.argv[1:])
