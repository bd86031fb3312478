"""Frozen simulation inputs derived from a Scenario and an Allocation (pure; no randomness).

Everything the SimPy model needs is resolved here into plain numbers, tuples and read-only
numpy arrays: the calendar, the starting stock and the inflow by municipality and service
line, demand points and their sites (from the optimiser's access table), exit hazards, the
service process, the people (:mod:`.people`) and their organisation (:mod:`.teams`), absences
(:mod:`.roster`) and shortages, employer requests and plant closures.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from resurssimalli.data.region import Region
from resurssimalli.errors import InputError
from resurssimalli.scenario.customers import customer_mix, indicator_table
from resurssimalli.scenario.demand import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    closure_registrations,
    employer_requests_per_day,
    line_rates,
)
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import CUSTOMER_LINES, UNCOVERED_SITE, Benefit, ReferenceAbsence
from resurssimalli.simulate.allocation import Allocation
from resurssimalli.simulate.attributes import attribute_probabilities
from resurssimalli.simulate.calendar import SimCalendar, build_calendar
from resurssimalli.simulate.customer_states import StateParams, state_params
from resurssimalli.simulate.exit_effect import OFF, ExitEffect, build_exit_effect
from resurssimalli.simulate.openings import nearest_open_site, site_fields
from resurssimalli.simulate.people import EMPLOYER_LINE, MIN_PART_TIME_FTE, build_people
from resurssimalli.simulate.planned_leave import planned_days
from resurssimalli.simulate.roster import rota_days
from resurssimalli.simulate.staffing import staffed_for_plan
from resurssimalli.simulate.teams import staff_tables

LINES = CUSTOMER_LINES
LINE_INDEX = {line: i for i, line in enumerate(LINES)}
# Candidate registrations per July-2023 job seeker and year; thinned to the scenario's inflow.
# Scenario-independent, so that scenarios share their registrations (common random numbers).
ENVELOPE_PER_STOCK_YEAR = 8.0


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Closure:
    """A plant closure's registrations: ``n`` people over ``spread`` working days from ``day``."""

    name: str
    day: int
    n: int
    municipality: int
    demand_point: int  # -1: drawn from the municipality's shares
    line_cum: tuple[float, ...]
    spread: int


@dataclass(frozen=True)
class Shortage:
    start_day: int
    end_day: int
    vacancy_share: float
    extra_sick_leave_share: float


