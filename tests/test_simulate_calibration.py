"""Calibration to the plan and the M/M/c check against Erlang C (with confidence intervals)."""

from __future__ import annotations

import pytest

from resurssimalli.simulate import Allocation, erlang_c_wait, simulate, simulate_mmc
from resurssimalli.simulate.stats import t_interval

# The plan's January-July 2023 share of new spells lasting past 3 months, by municipality (%).
PLAN_PAST_3 = {
    "Hameenkyro": 45,
    "Ikaalinen": 28.5,
    "Kihnio": 50,
    "Parkano": 41.6,
    "Punkalaidun": 35,
    "Sastamala": 48.1,
}
# The plan's July 2023 job seekers: by municipality, and area-wide by group.
UNEMPLOYED_2023_07 = {
    "Hameenkyro": 439,
    "Ikaalinen": 266,
    "Kihnio": 48,
    "Parkano": 225,
    "Punkalaidun": 71,
    "Sastamala": 759,
}
GROUPS_2023_07 = {"under_30": 305, "over_50": 781, "long_term": 480, "foreign": 107}
REPLICATIONS = 16


@pytest.fixture(scope="module")
def baseline_sim(baseline):
    """The calibrated base hazard, checked without the service effect (issue 13's multiplier on top
    is checked in test_outcomes; with it the foreign group's stock is about 5 % above the plan)."""
    from resurssimalli.optimize import optimize
    from resurssimalli.scenario import load_scenario

    alloc = Allocation.from_result(optimize(baseline))
    base = load_scenario(baseline.path, {"outcomes": {"service_effect": False}})
    return simulate(base, alloc, replications=REPLICATIONS, jobs=2)


@pytest.fixture(scope="module")
def shipped_sim(baseline):
    """The baseline as shipped: the service effect (issue 13) on top of the calibrated base hazard."""
    from resurssimalli.optimize import optimize

    assert baseline.config.outcomes.service_effect
    return simulate(baseline, Allocation.from_result(optimize(baseline)), replications=REPLICATIONS, jobs=2)


def test_shipped_baseline_with_the_service_effect_stays_near_the_plan(shipped_sim):
    """The issue's tolerances on the baseline as shipped (service effect on: overdue conversations
    slow exits, so the foreign group sits a little above the fit; measured 109.9, CI 104.2-115.7
    against the plan's 107 at 16 replications)."""
    target = sum(PLAN_PAST_3[m] * UNEMPLOYED_2023_07[m] for m in PLAN_PAST_3) / 1808 / 100
    _, low, high = _past_3(shipped_sim, "all")
    assert target - 0.03 <= low and high <= target + 0.03
    for m in ("Sastamala", "Hameenkyro", "Ikaalinen", "Parkano"):
        _, low, high = _past_3(shipped_sim, m)
        assert PLAN_PAST_3[m] / 100 - 0.05 <= low and high <= PLAN_PAST_3[m] / 100 + 0.05, m
    for g, plan in GROUPS_2023_07.items():
        mean, low, high = _stock_after_a_year(shipped_sim, g)
        assert 0.9 * plan <= low and high <= 1.1 * plan, (g, mean, low, high)
    for m, plan in UNEMPLOYED_2023_07.items():
        tol = 0.2 if m in ("Kihnio", "Punkalaidun") else 0.1
        _, low, high = _stock_after_a_year(shipped_sim, m)
        assert (1 - tol) * plan <= low and high <= (1 + tol) * plan, m


def _ci(values) -> tuple[float, float, float]:
    mean, low, high, n = t_interval(values.to_numpy())
    assert n == REPLICATIONS
    return mean, low, high


def _past_3(sim, group: str) -> tuple[float, float, float]:
    k = sim.kpis
    sel = k[(k["kpi"] == "spells_past_3_months_share") & (k["group"] == group)]
    return _ci(sel.groupby("replication")["value"].mean())


def _stock_after_a_year(sim, group: str) -> tuple[float, float, float]:
    k = sim.kpis
    return _ci(k[(k["kpi"] == "stock") & (k["group"] == group) & (k["month_index"] == 11)]["value"])


def test_plan_figure_is_read_from_the_region(baseline):
    flow = baseline.region.flow_past_3_months
    assert {m: flow[("2023-01..07", m)] for m in PLAN_PAST_3} == PLAN_PAST_3


def test_share_past_3_months_matches_the_plan_area_wide(baseline_sim):
    target = sum(PLAN_PAST_3[m] * UNEMPLOYED_2023_07[m] for m in PLAN_PAST_3) / 1808 / 100  # 0.432
    mean, low, high = _past_3(baseline_sim, "all")
    assert target - 0.03 <= low and high <= target + 0.03, (target, mean, low, high)


@pytest.mark.parametrize("municipality", ["Sastamala", "Hameenkyro", "Ikaalinen", "Parkano"])
def test_share_past_3_months_matches_the_plan_by_municipality(baseline_sim, municipality):
    target = PLAN_PAST_3[municipality] / 100
    mean, low, high = _past_3(baseline_sim, municipality)
    assert target - 0.05 <= low and high <= target + 0.05, (target, mean, low, high)


@pytest.mark.parametrize("group", list(GROUPS_2023_07))
def test_stock_after_twelve_months_by_group(baseline_sim, group):
    plan = GROUPS_2023_07[group]
    mean, low, high = _stock_after_a_year(baseline_sim, group)
    assert 0.9 * plan <= low and high <= 1.1 * plan, (plan, mean, low, high)


@pytest.mark.parametrize("municipality", list(UNEMPLOYED_2023_07))
def test_stock_after_twelve_months_by_municipality(baseline_sim, municipality):
    plan = UNEMPLOYED_2023_07[municipality]
    tol = 0.2 if municipality in ("Kihnio", "Punkalaidun") else 0.1
    mean, low, high = _stock_after_a_year(baseline_sim, municipality)
    assert (1 - tol) * plan <= low and high <= (1 + tol) * plan, (plan, mean, low, high)


def test_stock_after_twelve_months_near_the_plan(baseline_sim):
    mean, low, high = _stock_after_a_year(baseline_sim, "all")
    assert low >= 0.95 * 1808 and high <= 1.05 * 1808, (mean, low, high)


def test_summary_has_confidence_intervals(baseline_sim):
    s = baseline_sim.summary
    assert list(s.columns) == ["scenario", "kpi", "group", "period", "month", "mean", "ci_low", "ci_high", "n"]
    assert set(s["period"]) == {"horizon"}
    row = s[(s["kpi"] == "staff_utilisation") & (s["group"] == "all")].iloc[0]
    assert row["ci_low"] < row["mean"] < row["ci_high"] and row["n"] == REPLICATIONS
    assert 0 < row["mean"] < 1


def test_erlang_c_known_value():
    assert erlang_c_wait(4.25, 1.0, 5) == pytest.approx(0.8726, abs=1e-4)
    with pytest.raises(ValueError):
        erlang_c_wait(5.0, 1.0, 5)


def test_mmc_mean_wait_matches_erlang_c():
    lam, mu, c = 3.0, 1.0, 4  # load 0.75, Wq = 0.509
    waits = [
        simulate_mmc(lam, mu, c, 20_000, warm_up=1_000, replication=r, root_seed=2024).mean_wait
        for r in range(12)
    ]
    mean, low, high, _ = t_interval(waits)
    theory = erlang_c_wait(lam, mu, c)
    assert low <= theory <= high, (theory, mean, low, high)
    assert abs(mean / theory - 1) < 0.05
