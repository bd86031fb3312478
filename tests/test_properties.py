"""Property-based tests (hypothesis) of the rules every stage relies on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resurssimalli.experiment.compare import paired_comparison
from resurssimalli.frozen import FrozenMap
from resurssimalli.scenario import load_scenario, parse_set
from resurssimalli.scenario.customers import customer_mix
from resurssimalli.simulate.stats import t_interval

share = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SLOW
@given(a=share, b=share, c=share, d=share, mult=st.floats(min_value=0.5, max_value=2.0))
def test_segmentation_keeps_every_job_seeker_once(scenario_dir, a, b, c, d, mult):
    s = load_scenario(
        scenario_dir / "baseline.yaml",
        {
            "demand": {
                "stock_multiplier": mult,
                "segmentation": {
                    "integration_share_of_foreign": a,
                    "partially_able_not_long_term_share": b,
                    "weaker_share_of_over_50": c,
                    "competence_share_of_rest": d,
                },
            }
        },
    )
    mix = customer_mix(s)
    assert (mix["stock"] >= -1e-9).all()
    by_m = mix.groupby("municipality")["stock"].sum()
    lm = s.region.labour_market
    for m, total in by_m.items():
        assert total == pytest.approx(mult * lm.value("unemployed", "2023-07", m))


@given(st.dictionaries(st.from_regex(r"[a-z]{1,6}\.[a-z]{1,6}", fullmatch=True), st.integers(), min_size=1, max_size=6))
def test_set_overrides_parse_back(pairs):
    firsts = {k.split(".")[0] for k in pairs}
    if any(k in firsts for k in pairs):  # a key cannot be both a leaf and a parent
        return
    parsed = parse_set([f"{k}={v}" for k, v in pairs.items()])
    for k, v in pairs.items():
        top, leaf = k.split(".")
        assert parsed[top][leaf] == v


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=2, max_size=50))
def test_t_interval_brackets_the_mean(values):
    mean, low, high, n = t_interval(values)
    assert n == len(values)
    assert low <= mean + 1e-6 * max(1.0, abs(mean)) and mean <= high + 1e-6 * max(1.0, abs(mean))
    assert mean == pytest.approx(float(np.mean(values)), rel=1e-9, abs=1e-6)


@given(
    base=st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=2, max_size=12),
    shift=st.floats(min_value=-50, max_value=50, allow_nan=False),
)
def test_paired_difference_of_a_constant_shift_is_exact(base, shift):
    rows = []
    for r, v in enumerate(base):
        rows.append(("baseline", r, 0, "stock", "all", v))
        rows.append(("other", r, 0, "stock", "all", v + shift))
    kpis = pd.DataFrame(rows, columns=["scenario", "replication", "month", "kpi", "group", "value"])
    comp = paired_comparison(kpis).iloc[0]
    assert comp["diff_mean"] == pytest.approx(shift, abs=1e-6)
    assert comp["diff_ci_low"] == pytest.approx(shift, abs=1e-6)
    assert comp["diff_ci_high"] == pytest.approx(shift, abs=1e-6)
    assert comp["n"] == len(base)


@given(st.dictionaries(st.text(max_size=5), st.integers(), max_size=8))
def test_frozen_map_is_a_read_only_copy(d):
    import pickle

    fm = FrozenMap(d)
    assert dict(fm) == d and len(fm) == len(d)
    d["__new__"] = 1
    assert "__new__" not in fm
    assert dict(pickle.loads(pickle.dumps(fm))) == dict(fm)
    with pytest.raises(TypeError):
        fm["x"] = 1  # type: ignore[index]