@dataclass(frozen=True)
class SimParams:
    """All inputs of one simulation run (frozen; arrays read-only)."""

    scenario: str
    calendar: SimCalendar
    municipalities: tuple[str, ...]
    areas: tuple[str, ...]
    muni_area: tuple[int, ...]
    # customers
    stock_counts: np.ndarray  # [muni, line] int
    long_term_counts: np.ndarray  # [muni] int
    inflow_per_day: np.ndarray  # [muni, line] before seasonality
    seasonality: np.ndarray  # [12], calendar months 1..12 at index 0..11
    envelope_per_day: np.ndarray  # [muni]
    age_cum: np.ndarray  # [muni, line, 3] cumulative probabilities of the age bands (attributes.py)
    foreign_prob: np.ndarray  # [muni, line]
    partially_able_prob: np.ndarray  # [muni, line]
    # places
    demand_points: tuple[str, ...]
    dp_cum_by_muni: tuple[tuple[tuple[int, ...], tuple[float, ...]], ...]
    access_cum: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]  # per dp: (cum shares, minutes)
    uncovered_share: tuple[float, ...]  # per demand point: share of its visits the plan left uncovered
    # exits
    hazard: np.ndarray  # [muni, line, band] monthly exit hazard, bands 0-3, 3-12, 12+ months (base)
    max_elapsed_months: float
    # service
    interview_minutes: float
    first_phase_days: float
    first_phase_interval_days: float
    later_interval_days: tuple[float, ...]
    meeting_minutes: tuple[float, ...]
    indirect_minutes_per_duty_day: tuple[float, ...]
    remote_share: float
    multi_sector_after_days: float
    # by day d of the calendar: the day a conversation due on d must be held by (d + the grace
    # working days) and the day a customer registering on d must be interviewed by
    conv_deadline: tuple[int, ...]
    interview_deadline: tuple[int, ...]
    # staff (simulate.people): people, and their slots — one per (person, line), FTE = the share
    person_fte: tuple[float, ...]
    person_area: tuple[int, ...]
    person_ordinal: tuple[int, ...]  # order within the area (the roster stream's key)
    person_shares: tuple[tuple[tuple[str, float], ...], ...]
    person_slots: tuple[tuple[int, ...], ...]  # slots of each person
    person_pools: tuple[tuple[int, ...], ...]  # interview pools each person serves
    person_employer: tuple[tuple[int, float], ...]  # (employer team, FTE share) or (-1, 0.0)
    coach_fte: tuple[float, ...]  # per slot: the person's share of the line
    coach_line: tuple[str, ...]
    coach_area: tuple[int, ...]
    coach_person: tuple[int, ...]
    teams: tuple[tuple[int, ...], ...]  # slots of each customer team
    team_line: tuple[int, ...]
    team_for: tuple[tuple[int, ...], ...]  # [area][line] -> team
    pools: tuple[tuple[int, ...], ...]  # slots sharing an initial-interview queue
    pool_people: tuple[tuple[int, ...], ...]  # people serving each pool
    pool_cover: tuple[tuple[int, ...], ...]  # per pool: the pools that cover it, in order
    pool_for: tuple[tuple[int, ...], ...]  # [area][line] -> pool
    employer_team_for: tuple[int, ...]  # [area] -> employer team index (-1: none anywhere)
    employer_teams: tuple[tuple[int, ...], ...]  # slots
    minutes_per_duty_day: float
    other_share: float
    summer_leave: str  # "rota" | "july" | "staggered" (simulate.roster)
    summer_leave_days: int
    planned_leave: np.ndarray | None  # [person, day] planned summer leave (rota or optimiser)
    shortages: tuple[Shortage, ...]
    # employers
    employer_requests_per_day: np.ndarray  # [muni]
    employer_request_minutes: float
    closures: tuple[Closure, ...]
    event_log: bool
    # outcomes (issue 13): the exit hazard's service multiplier; the benefit financing model
    exit_effect: ExitEffect = OFF
    benefit: Benefit | None = None
    # sites (issue 10, item 8): face-to-face meetings only on a site's opening days (openings.py)
    sites: tuple[str, ...] = ()  # every site of the region, sorted
    access_site: tuple[tuple[int, ...], ...] = ()  # per dp: index in ``sites``, parallel to access_cum
    site_open: np.ndarray | None = None  # [site, day] bool
    # customer states beyond the unemployed (issue 26, customer_states.py); None: the unemployed only
    states: StateParams | None = None

    @property
    def n_coaches(self) -> int:
        """Slots: one per (person, line)."""
        return len(self.coach_fte)

    @property
    def n_people(self) -> int:
        return len(self.person_fte)

    @property
    def months(self) -> int:
        return self.calendar.months


def _integerise(values: np.ndarray) -> np.ndarray:
    """Round to integers keeping the rounded total (largest remainder)."""
    floor = np.floor(values + 1e-9).astype(np.int64)
    short = int(round(float(values.sum()))) - int(floor.sum())
    if short > 0:
        order = np.argsort(-(values - floor), kind="stable")
        floor[order[:short]] += 1
    return floor


def base_hazards(scenario: Scenario, munis: tuple[str, ...]) -> np.ndarray:
    """Monthly exit hazard [muni, line, band]: the scenario's area hazard per band × the calibrated
    municipal factor (``demand.calibrated``) × the line's multiplier."""
    return np.array([[line_rates(scenario, line, name) for line in LINES] for name in munis], dtype=float)


def reference_duty_days(start: dt.date, ref: ReferenceAbsence) -> float:
    """Expected on-duty days of a person in the year from ``start`` under the reference absence:
    the working days less the summer leave, less the other absence on the rest."""
    year_cal = build_calendar(start, 12)
    work = float(year_cal.working[: year_cal.n_days].sum())
    return (work - ref.summer_leave_days) * (1 - ref.other_share)


def _nearest_open_minutes(region: Region, alloc: Allocation, point: str) -> float:
    """One-way minutes from a demand point to the nearest site the plan opens (any distance)."""
    return float(region.travel.minutes[(point, nearest_open_site(region, alloc, point))])


