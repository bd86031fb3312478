"""Fit exit hazards and inflow to the plan's tables (scipy ``least_squares``, posterior mode).

Parameters (52): the area's exit hazard per duration band (3), one factor per municipality ×
band (18), the area's registrations per July job seeker a year (1) and one factor per
municipality × service line (30). Targets, fitted in the expected-value model
(:mod:`resurssimalli.calibrate.projection`):

* the January–July 2023 share of new spells lasting past 3 months per municipality, with a
  binomial standard error for the municipality's entrants in those 7 months;
* the stock 12 months after July 2023 by municipality × the plan's groups (total, under 30,
  over 50, long-term, partially able, foreign nationals) equal to the July 2023 table, with a
  Poisson standard error ``√count`` (the stock stays where the plan measured it).

Pooling: every factor is a random effect, ``log factor ~ N(0, τ²)``, so the fit is the mode of
a posterior and a municipality with few customers (Kihniö, Punkalaidun) is shrunk toward the
area while Sastamala is fitted almost to its own figures. The area's hazards and inflow have
weak priors (``PRIORS``). The July 2022 → July 2023 change is kept out of the fit and reported
as an out-of-sample check.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from resurssimalli.calibrate.projection import BANDS, FlowInputs, past_3_months_share, project, rates
from resurssimalli.scenario.customers import indicator_table
from resurssimalli.scenario.demand import long_term_by_line
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import CUSTOMER_LINES
from resurssimalli.simulate.attributes import _line_stock, attribute_probabilities
from resurssimalli.simulate.calendar import build_calendar

FIT_PERIOD = "2023-07"
CHECK_PERIOD = "2022-07"
P3_KEY = "2023-01..07"
P3_MONTHS = 7
# Prior centres and spreads (log scale); see assumptions.csv "calibration.*".
PRIORS = {
    "hazard": {"0-3": 0.231, "3-12": 0.08, "12+": 0.13},  # 0-3: half of spells end within 3 months
    "hazard_sd": 0.5,
    "inflow_per_stock_year": 1.7,
    "inflow_sd": 0.5,
    "tau_hazard": 0.5,  # municipal hazard factors
    "tau_inflow": 1.0,  # municipal × line inflow factors (nuisance: the line split is an assumption)
}
GROUPS = ("total", "under_30", "over_50", "long_term", "partially_able", "foreign")
PLAN_ROWS = {
    "total": "unemployed",
    "under_30": "unemployed_under_30",
    "over_50": "unemployed_over_50",
    "long_term": "long_term_unemployed",
    "partially_able": "partially_able_to_work",
    "foreign": "foreign_nationals",
}


@dataclass(frozen=True)
class Problem:
    """The fit's data: inputs of the projection, the plan's targets and group weights."""

    munis: tuple[str, ...]
    flow: FlowInputs
    base_inflow: np.ndarray  # [muni, line] July stock by line: inflow = rate × this × factor
    weights: np.ndarray  # [muni, line, 4] P(under 30, over 50, partially able, foreign | muni, line)
    stock_plan: np.ndarray  # [muni, group] the plan's July counts (GROUPS)
    p3_plan: np.ndarray  # [muni]
    p3_n: np.ndarray  # [muni] entrants January-July (for the binomial standard error)


@dataclass(frozen=True)
class CalibrationFit:
    """The fitted parameters, residuals and how the optimiser ended."""

    area_hazard: dict[str, float]
    inflow_per_stock_year: float
    hazard_factor: pd.DataFrame  # index municipality, columns BANDS
    inflow_factor: pd.DataFrame  # index municipality, columns CUSTOMER_LINES
    residuals: pd.DataFrame  # check, municipality, group, plan, model, residual, z
    cost: float
    evaluations: int
    success: bool


def _with_period(scenario: Scenario, period: str) -> Scenario:
    demand = scenario.config.demand.model_copy(update={"stock_period": period})
    return dataclasses.replace(scenario, config=scenario.config.model_copy(update={"demand": demand}))


def problem(scenario: Scenario, period: str = FIT_PERIOD) -> Problem:
    """The fit's data for a stock period (the fit: July 2023; the check starts from July 2022)."""
    s = _with_period(scenario, period)
    munis = tuple(sorted(s.region.municipalities))
    stock = _line_stock(s, munis)
    probs = attribute_probabilities(s, munis)
    age = np.diff(probs["age_cum"], axis=2, prepend=0.0)
    weights = np.stack([age[..., 0], age[..., 2], probs["partially_able"], probs["foreign"]], axis=-1)
    year = int(period[:4])
    cal = build_calendar(pd.Timestamp(f"{year}-08-01").date(), 12)
    horizon = cal.month_start_days[12]
    sim = s.config.simulation
    lt = long_term_by_line(s).pivot(index="municipality", columns="service_line", values="long_term")
    flow = FlowInputs(
        stock0=stock,
        long_term0=lt.loc[list(munis), list(CUSTOMER_LINES)].to_numpy(dtype=float),
        line_mult=np.array([sim.line_hazard_multipliers.get(x, 1.0) for x in CUSTOMER_LINES]),
        season_day=np.array(s.config.demand.inflow_seasonality)[cal.cal_month[:horizon] - 1],
        horizon_days=float(horizon),
        max_elapsed=float(sim.max_elapsed_months),
    )
    fit_ind = indicator_table(_with_period(scenario, FIT_PERIOD)).loc[list(munis)]
    plan = np.stack([fit_ind[PLAN_ROWS[g]].to_numpy(dtype=float) for g in GROUPS], axis=1)
    p3 = np.array([s.region.flow_past_3_months[(P3_KEY, m)] / 100.0 for m in munis])
    base = _line_stock(_with_period(scenario, FIT_PERIOD), munis)
    n = PRIORS["inflow_per_stock_year"] * fit_ind["unemployed"].to_numpy(dtype=float) * P3_MONTHS / 12
    return Problem(munis, flow, base, weights, plan, p3, n)


