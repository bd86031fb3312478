"""The demand model: one set of rules for the work the customers bring, used by the optimiser's
workload (:mod:`resurssimalli.optimize.workload`) and the simulation's inputs
(:mod:`resurssimalli.simulate.params`). Nothing here is defined anywhere else.

Rules (every parameter is a scenario value listed in ``assumptions.csv``):

* **Exits.** A spell ends at a piecewise-constant monthly hazard by duration band (0-3, 3-12,
  12+ months: ``simulation.exit_hazard_per_month``) times the municipality's calibrated factor
  (``data/calibration.csv`` when ``demand.calibrated``) times the customer's original line's
  ``simulation.line_hazard_multipliers``; :func:`line_rates`, :func:`cum_hazard` / :func:`inv_cum_hazard`.
* **Stock and inflow.** :func:`~resurssimalli.scenario.customers.customer_mix` gives the stock
  and the yearly inflow by municipality × line; new registrations arrive at the daily rate
  ``inflow_per_year / 365.25 × inflow_seasonality[calendar month]``. The starting stock's
  long-term unemployed (elapsed spell ≥ 12 months) are multi-sector customers first
  (:func:`long_term_by_line`); elapsed spells are spread with density ∝ survival, below
  12 months or between 12 and ``simulation.max_elapsed_months``.
* **Meeting cadence.** An initial interview at registration; job-search conversations every
  ``first_phase_interval_weeks`` in the first ``first_phase_months`` of the spell, then every
  ``later_interval_months[line]``.
* **Line switching.** A job-brokering or competence-development customer moves to a
  multi-sector coach at the first conversation after ``multi_sector_after_months`` of the spell
  (for a customer already past it, the first conversation of the run): the switch age is
  ``max(threshold, age at start) + U(0, later interval)``. The exit hazard stays that of the
  original line.
* **Plant closures.** ``round(layoffs × registration_share)`` registrations
  (:func:`closure_registrations`) spread evenly over ``spread_working_days`` working days
  (≈ × 7/5 calendar days) from the closure date, split by the closure's ``service_mix``.
* **Employer requests.** ``workforce / 1000 × employer_service_hours_per_1000_workforce`` hours a
  year per municipality, in requests of ``employer_request_hours`` (:func:`employer_requests_per_day`).

:func:`project` turns these into the expected stock, interviews, conversations and staff hours
per municipality × line × month over the horizon, day by day (coach work between meetings:
``coach_hours_per_customer_year`` of the line the customer is in now).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from resurssimalli.data.calibration import calibration_for
from resurssimalli.scenario.customers import customer_mix, indicator_table, workforce
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import CUSTOMER_LINES
from resurssimalli.scenario.states import source_of as states_source
from resurssimalli.scenario.states import state_flows

# the unit constants are re-exported: the simulation reads DAYS_PER_MONTH and DAYS_PER_YEAR here
from resurssimalli.units import DAYS_PER_MONTH, DAYS_PER_YEAR, MINUTES_PER_HOUR, WEEKS_PER_YEAR  # noqa: F401

HAZARD_BANDS = (("0-3", 0.0, 3.0), ("3-12", 3.0, 12.0), ("12+", 12.0, math.inf))
SWITCHING_LINES = ("job_brokering", "competence_development")
SWITCH_TO = "multi_sector"
ELAPSED_STEP_MONTHS = 0.05  # grid of the starting stock's elapsed spells in the projection
PROJECTION_COLUMNS = [
    "municipality",
    "service_line",
    "origin_line",
    "source",
    "demand_point",
    "month",
    "days",
    "stock_end",
    "stock_mean",
    "registrations",
    "conversations",
    "meetings",
    "hours",
]


# -- exits ------------------------------------------------------------------------------------------


def line_rates(scenario: Scenario, line: str, municipality: str | None = None) -> tuple[float, float, float]:
    """Monthly exit hazards (0-3, 3-12, 12+ months) of a customer whose spell began in ``line``;
    with a ``municipality``, times its calibrated factor per band (``demand.calibrated``)."""
    sim = scenario.config.simulation
    mult = sim.line_hazard_multipliers.get(line, 1.0)
    hz = dict(sim.exit_hazard_per_month)
    if municipality is not None:
        cal = calibration_for(scenario.config.demand.calibrated, scenario.region.data_dir)
        hz = cal.hazards(municipality, hz)
    return tuple(hz[band] * mult for band, _, _ in HAZARD_BANDS)  # type: ignore[return-value]


def cum_hazard(a: np.ndarray, r) -> np.ndarray:
    """Cumulative exit hazard at spell length ``a`` (months); ``r`` = the three band rates."""
    e1, e2 = HAZARD_BANDS[1][1], HAZARD_BANDS[2][1]
    return r[0] * np.minimum(a, e1) + r[1] * np.clip(a - e1, 0.0, e2 - e1) + r[2] * np.maximum(a - e2, 0.0)


def inv_cum_hazard(y: np.ndarray, r) -> np.ndarray:
    """Spell length (months) at which the cumulative hazard reaches ``y`` (inf if never)."""
    e1, e2 = HAZARD_BANDS[1][1], HAZARD_BANDS[2][1]
    h1 = e1 * r[0]
    h2 = h1 + (e2 - e1) * r[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        a0 = np.where(r[0] > 0, y / r[0], np.inf)
        a1 = np.where(r[1] > 0, e1 + (y - h1) / r[1], np.inf)
        a2 = np.where(r[2] > 0, e2 + (y - h2) / r[2], np.inf)
    return np.where(y <= h1, a0, np.where(y <= h2, a1, a2))


def expected_months_within(months: float, hazards: Mapping[str, float], multiplier: float = 1.0) -> float:
    """``∫₀^months S(t) dt`` for a spell with piecewise-constant monthly exit hazards by band."""
    total, survival = 0.0, 1.0
    for band, lo, hi in HAZARD_BANDS:
        if months <= lo:
            break
        width = min(months, hi) - lo
        h = hazards[band] * multiplier
        total += survival * (width if h <= 0 else (1 - math.exp(-h * width)) / h)
        survival *= math.exp(-h * width)
    return total


# -- counts shared by the optimiser and the simulation ------------------------------------------


def closure_registrations(layoffs: float, registration_share: float) -> int:
    """People a plant closure brings to the employment services (whole people)."""
    return int(round(layoffs * registration_share))


def employer_hours_per_year(scenario: Scenario) -> pd.Series:
    """Employer-service hours a year by municipality."""
    svc = scenario.config.service
    return (workforce(scenario) / 1000.0 * svc.employer_service_hours_per_1000_workforce).rename("hours")


def employer_requests_per_day(scenario: Scenario) -> pd.Series:
    """Employer-service requests a day by municipality (Poisson rate of the simulation)."""
    svc = scenario.config.service
    return (employer_hours_per_year(scenario) / svc.employer_request_hours / DAYS_PER_YEAR).rename("rate")


def long_term_by_line(scenario: Scenario) -> pd.DataFrame:
    """Expected long-term unemployed of the starting stock by municipality × line.

    The municipality's long-term count (plan table × ``stock_multiplier``, at most its stock)
    goes to multi-sector customers first, the rest in proportion to the other lines' stock.
    Columns: ``municipality, service_line, stock, long_term``.
    """
    mix = customer_mix(scenario)
    ind = indicator_table(scenario)
    mult = scenario.config.demand.stock_multiplier
    rows = []
    for m, g in mix.groupby("municipality", sort=True):
        stock = g.set_index("service_line")["stock"]
        lt = min(float(ind.loc[m, "long_term_unemployed"]) * mult, float(stock.sum()))
        multi = min(lt, float(stock[SWITCH_TO]))
        others = stock.drop(SWITCH_TO)
        rest = (lt - multi) * others / others.sum() if others.sum() > 0 else others * 0.0
        for line in CUSTOMER_LINES:
            rows.append((m, line, float(stock[line]), multi if line == SWITCH_TO else float(rest[line])))
    return pd.DataFrame(rows, columns=["municipality", "service_line", "stock", "long_term"])


# -- the horizon, day by day ----------------------------------------------------------------------


def add_months(d: dt.date, months: int) -> dt.date:
    """The date ``months`` calendar months after ``d`` (day clipped at 28 unless it is the 1st)."""
    y, m = divmod(d.month - 1 + months, 12)
    return dt.date(d.year + y, m + 1, 1) if d.day == 1 else dt.date(d.year + y, m + 1, min(d.day, 28))


def horizon_days(start: dt.date, months: int) -> tuple[np.ndarray, np.ndarray]:
    """Per day of the horizon: (KPI month index from the start, calendar month 1..12)."""
    bounds = [(add_months(start, k) - start).days for k in range(months + 1)]
    days = np.arange(bounds[-1])
    kpi = np.searchsorted(np.array(bounds[1:]), days, side="right")
    cal = np.array([(start + dt.timedelta(days=int(d))).month for d in days])
    return kpi, cal


def next_step_days(age_days: float, first_phase_days: float, first_days: float, later_days: float) -> int:
    """Whole days from a conversation due at spell age ``age_days`` to the next one: the first
    phase's interval while the next one still falls in the first phase, else the line's later
    interval (the meeting cadence; the simulation books with it)."""
    return int(round(first_days if age_days + first_days <= first_phase_days else later_days))


def conversation_schedule(svc, line: str, n_days: int) -> list[tuple[int, str]]:
    """(spell age in days, line of the coach) of every conversation of a customer interviewed at
    registration, within ``n_days``; the coach changes at the first conversation past the switch."""
    fp = svc.first_phase_months * DAYS_PER_MONTH
    first = svc.first_phase_interval_weeks * 7.0
    switch = svc.multi_sector_after_months * DAYS_PER_MONTH
    age, now, out = 0, line, []
    while True:
        if now in SWITCHING_LINES and age >= switch:
            now = SWITCH_TO
        age += next_step_days(age, fp, first, svc.later_interval_months[now] * DAYS_PER_MONTH)
        if age >= n_days:
            return out
        out.append((age, now))


def _switch_share(line: str, age_days: np.ndarray, start_age_days: np.ndarray, svc) -> np.ndarray:
    """Share of starting-stock customers (random meeting phase) of spell age ``age_days`` that
    have a multi-sector coach: the switch falls uniformly in one later interval after the threshold."""
    if line not in SWITCHING_LINES:
        return np.zeros_like(age_days)
    interval = svc.later_interval_months[line] * DAYS_PER_MONTH
    begin = np.maximum(svc.multi_sector_after_months * DAYS_PER_MONTH, start_age_days)
    return np.clip((age_days - begin) / interval, 0.0, 1.0)


def _stock_profile(scenario: Scenario, line: str, r, long_term: bool, n_days: int) -> np.ndarray:
    """[4, day] per starting-stock customer: alive, switched, conversations a day by the own
    line's coach and by a multi-sector coach (elapsed spell ∝ survival; meetings at a random
    phase of their interval, so at the rate 1 / interval)."""
    svc = scenario.config.service
    lo, hi = (12.0, float(scenario.config.simulation.max_elapsed_months)) if long_term else (0.0, 12.0)
    a0 = np.arange(lo + ELAPSED_STEP_MONTHS / 2, hi, ELAPSED_STEP_MONTHS)
    weight = np.exp(-cum_hazard(a0, r))
    weight /= weight.sum()
    start = (a0 * DAYS_PER_MONTH)[:, None]
    age = start + (np.arange(n_days) + 0.5)[None, :]
    alive = np.exp(-(cum_hazard(age / DAYS_PER_MONTH, r) - cum_hazard(start / DAYS_PER_MONTH, r)))
    first = alive * (age < svc.first_phase_months * DAYS_PER_MONTH)
    switched = alive * _switch_share(line, age, start, svc)
    conv_own = first / (svc.first_phase_interval_weeks * 7.0) + (alive - first - switched) / (
        svc.later_interval_months[line] * DAYS_PER_MONTH
    )
    conv_multi = switched / (svc.later_interval_months[SWITCH_TO] * DAYS_PER_MONTH)
    return np.einsum("g,kgt->kt", weight, np.stack([alive, switched, conv_own, conv_multi]))


def _new_profile(scenario: Scenario, line: str, r, n_days: int) -> np.ndarray:
    """[4, day of spell] per new registration: alive, switched, conversations by the own line's
    coach and by a multi-sector coach, on the days :func:`conversation_schedule` sets."""
    alive = np.exp(-cum_hazard((np.arange(n_days) + 0.5) / DAYS_PER_MONTH, r))
    out = np.zeros((4, n_days))
    out[0] = alive
    svc = scenario.config.service
    schedule = conversation_schedule(svc, line, n_days)
    for age, coach in schedule:
        out[2 if coach == line else 3, age] = alive[age]
    if line in SWITCHING_LINES:  # the coach changes after the first conversation past the threshold
        threshold = svc.multi_sector_after_months * DAYS_PER_MONTH
        at = next((age for age, _ in schedule if age >= threshold), None)
        if at is not None:
            out[1, at + 1 :] = alive[at + 1 :]
    return out


def _cohort(rate: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """[4, day] expected states and conversations of customers registering at ``rate`` a day."""
    n = len(rate)
    return np.stack([np.convolve(rate, kernel[k])[:n] for k in range(len(kernel))])


def _work(states: np.ndarray, reg: np.ndarray, line: str, svc) -> dict[str, np.ndarray]:
    """[4, day] stock, registrations, conversations and staff hours by the line doing the work."""
    alive, switched, conv, conv_m = states
    hours = (
        reg * svc.initial_interview_minutes / MINUTES_PER_HOUR
        + conv * svc.meeting_minutes[line] / MINUTES_PER_HOUR
        + (alive - switched) * svc.coach_hours_per_customer_year[line] / DAYS_PER_YEAR
    )
    out = {line: np.stack([alive - switched, reg, conv, hours])}
    if line in SWITCHING_LINES:
        hours_m = conv_m * svc.meeting_minutes[SWITCH_TO] / MINUTES_PER_HOUR + switched * (
            svc.coach_hours_per_customer_year[SWITCH_TO] / DAYS_PER_YEAR
        )
        out[SWITCH_TO] = np.stack([switched, np.zeros_like(reg), conv_m, hours_m])
    return out


def _closure_rates(scenario: Scenario, n_days: int) -> list[tuple[object, str, np.ndarray]]:
    """(closure, line, registrations a day) for every plant closure × line of its mix."""
    cfg = scenario.config
    out = []
    for pc in cfg.demand.plant_closures:
        n = closure_registrations(pc.layoffs, pc.registration_share)
        d0 = (pc.date - cfg.horizon.start).days
        span = max(1, math.ceil(pc.spread_working_days * 7 / 5))
        rate = np.zeros(n_days)
        lo, hi = max(d0, 0), min(d0 + span, n_days)
        if hi > lo:
            rate[lo:hi] = n / span
        total = sum(pc.service_mix.values())
        for line, share in pc.service_mix.items():
            if share > 0:
                out.append((pc, line, rate * share / total))
    return out


def _groups(scenario: Scenario, n_days: int, cal_month: np.ndarray):
    """(municipality, origin line, source, demand point, states[3, day], registrations[day])."""
    season = np.array(scenario.config.demand.inflow_seasonality)[cal_month - 1]
    cache: dict[tuple, np.ndarray] = {}  # by line and rates: municipalities alike share them

    def profile(m: str, ln: str, kind: str) -> np.ndarray:
        r = line_rates(scenario, ln, m)
        if (ln, r, kind) not in cache:
            cache[(ln, r, kind)] = (
                _new_profile(scenario, ln, r, n_days)
                if kind == "inflow"
                else _stock_profile(scenario, ln, r, kind == "long_term", n_days)
            )
        return cache[(ln, r, kind)]

    mix = customer_mix(scenario).set_index(["municipality", "service_line"])["inflow_per_year"]
    for r in long_term_by_line(scenario).itertuples(index=False):
        m, ln = r.municipality, r.service_line
        rate = float(mix[(m, ln)]) / DAYS_PER_YEAR * season
        states = (
            (r.stock - r.long_term) * profile(m, ln, "short")
            + r.long_term * profile(m, ln, "long_term")
            + _cohort(rate, profile(m, ln, "inflow"))
        )
        yield m, ln, "customers", None, states, rate
    for pc, line, rate in _closure_rates(scenario, n_days):
        kernel = profile(pc.municipality, line, "inflow")
        yield pc.municipality, line, pc.name, pc.demand_point, _cohort(rate, kernel), rate


def _state_rows(scenario: Scenario, days: np.ndarray) -> list[tuple]:
    """The customer states' rows (:func:`~resurssimalli.scenario.states.state_flows`): a stock held
    by its calibrated entries, meetings at the state's cadence and coach hours, day by day."""
    rows = []
    for f in state_flows(scenario).itertuples(index=False):
        per_day = np.array([f.meetings_per_year, f.hours_per_year]) / DAYS_PER_YEAR
        for k, d in enumerate(days):
            meetings, hours = per_day * d
            rows.append(
                (f.municipality, f.service_line, f.service_line, states_source(f.state), None, k, int(d),
                 f.stock, f.stock, 0.0, meetings, meetings, hours)
            )
    return rows