def _access_cum(
    region: Region, alloc: Allocation, dps: tuple[str, ...]
) -> list[tuple[tuple[float, ...], tuple[float, ...]]]:
    """Per demand point: cumulative shares of its face-to-face sites and their one-way minutes.

    Visits the optimiser left uncovered (``(uncovered)`` rows, penalised) are served at the nearest
    open site, within the limit or beyond it, so every plan the optimiser returns can be simulated;
    the KPI ``registrations_uncovered_by_plan`` counts them.
    """
    out = []
    acc = alloc.access
    for p in dps:
        rows = acc[(acc["demand_point"] == p) & (acc["share"] > 0)].sort_values("site")
        shares = rows["share"].to_numpy(dtype=float)
        minutes = [
            _nearest_open_minutes(region, alloc, p) if site == UNCOVERED_SITE else float(m)
            for site, m in zip(rows["site"], rows["minutes"], strict=True)
        ]
        out.append((tuple(np.cumsum(shares / shares.sum())), tuple(minutes)))
    return out


def _uncovered_shares(alloc: Allocation, dps: tuple[str, ...]) -> tuple[float, ...]:
    """Per demand point, the share of its face-to-face visits the plan left without a site."""
    acc = alloc.access
    by_point = acc[acc["site"] == UNCOVERED_SITE].groupby("demand_point")["share"].sum()
    return tuple(float(by_point.get(d, 0.0)) for d in dps)


def _horizon(scenario: Scenario, months: int | None) -> SimCalendar:
    """The simulated calendar: the scenario's horizon, or ``months`` from its start."""
    cfg = scenario.config
    n_months = months if months is not None else cfg.horizon.months
    if n_months < 1:
        raise InputError("--months", "months", f"a positive number of months, got {n_months}")
    margin = booking_margin_days(scenario)
    return build_calendar(cfg.horizon.start, n_months, cfg.simulation.warm_up_days, margin)


def booking_margin_days(scenario: Scenario) -> int:
    """Calendar days beyond the horizon's end that a booking made on its last day can reach: the
    longest meeting interval (a line's later cadence, the first phase's, a customer state's) and
    the conversation's grace in working days (7 calendar days per 5, and a week of holidays). A due
    day beyond the calendar has no deadline to look up; a deadline beyond it is never reached."""
    svc = scenario.config.service
    months = [*svc.later_interval_months.values(), *(x.interval_months for x in svc.states.values())]
    step = max(max(months, default=0.0) * DAYS_PER_MONTH, svc.first_phase_interval_weeks * 7.0)
    grace = svc.conversation_grace_working_days * 7 / 5 + 7
    return int(math.ceil(step + grace)) + 1


def _customers(scenario: Scenario, munis: tuple[str, ...]) -> dict:
    """Starting stock, inflow, the registration envelope and customer attributes by municipality."""
    cfg = scenario.config
    mix = customer_mix(scenario)
    stock = np.zeros((len(munis), len(LINES)))
    inflow = np.zeros((len(munis), len(LINES)))
    for r in mix.itertuples(index=False):
        stock[munis.index(r.municipality), LINE_INDEX[r.service_line]] = r.stock
        inflow[munis.index(r.municipality), LINE_INDEX[r.service_line]] = r.inflow_per_year
    stock_counts = np.vstack([_integerise(row) for row in stock])
    ind = indicator_table(scenario)
    lt = np.array([ind.loc[m, "long_term_unemployed"] * cfg.demand.stock_multiplier for m in munis])
    long_term = np.minimum(np.rint(lt).astype(np.int64), stock_counts.sum(axis=1))
    attrs = attribute_probabilities(scenario, munis)
    seasonality = np.array(cfg.demand.inflow_seasonality, dtype=float)
    return {
        "stock_counts": _ro(stock_counts),
        "long_term_counts": _ro(long_term),
        "inflow_per_day": _ro(inflow / DAYS_PER_YEAR),
        "seasonality": _ro(seasonality),
        "envelope_per_day": _ro(_envelope(scenario, munis, inflow, seasonality)),
        "age_cum": _ro(attrs["age_cum"]),
        "foreign_prob": _ro(attrs["foreign"]),
        "partially_able_prob": _ro(attrs["partially_able"]),
    }


def _envelope(
    scenario: Scenario, munis: tuple[str, ...], inflow: np.ndarray, seasonality: np.ndarray
) -> np.ndarray:
    """Candidate registrations a day per municipality, never below the scenario's peak inflow."""
    lm = scenario.region.labour_market
    period = scenario.config.demand.stock_period
    envelope = np.array(
        [ENVELOPE_PER_STOCK_YEAR * lm.value("unemployed", period, m) / DAYS_PER_YEAR for m in munis]
    )
    peak = inflow.sum(axis=1) / DAYS_PER_YEAR * seasonality.max()
    return np.maximum(envelope, peak * 1.000001)  # beyond the envelope: correct, fewer shared numbers


