"""The plan's customer groups as attributes of a customer, given municipality and service line.

The plan counts job seekers by overlapping groups (under 30, over 50, long-term, partially able to
work, foreign nationals); the model's service lines are disjoint groups derived from them
(:mod:`resurssimalli.scenario.customers`). Each customer draws, at registration, the attributes
that the line leaves open, with probabilities chosen so that every group's expected count in the
July stock equals the plan's table (per municipality ``m``; ``T`` unemployed, ``U`` under 30,
``O`` over 50, ``F`` foreign, ``P`` partially able; ``I``, ``Y``, ``W`` the integration, youth and
multi-sector stocks of the segmentation):

* age band: youth → under 30; integration → under 30 with ``U/T``, over 50 with ``O/T``;
  other lines → over 50 with ``(O − I·O/T) / (T − Y − I)``, else 30–50;
* foreign national: integration → yes (in the integration phase); other lines → ``(F − I)/(T − I)``;
* partially able: multi-sector → ``min(1, P/W)``; other lines → the rest ``(P − W)⁺ / (T − W)``.

Long-term is not drawn: a customer is long-term unemployed while the spell is past 12 months.
"""

from __future__ import annotations

import numpy as np

from resurssimalli.scenario.customers import customer_mix, indicator_table
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import CUSTOMER_LINES

AGE_GROUPS = ("under_30", "30_50", "over_50")
STOCK_GROUPS = ("under_30", "over_50", "long_term", "partially_able", "foreign")
LONG_TERM_MONTHS = 12.0


def _line_stock(scenario: Scenario, munis: tuple[str, ...]) -> np.ndarray:
    """Segmented July stock [muni, line] with the scenario's stock/line multipliers divided out."""
    cfg = scenario.config.demand
    mix = customer_mix(scenario)
    out = np.zeros((len(munis), len(CUSTOMER_LINES)))
    for r in mix.itertuples(index=False):
        scale = cfg.stock_multiplier * cfg.line_multipliers.get(r.service_line, 1.0)
        out[munis.index(r.municipality), CUSTOMER_LINES.index(r.service_line)] = r.stock / scale
    return out


def _ratio(a: float, b: float) -> float:
    return float(np.clip(a / b, 0.0, 1.0)) if b > 0 else 0.0


def attribute_probabilities(scenario: Scenario, munis: tuple[str, ...]) -> dict[str, np.ndarray]:
    """``age_cum`` [muni, line, 3] (cumulative over AGE_GROUPS), ``foreign`` and
    ``partially_able`` [muni, line]: probabilities of the attributes given municipality and line."""
    ind = indicator_table(scenario)
    stock = _line_stock(scenario, munis)
    li = {line: i for i, line in enumerate(CUSTOMER_LINES)}
    nm, nl = len(munis), len(CUSTOMER_LINES)
    age = np.zeros((nm, nl, 3))
    foreign = np.zeros((nm, nl))
    able = np.zeros((nm, nl))
    for m, name in enumerate(munis):
        r = ind.loc[name]
        t, u, o = float(r["unemployed"]), float(r["unemployed_under_30"]), float(r["unemployed_over_50"])
        f, pa = float(r["foreign_nationals"]), float(r["partially_able_to_work"])
        i, y, w = (stock[m, li[x]] for x in ("integration", "youth", "multi_sector"))
        q_old = _ratio(o - i * _ratio(o, t), t - y - i)
        age[m, :, :] = (0.0, 1.0 - q_old, q_old)
        age[m, li["youth"], :] = (1.0, 0.0, 0.0)
        age[m, li["integration"], :] = (_ratio(u, t), 1.0 - _ratio(u, t) - _ratio(o, t), _ratio(o, t))
        foreign[m, :] = _ratio(f - i, t - i)
        foreign[m, li["integration"]] = 1.0
        able[m, :] = _ratio(max(pa - w, 0.0), t - w)
        able[m, li["multi_sector"]] = _ratio(pa, w)
    return {"age_cum": np.cumsum(age, axis=2), "foreign": foreign, "partially_able": able}
