"""Everything the allocation model needs, as one frozen object derived from a scenario (pure).

The model builder never looks at the scenario or region again. The synthetic national
generator (:mod:`resurssimalli.optimize.synthetic`) builds the same object directly, so the
benchmark and the scale test run the very model the planners use.

Travel pairs are sparse: only demand point → site pairs within ``max_travel_minutes`` are
kept (a face-to-face visit may go only there), sorted by minutes; the builder takes the
``k`` nearest of them per demand point and the optimiser widens ``k`` where a point is left
uncovered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from resurssimalli.data.region import Site
from resurssimalli.errors import InputError
from resurssimalli.optimize.workload import (
    CENTRAL_LINES,
    area_workload,
    customer_workload,
    visits_by_demand_point,
    workload_by_municipality,
)
from resurssimalli.scenario.customers import central_cost_key
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import SERVICE_LINES

OBJECTIVES = ("cost", "minmax-travel")


@dataclass(frozen=True)
class SiteIn:
    """A candidate site. ``visit_capacity`` None = no limit (offices); ``home_offices`` are the
    offices of the same area it can be run from, with the cost of one staff day trip to it."""

    id: str
    municipality: str
    area: str
    kind: str
    fixed_cost_eur: float
    workstations: int
    visit_capacity: float | None
    staff_days_per_year: float
    home_offices: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class PointIn:
    id: str
    municipality: str
    visits: float


@dataclass(frozen=True)
class PairIn:
    """Demand point → site within the travel limit; ``eur_per_visit`` is the customer's round trip."""

    point: str
    site: str
    minutes: float
    km: float
    eur_per_visit: float


@dataclass(frozen=True)
class SplitGroup:
    name: str
    share: float
    lines: tuple[str, ...]


@dataclass(frozen=True)
class OptimisationInput:
    """The allocation problem as data (frozen; read-only mappings)."""

    name: str
    areas: tuple[str, ...]
    municipality_area: Mapping[str, str]
    lead_municipality: str
    lines: tuple[str, ...]
    central_lines: tuple[str, ...]
    workload_hours: Mapping[tuple[str, str], float]  # (area, line) -> hours/year
    municipality_hours: Mapping[tuple[str, str], float]  # (municipality, line) -> hours/year
    sites: tuple[SiteIn, ...]
    points: tuple[PointIn, ...]
    pairs: Mapping[str, tuple[PairIn, ...]]  # point -> pairs within the travel limit, nearest first
    total_htv: float
    use_all_htv: bool
    productive_hours_per_htv: float
    cost_per_htv_eur: float
    split: tuple[SplitGroup, ...]
    split_tolerance: float
    split_mode: str  # "goal": penalised deviation; "hard": a band
    split_deviation_penalty_eur: float  # per HTV outside the band, a year (goal mode)
    office_required_in_every_area: bool
    presence_required_in_every_municipality: bool
    single_site_assignment: bool
    force_open: frozenset[str]
    force_closed: frozenset[str]
    max_travel_minutes: float
    unserved_hour_penalty_eur: float
    uncovered_visit_penalty_eur: float
    central_cost_shares: Mapping[str, float]
    objective: str = "cost"
    time_limit_seconds: float = 60.0
    mip_gap: float = 1e-4
    k_nearest_sites: int = 8
    source: str = field(default="<scenario>")
    seed: int = 0  # HiGHS random_seed: results must not depend on it (tests vary it)

    @property
    def lead_area(self) -> str:
        return self.municipality_area[self.lead_municipality]

    @property
    def site_by_id(self) -> Mapping[str, SiteIn]:
        return {s.id: s for s in self.sites}

    @property
    def point_by_id(self) -> Mapping[str, PointIn]:
        return {p.id: p for p in self.points}

    def allowed_lines(self, site: SiteIn) -> tuple[str, ...]:
        """Lines whose staff may be stationed at ``site`` (central lines only in the lead municipality)."""
        if site.workstations <= 0:
            return ()
        if site.municipality == self.lead_municipality:
            return self.lines
        return tuple(line for line in self.lines if line not in self.central_lines)


def _ro(d: dict) -> Mapping:
    return MappingProxyType(dict(d))


def _check_options(objective: str | None, time_limit: float | None, gap: float | None) -> None:
    if objective is not None and objective not in OBJECTIVES:
        raise InputError("--objective", "objective", f"one of {list(OBJECTIVES)}, got {objective!r}")
    if time_limit is not None and not time_limit > 0:
        raise InputError("--time-limit", "time_limit", f"a positive number of seconds, got {time_limit!r}")
    if gap is not None and not 0 <= gap < 1:
        raise InputError("--gap", "gap", f"a relative gap in [0, 1), got {gap!r}")


def _trip_eur(minutes: float, km: float, eur_per_hour: float, car_eur_per_km: float) -> float:
    """A round trip's cost: time at ``eur_per_hour`` plus the car's kilometres, both ways."""
    return 2.0 * (minutes / 60.0 * eur_per_hour + km * car_eur_per_km)


def _home_offices(scenario: Scenario, site: Site, area: str) -> tuple[tuple[str, float], ...]:
    """The offices of ``area`` a non-office site can be run from, with one staff day trip's cost."""
    region, acc, staff = scenario.region, scenario.config.access, scenario.config.staff
    staff_eur_per_hour = staff.cost_per_htv_eur / staff.working_hours_per_htv
    return tuple(
        (
            o.id,
            _trip_eur(
                region.travel.minutes[(o.demand_point, site.id)],
                region.travel.km[(o.demand_point, site.id)],
                staff_eur_per_hour,
                acc.car_eur_per_km,
            ),
        )
        for o in region.sites.values()
        if o.kind == "office" and region.area_of(o.municipality) == area
    )


