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

import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace

import pandas as pd

from resurssimalli.optimize import OptimizeResult, optimize
from resurssimalli.progress import ProgressFn, tick
from resurssimalli.scenario.load import Scenario
from resurssimalli.simulate import Allocation
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
    s, result = closed_plan(scenario, site)
    return s, Allocation.from_result(result, source=f"optimize({scenario.name}) without {site}")


def closed_plan(
    scenario: Scenario, site: str, keep: Allocation | None = None
) -> tuple[Scenario, OptimizeResult]:
    """The scenario and its plan re-optimised with ``site`` closed. With ``keep`` (the plan) the
    closure has no replacement: every other site stays as ``keep`` has it, and the presence and
    office rules are lifted for this variant only (its customers go to the nearest open site)."""
    if site not in scenario.region.sites:
        raise ValueError(f"unknown site {site!r}; known: {sorted(scenario.region.sites)}")
    rules = scenario.config.sites
    closed = sorted({*rules.force_closed, site})
    forced = [x for x in rules.force_open if x != site]
    s = scenario
    if keep is not None:
        now = set(keep.sites.loc[keep.sites["open"].astype(bool), "site"])
        closed = sorted((set(scenario.region.sites) - now) | {site})
        forced = sorted(now - {site})
        lifted = {"presence_required_in_every_municipality": False, "office_required_in_every_area": False}
        s = _replace(s, "access", **lifted)
    s = _replace(s, "sites", force_closed=closed, force_open=forced)
    return s, optimize(s)


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


def place_key(text: str) -> str:
    """A place name as typed, for matching: case, accents, extra spaces and a parenthesis at the
    end left out (``Kihniön palvelupiste`` and ``kihnion palvelupiste (kunnan asiointipiste)``
    match the same site)."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(plain.casefold().replace("_", " ").split())


def _short(name: str) -> str:
    """A display name without its trailing parenthesis (``Sastamala office (Vammala)``)."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", name)


def place_names(scenario: Scenario, lang: str = "en") -> list[str]:
    """The areas' and sites' display names in ``lang``: what a planner may type."""
    region = scenario.region
    return [a.name for a in region.areas.values()] + [x.label(lang) for x in region.sites.values()]


def resolve_place(scenario: Scenario, text: str, lang: str = "en") -> tuple[str, str]:
    """``("area", id)`` or ``("site", id)`` for an area or site given by id or display name, in
    English or Finnish, in full or without the parenthesis, in any case and with or without
    accents; ``KeyError`` naming the known places in ``lang`` when none matches."""
    key = place_key(text)
    region = scenario.region
    for a_id, a in region.areas.items():
        if key in {place_key(a_id), place_key(a.name)}:
            return "area", a_id
    for s_id, site in region.sites.items():
        names = [s_id, site.name, site.name_fi or site.name]
        if key in {place_key(n) for n in names} | {place_key(_short(n)) for n in names}:
            return "site", s_id
    known = ", ".join(place_names(scenario, lang))
    if lang == "fi":
        raise KeyError(f"{text!r} ei ole vastuualue eikä toimipaikka; tunnetut: {known}")
    raise KeyError(f"{text!r} is no area or site; known: {known}")


def check_closable(scenario: Scenario, site: str, lang: str = "en") -> None:
    """``ValueError`` naming the rule when every plan that keeps the hard rules opens ``site``
    (forced open, the only office or service point of its municipality, the only office of its
    area): closing it is then no plan at all."""
    from resurssimalli.optimize import build_input
    from resurssimalli.optimize.model import necessarily_open

    if site in necessarily_open(build_input(scenario)):
        if lang == "fi":
            raise ValueError(
                f"{scenario.region.sites[site].label('fi')} ei voi sulkea skenaarion ehdoilla "
                "(sites.force_open, access.presence_required_in_every_municipality, "
                "access.office_required_in_every_area): jokainen suunnitelma avaa sen"
            )
        raise ValueError(
            f"{scenario.region.sites[site].name} cannot close under the scenario's hard rules "
            "(sites.force_open, access.presence_required_in_every_municipality, "
            "access.office_required_in_every_area): every plan opens it"
        )


