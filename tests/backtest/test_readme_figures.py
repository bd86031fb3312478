"""Every result figure in README.md and optimize/README.md equals the code's (issue 28).

The optimiser figures are recomputed fresh; the simulation figures are rendered from the tables
``regenerate_readme.py`` stored, whose baseline equals the backtest's KPI summary (recomputed by
``test_backtest.py``); the sensitivity figures are rendered from the stored Morris screening
(``readme_sensitivity.py``), whose factors and ranges must be the assumptions table's as it is. A
failure names the span, what the README prints and what the code gives:
regenerate with ``.venv/bin/python tests/backtest/regenerate_readme.py`` (``--stored`` to keep
the stored simulation tables) and commit the READMEs.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from readme_figures import READMES, fill, spans
from readme_optimiser import optimiser_figures
from readme_sensitivity import BASELINE, FLIPS, RUN, TOP, sensitivity_figures
from readme_simulation import BACKTEST, BUDGETS, OUTCOMES, TARGET_HEADERS, VERDICTS, simulation_figures

from resurssimalli.experiment import flips
from resurssimalli.experiment.factors import factors
from resurssimalli.scenario import load_scenario


@pytest.fixture(scope="module")
def fresh() -> dict[str, str]:
    return optimiser_figures()


@pytest.fixture(scope="module")
def stored() -> dict[str, str]:
    return simulation_figures()


@pytest.fixture(scope="module")
def sens() -> dict[str, str]:
    return sensitivity_figures()


def _stale(figures: dict[str, str]) -> list[str]:
    out = []
    for path in READMES:
        for name, texts in spans(path.read_text(encoding="utf-8")).items():
            for text in texts:
                if name in figures and text.strip("\n") != figures[name].strip("\n"):
                    out.append(
                        f"{path.name} fig:{name}: prints {text.strip()!r}, the code gives {figures[name]!r}"
                    )
    return out


def test_every_span_is_computed(fresh, stored, sens):
    assert not set(fresh) & set(stored) and not (set(fresh) | set(stored)) & set(sens), (
        "a figure computed two ways"
    )
    for path in READMES:
        unknown = set(spans(path.read_text(encoding="utf-8"))) - set(fresh) - set(stored) - set(sens)
        assert not unknown, f"{path.name}: spans nothing computes: {sorted(unknown)}"


def test_both_readmes_publish_figures():
    for path in READMES:
        assert len(spans(path.read_text(encoding="utf-8"))) >= 15, path


def test_optimiser_figures_are_fresh(fresh):
    stale = _stale(fresh)
    assert not stale, "stale README figures (regenerate_readme.py):\n" + "\n".join(stale)


def test_simulation_figures_match_the_stored_run(stored):
    stale = _stale(stored)
    assert not stale, "README figures differ from the stored run (regenerate_readme.py):\n" + "\n".join(stale)


def test_sensitivity_figures_match_the_stored_run(sens):
    stale = _stale(sens)
    assert not stale, (
        "README figures differ from the stored sensitivity run (regenerate_readme.py):\n" + "\n".join(stale)
    )


def test_stored_sensitivity_run_varies_the_table_as_it_is():
    """The stored screening varied what the assumptions table ranges now: the same factors and
    (for the top five) the same ranges and the scenario's values, and searched the scenario's
    targets. A range added, dropped or moved, or a target changed, fails here until rerun."""
    base = load_scenario(BASELINE)
    now = {f.name: f for f in factors(base)}
    run = pd.read_csv(RUN, index_col=0, keep_default_na=False)["value"]
    assert (int(run["factors"]), int(run["keys"])) == (len(now), len({f.key for f in now.values()}))
    top = pd.read_csv(TOP, keep_default_na=False, na_values=[""])
    assert top["factor"].nunique() == 5
    for r in top.drop_duplicates("factor").itertuples(index=False):
        f = now[r.factor]
        assert r.range_kind == f.kind and (r.low, r.high) == pytest.approx((f.low, f.high)), r.factor
        assert json.loads(r.base) == f.base, r.factor
    stored = pd.read_csv(FLIPS, keep_default_na=False, na_values=[""])
    targets = {v.name for v in flips.verdicts(base, []) if v.needs_simulation}
    assert set(stored.loc[~stored["output"].str.startswith("site:"), "verdict"]) == targets


def test_stored_run_is_the_backtests_baseline():
    """The stored verdicts' baseline year means equal the backtest's KPI summary, which
    test_backtest.py recomputes: a change that moves the simulation fails there and here."""
    v = pd.read_csv(VERDICTS, keep_default_na=False, na_values=[""])
    b = pd.read_csv(BACKTEST)
    b = b[(b["scenario"] == "baseline") & (b["period"] == "horizon")].set_index(["kpi", "group"])
    base = v[v["scenario"] == "baseline"]
    assert set(base["kpi"]) >= set(TARGET_HEADERS)
    for r in base.itertuples():
        row = b.loc[(r.kpi, r.group)]
        assert r.horizon_mean == pytest.approx(row["mean"], rel=1e-6), r.kpi
        assert (r.horizon_ci_low, r.horizon_ci_high) == pytest.approx(
            (row["ci_low"], row["ci_high"]), rel=1e-6
        )


def test_the_prose_around_the_outcomes_holds():
    """What README.md says in words about the stored outcomes: a shortfall compounds (each HTV
    missing at 20 HTV costs more days than at 28), and the municipalities' benefit share per HTV
    never pays for an HTV's salary."""
    o = pd.read_csv(OUTCOMES)
    cfg = load_scenario(READMES[0].parent / "scenarios" / "baseline.yaml").config
    total, salary = cfg.staff.total_htv, cfg.staff.cost_per_htv_eur

    def per_htv(budget: float, kpi: str, size: str = "central") -> float:
        sel = o[(o["variant"] == f"budget {budget:g}") & (o["kpi"] == kpi) & (o["effect_size"] == size)]
        return float(sel["mean"].iloc[0]) / (total - budget)

    high, low = max(BUDGETS), min(BUDGETS)
    assert per_htv(low, "unemployment_days") > per_htv(high, "unemployment_days")
    assert all(per_htv(b, "benefit_cost_municipal_eur", "high") < salary for b in BUDGETS)


def test_fill_rewrites_only_the_spans():
    text = "a <!-- fig:x -->1<!-- /fig --> b\n<!-- fig:t -->\n| old |\n<!-- /fig -->\nc"
    assert (
        fill(text, {"x": "2", "t": "| new |"})
        == "a <!-- fig:x -->2<!-- /fig --> b\n<!-- fig:t -->\n| new |\n<!-- /fig -->\nc"
    )
    with pytest.raises(KeyError, match="x"):
        fill(text, {"t": ""})
