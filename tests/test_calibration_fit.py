"""The calibration: re-running the fit reproduces the shipped parameters; the fit's quality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from resurssimalli.calibrate import fit_calibration, parameters_frame
from resurssimalli.calibrate.projection import BANDS
from resurssimalli.data.calibration import FIT_FILE, load_calibration, read_table
from resurssimalli.scenario import load_scenario, parse_set
from resurssimalli.simulate.params import base_hazards


@pytest.fixture(scope="module")
def fit(baseline):
    return fit_calibration(baseline)


def test_shipped_parameters_are_what_the_fit_produces(fit):
    shipped = read_table().set_index(["kind", "municipality", "key"])["value"]
    fresh = parameters_frame(fit).set_index(["kind", "municipality", "key"])["value"]
    assert fit.success
    assert set(shipped.index) == set(fresh.index)
    assert np.allclose(shipped.loc[fresh.index], fresh, rtol=1e-4, atol=1e-6), (shipped - fresh).abs().max()


def test_baseline_carries_the_fitted_area_values(baseline):
    cal = load_calibration()
    cfg = baseline.config
    assert cfg.demand.calibrated
    for b in BANDS:
        assert cfg.simulation.exit_hazard_per_month[b] == pytest.approx(
            cal.area[f"exit_hazard_per_month.{b}"], abs=5e-5
        )
    assert cfg.demand.inflow_per_stock_year == pytest.approx(cal.area["inflow_per_stock_year"], abs=5e-4)


def test_fit_reproduces_the_plan_where_data_are_strong(fit):
    r = fit.residuals.set_index(["check", "municipality", "group"]).sort_index()
    for m in ("Sastamala", "Hameenkyro", "Ikaalinen", "Parkano"):
        assert abs(r.loc[("fit", m, "past_3_months_share"), "residual"]) < 0.02
        assert abs(r.loc[("fit", m, "stock_total"), "residual"]) < 0.03 * r.loc[("fit", m, "stock_total"), "plan"]
    assert (r.loc["fit", "z"].abs() < 1.5).all()
    # Ikaalinen's fast turnover is a municipal hazard, not an area one
    assert fit.hazard_factor.loc["Ikaalinen", "0-3"] > 1.25 > fit.hazard_factor.loc["Sastamala", "0-3"] * 1.25


def test_out_of_sample_check_is_reported(fit):
    chk = fit.residuals[fit.residuals["check"] == "check_2022_2023"]
    assert len(chk) == 36 and chk["model"].notna().all()
    total = chk[chk["group"] == "change_total"]
    assert total["plan"].sum() == pytest.approx(1808 - 1595)
    assert 0 < total["model"].sum() < total["plan"].sum() * 1.5  # the rise is predicted, not fitted


def test_shipped_residual_table_matches_the_fit(fit):
    shipped = pd.read_csv(FIT_FILE, comment="#")
    assert list(shipped.columns) == list(fit.residuals.columns)
    assert np.allclose(shipped["model"], fit.residuals["model"], atol=1e-3)


def test_small_municipalities_are_shrunk_toward_the_area(baseline, fit, monkeypatch):
    """With the pooling switched off (wide prior), Kihnio and Punkalaidun move to their own figures."""
    import resurssimalli.calibrate.fit as fitmod

    pooled = fit.residuals.set_index(["check", "municipality", "group"])
    monkeypatch.setitem(fitmod.PRIORS, "tau_hazard", 5.0)
    loose = fitmod.fit_calibration(baseline).residuals.set_index(["check", "municipality", "group"])
    for m in ("Kihnio", "Punkalaidun"):
        key = ("fit", m, "past_3_months_share")
        assert abs(loose.loc[key, "residual"]) < abs(pooled.loc[key, "residual"])


def test_uncalibrated_scenario_uses_area_hazards(scenario_dir):
    s = load_scenario(scenario_dir / "baseline.yaml", parse_set(["demand.calibrated=false"]))
    munis = tuple(sorted(s.region.municipalities))
    h = base_hazards(s, munis)
    hz = s.config.simulation.exit_hazard_per_month
    mult = s.config.simulation.line_hazard_multipliers
    assert h[0, 0, 0] == pytest.approx(hz["0-3"] * mult["job_brokering"])
    assert np.allclose(h[0], h[-1])  # every municipality alike
    calibrated = base_hazards(load_scenario(scenario_dir / "baseline.yaml"), munis)
    assert not np.allclose(calibrated[0], calibrated[-1])


def test_calibrate_command_writes_what_is_shipped(tmp_path, scenario_dir):
    from typer.testing import CliRunner

    from resurssimalli.cli import app
    from resurssimalli.data.calibration import CALIBRATION_FILE

    res = CliRunner().invoke(app, ["calibrate", str(scenario_dir / "baseline.yaml"), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "Ikaalinen" in res.output and "+213" in res.output
    fresh = read_table(tmp_path / "calibration.csv")
    shipped = read_table(CALIBRATION_FILE)
    assert fresh[["kind", "municipality", "key"]].equals(shipped[["kind", "municipality", "key"]])
    assert np.allclose(fresh["value"], shipped["value"], rtol=1e-4)
    assert (tmp_path / "calibration_fit.csv").read_text().startswith("# Fit residuals")
    stale = CliRunner().invoke(
        app, ["calibrate", str(scenario_dir / "baseline.yaml"), "--check", "--set", "simulation.line_hazard_multipliers.youth=1.5"]
    )
    assert stale.exit_code != 0


@pytest.mark.parametrize(
    "text, where",
    [
        ("kind,municipality,key,value\nhazard_factor,Ikaalinen,0-3,abc\n", "value"),
        ("kind,municipality,key,value\nguess,Ikaalinen,0-3,1.2\n", "kind"),
        ("kind,municipality,value\n", "columns"),
    ],
)
def test_a_broken_calibration_table_is_named(tmp_path, text, where):
    from resurssimalli.errors import InputError

    path = tmp_path / "calibration.csv"
    path.write_text(text)
    with pytest.raises(InputError, match="calibration") as e:
        read_table(path)
    assert where in str(e.value)