def _places(region: Region, alloc: Allocation, munis: tuple[str, ...]) -> dict:
    """Demand points by municipality, and the optimiser's sites for each demand point."""
    dps = tuple(sorted(region.demand_points))
    dp_cum = []
    for m in munis:
        idx = tuple(dps.index(p) for p in sorted(region.points_in(m)))
        shares = np.array([region.demand_points[dps[i]].customer_share for i in idx])
        dp_cum.append((idx, tuple(np.cumsum(shares / shares.sum()))))
    return {
        "demand_points": dps,
        "dp_cum_by_muni": tuple(dp_cum),
        "access_cum": tuple(_access_cum(region, alloc, dps)),
        "uncovered_share": _uncovered_shares(alloc, dps),
    }


def _service(scenario: Scenario) -> dict:
    """The service process: deadlines, meeting intervals and minutes, remote share."""
    svc = scenario.config.service
    return {
        "max_elapsed_months": float(scenario.config.simulation.max_elapsed_months),
        "interview_minutes": svc.initial_interview_minutes,
        "first_phase_days": svc.first_phase_months * DAYS_PER_MONTH,
        "first_phase_interval_days": svc.first_phase_interval_weeks * 7.0,
        "later_interval_days": tuple(svc.later_interval_months[line] * DAYS_PER_MONTH for line in LINES),
        "meeting_minutes": tuple(svc.meeting_minutes[line] for line in LINES),
        "remote_share": svc.remote_share,
        "multi_sector_after_days": svc.multi_sector_after_months * DAYS_PER_MONTH,
    }


def _deadlines(scenario: Scenario, cal: SimCalendar) -> dict:
    """The deadline day of each calendar day, worked out once per run, not per replication."""
    svc = scenario.config.service
    days = range(len(cal.working))
    return {
        "conv_deadline": tuple(cal.add_working_days(d, svc.conversation_grace_working_days) for d in days),
        "interview_deadline": tuple(
            cal.add_working_days(d, svc.initial_interview_deadline_working_days) for d in days
        ),
    }


def _line_htv(alloc: Allocation, areas: tuple[str, ...]) -> dict[tuple[int, str], float]:
    """HTV per (area index, line) of customer work and employer services (centralised functions
    meet no customers)."""
    htv = alloc.allocation.groupby(["area", "service_line"])["htv"].sum()
    return {
        (areas.index(a), str(line)): float(h)
        for (a, line), h in htv.items()
        if (line in LINES or line == EMPLOYER_LINE) and float(h) > 1e-6
    }


def _staff(alloc: Allocation, areas: tuple[str, ...], min_part_time: float = MIN_PART_TIME_FTE) -> dict:
    """People, their slots, customer teams, interview pools and employer teams (:mod:`.staffing`)."""
    people = build_people(_line_htv(alloc, areas), (*LINES, EMPLOYER_LINE), min_part_time)
    if not any(line in LINES for x in people for line in x.lines):
        raise InputError(alloc.source, "allocation.csv htv", "HTV for at least one customer service line")
    return {
        "person_fte": tuple(x.fte for x in people),
        "person_area": tuple(x.area for x in people),
        "person_ordinal": tuple(x.ordinal for x in people),
        "person_shares": tuple(x.shares for x in people),
        **staff_tables(people, len(areas)),
    }


def _duty_days(scenario: Scenario) -> float:
    """A coach's on-duty days a year under the reference absence (indirect work is spread over them)."""
    cfg = scenario.config
    return max(reference_duty_days(cfg.horizon.start, cfg.staff.absence.reference), 1.0)


def _staff_time(scenario: Scenario, cal: SimCalendar) -> dict:
    """On-duty minutes, indirect work, absence and shortages.

    Annual productive minutes are spread over the on-duty days of a year under the reference
    absence (over the first year from the horizon start, whatever --months is), so that absence
    beyond the reference takes on-duty minutes away.
    """
    cfg = scenario.config
    staff = cfg.staff
    duty_days = _duty_days(scenario)
    hours = cfg.service.coach_hours_per_customer_year
    return {
        "indirect_minutes_per_duty_day": tuple(hours[line] * 60.0 / duty_days for line in LINES),
        "minutes_per_duty_day": staff.productive_hours_per_htv * 60.0 / duty_days,
        "other_share": staff.absence.other_share,
        "summer_leave": staff.absence.summer_leave,
        "summer_leave_days": staff.absence.summer_leave_days,
        "shortages": tuple(
            Shortage(
                (s.start - cal.sim_start).days,
                (s.end - cal.sim_start).days,
                s.vacancy_share,
                s.extra_sick_leave_share,
            )
            for s in staff.shortages
        ),
    }


