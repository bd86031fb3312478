"""Scenario files: every shipped one loads, extends precedence, and bad input is rejected clearly."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from resurssimalli import cli
from resurssimalli.errors import InputError, InputErrors, ResurssimalliError
from resurssimalli.scenario import load_scenario
from resurssimalli.scenario.customers import customer_mix

SHIPPED = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))
REQUIRED = {
    "baseline",
    "plant_closure",
    "recession",
    "ageing",
    "immigration",
    "digitalisation",
    "staff_shortage",
    "law_2026",
}


def test_required_scenarios_are_shipped():
    assert {p.stem for p in SHIPPED} >= REQUIRED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_scenario_loads_and_says_what_it_is(path):
    s = load_scenario(path)
    assert s.name == path.stem
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("#"), "each scenario starts with a comment saying what it represents"
    if path.stem != "baseline":
        assert s.chain[0].endswith("baseline.yaml") and s.overrides, "changes something of the baseline"


def test_baseline_is_the_plan(baseline):
    st = baseline.config.staff
    assert st.total_htv == 32.66
    assert st.customer_facing_split == {
        "weaker_position": 0.4,
        "job_brokering": 0.4,
        "competence_development": 0.2,
    }
    assert baseline.config.service.initial_interview_deadline_working_days == 5
    law = load_scenario(Path(baseline.path).parent / "law_2026.yaml")
    assert law.config.service.initial_interview_deadline_working_days == 10


def test_customer_mix_preserves_stock(baseline):
    mix = customer_mix(baseline)
    assert mix["stock"].sum() == pytest.approx(1808)
    by_m = mix.groupby("municipality")["stock"].sum()
    assert by_m["Sastamala"] == pytest.approx(759)
    assert (mix["stock"] >= 0).all()
    integ = mix[mix.service_line == "integration"]["stock"].sum()
    assert integ == pytest.approx(0.6 * 107)


def test_scenario_multipliers_act_on_the_mix(scenario_dir):
    base = customer_mix(load_scenario(scenario_dir / "baseline.yaml"))
    imm = customer_mix(load_scenario(scenario_dir / "immigration.yaml"))
    b = base.groupby("service_line")["stock"].sum()
    i = imm.groupby("service_line")["stock"].sum()
    assert i["integration"] == pytest.approx(1.81 * b["integration"])
    assert i["job_brokering"] == pytest.approx(b["job_brokering"])


def test_hash_is_stable_and_sensitive(scenario_dir):
    a = load_scenario(scenario_dir / "baseline.yaml")
    b = load_scenario(scenario_dir / "baseline.yaml")
    c = load_scenario(scenario_dir / "baseline.yaml", {"staff": {"total_htv": 30}})
    assert a.hash == b.hash != c.hash


# ---------------------------------------------------------------------------------------------
# extends: precedence


def write(tmp: Path, name: str, body: str) -> Path:
    p = tmp / name
    p.write_text(textwrap.dedent(body), encoding="utf-8")
    return p


@pytest.fixture
def child_dir(tmp_path, scenario_dir):
    (tmp_path / "baseline.yaml").write_bytes((scenario_dir / "baseline.yaml").read_bytes())
    return tmp_path


def test_extends_precedence_child_over_parent_over_root(child_dir):
    write(
        child_dir,
        "mid.yaml",
        """
        extends: baseline.yaml
        staff: {total_htv: 30.0, split_tolerance: 0.1}
        service: {remote_share: 0.4}
    """,
    )
    top = write(
        child_dir,
        "top.yaml",
        """
        extends: mid.yaml
        staff: {total_htv: 28.0}
    """,
    )
    s = load_scenario(top)
    assert s.config.staff.total_htv == 28.0  # own value wins
    assert s.config.staff.split_tolerance == 0.1  # inherited from mid
    assert s.config.service.remote_share == 0.4
    assert s.config.staff.cost_per_htv_eur == 60000  # from the root, untouched by the merge
    assert s.provenance["staff.total_htv"].endswith("top.yaml")
    assert s.provenance["staff.split_tolerance"].endswith("mid.yaml")
    assert s.name == "top"  # names are not inherited
    keys = [(o.key, o.new) for o in s.overrides]
    assert ("staff.total_htv", 30.0) in keys and ("staff.total_htv", 28.0) in keys
    s2 = load_scenario(top, {"staff": {"total_htv": 27.0}})  # --set beats every file
    assert s2.config.staff.total_htv == 27.0 and s2.provenance["staff.total_htv"] == "--set"


def test_lists_are_replaced_whole(child_dir):
    top = write(
        child_dir,
        "t.yaml",
        """
        extends: baseline.yaml
        targets: [{kpi: stock, op: "<=", value: 2000}]
    """,
    )
    assert [t.kpi for t in load_scenario(top).config.targets] == ["stock"]


def test_duplicate_key_is_an_error(child_dir):
    p = write(
        child_dir,
        "dup.yaml",
        """
        extends: baseline.yaml
        staff:
          total_htv: 30
          total_htv: 31
    """,
    )
    with pytest.raises(InputError) as e:
        load_scenario(p)
    assert "total_htv" in str(e.value) and "dup.yaml" in str(e.value) and "twice" in str(e.value)


def test_set_twice_is_an_error():
    from resurssimalli.scenario import parse_set

    with pytest.raises(InputError):
        parse_set(["staff.total_htv=3", "staff.total_htv=4"])
    assert parse_set(["a.b=1", "a.c=[1, 2]"]) == {"a": {"b": 1, "c": [1, 2]}}


# ---------------------------------------------------------------------------------------------
# bad input through the CLI: message names file + key path, exit 2, no traceback, nothing written

TRAVEL_MISSING = "missing"
TRAVEL_NEGATIVE = "negative"

BAD = {
    "unknown_top_key": ("colour: blue\n", "colour", "unknown key"),
    "unknown_nested_key": ("staff: {totl_htv: 3}\n", "staff.totl_htv", "unknown key"),
    "wrong_type": ("staff: {total_htv: many}\n", "staff.total_htv", "number"),
    "htv_zero": ("staff: {total_htv: 0}\n", "staff.total_htv", "greater than 0"),
    "htv_negative": ("staff: {total_htv: -3}\n", "staff.total_htv", "greater than 0"),
    "share_above_one": ("service: {remote_share: 1.5}\n", "service.remote_share", "less than or equal to 1"),
    "share_negative": (
        "staff: {split_tolerance: -0.1}\n",
        "staff.split_tolerance",
        "greater than or equal to 0",
    ),
    "split_not_one": (
        "staff: {customer_facing_split: {weaker_position: 0.5, job_brokering: 0.4, competence_development: 0.2}}\n",
        "staff.customer_facing_split",
        "sum to 1",
    ),
    "split_incomplete": (
        "staff: {customer_facing_split: {weaker_position: 0.6, job_brokering: 0.4}}\n",
        "staff.customer_facing_split",
        "sum to 1",
    ),
    "seasonality_mean": (
        "demand: {inflow_seasonality: [1,1,1,1,1,1,1,1,1,1,1,2]}\n",
        "demand.inflow_seasonality",
        "average 1",
    ),
    "seasonality_length": ("demand: {inflow_seasonality: [1,1,1]}\n", "demand.inflow_seasonality", "12"),
    "unknown_line": (
        "demand: {line_multipliers: {astrology: 2}}\n",
        "demand.line_multipliers.astrology",
        "job_brokering",
    ),
    "unknown_municipality": (
        "demand: {plant_closures: [{name: x, municipality: Tampere, date: 2024-01-15, layoffs: 10,"
        " registration_share: 0.8, spread_working_days: 5, service_mix: {job_brokering: 1.0}}]}\n",
        "demand.plant_closures[0].municipality",
        "known municipality",
    ),
    "point_not_in_municipality": (
        "demand: {plant_closures: [{name: x, municipality: Parkano, demand_point: Vammala, date: 2024-01-15,"
        " layoffs: 10, registration_share: 0.8, spread_working_days: 5, service_mix: {job_brokering: 1.0}}]}\n",
        "demand.plant_closures[0].demand_point",
        "demand point in Parkano",
    ),
    "closure_outside_horizon": (
        "demand: {plant_closures: [{name: x, municipality: Parkano, date: 2030-01-15, layoffs: 10,"
        " registration_share: 0.8, spread_working_days: 5, service_mix: {job_brokering: 1.0}}]}\n",
        "demand.plant_closures[0].date",
        "inside the horizon",
    ),
    "service_mix_sum": (
        "demand: {plant_closures: [{name: x, municipality: Parkano, date: 2024-01-15, layoffs: 10,"
        " registration_share: 0.8, spread_working_days: 5, service_mix: {job_brokering: 0.5}}]}\n",
        "demand.plant_closures[0].service_mix",
        "sum to 1",
    ),
    "shortage_outside_horizon": (
        "staff: {shortages: [{start: 2020-01-01, end: 2020-02-01, vacancy_share: 0.1, extra_sick_leave_share: 0}]}\n",
        "staff.shortages[0].start",
        "inside the horizon",
    ),
    "shortage_end_before_start": (
        "staff: {shortages: [{start: 2024-02-01, end: 2024-01-01, vacancy_share: 0.1, extra_sick_leave_share: 0}]}\n",
        "staff.shortages[0]",
        "end must be after start",
    ),
    "unknown_site": ("sites: {force_open: [Tampere_office]}\n", "sites.force_open", "known site"),
    "open_and_closed": (
        "sites: {force_open: [Parkano_office], force_closed: [Parkano_office]}\n",
        "sites",
        "both forced open",
    ),
    "unknown_point_share": (
        "demand: {demand_point_shares: {Atlantis: 0.5}}\n",
        "demand.demand_point_shares.Atlantis",
        "known demand point",
    ),
    "point_shares_not_one": (
        "demand: {demand_point_shares: {Vammala: 0.9}}\n",
        "customer_share[Sastamala]",
        "summing to 1",
    ),
    "custom_key_missing_shares": ("costs: {central_cost_key: custom}\n", "costs", "central_cost_shares"),
    "unknown_kpi_target": (
        "targets: [{kpi: happiness, op: '>=', value: 1}]\n",
        "targets[0].kpi",
        "initial_interview_on_time_share",
    ),
    "bad_horizon": ("horizon: {months: 0}\n", "horizon.months", "greater than or equal to 1"),
    "wrong_date": ("horizon: {start: 'next spring'}\n", "horizon.start", "date"),
    "yaml_syntax": ("staff: {total_htv: [\n", "line ", "valid YAML"),
    "not_a_mapping": ("SPECIAL", "<root>", "mapping"),
    "extends_missing": ("SPECIAL", "extends", "not found"),
    "extends_cycle": ("SPECIAL", "extends", "cycle"),
    "duplicate_key": ("seed: 1\nseed: 2\n", "seed", "twice"),
    "travel_missing_pairs": ("SPECIAL", "demand_point,site", "missing"),
    "travel_negative": ("SPECIAL", "minutes", "non-negative"),
}


def run_cli(args: list[str], monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["resurssimalli", *args])
    with pytest.raises(SystemExit) as e:
        cli.main()
        raise SystemExit(0)
    out = capsys.readouterr()
    return e.value.code, out.out + out.err


def make_bad(case: str, body: str, d: Path, scenario_dir: Path) -> Path:
    (d / "baseline.yaml").write_bytes((scenario_dir / "baseline.yaml").read_bytes())
    if case == "not_a_mapping":
        return write(d, "bad.yaml", "- just\n- a list\n")
    if case == "extends_missing":
        return write(d, "bad.yaml", "extends: nowhere.yaml\n")
    if case == "extends_cycle":
        write(d, "a.yaml", "extends: bad.yaml\n")
        return write(d, "bad.yaml", "extends: a.yaml\n")
    if case.startswith("travel_"):
        from resurssimalli.data.region import DATA_DIR

        t = pd.read_csv(DATA_DIR / "travel_times.csv", comment="#")
        if case == "travel_missing_pairs":
            t = t.iloc[:-5]
        else:
            t.loc[7, "minutes"] = -12
        t.to_csv(d / "my_travel.csv", index=False)
        return write(d, "bad.yaml", "extends: baseline.yaml\nregion: {travel_times: my_travel.csv}\n")
    return write(d, "bad.yaml", "extends: baseline.yaml\n" + body)


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_rejected_clearly(case, tmp_path, scenario_dir, monkeypatch, capsys):
    body, key, expected = BAD[case]
    path = make_bad(case, body, tmp_path, scenario_dir)
    out_dir = tmp_path / "out"
    code, text = run_cli(["run", str(path), "--out", str(out_dir)], monkeypatch, capsys)
    assert code == 2, text
    assert "Traceback" not in text
    assert key in text, text
    assert expected in text, text
    file_named = "my_travel.csv" if case.startswith("travel_") else "bad.yaml"
    assert file_named in text, text
    assert not out_dir.exists()
    assert not any(p.name.startswith(".out") for p in tmp_path.iterdir()), "no temporary leftovers"


def test_at_least_twenty_kinds_of_bad_input():
    assert len(BAD) >= 20


def test_validate_reports_each_file(tmp_path, scenario_dir, monkeypatch, capsys):
    bad = make_bad("htv_zero", BAD["htv_zero"][0], tmp_path, scenario_dir)
    code, text = run_cli(["validate", str(scenario_dir / "baseline.yaml"), str(bad)], monkeypatch, capsys)
    assert code == 2 and "ok" in text and "invalid" in text and "staff.total_htv" in text


def test_missing_required_key_in_a_root_file(tmp_path):
    p = write(tmp_path, "root.yaml", "seed: 1\nhorizon: {start: 2023-08-01, months: 12}\n")
    with pytest.raises(InputErrors) as e:
        load_scenario(p)
    text = str(e.value)
    assert "staff: a required key (missing)" in text and "root.yaml" in text


def test_errors_are_resurssimalli_errors():
    assert issubclass(InputErrors, ResurssimalliError) and issubclass(InputError, ResurssimalliError)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_scenario_describes_itself_in_finnish_and_english(path):
    s = load_scenario(path)
    assert s.config.describe("fi") != s.config.describe("en")
    assert s.config.describe("fi") and s.config.describe("en") == s.config.description
