"""Simulation mechanics: extreme values, determinism, paired scenarios, Little's law, calendar."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from resurssimalli.scenario import load_scenario, parse_set
from resurssimalli.scenario.schema import KPI_NAMES
from resurssimalli.simulate import run_replication, simulate
from resurssimalli.simulate.calendar import build_calendar
from resurssimalli.simulate.kpis import COLUMNS, customer_table, kpi_frame
from resurssimalli.simulate.model import simulate_replication
from resurssimalli.simulate.params import build_params
from resurssimalli.simulate.stats import t_interval
from test_simulate_support import proportional_allocation

SEED = 11


UNEMPLOYED_ONLY = "demand.jobseekers=null"  # the plan's unemployed without the other job seekers (issue 26)


def _load(scenario_dir, name: str = "baseline.yaml", *sets: str):
    return load_scenario(scenario_dir / name, parse_set(list(sets)))


def _series(df: pd.DataFrame, kpi: str, group: str = "all") -> pd.Series:
    return df[(df["kpi"] == kpi) & (df["group"] == group)].set_index("month_index")["value"].sort_index()


@pytest.fixture(scope="module")
def base_alloc(baseline):
    return proportional_allocation(baseline)


@pytest.fixture(scope="module")
def base_run(baseline, base_alloc):
    return run_replication(baseline, base_alloc, 0, SEED)


def test_replication_table_shape(base_run, baseline):
    assert list(base_run.columns) == COLUMNS
    assert set(base_run["month_index"]) == set(range(baseline.config.horizon.months))
    assert sorted(set(base_run["month"]))[:2] == ["2023-08", "2023-09"]  # calendar months, YYYY-MM
    assert set(base_run["kpi"]) >= set(KPI_NAMES)
    stock = base_run[(base_run["kpi"] == "stock") & (base_run["month_index"] == 0)].set_index("group")[
        "value"
    ]
    munis = list(baseline.region.municipalities)
    assert stock[munis].sum() == stock["all"]  # municipalities add up to the total


def test_same_seed_same_result_and_other_seed_differs(baseline, base_alloc, base_run):
    again = run_replication(baseline, base_alloc, 0, SEED)
    pd.testing.assert_frame_equal(base_run, again)
    other = run_replication(baseline, base_alloc, 1, SEED)
    assert not _series(other, "stock").equals(_series(base_run, "stock"))


def test_jobs_do_not_change_results(baseline, base_alloc):
    one = simulate(baseline, base_alloc, replications=3, seed=SEED, jobs=1, months=4)
    two = simulate(baseline, base_alloc, replications=3, seed=SEED, jobs=2, months=4)
    pd.testing.assert_frame_equal(one.kpis, two.kpis)
    pd.testing.assert_frame_equal(one.summary, two.summary)
    assert sorted(one.kpis["replication"].unique()) == [0, 1, 2]


def test_zero_inflow_drains_the_stock(scenario_dir, base_alloc):
    s = _load(scenario_dir, "baseline.yaml", "demand.inflow_multiplier=1e-9")
    stock = _series(run_replication(s, base_alloc, 0, SEED), "stock")
    assert (np.diff(stock.to_numpy()) <= 0).all()  # nobody arrives, so it never rises
    assert stock.iloc[-1] < 0.5 * stock.iloc[0]


def test_unlimited_staff_gives_no_waiting(baseline):
    alloc = proportional_allocation(baseline, scale=20)
    # the scenario says the plan's own total (a lower total would leave posts vacant)
    staffed = load_scenario(baseline.path, {"staff": {"total_htv": float(alloc.allocation["htv"].sum())}})
    df = run_replication(staffed, alloc, 0, SEED)
    assert (_series(df, "initial_interview_on_time_share") == 1.0).all()
    assert _series(df, "initial_interview_wait_days_p90").max() <= 1.0  # seen the next working day at most
    assert (_series(df, "overdue_conversations") == 0).all()


def test_all_staff_absent_misses_every_deadline(scenario_dir, base_alloc):
    # the unemployed only: the other job seekers (issue 26) meet at longer intervals
    s = _load(scenario_dir, "baseline.yaml", "staff.absence.other_share=1", UNEMPLOYED_ONLY)
    df = run_replication(s, base_alloc, 0, SEED)
    on_time = _series(df, "initial_interview_on_time_share")
    assert on_time.notna().all() and (on_time == 0).all()
    waits = _series(df, "initial_interview_wait_days_mean")
    assert waits.iloc[:-1].isna().all()  # no interview is ever held
    assert waits.iloc[-1] > 20  # ... and the last month counts everyone still waiting (censored)
    # after one later-phase interval (3 months) every customer with a coach is overdue
    params = build_params(s, base_alloc)
    line_htv = sum(
        f for f, line in zip(params.coach_fte, params.coach_line, strict=True) if line != "employer_services"
    )
    with_coach = (_series(df, "caseload_per_coach") * line_htv).round()
    overdue = _series(df, "overdue_conversations")
    assert (overdue.loc[4:] == with_coach.loc[4:]).all() and overdue.loc[4:].min() > 0


def test_closure_raises_only_its_own_area_at_first(scenario_dir, baseline, base_alloc):
    closure = _load(scenario_dir, "plant_closure.yaml")
    base = run_replication(baseline, base_alloc, 0, SEED)
    shock = run_replication(closure, base_alloc, 0, SEED)
    month = 5  # January 2024: the mill closes on 15 January

    def at(df, kpi, group):
        return float(_series(df, kpi, group).loc[month])

    assert at(shock, "stock", "Hameenkyro") >= at(base, "stock", "Hameenkyro") + 80
    for m in ("Sastamala", "Punkalaidun", "Ikaalinen", "Parkano", "Kihnio"):
        assert at(shock, "stock", m) == at(base, "stock", m)  # common random numbers: paired exactly
    assert at(shock, "staff_utilisation", "area:Hameenkyro") > at(
        base, "staff_utilisation", "area:Hameenkyro"
    )
    for area in ("Sastamala-Punkalaidun", "Ikaalinen", "Parkano-Kihnio"):
        assert at(shock, "staff_utilisation", f"area:{area}") == at(base, "staff_utilisation", f"area:{area}")
    # before the closure nothing differs anywhere
    before = base["month_index"] < month
    pd.testing.assert_frame_equal(
        base[before].reset_index(drop=True),
        shock[shock["month_index"] < month].assign(scenario="baseline").reset_index(drop=True),
    )


def test_more_inflow_keeps_the_baseline_customers(scenario_dir, baseline, base_alloc):
    """Thinning from one envelope: a recession's registrations include all of the baseline's."""
    baseline = _load(scenario_dir, "baseline.yaml", UNEMPLOYED_ONLY)  # the registrations (issue 26)
    rec = _load(scenario_dir, "baseline.yaml", "demand.inflow_multiplier=1.25", UNEMPLOYED_ONLY)
    pb, pr = build_params(baseline, base_alloc), build_params(rec, base_alloc)
    cb = customer_table(pb, simulate_replication(pb, 0, SEED))
    cr = customer_table(pr, simulate_replication(pr, 0, SEED))
    new_b = set(cb.loc[cb["source"] == "inflow", "registered"].round(9))
    new_r = set(cr.loc[cr["source"] == "inflow", "registered"].round(9))
    assert new_b < new_r
    assert 1.15 < len(new_r) / len(new_b) < 1.35


def test_littles_law_on_the_baseline(scenario_dir, base_alloc):
    """L = λW in the (periodic) steady state: after a three-year warm-up, the mean month-end stock
    over two years against the arrival rate × the mean spell of those who arrived in them.
    Without the service effect: with it, spells still open at the end carry a projected exit
    (the current multiplier held), so W of the last arrivals is not an observed sojourn."""
    s = _load(
        scenario_dir, "baseline.yaml", "simulation.warm_up_days=1096", "outcomes.service_effect=false",
        UNEMPLOYED_ONLY,  # the unemployed's spells (the other job seekers' stays are their own)
    )
    p = build_params(s, base_alloc, months=24)
    t0, t1 = p.calendar.month_start_days[0], p.calendar.month_start_days[24]
    diffs = []
    for rep in range(6):
        out = simulate_replication(p, rep, SEED)
        stock = _series(kpi_frame(p, out, rep), "stock")
        big_l = stock.mean()
        ct = customer_table(p, out)
        arrived = (ct["registered"] >= t0) & (ct["registered"] < t1)
        lam = arrived.sum() / (t1 - t0)
        w = (ct.loc[arrived, "exit"] - ct.loc[arrived, "registered"]).mean()
        diffs.append(lam * w / big_l - 1)
    mean, low, high, _ = t_interval(diffs)
    assert low <= 0 <= high, (mean, low, high)
    assert abs(mean) < 0.03


def test_calendar_counts_finnish_working_days():
    cal = build_calendar(dt.date(2023, 12, 1), 2)
    day = (dt.date(2023, 12, 5) - cal.sim_start).days  # Tuesday before Independence Day (Wed 6.12.)
    # 5 working days after Tue 5.12.2023: Thu 7, Fri 8, Mon 11, Tue 12, Wed 13
    assert cal.date(cal.add_working_days(day, 5)) == dt.date(2023, 12, 13)
    xmas = (dt.date(2023, 12, 22) - cal.sim_start).days  # Friday; 25-26.12. are holidays
    assert cal.date(cal.add_working_days(xmas, 1)) == dt.date(2023, 12, 27)
    assert cal.working_days_between(day, day + 8) == 5


def test_warm_up_shifts_the_start(scenario_dir, base_alloc):
    s = _load(scenario_dir, "baseline.yaml", "simulation.warm_up_days=61")
    res = simulate(s, base_alloc, replications=2, seed=SEED, months=2)
    assert res.params.calendar.sim_start == dt.date(2023, 6, 1)
    assert set(res.kpis["month_index"]) == {0, 1}
    assert set(res.kpis["month"]) == {"2023-08", "2023-09"}
    assert "61 days" in res.manifest()["warm_up"]


def test_replication_leaves_no_reference_cycles(baseline, base_alloc):
    """``run_params`` pauses the cyclic collector over a replication; that is safe only because a
    replication's objects (customers, queue entries, the office) are freed by reference counting
    when dropped. A cycle through the office would keep all of them until a collection."""
    import gc

    p = build_params(baseline, base_alloc, 3)
    gc.collect()
    gc.disable()
    try:
        simulate_replication(p, 0, SEED)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        kinds = {type(o).__name__ for o in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert not kinds & {"Customer", "Office", "ExitClock", "ConversationEntry", "InterviewEntry"}, kinds


@pytest.mark.parametrize("dtype", [np.int64, float])
def test_quantile_by_gives_numpy_quantile_bits(dtype):
    """The KPI table's 90th-percentile waits are computed for every month × group at once; each
    must be exactly ``np.quantile`` of that group's values (groups of 0, 1, 2, ... values)."""
    from resurssimalli.simulate.kpis import quantile_by

    rng = np.random.default_rng(5)
    keys = rng.integers(0, 40, 900)
    values = (rng.integers(0, 60, 900) if dtype is np.int64 else rng.gamma(2.0, 7.3, 900)).astype(dtype)
    for q in (0.9, 0.5, 0.25, *rng.random(12)):
        got = quantile_by(keys, values, 45, q)
        want = [np.quantile(values[keys == j], q) if (keys == j).any() else np.nan for j in range(45)]
        assert np.array_equal(got, np.array(want), equal_nan=True)
        assert np.isnan(got[40:]).all()
    single = quantile_by(np.array([0, 2, 2]), np.array([7, 1, 4]), 3, 0.9)
    assert np.array_equal(single, [7.0, np.nan, np.quantile([1, 4], 0.9)], equal_nan=True)