WHAT_IF_COLUMNS = ["variant", "change", "place", *COLUMNS[1:]]


@dataclass(frozen=True)
class Variant:
    """One what-if: ``change`` (``plus_htv``, ``minus_htv``, ``close_site`` re-optimised,
    ``close_site_only`` without replacement) at ``place``; ``plan`` is its
    :func:`~resurssimalli.experiment.what_if.plan_row`, None when no plan keeps its rules
    (then it is not simulated)."""

    change: str
    place: str
    scenario: Scenario
    allocation: Allocation | None
    plan: Mapping | None


def _closure(scenario: Scenario, alloc: Allocation, site: str, keep: bool) -> Variant:
    from resurssimalli.errors import ResurssimalliError
    from resurssimalli.experiment.what_if import plan_row

    change = "close_site_only" if keep else "close_site"
    try:
        s, result = closed_plan(scenario, site, alloc if keep else None)
    except ResurssimalliError:
        return Variant(change, site, scenario, None, None)
    if result.summary.get("status") not in ("optimal", "feasible", "time_limit"):
        return Variant(change, site, s, None, None)
    a = Allocation.from_result(result, source=f"optimize({scenario.name}) {change} {site}")
    return Variant(change, site, s, a, plan_row(s, result.sites, result.access, result.costs))


def what_if_variants(
    scenario: Scenario, alloc: Allocation, places: Sequence[tuple[str, str]], base: Mapping | None = None
) -> dict[str, Variant]:
    """For each resolved place: an area gets one HTV more and one fewer; a site is closed twice,
    re-optimised (the plan may open another site instead) and without replacement. ``base``:
    the plan's :func:`~resurssimalli.experiment.what_if.plan_row` (the ±HTV rows are made from it)."""
    from resurssimalli.experiment.what_if import staff_row

    out: dict[str, Variant] = {}
    for kind, place in dict.fromkeys(places):
        if kind == "area":
            for change, delta in (("plus_htv", 1.0), ("minus_htv", -1.0)):
                s, a = staffed(scenario, alloc, place, delta)
                row = staff_row(base, scenario, delta) if base is not None else None
                out[f"{place} {delta:+g} HTV"] = Variant(change, place, s, a, row)
        else:
            out[f"close {place}"] = _closure(scenario, alloc, place, keep=False)
            out[f"close {place} only"] = _closure(scenario, alloc, place, keep=True)
    return out


@dataclass(frozen=True)
class WhatIf:
    """``table``: paired changes (``WHAT_IF_COLUMNS``, ``what_if.csv``); ``plans``: each variant's
    sites, cost and access against the plan (``what_if_plans.csv``); ``verdicts``: each simulated
    variant's targets judged at the scenario's effect size (``what_if_verdicts.csv``)."""

    table: pd.DataFrame
    plans: pd.DataFrame
    verdicts: pd.DataFrame


def what_if_all(
    scenario: Scenario,
    alloc: Allocation,
    places: Sequence[tuple[str, str]],
    replications: int | None = None,
    *,
    costs: pd.DataFrame | None = None,
    seed: int | None = None,
    months: int | None = None,
    jobs: int = 1,
    progress: ProgressFn | None = None,
    bands: tuple[str, ...] = BANDS,
    pool: Executor | None = None,
    base_kpis: pd.DataFrame | None = None,
) -> WhatIf:
    """:func:`what_it_buys` for the places' variants with what changes where; ``costs``: the
    plan's cost table (for the cost changes); ``base_kpis``: the plan's KPIs already simulated
    at the scenario's own effect size on these seeds (not simulated again)."""
    with _pool_for(pool, jobs) as ex:
        pending = submit_what_if(
            scenario, alloc, places, replications, ex, costs=costs, seed=seed, months=months, jobs=jobs,
            bands=bands, base_given=base_kpis is not None,
        )  # fmt: skip
        return pending.finish(progress, base_kpis)


