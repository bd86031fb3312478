"""Service changes outcomes (issue 13): exits that respond to service, outcome KPIs, paired tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import simpy
from scipy import stats

from memo_tables import memo_table
from resurssimalli.optimize import optimize
from resurssimalli.scenario import load_scenario
from resurssimalli.scenario.demand import DAYS_PER_MONTH
from resurssimalli.simulate import Allocation, simulate
from resurssimalli.simulate.draws import base_rates, draw_arrivals, draw_stock
from resurssimalli.simulate.exit_effect import build_exit_effect
from resurssimalli.simulate.exits import ExitClock
from resurssimalli.simulate.model import Columns, Customer, simulate_replication
from resurssimalli.simulate.outcome_kpis import municipal_cost
from resurssimalli.simulate.params import build_params
from resurssimalli.simulate.streams import child_generators, streams
from test_simulate_support import proportional_allocation

SEED = 20230801
ZERO = {"interview_on_time": {"low": 0.0, "central": 0.0}, "travel_time": {"low": 0.0, "central": 0.0}}


def _scenario(scenario_dir, **outcomes):
    return load_scenario(scenario_dir / "baseline.yaml", {"outcomes": outcomes} if outcomes else None)


def _sorted(k: pd.DataFrame) -> pd.DataFrame:
    return k.sort_values(["replication", "month", "kpi", "group"]).reset_index(drop=True)


def test_effect_off_is_the_model_without_the_effect(scenario_dir, baseline):
    """``service_effect: false`` keeps the exit drawn at registration; the exit clock with a
    multiplier of 1 reproduces it exactly (same KPIs, same exit times)."""
    alloc = proportional_allocation(baseline)
    off = _scenario(scenario_dir, service_effect=False)
    unit = _scenario(scenario_dir, service_effect=True, **ZERO)
    p_off, p_unit = build_params(off, alloc), build_params(unit, alloc)
    out_off = simulate_replication(p_off, 0, SEED)
    rs = streams(SEED, 0)
    stock = draw_stock(p_off, rs["stock"], rs["stock_schedule"], child_generators(rs["attributes"], 3)[0])
    drawn = {i: stock.exit[i] for i in range(len(stock))}
    assert all(c.exit == drawn[c.id] for c in out_off.customers if c.source == 0 and c.state == 0)
    out_unit = simulate_replication(p_unit, 0, SEED)
    e_off = np.array([c.exit for c in out_off.customers])
    e_unit = np.array([c.exit for c in out_unit.customers])
    assert len(e_off) == len(e_unit) and np.allclose(e_off, e_unit, rtol=0, atol=1e-6)
    k_off = simulate(off, alloc, replications=2, seed=SEED, months=6).kpis
    k_unit = simulate(unit, alloc, replications=2, seed=SEED, months=6).kpis
    pd.testing.assert_frame_equal(
        _sorted(k_off).drop(columns="scenario"), _sorted(k_unit).drop(columns="scenario")
    )
    # and the effect sizes do not matter when the effect is off
    big = _scenario(scenario_dir, service_effect=False, interview_on_time={"central": 0.06, "high": 0.07})
    k_big = simulate(big, alloc, replications=2, seed=SEED, months=6).kpis
    pd.testing.assert_frame_equal(_sorted(k_off), _sorted(k_big))


def _plan(scenario_dir, htv: float) -> tuple:
    s = load_scenario(scenario_dir / "baseline.yaml", {"staff": {"total_htv": htv}})
    return s, Allocation.from_result(optimize(s))


@pytest.fixture(scope="module")
def plans(scenario_dir):
    return {htv: _plan(scenario_dir, htv) for htv in (20.0, 32.66)}


def _year(s, alloc, reps: int = 10, months: int = 12) -> pd.DataFrame:
    """Per replication: the run's unemployment days and municipal benefit cost, the last month-end stock."""
    k = simulate(s, alloc, replications=reps, seed=SEED, months=months).kpis
    k = k[k["group"] == "all"]
    total = k[k["kpi"].isin(["unemployment_days", "benefit_cost_municipal_eur"])]
    out = total.groupby(["replication", "kpi"])["value"].sum().unstack()
    out["stock_12"] = k[(k["kpi"] == "stock") & (k["month_index"] == months - 1)].set_index("replication")[
        "value"
    ]
    return out


def test_fewer_htv_means_more_unemployment_and_cost(plans):
    """Re-optimised plans at 20 and 32.66 HTV, same seeds: at 20 HTV interviews run late, so
    spells last longer: the stock after 12 months, unemployment days and the municipalities'
    benefit share are all higher (paired t > 2)."""
    low, full = _year(*plans[20.0]), _year(*plans[32.66])
    for col in ("stock_12", "unemployment_days", "benefit_cost_municipal_eur"):
        d = low[col] - full[col]
        assert d.mean() > 0 and stats.ttest_1samp(d, 0.0).statistic > 2, (col, d.describe())


