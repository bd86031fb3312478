"""Where a miss is and how many hours it needs: the stress loop's units and their brackets.

A **unit** gets hours as one: an interview queue (``queue:<area>``: the area's coaches of every
customer line but integration; ``queue:integration``: the integration team), or the (area, line)
pairs of a group (``pairs:<kpi>:<group>``): an area's, for a target on the whole area of a KPI the
areas pool (each area is checked on its own share: the hours go where the miss is); else the
target's own group's, every customer pair for the whole area. A unit is judged on its own group's
KPI: its **mean** over the replications (the same seeds in every plan) on the right side of the
target in every month (``every_month`` / ``worst_month``) or over the year (``horizon``), in every
scenario. Queues and areas are small, so their intervals are too wide to judge them on; the
plan's verdict is judged on the intervals of the targets' own groups
(:func:`resurssimalli.experiment.stress_targets.judge`).

Every plan simulated is an observation of every unit: its hours in the plan and whether it held.
Its **bracket** is the envelope of those observations: the upper end is the fewest hours at which
it held with no miss at as many hours or more, the lower end the most hours at which it missed
below that. Between them the loop bisects; the bracket is an ask once it is no wider than the
tolerance. A bracket found on fewer replications than the loop confirms on is then found again on
more (the same seeds and more, :meth:`Unit.confirm`), starting from its ends: brackets started from
5 or from 10 replications are judged on the same replications in the end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from resurssimalli.experiment.stress_targets import targets_of, wrong
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import CUSTOMER_LINES, Target
from resurssimalli.simulate.verdicts import judge_of

Pair = tuple[str, str]
# A miss that remains with this many times the unit's hours (those it first missed with) is not a
# staffing miss: it gets a cause and no hours (issue 24). An assumption of the loop.
CAUSE_HOURS_FACTOR = 2.0
# KPIs whose whole-area value pools the areas' counts (conversations held on time over those due;
# minutes used over minutes on duty, every coach in one area): a target on the whole area is
# checked area by area (:func:`checks_by_unit`). Theory in tests/test_stress.py.
POOLED_BY_AREA = ("conversations_on_time_share", "staff_utilisation")


@dataclass(frozen=True)
class Check:
    """One target on one unit's group in one scenario."""

    scenario: str
    kpi: str
    group: str
    op: str
    value: float
    horizon: bool  # judged over the year's mean, not month by month


@dataclass(frozen=True)
class Obs:
    """A unit in one simulated plan: its hours and what it missed (scenario, KPI, month), on how
    many replications."""

    round: int
    hours: float
    misses: tuple[tuple[str, str, str], ...]
    replications: int = 0

    @property
    def holds(self) -> bool:
        return not self.misses


