"""The scenario file's schema (pydantic), split by pipeline stage as in Calliope.

Every model is frozen and forbids unknown keys. Cross-checks that need the region (known
municipality, site or demand point names) live in :mod:`resurssimalli.scenario.load`.
Each key's meaning, unit and source are in ``data/assumptions.csv``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from resurssimalli import tolerances
from resurssimalli.safety import mixed_scripts, unsafe_chars

SPLIT_GROUPS = ("weaker_position", "job_brokering", "competence_development")

Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
ServiceLine = Literal[
    "job_brokering",
    "competence_development",
    "multi_sector",
    "youth",
    "integration",
    "employer_services",
    "centralised",
]
CustomerLine = Literal["job_brokering", "competence_development", "multi_sector", "youth", "integration"]
SERVICE_LINES: tuple[str, ...] = get_args(ServiceLine)
# Service lines with individual job-seeker customers (each has a personal coach, OMA-valmentaja).
CUSTOMER_LINES: tuple[str, ...] = get_args(CustomerLine)
MAX_NAME = 100
MAX_DESCRIPTION = 5_000
# Staff beyond any employment area in Finland (the largest has a few hundred HTV): bounds the
# simulation's memory, which holds one coach per HTV.
MAX_TOTAL_HTV = 5_000


class Frozen(BaseModel):
    """Frozen, no unknown keys, and every number finite (``.inf`` and ``.nan`` are refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _one_line(v: str) -> str:
    bad = unsafe_chars(v, one_line=True)
    if bad:
        raise ValueError(f"one line of text without control characters; found {bad[:5]}")
    odd = mixed_scripts(v)
    if odd:
        raise ValueError(f"a name in one script (letters that look alike are not the same); found {odd}")
    return v


def _text(v: str) -> str:
    bad = unsafe_chars(v, one_line=False)
    if bad:
        raise ValueError(f"text without control characters or bidi controls; found {bad[:5]}")
    return v


# A scenario name is a short label (it also names run folders and sweep tasks, through a slug).
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(_one_line)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION), AfterValidator(_text)]


def _sums_to_one(values: dict[str, float], what: str) -> dict[str, float]:
    total = sum(values.values())
    if abs(total - 1.0) > tolerances.SHARE_SUM:
        raise ValueError(f"{what} must sum to 1, got {total:.4f}")
    return values


def _complete(values: dict, keys: tuple[str, ...], what: str) -> dict:
    missing = [k for k in keys if k not in values]
    if missing:
        raise ValueError(f"{what} needs a value for every one of {list(keys)}; missing {missing}")
    return values


# --------------------------------------------------------------------------------------------
# shared by all stages


class Horizon(Frozen):
    start: Annotated[dt.date, Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))]
    months: Annotated[int, Field(ge=1, le=60)]

    @property
    def end(self) -> dt.date:
        """First day after the horizon."""
        y, m = divmod(self.start.month - 1 + self.months, 12)
        return dt.date(self.start.year + y, m + 1, min(self.start.day, 28))


class RegionInputs(Frozen):
    """Replacement input files, relative to the scenario file that names them. ``pack``: a region
    pack's folder (``resurssimalli region init``) whose tables replace the package's seed area."""

    pack: str | None = None
    travel_times: str | None = None
    inputs_workbook: str | None = None


class Segmentation(Frozen):
    """How the plan's overlapping indicator rows become disjoint service-need groups."""

    integration_share_of_foreign: Share
    partially_able_not_long_term_share: Share
    weaker_share_of_over_50: Share
    competence_share_of_rest: Share


class PlantClosure(Frozen):
    name: Name
    municipality: str
    demand_point: str | None = None
    date: dt.date
    layoffs: Annotated[int, Field(ge=1)]
    registration_share: Share
    spread_working_days: Annotated[int, Field(ge=1, le=120)]
    service_mix: dict[CustomerLine, Share]

    @field_validator("service_mix")
    @classmethod
    def _mix(cls, v: dict[str, float]) -> dict[str, float]:
        return _sums_to_one(v, "service_mix")