def test_interview_elasticity_in_a_controlled_experiment(baseline):
    """Only the on-time probability moves (85 % → 95 %): the monthly exit hazard of new customers
    rises by the configured 3.1 % (± 0.5 %), measured as exits per person-month."""
    p = build_params(baseline, proportional_allocation(baseline))
    cohort = draw_arrivals(p, np.random.default_rng(5), np.random.default_rng(7))
    n = 40_000
    rng = np.random.default_rng(6)
    idx = rng.integers(0, len(cohort), n)
    rate = base_rates(p, cohort.muni[idx], cohort.line[idx])
    e, u = rng.standard_exponential(n), rng.random(n)
    cols = Columns(cohort, p)
    h = [_monthly_hazard(baseline, cols, idx, rate, e, u < share) for share in (0.85, 0.95)]
    assert h[1] / h[0] - 1 == pytest.approx(0.031, abs=0.005)


def _monthly_hazard(
    scenario, cols: Columns, idx: np.ndarray, rate: np.ndarray, e: np.ndarray, on_time: np.ndarray
) -> float:
    env = simpy.Environment()
    effect = build_exit_effect(scenario.config.outcomes)
    gone: list[float] = []

    def leave(c):
        c.gone = True
        gone.append(env.now)

    clock = ExitClock(env, effect, DAYS_PER_MONTH, leave)
    for i in range(len(e)):  # remote customers: no travel effect, only timeliness differs
        c = Customer(i, cols, int(idx[i]), 0, -1)  # a real Customer: the compiled clock takes no other
        c.reg, c.e, c.rate, c.remote, c.minutes = 0.0, float(e[i]), tuple(map(float, rate[i])), True, 0.0
        clock.start(c)
        clock.set_overdue(c, not on_time[i])
    env.run(until=DAYS_PER_MONTH)
    t = np.array(gone) / DAYS_PER_MONTH
    exposure = t.sum() + (len(e) - len(t)) * 1.0
    return len(t) / exposure


def test_outcomes_are_monotone_in_the_effect_size(scenario_dir, plans):
    """What 12.66 HTV buy (20 vs 32.66 HTV, same seeds) grows with the effect size: low < central < high."""
    gains = []
    for size in ("low", "central", "high"):
        runs = []
        for htv in (20.0, 32.66):
            s = load_scenario(
                scenario_dir / "baseline.yaml",
                {"staff": {"total_htv": htv}, "outcomes": {"effect_size": size}},
            )
            runs.append(_year(s, plans[htv][1], reps=4, months=6))
        gains.append((runs[0] - runs[1]).mean())
    for col in ("unemployment_days", "benefit_cost_municipal_eur"):
        assert gains[0][col] < gains[1][col] < gains[2][col], [g[col] for g in gains]


def test_municipal_cost_by_band(baseline):
    """One spell by hand: 300 calendar days from registration, 5 paid days a week: paid days
    1-214; the municipality pays 10 % of days 101-200 and 20 % of days 201-214."""
    b = baseline.config.outcomes.benefit
    reg = np.array([0.0])
    cost = municipal_cost(b, reg, reg, np.array([300.0]), 0.0, 1000.0)
    per_day = b.daily_amount_eur * b.recipient_share
    paid = 300 * 5 / 7
    expected = per_day * (0.10 * 100 + 0.20 * (paid - 200))
    assert cost[0] == pytest.approx(expected, rel=1e-9)
    # a window that ends before the first band costs nothing
    assert municipal_cost(b, reg, reg, np.array([300.0]), 0.0, 100.0)[0] == 0.0


def test_what_it_buys_api(baseline, plans):
    """The board's questions as an API: +1/-1 HTV in an area and an office closed, paired with
    the plan; the plan against itself changes nothing; caseloads outside the studies are named."""
    from resurssimalli.experiment.outcomes import (
        caseload_outside_studies,
        change_htv,
        paired_change,
        standard_variants,
        what_it_buys,
    )

    alloc = plans[32.66][1]
    more = change_htv(alloc, "Ikaalinen", 1.0)
    assert more.allocation["htv"].sum() == pytest.approx(alloc.allocation["htv"].sum() + 1.0)
    variants = standard_variants(baseline, alloc, "Ikaalinen", site="Kyroskoski_office")
    closed = variants["close Kyroskoski_office"][1].sites.set_index("site")["open"]
    assert not bool(closed["Kyroskoski_office"])
    table = what_it_buys(baseline, alloc, variants, replications=2, bands=("central",))
    assert set(table["variant"]) == set(variants) and set(table["kpi"]) == {
        "unemployment_days",
        "benefit_cost_municipal_eur",
    }
    sim = simulate(baseline, alloc, replications=2, seed=SEED, months=3)
    same = paired_change(sim.kpis, sim.kpis)
    assert (same["mean"] == 0).all()
    flagged = caseload_outside_studies(sim.summary, baseline)
    lo, hi = baseline.config.outcomes.caseload_studied
    assert ((flagged["mean"] < lo) | (flagged["mean"] > hi)).all() and len(flagged) > 0


