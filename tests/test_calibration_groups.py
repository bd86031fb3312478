"""The plan's customer groups as customer attributes, and the stock KPI by those groups."""

from __future__ import annotations

import numpy as np
import pytest

from resurssimalli.scenario.customers import indicator_table
from resurssimalli.simulate import run_replication
from resurssimalli.simulate.attributes import STOCK_GROUPS, _line_stock, attribute_probabilities
from resurssimalli.simulate.draws import draw_stock
from resurssimalli.simulate.params import LINE_INDEX, build_params
from resurssimalli.simulate.streams import child_generators, streams
from test_simulate_support import proportional_allocation

PLAN_COLUMN = {
    "under_30": "unemployed_under_30",
    "over_50": "unemployed_over_50",
    "partially_able": "partially_able_to_work",
    "foreign": "foreign_nationals",
}


@pytest.fixture(scope="module")
def params(baseline):
    return build_params(baseline, proportional_allocation(baseline))


def test_attribute_probabilities_give_the_plans_counts(baseline):
    munis = tuple(sorted(baseline.region.municipalities))
    probs = attribute_probabilities(baseline, munis)
    stock = _line_stock(baseline, munis)
    age = np.diff(probs["age_cum"], axis=2, prepend=0.0)
    expected = {
        "under_30": (stock * age[:, :, 0]).sum(axis=1),
        "over_50": (stock * age[:, :, 2]).sum(axis=1),
        "partially_able": (stock * probs["partially_able"]).sum(axis=1),
        "foreign": (stock * probs["foreign"]).sum(axis=1),
    }
    plan = indicator_table(baseline).loc[list(munis)]
    for g, col in PLAN_COLUMN.items():
        assert expected[g] == pytest.approx(plan[col].to_numpy(dtype=float), abs=1e-6), g
    assert (probs["age_cum"][:, :, -1] == pytest.approx(1.0)) and (age >= -1e-12).all()


def test_drawn_stock_matches_the_plans_groups(params, baseline):
    counts = {g: np.zeros(len(params.municipalities)) for g in PLAN_COLUMN}
    n = 8
    for rep in range(n):
        rs = streams(5, rep)
        c = draw_stock(params, rs["stock"], rs["stock_schedule"], child_generators(rs["attributes"], 3)[0])
        for m in range(len(params.municipalities)):
            sel = c.muni == m
            counts["under_30"][m] += (c.age[sel] == 0).sum() / n
            counts["over_50"][m] += (c.age[sel] == 2).sum() / n
            counts["partially_able"][m] += c.partially_able[sel].sum() / n
            counts["foreign"][m] += c.foreign[sel].sum() / n
    plan = indicator_table(baseline).loc[list(params.municipalities)]
    for g, col in PLAN_COLUMN.items():
        assert counts[g].sum() == pytest.approx(plan[col].sum(), rel=0.05), g
    assert c.foreign[c.line == LINE_INDEX["integration"]].all()  # integration phase: foreign nationals
    assert (c.age[c.line == LINE_INDEX["youth"]] == 0).all()  # youth coaching: under 30


def test_stock_kpi_by_the_plans_groups(baseline):
    k = run_replication(baseline, proportional_allocation(baseline), 0, 3)
    st = k[k["kpi"] == "stock"].set_index(["month_index", "group"])["value"]
    munis = sorted(baseline.region.municipalities)
    for month in (0, 11):
        for g in STOCK_GROUPS:
            per_muni = sum(st[(month, f"{g}:{m}")] for m in munis)
            assert st[(month, g)] == per_muni
            assert 0 < st[(month, g)] < st[(month, "all")]
    # the first month-end: long-term counts start from the plan's 480 (some exit, some cross 12 months)
    assert abs(st[(0, "long_term")] - 480) < 0.15 * 480
    assert st[(0, "under_30")] + st[(0, "over_50")] < st[(0, "all")]
