"""The demand model: one rule set for the optimiser's workload and the simulation's inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from resurssimalli.optimize import workload
from resurssimalli.scenario import load_scenario
from resurssimalli.scenario.customers import indicator_table
from resurssimalli.scenario.demand import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    employer_hours_per_year,
    employer_requests_per_day,
    long_term_by_line,
    project,
)


def _load(scenario_dir, **over):
    return load_scenario(scenario_dir / "baseline.yaml", over)


def test_stock_decays_at_the_exit_hazard(scenario_dir):
    h = 0.1
    s = _load(
        scenario_dir,
        demand={"inflow_per_stock_year": 1e-9, "calibrated": False},  # the area hazard everywhere
        service={"multi_sector_after_months": 60},
        simulation={
            "exit_hazard_per_month": {"0-3": h, "3-12": h, "12+": h},
            "line_hazard_multipliers": dict.fromkeys(
                ("job_brokering", "competence_development", "multi_sector", "youth", "integration"), 1.0
            ),
        },
    )
    proj = project(s)
    proj = proj[proj["source"] == "customers"]  # the unemployed (the other job seekers' stock is held)
    start = long_term_by_line(s)["stock"].sum()
    ends = proj.groupby("month")["stock_end"].sum()
    days = np.cumsum(proj.drop_duplicates("month")["days"].to_numpy())
    expected = start * np.exp(-h * (days - 0.5) / DAYS_PER_MONTH)
    assert ends.to_numpy() == pytest.approx(expected, rel=1e-7)


def test_switching_moves_job_brokering_work_to_multi_sector(baseline, scenario_dir):
    proj = project(baseline)
    moved = proj[(proj.origin_line == "job_brokering") & (proj.service_line == "multi_sector")]
    assert (
        moved["stock_end"].iloc[-1] > 0 and moved.groupby("month")["stock_end"].sum().is_monotonic_increasing
    )
    assert (moved["hours"] > 0).any()
    never = project(_load(scenario_dir, service={"multi_sector_after_months": 60}))
    assert never[never.origin_line != never.service_line]["stock_end"].max() == pytest.approx(0.0)
    # without switching, multi-sector needs fewer hours and job brokering more
    a = workload(baseline).groupby("service_line")["hours"].sum()
    b = (
        workload(_load(scenario_dir, service={"multi_sector_after_months": 60}))
        .groupby("service_line")["hours"]
        .sum()
    )
    assert b["multi_sector"] < a["multi_sector"] and b["job_brokering"] > a["job_brokering"]


def test_inflow_follows_the_seasonality(baseline):
    proj = project(baseline)
    per_day = proj.groupby("month").apply(lambda x: x["registrations"].sum() / x["days"].iloc[0])
    season = baseline.config.demand.inflow_seasonality
    start = baseline.config.horizon.start.month
    cal = [(start - 1 + k) % 12 for k in range(len(per_day))]
    ratio = per_day.to_numpy() / np.array([season[c] for c in cal])
    assert ratio == pytest.approx(np.full(len(ratio), ratio[0]), rel=1e-9)
    total = proj[proj.month == 0].groupby("origin_line")["registrations"].sum().sum()
    assert total == pytest.approx(per_day.iloc[0] * proj[proj.month == 0]["days"].iloc[0])


def test_long_term_are_multi_sector_customers_first(baseline):
    lt = long_term_by_line(baseline)
    ind = indicator_table(baseline)
    for m, g in lt.groupby("municipality"):
        g = g.set_index("service_line")
        want = min(ind.loc[m, "long_term_unemployed"], g["stock"].sum())
        assert g["long_term"].sum() == pytest.approx(want)
        assert g.loc["multi_sector", "long_term"] == pytest.approx(min(want, g.loc["multi_sector", "stock"]))
        assert (g["long_term"] <= g["stock"] + 1e-9).all()


def test_employer_requests_carry_the_employer_hours(baseline):
    hours = employer_hours_per_year(baseline)
    rate = employer_requests_per_day(baseline)
    req_h = baseline.config.service.employer_request_hours
    assert (rate * req_h * DAYS_PER_YEAR).to_dict() == pytest.approx(hours.to_dict())
    w = workload(baseline)
    assert w[w.service_line == "employer_services"]["hours"].sum() == pytest.approx(hours.sum())


def test_peak_month_sizing_asks_more_than_the_mean(scenario_dir, baseline):
    peak = _load(scenario_dir, optimisation={"workload_sizing": "peak_month"})
    a = workload(baseline).groupby("service_line")["hours"].sum()
    b = workload(peak).groupby("service_line")["hours"].sum()
    customer = ["job_brokering", "competence_development", "multi_sector", "youth", "integration"]
    assert b[customer].sum() > a[customer].sum()
    assert not math.isclose(b[customer].sum(), a[customer].sum(), rel_tol=1e-3)
