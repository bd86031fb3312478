"""What service buys: paired changes in unemployment person-days and the municipalities' benefit share.

For a plan and its variants ("one more / one fewer HTV in area X", "close office Y", any
scenario), each variant is simulated with the same seeds as the plan (common random numbers) at
each effect size (``outcomes.effect_size`` low, central, high), and the paired per-replication
differences of the yearly totals give a mean with a 95 % t interval::

    from resurssimalli.experiment.outcomes import standard_variants, what_it_buys
    variants = standard_variants(scenario, alloc, area="Ikaalinen", site="Parkano office")
    table = what_it_buys(scenario, alloc, variants, replications=10)

Positive changes mean more unemployment (days) or more cost (EUR) than the plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import replace

import pandas as pd

from resurssimalli.optimize import optimize
from resurssimalli.progress import ProgressFn, tick
from resurssimalli.scenario.load import Scenario
from resurssimalli.simulate import Allocation, simulate
from resurssimalli.simulate.stats import t_interval

BANDS = ("low", "central", "high")
YEAR_KPIS = ("unemployment_days", "benefit_cost_municipal_eur")
CUSTOMER_WORK = ("job_brokering", "competence_development", "multi_sector", "youth", "integration")
COLUMNS = ["variant", "effect_size", "kpi", "group", "mean", "ci_low", "ci_high", "n"]


def yearly_totals(kpis: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, replication, KPI and group: the total over the run's months, scaled to a year."""
    k = kpis[kpis["kpi"].isin(YEAR_KPIS)]
    months = k.groupby("scenario")["month"].nunique()
    tot = k.groupby(["scenario", "replication", "kpi", "group"], as_index=False)["value"].sum()
    tot["value"] *= 12.0 / tot["scenario"].map(months)
    return tot


