"""Region packs (issue 30): Finland's 45 employment areas from the shipped official data.

All 45 packs are built, optimised and simulated once (a one-month horizon, one replication) in a
module fixture; the tests read that batch.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from resurssimalli.cli import app
from resurssimalli.data import finland
from resurssimalli.data.pack import build_pack, write_pack
from resurssimalli.errors import InputError
from resurssimalli.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
PACK_KEYS = {  # the keys region init sets in the template (everything else is the seed's baseline)
    "name", "name_fi", "name_en", "description", "description_fi", "horizon", "region", "compare",
    "demand.stock_period", "demand.plant_closures", "staff.total_htv", "staff.centralised_htv", "staff.shortages",
    "demand.jobseekers",  # the seed's snapshot covers its own municipalities only: a pack has none yet
}  # fmt: skip


@pytest.fixture(scope="module")
def all_packs(tmp_path_factory):
    """Every area's pack, its plan and a one-month simulation (one replication each)."""
    from resurssimalli.optimize import optimize
    from resurssimalli.simulate import Allocation, simulate

    root = tmp_path_factory.mktemp("packs")
    out = {}
    for code in finland.area_table()["code"]:
        folder = write_pack(build_pack(str(code)), root / str(code))
        s = load_scenario(folder / "baseline.yaml", {"horizon": {"months": 1}})
        plan = optimize(s)
        sim = simulate(s, Allocation.from_result(plan), replications=1, months=1, jobs=1)
        out[int(code)] = (s, plan, sim)
    return out


def test_the_45_areas_cover_every_mainland_municipality():
    t = finland.area_table()
    assert list(t["code"]) == list(range(1, 46))
    munis = pd.read_csv(finland.AREAS_FILE, dtype=str)
    assert t["municipalities"].sum() == (munis["employment_area_code"] != "46").sum()
    js = pd.read_csv(finland.JOBSEEKERS_FILE, dtype={"area_code": str}).set_index("area_code")
    kunta = js[js.index.str.startswith("KU")]
    mainland = {f"KU{c}" for c in munis.loc[munis["employment_area_code"] != "46", "municipality_code"]}
    assert t["job_seekers"].sum() == kunta.loc[sorted(mainland), "HAKIJALOPUSSA"].sum()


@pytest.mark.parametrize(
    "query, code",
    [("Helsinki", 8), ("helsingfors", 8), ("Tampereen seutu", 39), ("21", 21), ("021", 21),
     ("lantinen pirkanmaa", 21), ("VÄSTRA BIRKALAND", 21), ("Ylä-Savo", 45), ("yla-savo", 45)],
)  # fmt: skip
def test_an_area_is_found_by_code_or_name_without_diacritics(query, code):
    assert finland.find_area(query).code == code


@pytest.mark.parametrize("query", ["0", "46", "Ahvenanmaa", "Narnia", ""])
def test_an_unknown_area_is_one_clear_error(query):
    with pytest.raises(InputError) as e:
        finland.find_area(query)
    assert "employment area" in str(e.value)


def test_region_list_shows_45_areas_within_80_columns():
    res = CliRunner().invoke(app, ["region", "list"], env={"COLUMNS": "80"}, terminal_width=80)
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    rows = [ln for ln in lines if re.match(r"^\s*\d+ ", ln)]
    assert len(rows) == 45
    assert "Helsingfors" in res.output and "79,891" in res.output and "52,578" in res.output


def test_the_seed_area_pack_has_the_statistics_municipalities_and_job_seekers(tmp_path):
    folder = write_pack(build_pack("Läntinen Pirkanmaa", 32.66), tmp_path / "p")
    s = load_scenario(folder / "baseline.yaml")
    seed = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    assert set(s.region.municipalities) == set(seed.region.municipalities)
    stats = finland.municipalities(21).set_index("id")
    lm = s.region.labour_market
    for m in s.region.municipalities:
        assert lm.value("job_seekers", "2026-06", m) == stats.loc[m, "job_seekers"]
        assert lm.value("unemployed", "2026-06", m) == stats.loc[m, "unemployed"]
    assert lm.total("job_seekers", "2026-06") == 3979 == stats["job_seekers"].sum()
    assert s.config.staff.total_htv == 32.66 and s.config.demand.stock_period == "2026-06"
    assert str(s.config.horizon.start) == "2026-07-01"