def project(scenario: Scenario) -> pd.DataFrame:
    """Expected stock, registrations, meetings and staff hours per municipality × line × month.

    One row per municipality, ``service_line`` (the line whose coaches do the work: switched
    customers count under multi-sector), ``origin_line`` (the line the spell began in),
    ``source`` (``"customers"``, a plant closure's name or ``state:<state>`` for a customer state of
    ``demand.jobseekers``), ``demand_point`` (a closure's, else
    None) and KPI ``month`` (0 = the horizon's first). ``stock_end`` is the expected count on the
    month's last day, ``stock_mean`` the mean over its ``days``; ``meetings`` = ``registrations``
    (initial interviews) + ``conversations``; ``hours`` include coach work between meetings.
    """
    h = scenario.config.horizon
    kpi, cal = horizon_days(h.start, h.months)
    n_days = len(kpi)
    last = np.r_[kpi[1:] != kpi[:-1], True]
    days = np.bincount(kpi, minlength=h.months)
    rows = _state_rows(scenario, days)
    for muni, origin, source, point, states, reg in _groups(scenario, n_days, cal):
        for line, w in _work(states, reg, origin, scenario.config.service).items():
            sums = [np.bincount(kpi, weights=w[k], minlength=h.months) for k in range(4)]
            ends = w[0][last]
            for k in range(h.months):
                rows.append(
                    (
                        muni,
                        line,
                        origin,
                        source,
                        point,
                        k,
                        int(days[k]),
                        float(ends[k]),
                        sums[0][k] / days[k],
                        sums[1][k],
                        sums[2][k],
                        sums[1][k] + sums[2][k],
                        sums[3][k],
                    )
                )
    return pd.DataFrame(rows, columns=PROJECTION_COLUMNS)