class Jobseekers(Frozen):
    """The job seekers of an official snapshot (StatFin 12r5, imported by ``resurssimalli data import``).

    ``counts``: the snapshot's municipalities are the starting stock by customer state (the
    horizon then starts the month after ``month``); ``ratios``: the stock period's unemployed stay
    the unemployed and every other state is estimated from the snapshot's ratio to the unemployed
    per municipality."""

    month: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
    file: str | None = None  # relative to the scenario file; none: the import the package ships
    use: Literal["counts", "ratios"] = "counts"


class Demand(Frozen):
    # the month of the starting job-seeker stock: a period of the region's labour-market table
    stock_period: Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
    # job seekers beyond the unemployed (customer states) from an official snapshot; none: the
    # stock period's unemployed only
    jobseekers: Jobseekers | None = None
    inflow_per_stock_year: Positive
    # true: municipal factors on inflow and exit hazards from data/calibration.csv (resurssimalli calibrate)
    calibrated: bool = False
    inflow_multiplier: Positive
    stock_multiplier: Positive
    workforce_multiplier: Positive
    line_multipliers: dict[CustomerLine, Positive]
    inflow_seasonality: Annotated[list[Positive], Field(min_length=12, max_length=12)]
    demand_point_shares: dict[str, Share] = Field(default_factory=dict)
    segmentation: Segmentation
    plant_closures: list[PlantClosure] = Field(default_factory=list)

    @field_validator("inflow_seasonality")
    @classmethod
    def _mean_one(cls, v: list[float]) -> list[float]:
        mean = sum(v) / 12
        if abs(mean - 1.0) > tolerances.SHARE_SUM:
            raise ValueError(f"the 12 monthly factors must average 1, got {mean:.4f}")
        return v


class ReferenceAbsence(Frozen):
    """The absence the annual working hours already net out (their on-duty days)."""

    summer_leave_days: Annotated[int, Field(ge=0, le=60)] = 20
    other_share: Share = 0.05


class Absence(Frozen):
    """Absence of the staff. A person's on-duty day is worth the productive hours of an HTV spread
    over the on-duty days of the ``reference`` pattern, so absence above the reference takes
    on-duty hours away (and less gives them); where the summer leave falls only moves them."""

    # working days of summer leave per person, in one block (KVTES: at least 20 leave days in the
    # season 2.5.-30.9.)
    summer_leave_days: Annotated[int, Field(ge=0, le=60)] = 20
    other_share: Share
    reference: ReferenceAbsence = ReferenceAbsence()
    # rota: the office's plan, blocks in June-August with every interview queue staffed every
    # working day; july: everyone's block in July; staggered: a random start in 2.5.-30.9.
    # (simulate.roster); planned: the leave optimiser's plan (resurssimalli roster, optimize.leave)
    summer_leave: Literal["rota", "july", "staggered", "planned"] = "rota"


class LeavePlan(Frozen):
    """The summer-leave plan (``resurssimalli roster``, :mod:`resurssimalli.optimize.leave`): each
    person's ``absence.summer_leave_days`` in the KVTES season 2.5.-30.9. in whole weeks, in blocks of at least
    ``min_block_weeks``; preferences as penalties; substitutes (sijaiset) in hours at a cost, with
    a cap a week over the whole area; every week's capacity at least its work × (1 + margin)."""

    min_block_weeks: Annotated[int, Field(ge=1, le=8)] = 2
    july_wish_share: Share = 0.5
    july_wish_penalty_eur: NonNeg = 100.0
    outside_summer_penalty_eur: NonNeg = 200.0
    capacity_margin: Annotated[float, Field(ge=0.0, le=1.0)] = 0.25
    continuity_on_duty: Annotated[int, Field(ge=0, le=10)] = 1
    substitute_eur_per_hour: NonNeg = 40.0
    substitute_hours_per_week: NonNeg = 400.0