def test_every_pack_file_names_its_source_and_estimates_say_so(tmp_path):
    folder = write_pack(build_pack("Turku"), tmp_path / "p")
    for f in folder.glob("*.csv"):
        head = f.read_text(encoding="utf-8").splitlines()[0]
        assert head.startswith("#"), f.name
    for name in ("calibration.csv", "labour_market.csv", "sites.csv", "travel_times.csv", "staff.csv"):
        text = (folder / name).read_text(encoding="utf-8")
        assert "ESTIMATE" in text or "DERIVED" in text, name
    info = pd.read_csv(folder / "region.csv", comment="#")
    staff = info.set_index("key").loc["staff_htv"]
    assert staff["status"] == "derived" and staff["source"].startswith("ESTIMATE")
    assert finland.CREDIT in (folder / "README.md").read_text(encoding="utf-8")


def test_the_pack_template_is_the_seed_baseline():
    from resurssimalli.report.assumptions import flatten

    template = flatten(yaml.safe_load((ROOT / "src/resurssimalli/data/pack_baseline.yaml").read_text()))
    seed = flatten(yaml.safe_load((ROOT / "scenarios/baseline.yaml").read_text()))
    covered = {k for k in set(template) | set(seed) if any(k == p or k.startswith(p + ".") for p in PACK_KEYS)}
    differ = {k for k in (set(template) | set(seed)) - covered if template.get(k) != seed.get(k)}
    assert not differ, f"pack_baseline.yaml differs from scenarios/baseline.yaml in {sorted(differ)}"


def test_all_45_packs_optimise_and_simulate(all_packs):
    assert sorted(all_packs) == list(range(1, 46))
    for code, (s, plan, sim) in all_packs.items():
        assert plan.summary["status"] == "optimal", code
        assert set(plan.sites.loc[plan.sites["open"], "municipality"]) == set(s.region.municipalities), code
        stock = sim.kpis[(sim.kpis["kpi"] == "stock") & (sim.kpis["month_index"] == 0)]
        assert stock.loc[stock["group"] == "all", "value"].iloc[0] > 0, code


def test_conservation_holds_in_every_pack(all_packs):
    """The plan places exactly the pack's HTV; the month-end stock is the sum of its municipalities
    and the sum of its service lines."""
    from resurssimalli.scenario.schema import CUSTOMER_LINES

    for code, (s, plan, sim) in all_packs.items():
        assert plan.allocation["htv"].sum() == pytest.approx(s.config.staff.total_htv, abs=1e-6), code
        st = sim.kpis[(sim.kpis["kpi"] == "stock") & (sim.kpis["month_index"] == 0)].set_index("group")["value"]
        assert st[list(s.region.municipalities)].sum() == pytest.approx(st["all"]), code
        assert st[list(CUSTOMER_LINES)].sum() == pytest.approx(st["all"]), code


def test_the_largest_areas_are_proportionate(all_packs):
    """Helsinki's starting stock is its June 2026 unemployed (not the seed's)."""
    s, _plan, sim = all_packs[8]
    assert s.region.labour_market.total("unemployed", "2026-06") == 52578
    assert list(s.region.municipalities) == ["Helsinki"]


