"""The memo's calibration appendix: plan against simulated, per municipality and group, with CIs."""

from __future__ import annotations

import re

import pytest

from resurssimalli.report.calibration_appendix import calibration_section
from resurssimalli.report.memo import Table
from resurssimalli.report.results import RunResults
from resurssimalli.report.texts import SUPPRESSED, Texts, parse_number
from resurssimalli.simulate import simulate
from test_simulate_support import proportional_allocation


@pytest.fixture(scope="module")
def results(baseline, tmp_path_factory):
    sim = simulate(baseline, proportional_allocation(baseline), replications=3)
    return RunResults(tmp_path_factory.mktemp("cal"), {}, baseline, {"kpis.parquet": sim.kpis})


def _tables(section) -> dict[str, Table]:
    return {b.id: b for b in section.blocks if isinstance(b, Table)}


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_appendix_sets_plan_against_simulation(results, lang):
    t = Texts(lang)
    tabs = _tables(calibration_section(results, t))
    past3 = tabs["calibration_past3"].rows
    assert [r[0] for r in past3][-1] == ("whole area" if lang == "en" else "koko alue")
    ikaalinen = next(r for r in past3 if r[0] == "Ikaalinen")
    assert parse_number(ikaalinen[1], lang) == pytest.approx(0.285)
    mean, low, high = (parse_number(x, lang) for x in re.split(r" \(|–|\)", ikaalinen[2])[:3])
    assert low <= mean <= high and abs(mean - 0.285) < 0.1
    stock = tabs["calibration_stock"]
    assert len(stock.header) == 7 and len(stock.rows) == 7
    area = stock.rows[-1]
    plan, sim = area[1].split(": ")
    assert parse_number(plan, lang) == 1808 and abs(parse_number(sim.split(" (")[0], lang) / 1808 - 1) < 0.1
    kihnio = next(r for r in stock.rows if r[0] == "Kihniö")
    assert kihnio[6] == SUPPRESSED  # no foreign nationals: a small cell, plan and simulation hidden


def test_appendix_left_out_of_short_runs(baseline, tmp_path):
    sim = simulate(baseline, proportional_allocation(baseline), replications=2, months=3)
    res = RunResults(tmp_path, {}, baseline, {"kpis.parquet": sim.kpis})
    assert calibration_section(res, Texts("en")) is None
