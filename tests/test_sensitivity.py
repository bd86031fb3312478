"""Sensitivity (issue 29): ranges for every assumption, SALib indices that rank a planted
no-effect parameter last and a known case right, the same indices on any number of workers,
resume, the flip search, the memo's section and the command line. Short horizons throughout."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from resurssimalli.cli import app
from resurssimalli.data.assumptions import RANGE_KINDS, load_sources
from resurssimalli.errors import InputError
from resurssimalli.experiment.factors import Factor, factors, overrides
from resurssimalli.experiment.sensitivity import sensitivity
from resurssimalli.optimize import optimize
from resurssimalli.scenario import load_scenario

MONTHS = 2
INTERVIEW = "service.initial_interview_minutes"
POPUP = "sites.fixed_cost_eur.Suodenniemi_popup"
# a planted parameter with no effect on one scenario's plan or simulation (it weighs scenarios
# only in the robust plan)
PLANTED = Factor("planted", "weight", "weight", "absolute", 0.5, 2.0, 1.0)
TIGHT = {"horizon": {"start": "2024-06-01"}, "staff": {"absence": {"summer_leave": "july"}}}


def _factors(scenario) -> list[Factor]:
    return [*factors(scenario, only=[INTERVIEW, POPUP]), PLANTED]


def _run(scenario, out, jobs, method="morris", samples=2, fs=None):
    return sensitivity(
        scenario, method=method, samples=samples, replications=1, months=MONTHS, factor_list=fs or _factors(scenario),
        top=1, steps=3, jobs=jobs, out=out,
    )  # fmt: skip


@pytest.fixture(scope="module")
def tight(baseline):
    """The baseline over June-July with everyone's summer leave in July: a month where the
    initial interviews queue, so their length shows (the overrides travel as ``--set`` ones)."""
    return load_scenario(baseline.path, TIGHT)


@pytest.fixture(scope="module")
def serial(tight, tmp_path_factory):
    return _run(tight, tmp_path_factory.mktemp("sens") / "serial", jobs=1)


def _importance(res, output: str) -> pd.Series:
    rows = res.indices[res.indices["output"] == output]
    return rows.set_index("factor")["importance"]


def test_every_assumption_has_a_range_or_says_why_not():
    table = load_sources()
    assert set(table["range_kind"]) <= set(RANGE_KINDS)
    assert (table["range_source"].str.strip() != "").all()
    ranged = table[table["range_kind"].isin(["relative", "absolute", "spread", "relative_per_site"])]
    assert (pd.to_numeric(ranged["low"]) < pd.to_numeric(ranged["high"])).all()
    assert len(table[table["status"] == "assumption"]) > len(table[table["range_kind"] == "fixed"]) / 2


def test_every_range_end_is_a_valid_scenario(baseline):
    fs = factors(baseline)
    assert len(fs) > 30 and {f.kind for f in fs} >= {"relative", "absolute", "spread", "band", "choice"}
    for end in ("low", "high"):
        s = load_scenario(baseline.path, overrides(fs, [getattr(f, end) for f in fs]))
        assert s.hash != baseline.hash
    same = load_scenario(baseline.path, overrides(fs, [f.base_x for f in fs]))
    assert same.config.service == baseline.config.service and same.config.outcomes == baseline.config.outcomes


def test_planted_no_effect_parameter_ranks_last(serial):
    for output in set(serial.indices["output"]):
        imp = _importance(serial, output)
        assert imp["planted"] == 0.0, output
        assert imp["planted"] <= imp.min()
    interviews = _importance(serial, "interviews_on_time_worst_month")
    assert interviews[INTERVIEW] > 0


def test_interview_length_matters_more_than_a_popups_rent_for_interviews_on_time(serial):
    interviews = _importance(serial, "interviews_on_time_worst_month")
    assert interviews[INTERVIEW] > interviews[POPUP]
    cost = _importance(serial, "municipal_cost_eur")  # the rent is what moves the municipalities' cost
    assert cost[POPUP] > cost[INTERVIEW]


def test_same_seed_gives_identical_indices_with_one_and_two_workers(serial, tight, tmp_path):
    two = _run(tight, tmp_path / "two", jobs=2)
    pd.testing.assert_frame_equal(serial.indices, two.indices)
    pd.testing.assert_frame_equal(serial.flips, two.flips)
    pd.testing.assert_frame_equal(serial.samples, two.samples)


def test_a_resumed_run_computes_only_the_missing_points(serial, tight, tmp_path):
    folder = tmp_path / "resumed"
    shutil.copytree(serial.folder, folder)
    (folder / "manifest.json").unlink()
    tasks = sorted((folder / "tasks").glob("*.parquet"))
    for p in tasks[:3]:
        p.unlink()
    res = sensitivity(tight, method="morris", samples=2, replications=1, months=MONTHS,
                      factor_list=_factors(tight), top=1, steps=3, jobs=1, resume=folder)  # fmt: skip
    assert res.computed == 3 and res.reused == len(tasks) - 3
    pd.testing.assert_frame_equal(serial.indices, res.indices)


def test_a_site_flips_where_the_search_says(serial, tight):
    flips = serial.flips[(serial.flips["output"] == "site:Suodenniemi_popup") & serial.flips["flips"]]
    if flips.empty:
        pytest.skip("the pop-up does not close within its rent's range in this model version")
    r = flips.iloc[0]
    fs = _factors(tight)
    by = {f.name: f for f in fs}

    def is_open(x: float) -> bool:
        xs = [x if f.name == r["factor"] else f.base_x for f in fs]
        plan = optimize(load_scenario(tight.path, overrides(fs, xs, TIGHT)))
        return bool(plan.sites.set_index("site").loc["Suodenniemi_popup", "open"])

    assert by[r["factor"]].kind == "relative"
    assert is_open(r["x_holds"]) == bool(r["holds_at_base"])
    assert is_open(r["x_flips"]) != bool(r["holds_at_base"])


def test_sobol_gives_first_order_and_total_indices(baseline, tmp_path):
    fs = [*factors(baseline, only=[INTERVIEW]), PLANTED]
    res = _run(baseline, tmp_path / "sobol", jobs=1, method="sobol", samples=2, fs=fs)
    rows = res.indices[res.indices["output"] == "unemployment_person_days"].set_index("factor")
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(rows.columns)
    assert rows.loc["planted", "ST"] == 0.0 and rows.loc[INTERVIEW, "ST"] > 0


def test_the_memo_says_what_the_results_rest_on(serial):
    from resurssimalli.report import write_report

    folder = serial.folder
    write_report(folder, lang="fi")
    write_report(folder, lang="en")
    fi = (folder / "memo.md").read_text(encoding="utf-8")
    en = (folder / "memo.en.md").read_text(encoding="utf-8")
    assert re.search(r"^## .*Mihin tulokset nojaavat$", fi, re.M) and "figure_tornado_fi.png" in fi
    assert re.search(r"^## .*What the results rest on$", en, re.M) and "figure_tornado_en.png" in en
    assert "Tulokset nojaavat eniten oletuksiin" in fi  # the proposal's risks cite the section
    assert "luku *Mihin tulokset nojaavat*" in fi  # the limits cite it
    assert (folder / "figure_tornado_fi.png").stat().st_size > 10_000
    from openpyxl import load_workbook

    assert "Herkkyys" in load_workbook(folder / "results.xlsx", read_only=True).sheetnames


def test_command_line_refuses_bad_options(tmp_path):
    runner = CliRunner()
    for args in (["--method", "fast"], ["--method", "sobol", "--samples", "3"], ["--factor", "no.such.key"]):
        res = runner.invoke(
            app, ["sensitivity", "scenarios/baseline.yaml", *args, "--out", str(tmp_path / "x")]
        )
        assert isinstance(res.exception, InputError), res.output
        assert not (tmp_path / "x").exists()