@dataclass
class Unit:
    key: str
    pairs: tuple[Pair, ...]
    checks: tuple[Check, ...]
    obs: list[Obs] = field(default_factory=list)
    cause: str | None = None
    least: float = 0.0  # the pairs' workload: no plan gives the unit less
    stale: set[int] = field(default_factory=set)  # rounds whose miss a later hold below it overruled
    checked: float | None = None  # the upper end one tolerance step below which it was seen to miss
    # the bracket found on fewer replications, and those observations (:meth:`confirm`)
    leave_fixed: bool = False  # missed in the first plan's summer; the leave plan held it
    prior: tuple[float | None, float | None] | None = None
    earlier: list[Obs] = field(default_factory=list)

    @property
    def needs_hours(self) -> bool:
        """It missed in some plan (or did before the confirmation) and has no other cause."""
        return self.cause is None and (self.entered is not None or self.prior is not None)

    @property
    def entered(self) -> Obs | None:
        """The first observation that missed (None: the unit has always held)."""
        return next((o for o in self.obs if not o.holds), None)

    def first_miss(self, since: int = 0) -> Obs | None:
        """The first observation from round ``since`` on that missed, before a confirmation too."""
        return next((o for o in [*self.earlier, *self.obs] if not o.holds and o.round >= since), None)

    def bracket(self) -> tuple[float | None, float | None]:
        """(lower, upper) hours: the most hours that missed below the upper end, and the fewest
        that held with no miss at as many hours or more (None: not seen)."""
        fails = [o.hours for o in self.obs if not o.holds and o.round not in self.stale]
        top_fail = max(fails, default=float("-inf"))
        hi = min((o.hours for o in self.obs if o.holds and o.hours > top_fail), default=None)
        lo = max((h for h in fails if hi is None or h < hi), default=None)
        return lo, hi

    def at(self, hours: float | None) -> Obs | None:
        """The observation at ``hours`` (the latest), if any."""
        return next((o for o in reversed(self.obs) if hours is not None and o.hours == hours), None)

    def doubled_and_missed(self) -> bool:
        """Missed with :data:`CAUSE_HOURS_FACTOR` × the hours it first missed with (one hour's room)."""
        first = self.entered
        twice = CAUSE_HOURS_FACTOR * first.hours if first is not None else float("inf")
        return any(not o.holds and o.hours >= twice - 1.0 for o in self.obs)

    def candidate(self, tolerance: float) -> float | None:
        """The hours to try next: twice those it first missed with while it has not held (when
        confirming, growing steps up from the prior upper end first), then the bracket's middle;
        None when the bracket is an ask (or the unit needs no hours)."""
        lo, hi = self.bracket()
        if not self.needs_hours:
            return None
        if self.prior is not None and self.prior[1] is not None and not self.obs:
            return self.prior[1]  # confirming: first the upper end found on fewer replications
        if hi is None:
            first = self.entered
            if first is None or self.doubled_and_missed():
                return None
            twice = CAUSE_HOURS_FACTOR * first.hours
            if self.prior is None:
                return twice
            # confirming, and the prior upper end missed: up from the last miss in growing steps
            # (2, 4, 8 ... tolerance steps), at most the doubling rule's hours
            fails = [o.hours for o in self.obs if not o.holds]
            return min(max(fails) + tolerance * 2 ** len(fails), twice)
        if lo is None:  # every miss overruled: down towards the prior lower end, then in growing
            prior_lo = self.prior[0] if self.prior is not None else None  # steps towards the workload
            if prior_lo is not None and prior_lo < hi:
                lo = prior_lo
            elif prior_lo is not None:  # confirming, and it held below the prior's lower end
                held = [o for o in self.obs if o.holds and o.hours <= prior_lo + 1.0]
                lo = max(self.least, hi - tolerance * 2 ** len(held))
            else:
                lo = self.least
        if hi - lo > tolerance:
            return (lo + hi) / 2
        settled = self.checked is not None and abs(self.checked - hi) <= 1.0
        return None if settled or hi <= self.least + 1.0 else self.step_below(hi, tolerance)

    def confirm(self) -> None:
        """Start again on more replications (the same seeds and more): the bracket found so far
        becomes the prior, its observations earlier ones; the unit first tries the prior's upper
        end, then one tolerance step below it (:meth:`candidate`)."""
        self.prior = self.bracket()
        self.earlier += self.obs
        self.obs, self.stale, self.checked = [], set(), None

    def step_below(self, hi: float, tolerance: float) -> float:
        """One tolerance step below the upper end, never below the workload (the check's hours)."""
        return max(hi - tolerance, self.least)

    def check(self, asked: float, tolerance: float) -> None:
        """After a plan that gave the unit ``asked`` = its upper end less one tolerance step, or its
        workload if that is more (the minimality check; the optimiser may give a little more, never
        less): a miss confirms the upper end, and so does a hold at the upper end itself (no plan
        gives the unit less); a hold below it overrules the misses at as many hours or more (the
        floor falls, the bisection goes on)."""
        lo, hi = self.bracket()
        last = self.obs[-1]
        if hi is None or abs(asked - self.step_below(hi, tolerance)) > 1.0 or last.hours < asked - 1.0:
            return
        if not last.holds or last.hours >= hi - 1.0:  # missed below the upper end (the plan may
            self.checked = hi  # give a little more than asked), or no plan gives it less than that
            return
        self.stale |= {o.round for o in self.obs if not o.holds and o.hours >= last.hours - 1e-9}


def queue_pairs(queue: str, scenario: Scenario) -> tuple[Pair, ...]:
    """The (area, line) pairs whose coaches serve an interview queue."""
    region = scenario.region
    lead_area = region.area_of(region.lead_municipality)
    name = queue.removeprefix("queue:")
    if name.startswith("integration"):
        return ((name.split(":", 1)[1] if ":" in name else lead_area, "integration"),)
    return tuple((name, line) for line in CUSTOMER_LINES if line != "integration")