@pytest.mark.parametrize(
    "file, edit, key",
    [
        ("labour_market.csv", lambda t: t.replace("unemployed,2026-06,", "unemployed,2026-06,x", 1), "unemployed"),
        ("region.csv", lambda t: "\n".join(ln for ln in t.splitlines() if not ln.startswith("name_en")), "key"),
        ("calibration.csv", lambda t: t.replace("area,,exit_hazard_per_month.0-3,", "area,,exit_hazard_per_month.0-3,-"), "value"),
        ("travel_times.csv", lambda t: t.replace(",4.0\n", ",-4.0\n", 1), "minutes"),
        ("baseline.yaml", lambda t: t.replace("pack: .", "pack: ../nowhere"), "region.pack"),
    ],
)  # fmt: skip
def test_a_hostile_pack_file_is_one_clear_error(tmp_path, file, edit, key):
    folder = write_pack(build_pack("Kouvola"), tmp_path / "p")
    path = folder / file
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(folder / "baseline.yaml")])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    errors = [ln for ln in res.output.splitlines() if ln.startswith("invalid")]
    assert len(errors) == 1 and key in errors[0], res.output
    assert file in errors[0] or "baseline.yaml" in errors[0], res.output


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "resurssimalli.cli", *args], capture_output=True, text=True)


def test_region_init_refuses_an_existing_folder_an_unknown_area_and_bad_htv(tmp_path):
    (tmp_path / "x").mkdir()
    for args, needle in (
        (["21", "--out", str(tmp_path / "x")], "exists"),
        (["Narnia", "--out", str(tmp_path / "y")], "employment area"),
        (["21", "--out", str(tmp_path / "y"), "--htv", "-3"], "--htv"),
    ):
        res = _cli("region", "init", *args)
        assert res.returncode == 2 and needle in res.stderr and "Traceback" not in res.stderr, res.stderr
        assert not (tmp_path / "y").exists()


@pytest.mark.parametrize(
    "area, places",
    [("Helsinki", ["Helsinki"]), ("Tampereen seutu", ["Tampere", "Nokia", "Ylöjärvi"]),
     ("21", ["Sastamala", "Hämeenkyrö", "Kihniö"])],
)  # fmt: skip
def test_region_init_gives_a_run_folder_with_a_finnish_memo_naming_the_places(tmp_path, area, places):
    from resurssimalli.pipeline import run_pipeline

    res = CliRunner().invoke(app, ["region", "init", area, "--out", str(tmp_path / "pack")])
    assert res.exit_code == 0, res.output
    assert "ESTIMATE" in res.output
    s = load_scenario(tmp_path / "pack" / "baseline.yaml", {"horizon": {"months": 1}})
    # the memo's places are the question here: no leave plan and no per-area HTV values (a large
    # pack's leave model and its ±1 HTV simulations for every municipality take minutes)
    done = run_pipeline(
        s, tmp_path / "run", replications=1, months=1, jobs=1, pareto=None, htv_value=False, roster=False
    )
    memo = (done.folder / "memo.md").read_text(encoding="utf-8")
    assert "Päätösmuistio" in memo and "**Aluepaketti:**" in memo
    for place in places:
        assert place in memo, place
    assert "Western Pirkanmaa" not in memo or area == "21"


def test_a_sweep_refuses_scenarios_of_two_regions_before_any_work(tmp_path):
    from resurssimalli.experiment.sweep import sweep

    a = load_scenario(write_pack(build_pack("Kouvola"), tmp_path / "a") / "baseline.yaml")
    b = load_scenario(write_pack(build_pack("Lahti"), tmp_path / "b") / "baseline.yaml")
    with pytest.raises(InputError) as e:
        sweep([a, b], 1, out=tmp_path / "sw", jobs=1)
    assert "one region" in str(e.value) and not (tmp_path / "sw").exists()


def test_calibrate_refuses_a_pack(tmp_path):
    folder = write_pack(build_pack("Kouvola"), tmp_path / "p")
    res = _cli("calibrate", str(folder / "baseline.yaml"), "--check")
    assert res.returncode == 2 and "region.pack" in res.stderr, res.stderr