def paired_change(base: pd.DataFrame, variant: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95 % CI of the per-replication difference variant − base (yearly totals)."""
    b = yearly_totals(base).set_index(["replication", "kpi", "group"])["value"]
    v = yearly_totals(variant).set_index(["replication", "kpi", "group"])["value"]
    d = (v - b).dropna().reset_index()
    rows = []
    for (kpi, group), g in d.groupby(["kpi", "group"], sort=True):
        mean, low, high, n = t_interval(g["value"].to_numpy())
        rows.append((kpi, group, mean, low, high, n))
    return pd.DataFrame(rows, columns=["kpi", "group", "mean", "ci_low", "ci_high", "n"])


def change_htv(alloc: Allocation, area: str, delta: float) -> Allocation:
    """The plan with ``delta`` HTV more (or fewer) customer work in ``area``, pro rata over its lines."""
    a = alloc.allocation.copy()
    sel = (a["area"] == area) & a["service_line"].isin(CUSTOMER_WORK)
    total = float(a.loc[sel, "htv"].sum())
    if total <= 0 or total + delta <= 0:
        raise ValueError(f"area {area!r} has {total:.2f} HTV of customer work; cannot change it by {delta}")
    a.loc[sel, "htv"] *= (total + delta) / total
    return Allocation.from_frames(
        a, alloc.sites, alloc.access, source=f"{alloc.source} {delta:+g} HTV {area}"
    )


def _replace(scenario: Scenario, section: str, **values: object) -> Scenario:
    """The scenario with keys of one config section replaced (validated by the section's model)."""
    old = getattr(scenario.config, section)
    new = type(old).model_validate({**old.model_dump(), **values})
    return replace(scenario, config=scenario.config.model_copy(update={section: new}))


def close_site(scenario: Scenario, site: str) -> tuple[Scenario, Allocation]:
    """The scenario re-optimised with ``site`` forced closed (the staff and customers move)."""
    if site not in scenario.region.sites:
        raise ValueError(f"unknown site {site!r}; known: {sorted(scenario.region.sites)}")
    rules = scenario.config.sites
    closed = sorted({*rules.force_closed, site})
    s = _replace(
        scenario, "sites", force_closed=closed, force_open=[x for x in rules.force_open if x != site]
    )
    return s, Allocation.from_result(optimize(s), source=f"optimize({scenario.name}) without {site}")


def staffed(scenario: Scenario, alloc: Allocation, area: str, delta: float) -> tuple[Scenario, Allocation]:
    """``delta`` HTV more (fewer) in ``area`` *and* in the staff budget: the extra HTV are new posts.

    Without the budget change a plan above ``staff.total_htv`` runs with the difference vacant on
    every post (``simulate.staffing``), so "+1 HTV here" would silently be "+1 HTV here, −3 % of
    every post everywhere" and could look worse than the plan."""
    a = change_htv(alloc, area, delta)
    total = float(a.allocation["htv"].sum())
    return _replace(scenario, "staff", total_htv=round(total, 6)), a


def standard_variants(
    scenario: Scenario, alloc: Allocation, area: str, site: str | None = None
) -> dict[str, tuple[Scenario, Allocation]]:
    """The board's questions: one more / one fewer HTV in ``area``, and closing ``site``."""
    out = {
        f"+1 HTV {area}": staffed(scenario, alloc, area, 1.0),
        f"-1 HTV {area}": staffed(scenario, alloc, area, -1.0),
    }
    if site is not None:
        out[f"close {site}"] = close_site(scenario, site)
    return out


def resolve_place(scenario: Scenario, text: str) -> tuple[str, str]:
    """``("area", id)`` or ``("site", id)`` for an area or site given by id or display name
    (English or Finnish, any case); ``KeyError`` naming the known places when none matches."""
    key = " ".join(text.split()).casefold()
    region = scenario.region
    for a_id, a in region.areas.items():
        if key in {a_id.casefold(), a.name.casefold()}:
            return "area", a_id
    for s_id, site in region.sites.items():
        if key in {s_id.casefold(), site.name.casefold(), (site.name_fi or "").casefold()}:
            return "site", s_id
    known = [a.name for a in region.areas.values()] + [x.name for x in region.sites.values()]
    raise KeyError(f"{text!r} is no area or site; known: {', '.join(known)}")


def check_closable(scenario: Scenario, site: str) -> None:
    """``ValueError`` naming the rule when every plan that keeps the hard rules opens ``site``
    (forced open, the only office or service point of its municipality, the only office of its
    area): closing it is then no plan at all."""
    from resurssimalli.optimize import build_input
    from resurssimalli.optimize.model import necessarily_open

    if site in necessarily_open(build_input(scenario)):
        raise ValueError(
            f"{scenario.region.sites[site].name} cannot close under the scenario's hard rules "
            "(sites.force_open, access.presence_required_in_every_municipality, "
            "access.office_required_in_every_area): every plan opens it"
        )


WHAT_IF_COLUMNS = ["variant", "change", "place", *COLUMNS[1:]]


def what_if_variants(
    scenario: Scenario, alloc: Allocation, places: Sequence[tuple[str, str]]
) -> dict[str, tuple[str, str, Scenario, Allocation]]:
    """For each resolved place: an area gets one HTV more and one fewer, a site is closed (the
    plan re-optimised without it). Label -> (change, place id, scenario, allocation); change is
    ``plus_htv``, ``minus_htv`` or ``close_site``."""
    out: dict[str, tuple[str, str, Scenario, Allocation]] = {}
    for kind, place in dict.fromkeys(places):
        if kind == "area":
            out[f"{place} +1 HTV"] = ("plus_htv", place, *staffed(scenario, alloc, place, 1.0))
            out[f"{place} -1 HTV"] = ("minus_htv", place, *staffed(scenario, alloc, place, -1.0))
        else:
            out[f"close {place}"] = ("close_site", place, *close_site(scenario, place))
    return out


def what_if_table(
    scenario: Scenario,
    alloc: Allocation,
    places: Sequence[tuple[str, str]],
    replications: int | None = None,
    *,
    seed: int | None = None,
    months: int | None = None,
    jobs: int = 1,
    progress: ProgressFn | None = None,
    bands: tuple[str, ...] = BANDS,
    pool: Executor | None = None,
) -> pd.DataFrame:
    """:func:`what_it_buys` for the places' variants at low/central/high, with columns saying
    what changes where (``WHAT_IF_COLUMNS``); the run's replications and seeds."""
    variants = what_if_variants(scenario, alloc, places)
    reps = replications or scenario.config.simulation.replications
    table = what_it_buys(
        scenario, alloc, {k: v[2:] for k, v in variants.items()}, reps, seed, bands,
        months=months, jobs=jobs, progress=progress, pool=pool,
    )  # fmt: skip
    table["change"] = table["variant"].map({k: v[0] for k, v in variants.items()})
    table["place"] = table["variant"].map({k: v[1] for k, v in variants.items()})
    return table[WHAT_IF_COLUMNS]


def _with_size(scenario: Scenario, size: str) -> Scenario:
    if scenario.config.outcomes is None:
        raise ValueError(f"scenario {scenario.name!r} has no outcomes: section")
    return _replace(scenario, "outcomes", effect_size=size)


def what_it_buys(
    scenario: Scenario,
    alloc: Allocation,
    variants: Mapping[str, tuple[Scenario, Allocation]],
    replications: int = 10,
    seed: int | None = None,
    bands: tuple[str, ...] = BANDS,
    *,
    months: int | None = None,
    jobs: int = 1,
    progress: ProgressFn | None = None,
    pool: Executor | None = None,
) -> pd.DataFrame:
    """Paired yearly changes against the plan, per variant and effect size (``COLUMNS``).
    ``progress`` hears stage ``"what-if"``: one step per simulated variant and effect size;
    ``pool``: one executor for every simulation (else each starts its own)."""
    seed = scenario.seed if seed is None else seed
    parts = []
    total, done = len(bands) * (len(variants) + 1), 0
    for size in bands:
        tick(progress, "what-if", done, total, f"effect {size}: the plan")
        base = simulate(
            _with_size(scenario, size), alloc, replications=replications, seed=seed, months=months, jobs=jobs,
            pool=pool,
        ).kpis
        done += 1
        for name, (s, a) in variants.items():
            tick(progress, "what-if", done, total, f"effect {size}: {name}")
            var = simulate(
                _with_size(s, size), a, replications=replications, seed=seed, months=months, jobs=jobs, pool=pool
            ).kpis
            parts.append(paired_change(base, var).assign(variant=name, effect_size=size))
            done += 1
    tick(progress, "what-if", total, total, "done")
    return pd.concat(parts, ignore_index=True)[COLUMNS]


def caseload_outside_studies(summary: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Rows of ``caseload_per_coach`` (all and lines) outside the caseloads the studies covered."""
    lo, hi = scenario.config.outcomes.caseload_studied if scenario.config.outcomes else (0.0, float("inf"))
    c = summary[summary["kpi"] == "caseload_per_coach"]
    if "period" in c.columns:
        c = c[c["period"] == "horizon"]
    return c[(c["mean"] < lo) | (c["mean"] > hi)].assign(studied_low=lo, studied_high=hi)
