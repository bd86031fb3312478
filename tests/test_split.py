"""The 40/40/20 split as a goal, and the sensitivity to which lines count as weaker position."""

from __future__ import annotations

import pytest

from resurssimalli.experiment.split import YOUTH_AS_WEAKER, split_sensitivity, youth_as_weaker


def test_youth_as_weaker_moves_only_youth(baseline):
    lines = baseline.config.staff.split_lines
    alt = youth_as_weaker(lines)
    assert "youth" in alt["weaker_position"] and all(
        "youth" not in v for g, v in alt.items() if g != "weaker_position"
    )
    assert sorted(x for v in alt.values() for x in v) == sorted(x for v in lines.values() for x in v)


def test_sensitivity_shows_what_the_mapping_decides(baseline):
    t = split_sensitivity(baseline).set_index(["mapping", "split_mode", "group"])
    tol = baseline.config.staff.split_tolerance
    for mapping in ("as in the scenario", YOUTH_AS_WEAKER):
        goal, hard = t.loc[(mapping, "goal")], t.loc[(mapping, "hard")]
        assert goal["unserved_hours_total"].max() == pytest.approx(0, abs=1e-6)  # a goal serves the work
        assert ((hard["share"] - hard["target"]).abs() <= tol + 1e-6).all()  # a band holds
        assert goal["share"].sum() == pytest.approx(1.0)
    # youth counted as weaker position: the band leaves work unserved, the goal reports the gap
    assert t.loc[(YOUTH_AS_WEAKER, "hard"), "unserved_hours_total"].max() > 1000
    dev = t.loc[(YOUTH_AS_WEAKER, "goal"), "deviation_htv"].sum()
    assert dev > t.loc[("as in the scenario", "goal"), "deviation_htv"].sum() + 1.0