def group_pairs(groups: Sequence[str], scenario: Scenario) -> tuple[Pair, ...]:
    """The (area, line) pairs that serve the KPI groups ``groups`` (municipalities, areas,
    ``area:<area>``, lines; ``all``: every customer pair)."""
    region = scenario.region
    lead_area = region.area_of(region.lead_municipality)

    def lines_of(area: str) -> list[str]:  # integration is stationed in the lead area only
        return [ln for ln in CUSTOMER_LINES if ln != "integration" or area == lead_area]

    pairs: set[Pair] = set()
    for g in groups:
        area = g.removeprefix("area:")
        if g in region.municipalities:
            pairs |= {(region.area_of(g), line) for line in lines_of(region.area_of(g))}
        elif area in region.areas:
            pairs |= {(area, line) for line in lines_of(area)}
        elif g == "integration":
            pairs.add((lead_area, g))
        elif g in CUSTOMER_LINES or g == "employer_services":
            pairs |= {(a, g) for a in region.areas}
    return tuple(sorted(pairs)) or tuple((a, line) for a in region.areas for line in lines_of(a))


def _means(kpis: pd.DataFrame, c: Check) -> pd.Series:
    """The check's group: its mean per month over the replications (``horizon``: the year's)."""
    sel = kpis[(kpis["scenario"] == c.scenario) & (kpis["kpi"] == c.kpi) & (kpis["group"] == c.group)]
    if c.horizon:
        per_rep = sel.groupby("replication")["value"].mean()
        return pd.Series({"horizon": float(per_rep.mean())}) if len(per_rep) else pd.Series(dtype=float)
    return sel.groupby("month", sort=True)["value"].mean()


def check_misses(kpis: pd.DataFrame, c: Check) -> list[str]:
    """The months (or ``horizon``) in which the check's group misses on its mean."""
    return [str(m) for m, v in _means(kpis, c).items() if wrong(c.op, c.value, float(v))]


def checks_by_unit(
    kpis: pd.DataFrame, scenarios: Sequence[Scenario], targets: Sequence[Target] | None
) -> dict[str, tuple[Check, ...]]:
    """Every unit the targets point to: a target on ``all`` of a KPI with interview queues
    checks each queue, one on ``all`` of a KPI the areas pool (:data:`POOLED_BY_AREA`, judged
    month by month) each area (``pairs:<kpi>:area:<area>``); any other target checks its own
    group (``pairs:<kpi>:<group>``)."""
    keys = kpis[["scenario", "kpi", "group"]].drop_duplicates()
    out: dict[str, list[Check]] = {}
    for s in scenarios:
        for t in targets_of(s, targets):
            horizon = judge_of(t) == "horizon"
            groups = keys.loc[(keys["scenario"] == s.name) & (keys["kpi"] == t.kpi), "group"]
            for group in sorted(_subgroups(t, groups, horizon)):
                key = group if group.startswith("queue:") else f"pairs:{t.kpi}:{group}"
                out.setdefault(key, []).append(Check(s.name, t.kpi, group, t.op, t.value, horizon))
    return {k: tuple(v) for k, v in out.items()}


def _subgroups(t: Target, groups: pd.Series, horizon: bool) -> list[str]:
    """The groups a target is checked on: its own, or — a target on ``all`` — the interview
    queues, or the areas of a KPI they pool month by month (every area on the right side of the
    target puts the whole area there: a pooled share lies between its parts'). Each then gets
    hours where it misses, not the whole area's in proportion."""
    if t.group != "all":
        return [t.group]
    names = [str(g) for g in groups]
    queues = [g for g in names if g.startswith("queue:")]
    areas = [g for g in names if g.startswith("area:")]
    if queues:
        return queues
    if t.kpi in POOLED_BY_AREA and areas and not horizon:
        return areas
    return ["all"]


def pairs_of(key: str, checks: Sequence[Check], by_name: Mapping[str, Scenario]) -> tuple[Pair, ...]:
    """A unit's pairs: a queue's coaches, a group's pairs, or — a target on the whole area
    (``all``) — every customer pair: the whole area's hours are its lever (in the first plan's
    proportions). Only the subgroups that missed would not do: the optimiser would fund them
    from the other pairs' spare, and those would then miss the same whole-area target."""
    scen = by_name[checks[0].scenario]
    if key.startswith("queue:"):
        return queue_pairs(key, scen)
    return group_pairs([] if checks[0].group == "all" else [checks[0].group], scen)