def _sites(scenario: Scenario) -> tuple[SiteIn, ...]:
    """Candidate sites with the scenario's costs, workstations, staff days and home offices."""
    region, acc, rules = scenario.region, scenario.config.access, scenario.config.sites
    sites = []
    for s in region.sites.values():
        area = region.area_of(s.municipality)
        office = s.kind == "office"
        days = 0.0 if office else float(acc.staff_visit_days_per_year.get(s.kind, 0.0))
        sites.append(
            SiteIn(
                id=s.id,
                municipality=s.municipality,
                area=area,
                kind=s.kind,
                fixed_cost_eur=float(rules.fixed_cost_eur.get(s.id, s.fixed_cost_eur)),
                workstations=int(rules.workstations.get(s.id, s.workstations)),
                visit_capacity=None if office else days * acc.visits_per_staff_day,
                staff_days_per_year=days,
                home_offices=() if office else _home_offices(scenario, s, area),
            )
        )
    return tuple(sites)


def _pairs(scenario: Scenario) -> Mapping[str, tuple[PairIn, ...]]:
    """Per demand point, the sites within the travel limit, nearest first, with the trip's cost."""
    region, acc = scenario.region, scenario.config.access
    pairs: dict[str, tuple[PairIn, ...]] = {}
    for p in region.demand_points.values():
        within = []
        for s in region.sites.values():
            minutes, km = region.travel.minutes[(p.id, s.id)], region.travel.km[(p.id, s.id)]
            if minutes <= acc.max_travel_minutes:
                eur = _trip_eur(minutes, km, acc.customer_time_eur_per_hour, acc.car_eur_per_km)
                within.append(PairIn(p.id, s.id, minutes, km, eur))
        pairs[p.id] = tuple(sorted(within, key=lambda q: (q.minutes, q.site)))
    return _ro(pairs)


def _demand(scenario: Scenario, extra_hours: Mapping[tuple[str, str], float] | None) -> dict:
    """Workload hours by area and by municipality, and face-to-face visits by demand point."""
    cust = customer_workload(scenario)  # the demand model's projection (about 0.5 s), once
    by_m = workload_by_municipality(scenario, extra_hours, customers=cust)
    work = area_workload(scenario, by_m)
    visits = visits_by_demand_point(scenario, customers=cust)
    return {
        "workload_hours": _ro({(r.area, r.service_line): float(r.hours) for r in work.itertuples()}),
        "municipality_hours": _ro(
            {(r.municipality, r.service_line): float(r.hours) for r in by_m.itertuples()}
        ),
        "points": tuple(
            PointIn(p.id, p.municipality, float(visits[p.id])) for p in scenario.region.demand_points.values()
        ),
    }


def _staff(scenario: Scenario) -> dict:
    """The HTV budget, its cost and the customer-facing split."""
    staff = scenario.config.staff
    return {
        "total_htv": staff.total_htv,
        "use_all_htv": staff.use_all_htv,
        "productive_hours_per_htv": staff.productive_hours_per_htv,
        "cost_per_htv_eur": staff.cost_per_htv_eur,
        "split": tuple(
            SplitGroup(g, staff.customer_facing_split[g], tuple(staff.split_lines[g]))
            for g in staff.customer_facing_split
        ),
        "split_tolerance": staff.split_tolerance,
        "split_mode": staff.split_mode,
        "split_deviation_penalty_eur": staff.split_deviation_penalty_eur,
    }


def _access_rules(scenario: Scenario) -> dict:
    """Presence and access rules, forced sites and the penalties of what is left unserved."""
    cfg = scenario.config
    acc, rules = cfg.access, cfg.sites
    return {
        "office_required_in_every_area": acc.office_required_in_every_area,
        "presence_required_in_every_municipality": acc.presence_required_in_every_municipality,
        "single_site_assignment": acc.single_site_assignment,
        "force_open": frozenset(rules.force_open),
        "force_closed": frozenset(rules.force_closed),
        "max_travel_minutes": acc.max_travel_minutes,
        "unserved_hour_penalty_eur": cfg.costs.unserved_hour_penalty_eur,
        "uncovered_visit_penalty_eur": cfg.costs.uncovered_visit_penalty_eur,
    }


def _solver_options(
    scenario: Scenario, objective: str | None, time_limit: float | None, gap: float | None
) -> dict:
    """Objective and solver limits: the arguments where given, else the scenario's."""
    _check_options(objective, time_limit, gap)
    opt = scenario.config.optimisation
    return {
        "objective": objective or opt.objective,
        "time_limit_seconds": float(time_limit if time_limit is not None else opt.time_limit_seconds),
        "mip_gap": float(gap if gap is not None else opt.mip_gap),
        "k_nearest_sites": opt.k_nearest_sites,
    }


def build_input(
    scenario: Scenario,
    *,
    objective: str | None = None,
    time_limit: float | None = None,
    gap: float | None = None,
    extra_hours: Mapping[tuple[str, str], float] | None = None,
) -> OptimisationInput:
    """Derive the :class:`OptimisationInput` of a scenario (pure; arguments override the scenario)."""
    region = scenario.region
    options = _solver_options(scenario, objective, time_limit, gap)
    return OptimisationInput(
        name=scenario.name,
        areas=tuple(region.areas),
        municipality_area=_ro({m: region.area_of(m) for m in region.municipalities}),
        lead_municipality=region.lead_municipality,
        lines=SERVICE_LINES,
        central_lines=CENTRAL_LINES,
        **_demand(scenario, extra_hours),
        sites=_sites(scenario),
        pairs=_pairs(scenario),
        **_staff(scenario),
        **_access_rules(scenario),
        central_cost_shares=_ro(central_cost_key(scenario).to_dict()),
        **options,
        source=str(scenario.path),
    )