@dataclass
class PendingWhatIf:
    """:func:`submit_what_if`'s simulations handed to the pool; :meth:`finish` waits for them."""

    buys: PendingBuys
    variants: dict[str, Variant]
    base: Mapping

    def submitted(self) -> list:
        """The simulations handed to the pool (:class:`~resurssimalli.simulate.runner.Submitted`)."""
        return self.buys.submitted()

    def finish(self, progress: ProgressFn | None = None, base_kpis: pd.DataFrame | None = None) -> WhatIf:
        """The paired changes, plans and verdicts (``base_kpis``: as promised when submitted)."""
        from resurssimalli.experiment.what_if import changes_table
        from resurssimalli.simulate.verdicts import VERDICT_COLUMNS

        judged: list[pd.DataFrame] = []
        table = self.buys.table(progress, judged, base_kpis)
        table["change"] = table["variant"].map({k: v.change for k, v in self.variants.items()})
        table["place"] = table["variant"].map({k: v.place for k, v in self.variants.items()})
        plans = changes_table(self.base, {k: (v.change, v.place, v.plan) for k, v in self.variants.items()})
        empty = pd.DataFrame(columns=[*VERDICT_COLUMNS, "variant"])
        verdicts = pd.concat(judged, ignore_index=True) if judged else empty
        return WhatIf(table[WHAT_IF_COLUMNS], plans, verdicts)


def submit_what_if(
    scenario: Scenario, alloc: Allocation, places: Sequence[tuple[str, str]], replications: int | None,
    pool: Executor, *, costs: pd.DataFrame | None = None, seed: int | None = None, months: int | None = None,
    jobs: int = 1, bands: tuple[str, ...] = BANDS, base_given: bool = False,
) -> PendingWhatIf:  # fmt: skip
    """:func:`what_if_all`'s variants made (re-optimised, their leave planned) here and their
    simulations submitted to ``pool`` one after another, not waited for: the pool simulates the
    first while the next is planned. ``base_given``: the plan's KPIs at the scenario's own effect
    size will be handed to :meth:`PendingWhatIf.finish`."""
    from resurssimalli.experiment.what_if import plan_row
    from resurssimalli.pipeline import with_planned_leave

    base = plan_row(scenario, alloc.sites, alloc.access, costs)
    variants = what_if_variants(scenario, alloc, places, base)
    # a scenario that plays the leave plan plays one made for each variant's people (issue 25);
    # made one at a time, as each variant's tasks are submitted
    runnable = ((k, (v.scenario, with_planned_leave(v.scenario, v.allocation)))
                for k, v in variants.items() if v.allocation is not None)  # fmt: skip
    reps = replications or scenario.config.simulation.replications
    buys = submit_buys(scenario, alloc, runnable, reps, pool, seed, bands, months=months, jobs=jobs,
                       base_given=base_given)  # fmt: skip
    return PendingWhatIf(buys, variants, base)


def what_if_table(
    scenario: Scenario, alloc: Allocation, places: Sequence[tuple[str, str]], replications: int | None = None,
    **kw: object,
) -> pd.DataFrame:  # fmt: skip
    """The paired changes of :func:`what_if_all` alone (``WHAT_IF_COLUMNS``)."""
    return what_if_all(scenario, alloc, places, replications, **kw).table  # type: ignore[arg-type]


def area_places(scenario: Scenario) -> list[tuple[str, str]]:
    """Every responsibility area as a what-if place: what one HTV more or fewer buys there."""
    return [("area", a) for a in scenario.region.areas]


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
    judged: list[pd.DataFrame] | None = None,
    base_kpis: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Paired yearly changes against the plan, per variant and effect size (``COLUMNS``).
    ``progress`` hears stage ``"what-if"``: one step per simulated variant and effect size;
    ``pool``: one executor for every simulation (else one is started here). ``judged``: a list
    that gets each variant's targets judged at the scenario's own effect size (a ``variant``
    column added); ``base_kpis``: the plan's KPIs at that size on these seeds, reused."""
    with _pool_for(pool, jobs) as ex:
        pending = submit_buys(
            scenario, alloc, variants.items(), replications, ex, seed, bands, months=months, jobs=jobs,
            base_given=base_kpis is not None,
        )  # fmt: skip
        return pending.table(progress, judged, base_kpis)


