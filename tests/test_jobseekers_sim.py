"""The customer states in the simulation (issue 26): stocks held, and more customers never help."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from resurssimalli.scenario import load_scenario
from resurssimalli.scenario.states import STATES, UNEMPLOYED, state_stock
from resurssimalli.simulate.draws import draw_state_customers
from resurssimalli.simulate.kpis import kpi_frame
from resurssimalli.simulate.model import simulate_replication
from resurssimalli.simulate.params import build_params
from resurssimalli.simulate.streams import streams
from test_simulate_support import proportional_allocation

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "jobseekers_2026_06.yaml"


@pytest.fixture(scope="module")
def js():
    return load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def params(js):
    return build_params(js, proportional_allocation(js), months=12)


@pytest.fixture(scope="module")
def year(js, params):
    return [simulate_replication(params, r, js.seed) for r in range(2)]


def test_starts_with_the_snapshot_and_holds_each_state(js, params, year):
    start = state_stock(js).sum()
    for o in year:  # the customers registered as the run starts (fractional fills rounded at random)
        at_start = [c for c in o.customers if c.reg <= 0.0]
        assert len(at_start) == pytest.approx(3979, abs=5)
        laid_off = STATES.index("laid_off")
        assert sum(c.state in (0, laid_off) for c in at_start) == pytest.approx(2373, abs=5)
    # each state after 12 months, with no structural change: the unemployed simulated (2 replications),
    # the others as the simulation draws them (their stays are fixed at entry), over 40 replications
    last = np.mean([o.stock_state[11].sum(axis=0) for o in year], axis=0)
    assert abs(last[0] / start[UNEMPLOYED] - 1) <= 0.10
    end = params.calendar.month_start_days[-1]
    alive = []
    for r in range(40):
        c = draw_state_customers(params, streams(js.seed, r)["states"])
        alive.append(np.bincount(c.state[(c.reg <= end) & (c.exit > end)], minlength=len(STATES)))
    mean = np.mean(alive, axis=0)
    for s, state in enumerate(STATES[1:], start=1):
        if start[state] >= 10:
            assert abs(mean[s] / start[state] - 1) <= 0.10, state
        else:
            assert abs(mean[s] - start[state]) <= 3, state
    # the simulation's month-end count is the draws' count alive
    c = draw_state_customers(params, streams(js.seed, 0)["states"])
    alive0 = np.bincount(c.state[(c.reg <= end) & (c.exit > end)], minlength=len(STATES))[1:]
    assert year[0].stock_state[11].sum(axis=0)[1:].tolist() == alive0.tolist()


SERVICE = {  # KPI -> +1 if higher is better
    "initial_interview_on_time_share": 1,
    "conversations_on_time_share": 1,
    "overdue_conversations": -1,
    "caseload_per_coach": -1,
    "staff_utilisation": -1,
    "demand_to_capacity": -1,
    "initial_interview_wait_days_mean": -1,
}


def _year_means(p, out, r) -> dict[str, float]:
    k = kpi_frame(p, out, r)
    k = k[(k["group"] == "all") & k["kpi"].isin(SERVICE)]
    return k.groupby("kpi")["value"].mean().to_dict()


def test_more_customers_never_improve_a_service_kpi(js, params, year):
    without = dataclasses.replace(params, states=None)
    for r, out in enumerate(year):
        base = simulate_replication(without, r, js.seed)
        assert base.stock_state.shape[2] == 1 and out.stock_state.shape[2] == len(STATES)
        # the same unemployed customers start (common random numbers)
        assert out.stock_state[0, :, 0].sum() == pytest.approx(base.stock_state[0, :, 0].sum(), abs=25)
        a, b = _year_means(params, out, r), _year_means(without, base, r)
        assert set(a) == set(SERVICE)
        for kpi, better in SERVICE.items():
            assert better * (a[kpi] - b[kpi]) <= 1e-9, (kpi, a[kpi], b[kpi])


def test_kpis_by_state(params, year):
    k = kpi_frame(params, year[0], 0)
    for kpi in ("stock", "conversations_on_time_share"):
        groups = set(k[k["kpi"] == kpi]["group"])
        assert {f"state:{x}" for x in STATES} <= groups, kpi
    conv = k[(k["kpi"] == "conversations_on_time_share") & k["group"].str.startswith("state:")]["value"].dropna()
    assert len(conv) and conv.between(0, 1).all()
    # the conversations judged by state add up to those judged by line
    assert year[0].conv_due_state.sum() == year[0].conv_due_line.sum()


def test_a_cadence_longer_than_the_default_margin_is_simulated(js):
    """A state met every 9 months books, on the horizon's last days, a meeting ~274 days ahead: the
    calendar reaches that far (its margin follows the longest cadence), so the run completes — the
    sensitivity screening varies cadences this far (it failed with an IndexError before)."""
    from resurssimalli.scenario import parse_set
    from resurssimalli.simulate.calendar import MARGIN_DAYS
    from resurssimalli.simulate.params import booking_margin_days

    s = load_scenario(SCENARIO, parse_set(["service.states.other_services.interval_months=9"]))
    assert booking_margin_days(s) > 9 * 30.4 > MARGIN_DAYS
    p = build_params(s, proportional_allocation(s), months=12)
    out = simulate_replication(p, 0, s.seed)
    k = kpi_frame(p, out, 0)
    assert k["value"].notna().any()