class Units:
    """Every unit the targets point to, with its observations over the plans simulated."""

    def __init__(
        self, scenarios: Sequence[Scenario], targets: Sequence[Target] | None, need: pd.Series | None = None
    ) -> None:
        self.scenarios, self.targets = list(scenarios), targets
        self.need = need if need is not None else pd.Series(dtype=float)  # workload per (area, line)
        self.by_name = {s.name: s for s in scenarios}
        self.units: dict[str, Unit] = {}
        self.hours: dict[int, pd.Series] = {}  # round -> the plan's hours per (area, line)
        self.pending: dict[str, list[tuple[int, tuple, int]]] = {}  # key -> rounds before it missed
        self.since = 0  # the first round the scenarios as they now are were simulated in (restart)

    def observe(self, rnd: int, kpis: pd.DataFrame, hours: pd.Series, replications: int = 0) -> None:
        """Record every unit's hours and misses in the plan of round ``rnd`` (simulated on
        ``replications``); a unit is made when it first misses (with the rounds it held before)."""
        self.hours[rnd] = hours
        for key, checks in checks_by_unit(kpis, self.scenarios, self.targets).items():
            misses = tuple((c.scenario, c.kpi, m) for c in checks for m in check_misses(kpis, c))
            u = self.units.get(key)
            if u is None and not misses:
                self.pending.setdefault(key, []).append((rnd, misses, replications))
                continue
            if u is None:
                pairs = pairs_of(key, checks, self.by_name)
                least = float(sum(float(self.need.get(p, 0.0)) for p in pairs))
                u = self.units[key] = Unit(key, pairs, checks, least=least)
                for r, m, n in self.pending.pop(key, []):
                    u.obs.append(Obs(r, self.unit_hours(u, r), m, n))
            u.obs.append(Obs(rnd, self.unit_hours(u, rnd), misses, replications))

    def restart(self, scenarios: Sequence[Scenario]) -> None:
        """The scenarios change (they now play the leave plan): every observation so far is kept as
        an earlier one, and every unit is judged afresh from the next plan."""
        self.scenarios = list(scenarios)
        self.by_name = {s.name: s for s in scenarios}
        self.since = max(self.hours, default=-1) + 1
        for u in self.units.values():
            u.earlier += u.obs
            u.obs, u.stale, u.checked = [], set(), None
        self.pending.clear()

    def confirm(self) -> None:
        """Every unit that needs hours starts again on more replications (:meth:`Unit.confirm`);
        what held on fewer is forgotten."""
        for u in self.staffing():
            u.confirm()
        self.pending.clear()

    def checked(self, asked: dict[str, float], tolerance: float) -> None:
        """Each unit asked one tolerance step below its upper end: confirmed or overruled."""
        for key, hours in asked.items():
            if key in self.units:
                self.units[key].check(hours, tolerance)

    def unit_hours(self, u: Unit, rnd: int) -> float:
        h = self.hours[rnd]
        return float(sum(float(h.get(p, 0.0)) for p in u.pairs))

    def staffing(self) -> list[Unit]:
        """Units that missed in some plan and have no other cause: they get hours."""
        return [u for u in self.units.values() if u.needs_hours]

    def caused(self) -> list[Unit]:
        return [u for u in self.units.values() if u.cause is not None]

    def leave_fixed(self) -> list[Unit]:
        return [u for u in self.units.values() if u.leave_fixed]

    def candidates(self, tolerance: float) -> dict[str, float]:
        """The hours each staffing unit tries next (units whose bracket is an ask are left out)."""
        out = {u.key: u.candidate(tolerance) for u in self.staffing()}
        return {k: v for k, v in out.items() if v is not None}

    def upper_ends(self) -> dict[str, float]:
        """Each staffing unit's upper end (units not yet held: none)."""
        out = {u.key: u.bracket()[1] for u in self.staffing()}
        return {k: v for k, v in out.items() if v is not None}

    def lower_ends(self) -> dict[str, float]:
        out = {u.key: u.bracket()[0] for u in self.staffing()}
        return {k: v for k, v in out.items() if v is not None}