def _unpack(theta: np.ndarray, nm: int, nl: int) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    area = np.exp(theta[:3])
    factor = np.exp(theta[3 : 3 + 3 * nm].reshape(nm, 3))
    rate = float(np.exp(theta[3 + 3 * nm]))
    inflow_factor = np.exp(theta[4 + 3 * nm :].reshape(nm, nl))
    return area, factor, rate, inflow_factor


def model_outputs(pr: Problem, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Projected stock at the horizon by municipality × GROUPS, and the past-3-months share."""
    nm, nl = pr.base_inflow.shape
    area, factor, rate, g = _unpack(theta, nm, nl)
    r = rates(area, factor, pr.flow.line_mult)
    inflow = rate * pr.base_inflow * g
    stock, long_term = project(pr.flow, r, inflow)
    w = pr.weights
    groups = [stock.sum(1), (stock * w[..., 0]).sum(1), (stock * w[..., 1]).sum(1), long_term.sum(1)]
    groups += [(stock * w[..., 2]).sum(1), (stock * w[..., 3]).sum(1)]
    return np.stack(groups, axis=1), past_3_months_share(r, inflow)


def _residuals(theta: np.ndarray, pr: Problem) -> np.ndarray:
    nm, nl = pr.base_inflow.shape
    stock, p3 = model_outputs(pr, theta)
    se3 = np.sqrt(pr.p3_plan * (1 - pr.p3_plan) / pr.p3_n)
    prior_area = np.log([PRIORS["hazard"][b] for b in BANDS])
    return np.concatenate(
        [
            ((p3 - pr.p3_plan) / se3),
            ((stock - pr.stock_plan) / np.sqrt(np.maximum(pr.stock_plan, 1.0))).ravel(),
            (theta[:3] - prior_area) / PRIORS["hazard_sd"],
            theta[3 : 3 + 3 * nm] / PRIORS["tau_hazard"],
            [(theta[3 + 3 * nm] - np.log(PRIORS["inflow_per_stock_year"])) / PRIORS["inflow_sd"]],
            theta[4 + 3 * nm :] / PRIORS["tau_inflow"],
        ]
    )


def _start(nm: int, nl: int) -> np.ndarray:
    theta = np.zeros(4 + 3 * nm + nm * nl)
    theta[:3] = np.log([PRIORS["hazard"][b] for b in BANDS])
    theta[3 + 3 * nm] = np.log(PRIORS["inflow_per_stock_year"])
    return theta


def _sparsity(nm: int, nl: int, ng: int) -> np.ndarray:
    """Which residuals each parameter moves: a municipality's factors only its own rows, so
    finite differences perturb all municipalities at once."""
    n_data = nm + nm * ng
    n_par = 4 + 3 * nm + nm * nl
    s = np.zeros((n_data + n_par, n_par), dtype=bool)
    s[:n_data, [0, 1, 2, 3 + 3 * nm]] = True  # area parameters touch every data row
    for m in range(nm):
        rows = [m, *range(nm + m * ng, nm + (m + 1) * ng)]
        cols = [*range(3 + 3 * m, 6 + 3 * m), *range(4 + 3 * nm + m * nl, 4 + 3 * nm + (m + 1) * nl)]
        s[np.ix_(rows, cols)] = True
    s[n_data:, :] = np.eye(n_par, dtype=bool)  # priors
    return s


def fit_calibration(scenario: Scenario) -> CalibrationFit:
    """Fit the parameters to the plan's tables (deterministic; a few seconds)."""
    pr = problem(scenario)
    nm, nl = pr.base_inflow.shape
    res = least_squares(
        _residuals,
        _start(nm, nl),
        args=(pr,),
        jac_sparsity=_sparsity(nm, nl, len(GROUPS)),
        xtol=1e-12,
        ftol=1e-12,
        gtol=1e-10,
    )
    area, factor, rate, g = _unpack(res.x, nm, nl)
    return CalibrationFit(
        area_hazard=dict(zip(BANDS, area.tolist(), strict=True)),
        inflow_per_stock_year=rate,
        hazard_factor=pd.DataFrame(factor, index=list(pr.munis), columns=list(BANDS)),
        inflow_factor=pd.DataFrame(g, index=list(pr.munis), columns=list(CUSTOMER_LINES)),
        residuals=pd.concat([_fit_table(pr, res.x), _check_table(scenario, res.x)], ignore_index=True),
        cost=float(res.cost),
        evaluations=int(res.nfev),
        success=bool(res.success),
    )


def _fit_table(pr: Problem, theta: np.ndarray) -> pd.DataFrame:
    stock, p3 = model_outputs(pr, theta)
    se3 = np.sqrt(pr.p3_plan * (1 - pr.p3_plan) / pr.p3_n)
    rows = [
        ("fit", m, "past_3_months_share", pr.p3_plan[i], p3[i], se3[i]) for i, m in enumerate(pr.munis)
    ]
    for i, m in enumerate(pr.munis):
        for j, g in enumerate(GROUPS):
            rows.append(("fit", m, f"stock_{g}", pr.stock_plan[i, j], stock[i, j], np.sqrt(max(pr.stock_plan[i, j], 1))))
    return _table(rows)


def _check_table(scenario: Scenario, theta: np.ndarray) -> pd.DataFrame:
    """Out of sample: from the July 2022 stock, 12 months on, against the July 2023 table."""
    pr = problem(scenario, CHECK_PERIOD)
    stock, _ = model_outputs(pr, theta)
    start = np.stack([indicator_table(_with_period(scenario, CHECK_PERIOD)).loc[list(pr.munis), PLAN_ROWS[g]] for g in GROUPS], axis=1)
    rows = []
    for i, m in enumerate(pr.munis):
        for j, g in enumerate(GROUPS):
            plan, model = pr.stock_plan[i, j] - start[i, j], stock[i, j] - start[i, j]
            rows.append(("check_2022_2023", m, f"change_{g}", plan, model, np.sqrt(max(pr.stock_plan[i, j], 1))))
    return _table(rows)


def _table(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["check", "municipality", "group", "plan", "model", "se"])
    df["residual"] = df["model"] - df["plan"]
    df["z"] = df["residual"] / df["se"]
    return df[["check", "municipality", "group", "plan", "model", "residual", "z"]]