def _pool_for(pool: Executor | None, jobs: int):  # type: ignore[no-untyped-def]
    import contextlib

    from resurssimalli.executors import executor

    return contextlib.nullcontext(pool) if pool is not None else executor("processes", jobs)


@dataclass
class PendingBuys:
    """:func:`what_it_buys`' simulations handed to a pool: per effect size, the plan's (None when
    its KPIs are given) and each variant's."""

    scenario: Scenario
    own: str | None
    # (effect size, variant or None: the plan, its scenario, its Submitted or None: base_kpis)
    runs: list[tuple[str, str | None, Scenario, object]]

    def submitted(self) -> list:
        """The simulations handed to the pool (:class:`~resurssimalli.simulate.runner.Submitted`)."""
        return [sub for *_, sub in self.runs if sub is not None]

    def table(
        self, progress: ProgressFn | None = None, judged: list[pd.DataFrame] | None = None,
        base_kpis: pd.DataFrame | None = None,
    ) -> pd.DataFrame:  # fmt: skip
        """Wait for the simulations, in the order submitted; the paired changes (``COLUMNS``)."""
        from resurssimalli.simulate.verdicts import judge_kpis

        parts, base = [], None
        for done, (size, name, s, sub) in enumerate(self.runs):
            tick(progress, "what-if", done, len(self.runs), f"effect {size}: {name or 'the plan'}")
            if sub is None:
                if base_kpis is None:
                    raise ValueError("what_it_buys: the plan's KPIs at its own effect size were promised")
                kpis = base_kpis
            else:
                (result,) = sub.results().values()  # type: ignore[attr-defined]
                kpis = result.kpis
            if name is None:
                base = kpis
                continue
            parts.append(paired_change(base, kpis).assign(variant=name, effect_size=size))
            if judged is not None and size == self.own:
                judged.append(judge_kpis(kpis, [s], self.scenario.config.targets).assign(variant=name))
        tick(progress, "what-if", len(self.runs), len(self.runs), "done")
        return pd.concat(parts, ignore_index=True)[COLUMNS]


def submit_buys(
    scenario: Scenario, alloc: Allocation, variants: Iterable[tuple[str, tuple[Scenario, Allocation]]],
    replications: int, pool: Executor, seed: int | None = None, bands: tuple[str, ...] = BANDS, *,
    months: int | None = None, jobs: int = 1, base_given: bool = False,
) -> PendingBuys:  # fmt: skip
    """:func:`what_it_buys`' simulations submitted to ``pool`` and not waited for, each variant's
    as it comes from ``variants`` (which may still be making the next one meanwhile)."""
    from resurssimalli.simulate.runner import submit_many

    seed = scenario.seed if seed is None else seed
    own = scenario.config.outcomes.effect_size if scenario.config.outcomes is not None else None
    kw = {"replications": replications, "seed": seed, "months": months, "jobs": jobs, "staff_tables": ()}
    runs: list[tuple[str, str | None, Scenario, object]] = []
    listed = list(variants) if len(bands) > 1 else None  # made once, simulated at every size
    for size in bands:
        if base_given and size == own:
            runs.append((size, None, scenario, None))
        else:
            sized = [_with_size(scenario, size)]
            runs.append((size, None, scenario, submit_many(sized, alloc, pool, **kw)))  # type: ignore[arg-type]
        for name, (s, a) in listed if listed is not None else variants:
            runs.append((size, name, s, submit_many([_with_size(s, size)], a, pool, **kw)))  # type: ignore[arg-type]
    return PendingBuys(scenario, own, runs)


def caseload_outside_studies(summary: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Rows of ``caseload_per_coach`` (all and lines) outside the caseloads the studies covered."""
    lo, hi = scenario.config.outcomes.caseload_studied if scenario.config.outcomes else (0.0, float("inf"))
    c = summary[summary["kpi"] == "caseload_per_coach"]
    if "period" in c.columns:
        c = c[c["period"] == "horizon"]
    return c[(c["mean"] < lo) | (c["mean"] > hi)].assign(studied_low=lo, studied_high=hi)
