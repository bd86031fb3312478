"""Every job seeker of June 2026: the scenario's customer states, the planning year after the data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from resurssimalli.data.jobseekers import JOBSEEKER_DIR
from resurssimalli.errors import InputError, InputErrors
from resurssimalli.optimize.workload import customer_workload
from resurssimalli.scenario import load_scenario
from resurssimalli.scenario.customers import customer_mix
from resurssimalli.scenario.demand import project
from resurssimalli.scenario.schema import OTHER_STATES
from resurssimalli.scenario.states import LAID_OFF, UNEMPLOYED, source_of, state_flows, state_stock
from resurssimalli.simulate.calendar import build_calendar

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "jobseekers_2026_06.yaml"


@pytest.fixture(scope="module")
def js():
    return load_scenario(SCENARIO)


def test_starts_with_every_job_seeker_of_june_2026(js):
    stock = state_stock(js)
    assert stock.to_numpy().sum() == pytest.approx(3979)
    assert (stock[UNEMPLOYED] + stock[LAID_OFF]).sum() == pytest.approx(2373)
    assert (stock >= 0).all().all()
    # the service lines serve the unemployed less the laid off, in the plan's mix
    assert customer_mix(js)["stock"].sum() == pytest.approx(stock[UNEMPLOYED].sum())
    assert js.config.display_name("fi") == "Työnhakijat 6/2026"


def test_the_year_planned_is_the_year_after_the_snapshot(js):
    assert js.config.horizon.start.isoformat() == "2026-07-01"
    cal = build_calendar(js.config.horizon.start, js.config.horizon.months)
    assert cal.month_labels[0] == "2026-07" and cal.month_labels[-1] == "2027-06"
    # real holidays of the year planned: Midsummer Eve 2027 is Friday 25 June, not a working day
    import datetime as dt

    day = (dt.date(2027, 6, 25) - cal.sim_start).days
    assert cal.working_days_between(day, day + 1) == 0


def test_horizon_must_follow_the_snapshot(tmp_path):
    bad = tmp_path / "late.yaml"
    bad.write_text(f"extends: {SCENARIO}\nname: late\nhorizon: {{start: 2026-08-01, months: 12}}\n")
    with pytest.raises(InputError, match="horizon.start") as e:
        load_scenario(bad)
    assert "2026-07-01" in str(e.value)


def test_unknown_month_and_foreign_file_are_named(tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(f"extends: {SCENARIO}\nname: other\ndemand: {{jobseekers: {{month: '2025-06'}}}}\n")
    with pytest.raises(InputError, match="demand.jobseekers.month"):
        load_scenario(other)
    copy = tmp_path / "snap.csv"
    shutil.copy(JOBSEEKER_DIR / "jobseekers_12r5_2026-06.csv", copy)
    text = copy.read_text(encoding="utf-8").replace(",1858,", ",1900,", 1)  # Sastamala no longer sums
    copy.write_text(text, encoding="utf-8")
    own = tmp_path / "own.yaml"
    own.write_text(
        f"extends: {SCENARIO}\nname: own\ndemand: {{jobseekers: {{month: '2026-06', file: snap.csv}}}}\n"
    )
    with pytest.raises(InputError, match=r"snap.csv: total.HAKIJALOPUSSA"):
        load_scenario(own)


def test_every_state_needs_its_service(tmp_path):
    bad = tmp_path / "unserved.yaml"
    bad.write_text(f"extends: {SCENARIO}\nname: unserved\nservice: {{states: null}}\n")
    with pytest.raises((InputError, InputErrors)):
        load_scenario(bad)


def test_states_hold_their_stock_and_bring_their_work(js, baseline):
    flows = state_flows(js)
    assert set(flows["state"]) == set(OTHER_STATES)
    # calibrated entries: a stock of n staying mean_months on average needs n * 12 / mean_months a year
    for f in flows.itertuples():
        st = js.config.service.states[f.state]
        assert f.entries_per_year == pytest.approx(f.stock * 12 / st.mean_months)
        assert f.to_unemployed_per_year + f.to_work_per_year == pytest.approx(f.entries_per_year)
    proj = project(js)
    for state in OTHER_STATES:
        rows = proj[proj["source"] == source_of(state)]
        by_month = rows.groupby("month")["stock_end"].sum()
        start = state_stock(js)[state].sum()
        assert len(by_month) == 12 and ((by_month - start).abs() <= 0.1 * max(start, 1)).all()
    work = customer_workload(js)
    state_hours = work[work["source"].str.startswith("state:")]["hours"].sum()
    assert state_hours == pytest.approx(flows["hours_per_year"].sum(), rel=1e-6)
    assert state_hours > 0


def test_baseline_adds_the_other_states_at_june_2026s_ratio(baseline):
    assert baseline.config.demand.jobseekers.use == "ratios"
    stock = state_stock(baseline)
    lm = baseline.region.labour_market
    # the plan as written: its July 2023 unemployed (laid off among them) stay the lines' customers
    assert stock[UNEMPLOYED].sum() == pytest.approx(lm.total("unemployed", "2023-07"))
    assert stock[LAID_OFF].sum() == 0
    assert customer_mix(baseline)["stock"].sum() == pytest.approx(lm.total("unemployed", "2023-07"))
    june = load_scenario(SCENARIO).jobseekers.counts
    outside = [s for s in OTHER_STATES if s != LAID_OFF]
    june_states = state_stock(load_scenario(SCENARIO))
    for m in stock.index:  # each state outside unemployment at June 2026's ratio to the unemployed
        ratio = june_states.loc[m, outside] / june.loc[m, "TYOTTOMATLOPUSSA"]
        plan = lm.value("unemployed", "2023-07", m)
        assert stock.loc[m, outside].to_numpy() == pytest.approx((ratio * plan).to_numpy())
    total = stock.to_numpy().sum()
    assert total == pytest.approx(1808 * 3979 / 2373, rel=0.02)  # about the area's ratio


def _opening(scenario, lang: str) -> str:
    import importlib
    import types

    from resurssimalli.report.texts import Texts

    summary = importlib.import_module("resurssimalli.report.memo.summary")
    return summary._data(types.SimpleNamespace(t=Texts(lang), scenario=scenario))


def test_memo_opening_names_the_snapshot(js, baseline):
    fi, en = _opening(js, "fi"), _opening(js, "en")
    assert "12r5" in fi and "kesäkuu 2026" in fi and "3\xa0979" in fi and "2\xa0373" in fi
    assert "heinäkuu 2026 – kesäkuu 2027" in fi
    assert "June 2026" in en and "3,979" in en and "July 2026 – June 2027" in en and "21 Jul 2026" in en
    plan = _opening(baseline, "en")  # the plan's unemployed, the other job seekers estimated
    assert "of whom 1,808 unemployed (the unemployed as in the plan, July 2023" in plan
    assert "estimated" in plan and "August 2023 – July 2024" in plan
    assert "arvioitu" in _opening(baseline, "fi")


def test_calibration_appendix_shows_each_states_residual(js):
    import types

    import pandas as pd

    from resurssimalli.report.calibration_appendix import STOCK_MONTH, _state_rows
    from resurssimalli.report.texts import Texts
    from resurssimalli.scenario.states import STATES

    start = state_stock(js).sum()
    rows = [
        ("stock", STOCK_MONTH, f"state:{s}", r, start[s] * f)
        for s in STATES
        for r, f in enumerate((0.95, 1.0, 1.05))
    ]
    k = pd.DataFrame(rows, columns=["kpi", "month_index", "group", "replication", "value"])
    out = _state_rows(types.SimpleNamespace(scenario=js), k, Texts("en"))
    assert len(out) == len(STATES) and out[0][2] == "–"  # the unemployed's inflow is the calibrated one
    assert [r[-1] for r in out if r[-1] != "–"] == ["0.0"] * sum(start > 0)
