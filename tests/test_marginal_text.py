"""The memo's shadow-price text (issue 28): at 28 HTV it states the value per HTV *before salary*,
the range of extra HTV over which it holds and what one whole HTV changes, in the run's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from resurssimalli.optimize import optimize
from resurssimalli.pipeline import run_pipeline
from resurssimalli.report.marginal import marginal_rows, marginal_texts, valid_range
from resurssimalli.report.texts import Texts
from resurssimalli.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
AT_28 = {"name": "htv28", "staff": {"total_htv": 28.0}}


@pytest.fixture(scope="module")
def at_28():
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml", AT_28)
    return scenario, optimize(scenario, marginals=True).summary


def _expected(summary: dict, t: Texts) -> tuple[str, str, str]:
    area = next(iter(summary["shadow_price_htv"]))
    lo, hi = summary["shadow_price_htv_valid_for_extra_htv"][area]
    return (t.num(summary["shadow_price_htv"][area], 0), valid_range(lo, hi, t),
            t.num(summary["htv_value"]["one_more_eur"], 0))  # fmt: skip


@pytest.mark.parametrize("lang, before", [("fi", "ennen"), ("en", "before")])
def test_text_states_price_range_and_whole_htv(at_28, lang, before):
    scenario, s = at_28
    t = Texts(lang)
    price, span, whole = _expected(s, t)
    assert float(price.replace("\xa0", "").replace(",", "")) > 100_000  # short of staff: the price is real
    # a whole HTV saves at most the price (all of it while the price holds over the whole HTV)
    price_eur = s["shadow_price_htv"][next(iter(s["shadow_price_htv"]))]
    assert 0 < s["htv_value"]["one_more_eur"] <= price_eur + 0.5
    rows = marginal_rows(s, t, str)
    assert all(r[1] == price and r[2] == span for r in rows)
    text, whole_text = marginal_texts(s, t, scenario.config.staff.cost_per_htv_eur)
    assert before in text and t.num(scenario.config.staff.cost_per_htv_eur, 0) in text
    assert whole in whole_text and before in whole_text


def test_range_reads_as_signed_htv():
    assert valid_range(-0.3487, 0.0925, Texts("en")) == "−0.35 … +0.09"
    assert valid_range(-0.3487, None, Texts("fi")) == "−0,35 … +∞"


def test_the_memo_of_a_run_at_28_htv_states_all_three(tmp_path: Path, at_28):
    """End to end: run writes htv_value, the Finnish memo prints price, range and whole HTV."""
    scenario, s = at_28
    out = run_pipeline(scenario, tmp_path / "run", replications=2, months=2, jobs=1, pareto=None)
    memo = (out.folder / "memo.md").read_text(encoding="utf-8")
    t = Texts("fi")
    price, span, whole = _expected(out.plan.summary, t)
    assert (price, span, whole) == _expected(s, t)
    for text in (price, span, whole, "ennen omaa palkkaansa"):
        assert text in memo, text
