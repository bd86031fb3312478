"""Share intervals stay within [0, 1] (issue 27 item 5): the logit interval of a proportion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from resurssimalli.simulate.stats import PROPORTION_KPIS, share_bounds, summarise_periods, t_interval


@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=30))
def test_a_proportions_interval_is_inside_0_1_and_holds_the_mean(values):
    mean, low, high, n = t_interval(values, proportion=True)
    assert 0.0 <= low <= mean + 1e-12 and mean - 1e-12 <= high <= 1.0


def test_near_one_half_it_is_the_t_interval():
    x = np.array([0.48, 0.52, 0.50, 0.49, 0.51, 0.47, 0.53, 0.50, 0.52, 0.48])
    mean, low, high, _ = t_interval(x)
    _, s_low, s_high, _ = t_interval(x, proportion=True)
    assert (s_low, s_high) == pytest.approx((low, high), abs=2e-4)


def test_a_rare_event_no_longer_goes_below_zero():
    """The case seen in the memo: one replication of ten with a small share, the rest none."""
    x = np.array([0.0] * 9 + [0.07])
    _, low, high, _ = t_interval(x)
    assert low < 0  # the symmetric t interval crossed 0
    mean, s_low, s_high, _ = t_interval(x, proportion=True)
    assert 0.0 <= s_low < mean < s_high <= 1.0


def test_all_equal_at_a_bound_is_that_point():
    low, high = share_bounds(np.array([0.0, 1.0]), np.array([0.0, 0.0]))
    assert low.tolist() == [0.0, 1.0] and high.tolist() == [0.0, 1.0]


def test_summary_keeps_shares_inside_and_other_kpis_symmetric():
    rng = np.random.default_rng(3)
    rows = []
    for rep in range(10):
        for month in ("2024-06", "2024-07"):
            rows.append(
                (
                    "s",
                    "initial_interview_on_time_share",
                    "Kihnio",
                    rep,
                    month,
                    rng.choice([0.0, 0.0, 0.0, 0.2]),
                )
            )
            rows.append(
                ("s", "initial_interview_on_time_share", "all", rep, month, 0.99 + 0.01 * rng.random())
            )
            rows.append(("s", "overdue_conversations", "all", rep, month, rng.normal(0.5, 2.0)))
    kpis = pd.DataFrame(rows, columns=["scenario", "kpi", "group", "replication", "month", "value"])
    out = summarise_periods(kpis)
    shares = out[out["kpi"].isin(list(PROPORTION_KPIS))]
    assert (shares["ci_low"] >= 0).all() and (shares["ci_high"] <= 1).all()
    assert (shares["ci_low"] <= shares["mean"] + 1e-12).all() and (
        shares["ci_high"] >= shares["mean"] - 1e-12
    ).all()
    other = out[out["kpi"] == "overdue_conversations"]
    assert np.allclose(other["mean"] - other["ci_low"], other["ci_high"] - other["mean"])
    assert (other["ci_low"] < 0).any()  # not a share: the symmetric interval, not clipped
