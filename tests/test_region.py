"""The shipped region tables: the plan's totals, suppressed cells, geography, travel matrix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from resurssimalli.data import load_region
from resurssimalli.data.region import DATA_DIR
from resurssimalli.errors import InputError

PLAN_TOTALS = {  # the plan's own totals (reference README and tables)
    ("unemployed", "2023-07"): 1808,
    ("unemployed", "2022-07"): 1595,
    ("workforce", "2023"): 21671,
    ("workforce", "2022"): 21982,
    ("foreign_nationals", "2023-07"): 107,
    ("foreign_nationals", "2022-07"): 59,
    ("long_term_unemployed", "2023-07"): 480,
}


@pytest.fixture(scope="module")
def region():
    return load_region()


def test_six_municipalities_four_areas_lead_sastamala(region):
    assert set(region.municipalities) == {
        "Sastamala",
        "Punkalaidun",
        "Hameenkyro",
        "Ikaalinen",
        "Parkano",
        "Kihnio",
    }
    assert region.lead_municipality == "Sastamala"
    assert {a: set(x.municipalities) for a, x in region.areas.items()} == {
        "Sastamala-Punkalaidun": {"Sastamala", "Punkalaidun"},
        "Hameenkyro": {"Hameenkyro"},
        "Ikaalinen": {"Ikaalinen"},
        "Parkano-Kihnio": {"Parkano", "Kihnio"},
    }


@pytest.mark.parametrize(("key", "total"), PLAN_TOTALS.items())
def test_labour_market_totals_match_plan(region, key, total):
    lm = region.labour_market
    assert lm.total(*key) == total
    cells = [lm.value(*key, m) for m in region.municipalities]
    published = sum(c for c in cells if c is not None)
    assert published + lm.suppressed_totals.get(key, 0) == total


def test_every_indicator_row_sums_to_total(region):
    f = region.labour_market.frame()
    f = f[~f["indicator"].str.endswith("_pct")]
    for (ind, per), g in f.groupby(["indicator", "period"]):
        total = region.labour_market.total(ind, per)
        hidden = region.labour_market.suppressed_totals.get((ind, per), 0)
        assert g["value"].sum(skipna=True) + hidden == pytest.approx(total), (ind, per)


def test_suppressed_cells_stay_suppressed_not_zero(region):
    lm = region.labour_market
    for m in ("Kihnio", "Parkano", "Punkalaidun"):
        assert lm.value("foreign_nationals", "2022-07", m) is None
    assert lm.value("foreign_nationals", "2023-07", "Kihnio") == 0  # a real, published zero
    assert lm.suppressed_totals[("foreign_nationals", "2022-07")] == 7
    frame = lm.frame()
    assert frame["suppressed"].sum() == 3


def test_flow_table_has_all_months(region):
    months = {k[0] for k in region.flow_past_3_months}
    assert months == {f"2023-0{i}" for i in range(1, 8)} | {"2023-01..07"}
    assert region.flow_past_3_months[("2023-01..07", "Sastamala")] == 48.1


def test_demand_points_cover_villages_and_shares_sum_to_one(region):
    pts = region.demand_points_frame()
    for v in ("Vammala", "Mouhijarvi", "Suodenniemi", "Kiikoinen", "Aetsa", "Karkku", "Kyroskoski"):
        assert v in set(pts["demand_point"])
    sums = pts.groupby("municipality")["customer_share"].sum()
    assert ((sums - 1).abs() < 1e-9).all()


def test_every_centre_is_an_office_candidate(region):
    offices = {s.municipality for s in region.sites.values() if s.kind == "office"}
    assert offices == set(region.municipalities)
    kinds = {s.kind for s in region.sites.values()}
    assert kinds == {"office", "service_point", "popup"}


def test_travel_matrix_complete_and_plausible(region):
    t = region.travel.frame()
    assert len(t) == len(region.demand_points) * len(region.sites)
    assert (t["minutes"] >= 0).all()
    # a point's own site is the closest; Kihniö is far from Vammala
    assert region.travel.minutes[("Vammala", "Sastamala_office")] < 10
    assert region.travel.minutes[("Kihnio", "Sastamala_office")] > 80


def test_derivation_reproduces_shipped_matrix(region):
    from resurssimalli.data.travel import derive_travel_times

    derived = derive_travel_times(region.demand_points_frame(), region.sites_frame())
    shipped = region.travel.frame()
    merged = derived.merge(shipped, on=["demand_point", "site"], suffixes=("_d", "_s"))
    assert len(merged) == len(shipped)
    assert (merged["minutes_d"] - merged["minutes_s"]).abs().max() < 0.051


def test_objects_are_frozen(region):
    with pytest.raises(AttributeError):
        region.lead_municipality = "Parkano"  # type: ignore[misc]
    with pytest.raises(TypeError):
        region.municipalities["X"] = None  # type: ignore[index]


def _copy_data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    for f in DATA_DIR.glob("*.csv"):
        (d / f.name).write_bytes(f.read_bytes())
    return d


def test_bad_row_total_names_file_and_row(tmp_path):
    d = _copy_data(tmp_path)
    p = d / "labour_market_2022_2023.csv"
    p.write_text(p.read_text().replace("unemployed,2023-07,439", "unemployed,2023-07,440"))
    with pytest.raises(InputError) as e:
        load_region(d)
    assert "labour_market_2022_2023.csv" in str(e.value) and "unemployed 2023-07" in str(e.value)


def test_negative_travel_minutes_rejected(tmp_path):
    d = _copy_data(tmp_path)
    t = pd.read_csv(d / "travel_times.csv", comment="#")
    t.loc[3, "minutes"] = -1
    t.to_csv(d / "travel_times.csv", index=False)
    with pytest.raises(InputError) as e:
        load_region(d)
    assert "minutes" in e.value.key_path and "non-negative" in str(e.value)


def test_scenario_pickles_for_worker_processes(baseline):
    import pickle

    clone = pickle.loads(pickle.dumps(baseline))
    assert clone.hash == baseline.hash
    assert dict(clone.region.travel.minutes) == dict(baseline.region.travel.minutes)
    assert clone.config == baseline.config