def daily_hours(scenario: Scenario) -> pd.DataFrame:
    """Expected staff hours per municipality × line × day of the horizon: the ``hours`` of
    :func:`project` before they are summed by month (``day`` 0 = the horizon start; the line whose
    coaches do the work; employer requests not included). The leave planner reads weeks from it.
    """
    h = scenario.config.horizon
    kpi, cal = horizon_days(h.start, h.months)
    n_days = len(kpi)
    acc: dict[tuple[str, str], np.ndarray] = {}
    for muni, origin, _source, _point, states, reg in _groups(scenario, n_days, cal):
        for line, w in _work(states, reg, origin, scenario.config.service).items():
            acc[(muni, line)] = acc.get((muni, line), np.zeros(n_days)) + w[3]
    return pd.DataFrame(
        [(m, ln, d, float(v)) for (m, ln), arr in sorted(acc.items()) for d, v in enumerate(arr)],
        columns=["municipality", "service_line", "day", "hours"],
    )


__all__ = [
    "DAYS_PER_MONTH",
    "DAYS_PER_YEAR",
    "HAZARD_BANDS",
    "PROJECTION_COLUMNS",
    "SWITCHING_LINES",
    "SWITCH_TO",
    "WEEKS_PER_YEAR",
    "add_months",
    "closure_registrations",
    "conversation_schedule",
    "daily_hours",
    "cum_hazard",
    "employer_hours_per_year",
    "employer_requests_per_day",
    "expected_months_within",
    "horizon_days",
    "inv_cum_hazard",
    "line_rates",
    "long_term_by_line",
    "next_step_days",
    "project",
]
