"""Who the customers are: the plan's overlapping indicator rows → disjoint service-need groups.

One rule, used by the optimiser (workload) and the simulation (initial stock and inflow).

For municipality m with ``T`` unemployed in the stock period, and the scenario's segmentation
shares (all assumptions, see ``assumptions.csv``):

* integration  ``I = integration_share_of_foreign × foreign_nationals``
* youth        ``Y = under_30 × (1 − I/T)``  (under-30s not already integration customers)
* multi-sector ``W = (long_term + partially_able_not_long_term_share × partially_able
  + weaker_share_of_over_50 × over_50) × (1 − (I+Y)/T)``, at most ``T − I − Y``
* the rest ``R = T − I − Y − W`` splits into competence development
  (``competence_share_of_rest × R``) and job brokering (the remainder).

Then the scenario's ``stock_multiplier`` and ``line_multipliers`` scale the groups; inflow per
year is ``inflow_per_stock_year × inflow_multiplier`` times each group's stock, times the fitted
municipality × line factor of ``data/calibration.csv`` when ``demand.calibrated`` is true.
Suppressed cells (only in 2022 foreign nationals) are spread over the suppressed
municipalities in proportion to their unemployed, keeping the known total of 7.

With ``demand.jobseekers`` (scenario/states.py) the lines hold the snapshot's unemployed less the
laid off (``counts``) or the stock period's less the snapshot's laid-off share (``ratios``): every
indicator of a municipality is scaled by the same factor, i.e. the stock period's mix (StatFin
12r5 has no under-30 count, and its disabled or long-term ill are not the plan's partially able).
"""

from __future__ import annotations

import pandas as pd

from resurssimalli.data.calibration import calibration_for
from resurssimalli.errors import InputError
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import CUSTOMER_LINES
from resurssimalli.scenario.states import unemployed_scale

INDICATORS = (
    "unemployed",
    "unemployed_under_30",
    "unemployed_over_50",
    "long_term_unemployed",
    "partially_able_to_work",
    "foreign_nationals",
)


def indicator_table(scenario: Scenario, period: str | None = None) -> pd.DataFrame:
    """Municipality × indicator counts for the stock period, suppressed cells imputed."""
    region = scenario.region
    period = period or scenario.config.demand.stock_period
    lm = region.labour_market
    wide = lm.wide(period)[list(INDICATORS)].copy()
    for ind in INDICATORS:
        missing = wide[ind].isna()
        if missing.any():
            hidden = lm.suppressed_totals[(ind, period)]
            weights = wide.loc[missing, "unemployed"]
            wide.loc[missing, ind] = hidden * weights / weights.sum()
    scale = unemployed_scale(scenario) if period == scenario.config.demand.stock_period else None
    if scale is not None:  # the lines' unemployed of demand.jobseekers, in the stock period's mix
        wide = wide.mul(scale.reindex(wide.index), axis=0)
    return wide


def customer_mix(scenario: Scenario) -> pd.DataFrame:
    """Stock and yearly inflow by municipality and customer service line.

    Columns: ``municipality, area, service_line, stock, inflow_per_year`` (floats, not rounded).
    """
    cfg = scenario.config.demand
    seg = cfg.segmentation
    rows = []
    factor = calibration_for(cfg.calibrated, scenario.region.data_dir).inflow_factor
    for m, r in indicator_table(scenario).iterrows():
        total = r["unemployed"]
        integ = seg.integration_share_of_foreign * r["foreign_nationals"]
        youth = r["unemployed_under_30"] * (1 - integ / total)
        weaker_raw = (
            r["long_term_unemployed"]
            + seg.partially_able_not_long_term_share * r["partially_able_to_work"]
            + seg.weaker_share_of_over_50 * r["unemployed_over_50"]
        )
        # capped: the groups are shares of one stock, so together they never exceed it
        weaker = min(weaker_raw * (1 - (integ + youth) / total), total - integ - youth)
        rest = total - integ - youth - weaker
        groups = {
            "integration": integ,
            "youth": youth,
            "multi_sector": weaker,
            "competence_development": seg.competence_share_of_rest * rest,
            "job_brokering": (1 - seg.competence_share_of_rest) * rest,
        }
        for line in CUSTOMER_LINES:
            stock = groups[line] * cfg.stock_multiplier * cfg.line_multipliers.get(line, 1.0)
            inflow = (
                groups[line]
                * cfg.line_multipliers.get(line, 1.0)
                * cfg.inflow_per_stock_year
                * cfg.inflow_multiplier
                * factor.get((m, line), 1.0)
            )
            rows.append((m, scenario.region.area_of(m), line, stock, inflow))
    return pd.DataFrame(rows, columns=["municipality", "area", "service_line", "stock", "inflow_per_year"])


def workforce(scenario: Scenario) -> pd.Series:
    """Workforce by municipality (2023 table × the scenario's workforce multiplier)."""
    lm = scenario.region.labour_market
    period = lm.latest_period("workforce")
    return pd.Series(
        {
            m: lm.value("workforce", period, m) * scenario.config.demand.workforce_multiplier
            for m in scenario.region.municipalities
        },
        name="workforce",
    )


def central_cost_key(scenario: Scenario) -> pd.Series:
    """Shares (summing to 1) by which municipalities pay the centralised costs."""
    cfg = scenario.config.costs
    region = scenario.region
    munis = list(region.municipalities)
    if cfg.central_cost_key == "custom":
        s = pd.Series({m: cfg.central_cost_shares[m] for m in munis})
    elif cfg.central_cost_key == "workforce":
        s = workforce(scenario)
    elif cfg.central_cost_key == "unemployed":
        s = indicator_table(scenario)["unemployed"].reindex(munis)
    elif cfg.central_cost_key == "population":
        if any(region.municipalities[m].population_2023 is None for m in munis):
            key, expected = "costs.central_cost_key", "a key the region's data have (its population is not)"
            raise InputError(scenario.path, key, expected)
        s = pd.Series({m: region.municipalities[m].population_2023 for m in munis})
    else:
        s = pd.Series(1.0, index=munis)
    return (s / s.sum()).rename("share")