def _optimised_leave(alloc: Allocation, cal: SimCalendar, staff: dict, areas: tuple[str, ...]) -> np.ndarray:
    """The leave optimiser's plan handed in with the allocation (:mod:`.planned_leave`)."""
    if alloc.leave is None:
        raise InputError("staff.absence.summer_leave", "planned",
                         "a leave plan with the allocation (resurssimalli roster / run, leave_plan.csv)")  # fmt: skip
    keys = zip(staff["person_area"], staff["person_ordinal"], strict=True)
    people = {(areas[a], k): x for x, (a, k) in enumerate(keys)}
    return planned_days(alloc.leave, people, cal.sim_start, np.asarray(cal.working), cal.n_days)


def _planned_leave(
    scenario: Scenario, cal: SimCalendar, staff: dict, alloc: Allocation, areas: tuple[str, ...]
) -> np.ndarray | None:
    """The office's summer-leave rota [person, day] (``summer_leave: rota``), else None: the
    ``july`` and ``staggered`` blocks are drawn per replication (:mod:`.roster`)."""
    absence = scenario.config.staff.absence
    if absence.summer_leave == "planned":
        return _optimised_leave(alloc, cal, staff, areas)
    if absence.summer_leave != "rota":
        return None
    pools = tuple(tuple(x) for x in staff["pool_people"])
    return rota_days(cal.sim_start, len(cal.working), pools, staff["person_area"], absence.summer_leave_days)


def _employers(scenario: Scenario, cal: SimCalendar, munis: tuple[str, ...], dps: tuple[str, ...]) -> dict:
    """Employer requests by municipality and the plant closures' registrations."""
    cfg = scenario.config
    emp_rate = employer_requests_per_day(scenario).reindex(list(munis)).to_numpy(dtype=float)
    closures = []
    for pc in cfg.demand.plant_closures:
        mix_pc = np.array([pc.service_mix.get(line, 0.0) for line in LINES])
        closures.append(
            Closure(
                pc.name,
                (pc.date - cal.sim_start).days,
                closure_registrations(pc.layoffs, pc.registration_share),
                munis.index(pc.municipality),
                dps.index(pc.demand_point) if pc.demand_point else -1,
                tuple(np.cumsum(mix_pc / mix_pc.sum())),
                pc.spread_working_days,
            )
        )
    return {
        "employer_requests_per_day": _ro(emp_rate),
        "employer_request_minutes": cfg.service.employer_request_hours * 60.0,
        "closures": tuple(closures),
    }


def build_params(scenario: Scenario, alloc: Allocation, months: int | None = None) -> SimParams:
    """Resolve a scenario and an allocation into frozen simulation inputs."""
    alloc.check(scenario)
    scenario = staffed_for_plan(scenario, alloc)  # fewer HTV than the plan: vacancies, never ignored
    cfg = scenario.config
    region = scenario.region
    munis = tuple(sorted(region.municipalities))
    areas = tuple(sorted(region.areas))
    cal = _horizon(scenario, months)
    places = _places(region, alloc, munis)
    staff = _staff(alloc, areas, cfg.staff.min_part_time_fte)
    return SimParams(
        scenario=scenario.name,
        calendar=cal,
        municipalities=munis,
        areas=areas,
        muni_area=tuple(areas.index(region.area_of(m)) for m in munis),
        **_customers(scenario, munis),
        **places,
        hazard=_ro(base_hazards(scenario, munis)),
        **_service(scenario),
        **_deadlines(scenario, cal),
        **staff,
        **_staff_time(scenario, cal),
        planned_leave=_planned_leave(scenario, cal, staff, alloc, areas),
        **_employers(scenario, cal, munis, places["demand_points"]),
        event_log=cfg.simulation.event_log,
        exit_effect=build_exit_effect(cfg.outcomes),
        benefit=cfg.outcomes.benefit if cfg.outcomes is not None else None,
        **site_fields(region, alloc, places["demand_points"], cal, cfg.access.staff_visit_days_per_year),
        states=state_params(scenario, munis, LINE_INDEX, _duty_days(scenario), DAYS_PER_MONTH),
    )
