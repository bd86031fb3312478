"""Optimiser benchmarks: baseline build + solve; national instance build, hand-off and solve in
Pyomo against the same model built directly in highspy.

Targets (2-core machine): baseline to proven optimality < 0.5 s in process (< 3 s whole CLI);
national instance to a 1 % gap < 10 s; Pyomo total <= 1.5 x direct highspy total. The Pyomo
side is the product's path: ``build_model`` and ``solve`` (``pyomo.contrib.solver``'s ``highs``).
"""

from __future__ import annotations

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

from resurssimalli.optimize import build_input, build_model, optimize_input
from resurssimalli.optimize.gc_pause import gc_paused
from resurssimalli.optimize.inputs import OptimisationInput
from resurssimalli.optimize.model import candidate_pairs, reductions
from resurssimalli.optimize.solve import Session, solve
from resurssimalli.optimize.tiebreak import leximin_shares, settle
from resurssimalli.optimize.synthetic import national_instance
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


def main() -> None:
    bench_baseline()
    bench_tiebreak()
    bench_national()


if __name__ == "__main__":
    main()