class Shortage(Frozen):
    """Staff shortage for a period: vacant posts and extra sick leave."""

    start: dt.date
    end: dt.date
    vacancy_share: Share
    extra_sick_leave_share: Share

    @model_validator(mode="after")
    def _order(self) -> Shortage:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Staff(Frozen):
    total_htv: Annotated[float, Field(gt=0.0, le=MAX_TOTAL_HTV)]
    use_all_htv: bool
    working_hours_per_htv: Positive
    customer_time_share: Share
    cost_per_htv_eur: NonNeg
    centralised_htv: NonNeg
    customer_facing_split: dict[Literal["weaker_position", "job_brokering", "competence_development"], Share]
    split_lines: dict[
        Literal["weaker_position", "job_brokering", "competence_development"],
        Annotated[list[CustomerLine], Field(min_length=1)],
    ]
    split_tolerance: Share
    # the split as a goal (deviation outside the band penalised per HTV) or as a hard band
    split_mode: Literal["goal", "hard"] = "goal"
    split_deviation_penalty_eur: NonNeg = 1.0
    # HTV become people: full-time and one part-timer per area for a remainder at least this large
    min_part_time_fte: Share = 0.25
    absence: Absence
    shortages: list[Shortage] = Field(default_factory=list)
    leave: LeavePlan = LeavePlan()

    @field_validator("customer_facing_split")
    @classmethod
    def _split(cls, v: dict[str, float]) -> dict[str, float]:
        _complete(v, SPLIT_GROUPS, "customer_facing_split")
        return _sums_to_one(v, "customer_facing_split")

    @field_validator("split_lines")
    @classmethod
    def _split_lines(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        _complete(v, SPLIT_GROUPS, "split_lines")
        seen = Counter(line for lines in v.values() for line in lines)
        dup = sorted(x for x, n in seen.items() if n > 1)
        if dup:
            raise ValueError(f"a service line may belong to one split group only; repeated {dup}")
        return v

    @model_validator(mode="after")
    def _centralised_within_total(self) -> Staff:
        if self.centralised_htv > self.total_htv:
            raise ValueError(
                f"centralised_htv ({self.centralised_htv:g}) cannot exceed total_htv ({self.total_htv:g})"
            )
        return self

    @property
    def productive_hours_per_htv(self) -> float:
        return self.working_hours_per_htv * self.customer_time_share


# job seekers outside the service lines' unemployed (scenario/states.py): StatFin 12r5's split
OtherState = Literal[
    "laid_off",
    "employed",
    "subsidised_work",
    "work_coaching",
    "trial",
    "training",
    "coaching",
    "other_services",
]
OTHER_STATES: tuple[str, ...] = get_args(OtherState)


class StateService(Frozen):
    """A customer state's service and flows: a meeting every ``interval_months`` with a coach of
    ``line``, work between meetings, a stay of ``mean_months`` on average and the share of its
    exits that return to unemployment (the rest: to work or out of the register)."""

    interval_months: Annotated[float, Field(gt=0.0, le=24.0)]
    meeting_minutes: Positive
    coach_hours_per_year: NonNeg
    line: CustomerLine
    mean_months: Annotated[float, Field(gt=0.0, le=60.0)]
    to_unemployed: Share


class Service(Frozen):
    """The job-seeker service process (plan 4.1.1, Nordic service model)."""

    initial_interview_deadline_working_days: Annotated[int, Field(ge=1, le=60)]
    initial_interview_minutes: Positive
    first_phase_months: Annotated[float, Field(ge=0, le=24)]
    first_phase_interval_weeks: Positive
    later_interval_months: dict[CustomerLine, Positive]
    meeting_minutes: dict[CustomerLine, Positive]
    coach_hours_per_customer_year: dict[CustomerLine, NonNeg]
    remote_share: Share
    multi_sector_after_months: Positive
    employer_service_hours_per_1000_workforce: NonNeg
    employer_request_hours: Positive
    conversation_grace_working_days: Annotated[int, Field(ge=0, le=60)] = 5
    # the service of each customer state beyond the unemployed (needed with demand.jobseekers)
    states: dict[OtherState, StateService] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete_lines(self) -> Service:
        for key in ("later_interval_months", "meeting_minutes", "coach_hours_per_customer_year"):
            _complete(getattr(self, key), CUSTOMER_LINES, key)
        return self


class SiteRules(Frozen):
    force_open: list[str] = Field(default_factory=list)
    force_closed: list[str] = Field(default_factory=list)
    fixed_cost_eur: dict[str, NonNeg] = Field(default_factory=dict)
    workstations: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _no_overlap(self) -> SiteRules:
        both = sorted(set(self.force_open) & set(self.force_closed))
        if both:
            raise ValueError(f"a site cannot be both forced open and forced closed: {both}")
        return self


class Access(Frozen):
    max_travel_minutes: Positive
    customer_time_eur_per_hour: NonNeg
    car_eur_per_km: NonNeg
    office_required_in_every_area: bool
    presence_required_in_every_municipality: bool
    single_site_assignment: bool
    staff_visit_days_per_year: dict[Literal["service_point", "popup"], NonNeg]
    visits_per_staff_day: Positive


class Costs(Frozen):
    central_cost_key: Literal["workforce", "unemployed", "population", "equal", "custom"]
    central_cost_shares: dict[str, Share] = Field(default_factory=dict)
    unserved_hour_penalty_eur: NonNeg
    uncovered_visit_penalty_eur: NonNeg

    @model_validator(mode="after")
    def _custom(self) -> Costs:
        if self.central_cost_key == "custom":
            if not self.central_cost_shares:
                raise ValueError("central_cost_key 'custom' needs central_cost_shares")
            _sums_to_one(dict(self.central_cost_shares), "central_cost_shares")
        return self


class Optimisation(Frozen):
    objective: Literal["cost", "minmax-travel"]
    time_limit_seconds: Positive
    mip_gap: Annotated[float, Field(ge=0.0, lt=1.0)]
    k_nearest_sites: Annotated[int, Field(ge=1)]
    # the yearly workload from the demand model's horizon: its mean month or its busiest month
    workload_sizing: Literal["mean_month", "peak_month"] = "mean_month"


class Simulation(Frozen):
    """The customer-flow simulation (SimPy): replications, warm-up, exit hazards."""

    replications: Annotated[int, Field(ge=1, le=10_000)]
    max_replications: Annotated[int, Field(ge=2, le=10_000)] = 200
    warm_up_days: Annotated[int, Field(ge=0, le=3650)]
    exit_hazard_per_month: dict[Literal["0-3", "3-12", "12+"], Share]
    line_hazard_multipliers: dict[CustomerLine, Positive]
    max_elapsed_months: Annotated[float, Field(gt=12, le=240)] = 60
    event_log: bool

    @field_validator("exit_hazard_per_month")
    @classmethod
    def _bands(cls, v: dict[str, float]) -> dict[str, float]:
        return _complete(v, ("0-3", "3-12", "12+"), "exit_hazard_per_month")


class EffectRange(Frozen):
    """An effect taken from a study: central value, low/high range and where it comes from."""

    central: float
    low: float
    high: float
    source: str

    @model_validator(mode="after")
    def _ordered(self) -> EffectRange:
        if not self.low <= self.central <= self.high:
            raise ValueError(f"needs low <= central <= high, got {self.low}, {self.central}, {self.high}")
        return self


class Benefit(Frozen):
    """The municipalities' share of unemployment benefits (financing model from 1.1.2025)."""

    daily_amount_eur: NonNeg
    paid_days_per_week: Annotated[float, Field(gt=0, le=7)]
    recipient_share: Share
    municipal_share_bands: list[tuple[Annotated[int, Field(ge=1)], Share]]

    @field_validator("municipal_share_bands")
    @classmethod
    def _increasing(cls, v: list[tuple[int, float]]) -> list[tuple[int, float]]:
        days = [d for d, _ in v]
        if days != sorted(set(days)):
            raise ValueError("bands need strictly increasing first benefit days")
        return v


class Outcomes(Frozen):
    """Service changes outcomes: the exit hazard's service multiplier and the benefit cost."""

    service_effect: bool
    effect_size: Literal["low", "central", "high"] = "central"
    interview_on_time: EffectRange  # exit hazard change per +10 points of interviews held on time
    travel_time: EffectRange  # exit hazard change per 10 more minutes' one-way trip (face to face)
    travel_reference_minutes: NonNeg
    caseload_studied: tuple[Positive, Positive]
    benefit: Benefit

    def effect(self, name: str) -> float:
        """The effect size in use (``effect_size`` picks low, central or high)."""
        return float(getattr(getattr(self, name), self.effect_size))


Comparator = Literal[">=", "<="]
Judge = Literal["every_month", "worst_month", "horizon"]


# The access table's site for face-to-face visits the optimiser left without a site within
# access.max_travel_minutes (penalised); the simulation serves them at the nearest open site.
UNCOVERED_SITE = "(uncovered)"

KPI_NAMES = (
    "initial_interview_on_time_share",
    "initial_interview_wait_days_mean",
    "initial_interview_wait_days_p90",
    "overdue_conversations",
    "caseload_per_coach",
    "staff_utilisation",
    "stock",
    "spells_past_3_months_share",
    "customer_travel_minutes",
    "registrations_uncovered_by_plan",
    "unemployment_days",
    "benefit_cost_municipal_eur",
    "stock_past_3_months",
    "stock_past_12_months",
    "conversations_on_time_share",
    "demand_to_capacity",
    "initial_interviews_waiting",
    "initial_interview_waits_censored",
    "initial_interviews_pending",
)


class Target(Frozen):
    """A KPI promise. ``judge`` says over what it must hold: ``every_month`` (each calendar month
    of the horizon, on its own CI), ``worst_month`` (each replication's worst month) or
    ``horizon`` (the mean over the months); unset: every month for shares and backlogs, else the
    horizon (:func:`resurssimalli.simulate.verdicts.judge_of`)."""

    kpi: Literal[KPI_NAMES]  # type: ignore[valid-type]
    op: Comparator
    value: float
    group: str = "all"
    judge: Judge | None = None


class ScenarioConfig(Frozen):
    """A fully resolved scenario (after ``extends:`` has been applied)."""

    name: Name
    name_fi: Description = ""  # display names (the memo, workbook and console show these, not the id)
    name_en: Description = ""
    description: Description
    description_fi: Description = ""
    seed: Annotated[int, Field(ge=0)]
    weight: Positive = 1.0
    horizon: Horizon
    region: RegionInputs = RegionInputs()
    demand: Demand
    staff: Staff
    service: Service
    sites: SiteRules = SiteRules()
    access: Access
    costs: Costs
    optimisation: Optimisation
    simulation: Simulation
    outcomes: Outcomes | None = None
    targets: list[Target] = Field(default_factory=list)
    # scenario files simulated on this scenario's plan by `run` (beside this file; not inherited)
    compare: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _states_served(self) -> ScenarioConfig:
        if self.demand.jobseekers is not None:
            missing = [x for x in OTHER_STATES if x not in self.service.states]
            if missing:
                raise ValueError(
                    f"service.states needs every customer state with demand.jobseekers; missing {missing}"
                )
        return self

    def display_name(self, lang: str = "en") -> str:
        """The scenario's display name in ``lang`` (falls back to the English one, then the id)."""
        return (self.name_fi if lang == "fi" else "") or self.name_en or self.name

    def describe(self, lang: str = "en") -> str:
        """The description in the memo's language (Finnish when the file gives one)."""
        return self.description_fi if lang == "fi" and self.description_fi else self.description