def test_memo_yearly_totals_scale_a_short_run_to_a_year():
    """The memo's yearly figures: the run's months summed and scaled to twelve."""
    from resurssimalli.report.outcomes_section import yearly

    rows = [
        ("s", r, f"2023-{m + 8:02d}", m, kpi, g, v)
        for r in (0, 1)
        for m in range(6)
        for kpi, v in (("unemployment_days", 100.0 + r), ("benefit_cost_municipal_eur", 10.0))
        for g in ("all", "Sastamala")
    ]
    k = pd.DataFrame(rows, columns=["scenario", "replication", "month", "month_index", "kpi", "group", "value"])
    y = yearly(k)
    assert y.loc[("s", 0), "unemployment_days"] == pytest.approx(1200.0)
    assert y.loc[("s", 1), "unemployment_days"] == pytest.approx(1212.0)
    assert y.loc[("s", 0), "benefit_cost_municipal_eur"] == pytest.approx(120.0)


# --- run --what-if: the memo answers "one HTV more / fewer here, this office closed" -----------


def test_what_if_unknown_place_is_refused_before_any_work(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    out = tmp_path / "run"
    res = subprocess.run(
        [sys.executable, "-m", "resurssimalli.cli", "run", "scenarios/baseline.yaml", "--what-if", "Ikaalinen",
         "--what-if", "Tampere", "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert res.returncode == 2 and "--what-if" in res.stderr and "Tampere" in res.stderr
    assert "Traceback" not in res.stderr and not out.exists()


def test_what_if_accepts_display_names(baseline):
    from resurssimalli.experiment.outcomes import check_closable, resolve_place

    assert resolve_place(baseline, "Hämeenkyrö") == ("area", "Hameenkyro")
    assert resolve_place(baseline, "kyröskoski OFFICE") == ("site", "Kyroskoski_office")
    assert resolve_place(baseline, "Parkanon toimipiste") == ("site", "Parkano_office")
    check_closable(baseline, "Kyroskoski_office")
    with pytest.raises(ValueError, match="presence_required"):
        check_closable(baseline, "Parkano_office")  # the only office or service point in Parkano


@pytest.fixture(scope="module")
def what_if_run(tmp_path_factory, baseline):
    from resurssimalli.pipeline import run_pipeline

    out = tmp_path_factory.mktemp("wi") / "run"
    return run_pipeline(
        baseline, out, replications=3, months=3, jobs=1, pareto=None, what_if=[("area", "Ikaalinen")]
    )


def test_what_if_csv_and_memo_table(what_if_run):
    from resurssimalli.report import write_report
    from resurssimalli.report.texts import Texts

    folder = what_if_run.folder
    t = pd.read_csv(folder / "what_if.csv")
    whole = t[t["group"] == "all"]
    assert set(whole["change"]) == {"plus_htv", "minus_htv"} and set(whole["place"]) == {"Ikaalinen"}
    assert set(whole["effect_size"]) == {"low", "central", "high"} and (whole["n"] == 3).all()
    # one HTV fewer does not cut unemployment beyond noise (its CI does not lie below zero)
    minus = whole[(whole["change"] == "minus_htv") & (whole["kpi"] == "unemployment_days")]
    assert (minus["ci_high"] >= 0).all()
    plus = whole[(whole["change"] == "plus_htv") & (whole["kpi"] == "unemployment_days")]
    assert (plus["ci_low"] <= 0).all()  # and one HTV more does not add unemployment beyond noise
    for lang, plus, minus_label in (("fi", "Ikaalinen: +1 HTV", "Ikaalinen: −1 HTV"),
                                    ("en", "Ikaalinen: +1 HTV", "Ikaalinen: −1 HTV")):  # fmt: skip
        if lang == "en":
            write_report(folder, lang="en")
        memo = (folder / ("memo.md" if lang == "fi" else "memo.en.md")).read_text(encoding="utf-8")
        rows = {r[0]: r for r in memo_table(memo, "what_if")}
        assert set(rows) == {plus, minus_label}
        tx = Texts(lang)
        central = whole[(whole["effect_size"] == "central") & (whole["change"] == "minus_htv")].set_index("kpi")
        days = central.loc["unemployment_days", "mean"]
        assert rows[minus_label][1].startswith(("+" if days > 0.5 else "") + tx.num(days))
        eur = central.loc["benefit_cost_municipal_eur", "mean"]
        assert rows[minus_label][3].startswith(("+" if eur > 0.5 else "") + tx.num(eur))
        assert "--what-if" not in memo.split("<!-- table: what_if -->")[1][:200]


def test_without_what_if_the_memo_says_how_to_ask(tmp_path, baseline):
    from resurssimalli.pipeline import run_pipeline

    done = run_pipeline(baseline, tmp_path / "r", replications=2, months=1, jobs=1, pareto=None)
    memo = (done.folder / "memo.md").read_text(encoding="utf-8")
    assert "<!-- table: what_if -->" not in memo
    assert "resurssimalli run scenarios/baseline.yaml --what-if 'Hämeenkyrön toimipiste'" in memo
    assert "<!-- table: htv_value -->" in memo  # what one HTV buys per area: computed by default


def test_outcomes_command_takes_names_and_refuses_a_site_as_area():
    import subprocess
    import sys

    from conftest import ROOT

    res = subprocess.run(
        [sys.executable, "-m", "resurssimalli.cli", "outcomes", "scenarios/baseline.yaml", "--area", "Parkano office"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert res.returncode == 2 and "--area" in res.stderr and "Parkano + Kihniö" in res.stderr


def test_a_what_if_row_against_the_evidence_is_flagged(baseline):
    from resurssimalli.report.names import Names
    from resurssimalli.report.outcomes_section import wrong_way
    from resurssimalli.report.texts import Texts

    rows = [
        ("Ikaalinen +1 HTV", "plus_htv", "Ikaalinen", "central", "unemployment_days", "all", 295.0, 224.0, 366.0, 20),
        ("Ikaalinen -1 HTV", "minus_htv", "Ikaalinen", "central", "unemployment_days", "all", 3028.0, 2641.0, 3414.0, 20),
        ("Hameenkyro +1 HTV", "plus_htv", "Hameenkyro", "central", "unemployment_days", "all", -50.0, -120.0, 20.0, 20),
        ("Hameenkyro -1 HTV", "minus_htv", "Hameenkyro", "central", "unemployment_days", "all", -90.0, -150.0, -30.0, 20),
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=["variant", "change", "place", "effect_size", "kpi", "group", "mean",
                                        "ci_low", "ci_high", "n"])  # fmt: skip
    for lang in ("fi", "en"):
        out = wrong_way(table, Names(baseline.region, Texts(lang)))
        assert len(out) == 2 and "Ikaalinen: +1 HTV" in out[0] and "Hämeenkyrö: −1 HTV" in out[1]


def test_the_caseload_caution_is_one_line_naming_each_caseload(what_if_run, baseline):
    memo = (what_if_run.folder / "memo.md").read_text(encoding="utf-8")
    section = memo.split("Mitä palvelu tuottaa")[-1]  # the outcomes appendix (the risks repeat it)
    lines = [ln for ln in section.splitlines() if ln.startswith("- Varovaisuutta: asiakkaita valmentajaa kohden")]
    lo, hi = baseline.config.outcomes.caseload_studied
    k = what_if_run.kpis
    c = k[(k["scenario"] == baseline.name) & (k["kpi"] == "caseload_per_coach")].groupby("group")["value"].mean()
    outside = c[(c < lo) | (c > hi)]
    assert len(lines) == (1 if len(outside) else 0)
    if len(outside):
        assert lines[0].count("(") == len(outside) and "(koko alue)" in lines[0] or "all" not in outside.index


def test_one_htv_more_is_one_more_post_not_a_vacancy_everywhere(baseline):
    """The +1 HTV variant raises the budget with the plan; left at 32.66 the simulation would
    leave 1/33.66 of every post vacant (one HTV moved from everyone to the area)."""
    from resurssimalli.experiment.outcomes import change_htv, what_if_variants
    from resurssimalli.simulate.staffing import staffed_for_plan

    alloc = proportional_allocation(baseline)
    variants = what_if_variants(baseline, alloc, [("area", "Ikaalinen")])
    for s, a in ((v.scenario, v.allocation) for v in variants.values()):
        assert s.config.staff.total_htv == pytest.approx(a.allocation["htv"].sum())
        assert staffed_for_plan(s, a).config.staff.shortages == s.config.staff.shortages  # no vacancy added
    plus = change_htv(alloc, "Ikaalinen", 1.0)
    assert staffed_for_plan(baseline, plus).config.staff.shortages != baseline.config.staff.shortages
