"""Where the stages are joined: "optimise, then simulate" and the main job (``resurssimalli run``).

The main job optimises the scenario, simulates it together with the structural-change scenarios
on the same plan (same random numbers), writes one run folder (each file once, by the stage that
owns it) and the memo. Each stage is called through its public API; this module only orders
them and never prints: progress goes to an optional callback, the results are returned.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from resurssimalli.errors import InputError
from resurssimalli.executors import executor
from resurssimalli.experiment.compare import keyed, paired_comparison, plain
from resurssimalli.experiment.outcomes import WhatIf, submit_what_if
from resurssimalli.optimize import OptimizeResult, optimize
from resurssimalli.optimize.leave import LeavePlan, leave_rows, plan_leave, roster_table
from resurssimalli.optimize.leave_input import LeavePerson, leave_input
from resurssimalli.progress import ProgressFn, tick
from resurssimalli.report.names import scenario_record
from resurssimalli.runs import RunFolder, claim_run_path, release_claim
from resurssimalli.scenario.load import Scenario, check_distinct, load_scenario
from resurssimalli.scenario.schema import CUSTOMER_LINES
from resurssimalli.simulate import Allocation, SimulationResult
from resurssimalli.simulate.people import EMPLOYER_LINE, build_people
from resurssimalli.simulate.planned_leave import leave_effect, other_rule, with_leave_rule
from resurssimalli.simulate.runner import Submitted, start_workers, submit_many, wait_all
from resurssimalli.simulate.stats import summarise_periods
from resurssimalli.simulate.verdicts import with_worst_places


@dataclass(frozen=True)
class Plan:
    """The allocation a simulation runs on, and the optimiser's result when it was made here."""

    allocation: Allocation
    optimised: OptimizeResult | None = None


def plan_for(scenario: Scenario, allocation_dir: Path | None = None, **optimize_options: object) -> Plan:
    """The plan to simulate: read from an optimiser run folder, or optimise ``scenario`` now."""
    if allocation_dir is not None:
        return Plan(with_planned_leave(scenario, Allocation.from_run_folder(allocation_dir)))
    result = optimize(scenario, **optimize_options)
    alloc = Allocation.from_result(result, source=f"optimize({scenario.name})")
    return Plan(with_planned_leave(scenario, alloc), result)


def with_planned_leave(scenario: Scenario, alloc: Allocation) -> Allocation:
    """``alloc`` with its leave plan when the scenario plays one (``summer_leave: planned``) and
    the allocation came without it."""
    if scenario.config.staff.absence.summer_leave != "planned" or alloc.leave is not None:
        return alloc
    return alloc.with_leave(leave_rows(plan_roster(scenario, alloc)))


def plan_roster(scenario: Scenario, alloc: Allocation) -> LeavePlan:
    """The summer-leave plan for ``alloc``'s people (:mod:`resurssimalli.optimize.leave`): the
    people the simulation staffs the plan with (:func:`resurssimalli.simulate.people.build_people`)."""
    areas = tuple(sorted(scenario.region.areas))
    htv = alloc.allocation.groupby(["area", "service_line"])["htv"].sum()
    lines = (*CUSTOMER_LINES, EMPLOYER_LINE)
    line_htv = {(areas.index(a), str(ln)): float(h) for (a, ln), h in htv.items() if ln in lines and h > 1e-6}
    people = build_people(line_htv, lines, scenario.config.staff.min_part_time_fte)
    leave_people = [LeavePerson(areas[x.area], x.ordinal, x.fte, x.shares) for x in people]
    return plan_leave(leave_input(scenario, leave_people))


def compared_scenarios(scenario: Scenario, files: Sequence[str | Path] | None = None) -> list[Scenario]:
    """The scenarios to simulate on ``scenario``'s plan, named explicitly, never found by a scan.

    ``files`` (``run --compare``) when given, else the scenario's ``compare:`` list (file names
    relative to the scenario file). A named file that is broken is an error naming it; files in
    the folder that are not named are never read.
    """
    where = "--compare" if files is not None else f"{scenario.path}: compare"
    if files is None:
        base = Path(scenario.path).parent
        files = [base / f for f in scenario.config.compare]
    own = Path(scenario.path).resolve()
    others = [load_scenario(Path(f)) for f in files if Path(f).resolve() != own]
    check_distinct([scenario, *others], where)
    return others


@dataclass(frozen=True)
class RunOutcome:
    """What ``run`` produced: the plan, the baseline's simulation, every scenario's KPIs, the folder."""

    plan: OptimizeResult
    simulation: SimulationResult
    kpis: pd.DataFrame
    summary: pd.DataFrame
    folder: Path
    memo_files: tuple[Path, ...] = ()
    what_if: pd.DataFrame | None = None  # what_if.csv: the --what-if variants' paired changes
    what_if_plans: pd.DataFrame | None = None  # what_if_plans.csv: their sites, cost and access
    htv_value: pd.DataFrame | None = None  # htv_value.csv: one HTV more / fewer in every area
    what_if_verdicts: pd.DataFrame | None = None  # what_if_verdicts.csv: their targets judged
    roster: LeavePlan | None = None  # the summer-leave plan (roster.csv, leave_plan.csv, roster.json)


def _needs_leave(s: Scenario) -> bool:
    return s.config.staff.absence.summer_leave == "planned"


@dataclass
class _Queued:
    """The run's simulations, handed to the pool as soon as each can start: those that do not play
    the leave plan before it is made (the pool simulates while this process plans the leave), the
    others once it is; the ``htv_value`` and ``--what-if`` variants after them, on the same pool."""

    scenario: Scenario
    compare: Sequence[Scenario]
    extra: Sequence[Scenario]
    submitted: list[Submitted]
    leave: LeavePlan | None = None
    plan: Plan | None = None

    def results(self, progress: ProgressFn | None, more: Sequence[Submitted] = ()) -> tuple[
        SimulationResult, pd.DataFrame, list[pd.DataFrame]
    ]:  # fmt: skip
        """Wait for every replication (``more``: the variants' too, one progress over all); the
        scenario's result, its and the compared scenarios' KPIs, the ``extra`` scenarios' KPIs."""
        wait_all([*self.submitted, *more], progress)
        sims: dict[str, SimulationResult] = {}
        for sub in self.submitted:
            sims |= sub.results()
        kpis = pd.concat([sims[s.name].kpis for s in (self.scenario, *self.compare)], ignore_index=True)
        return sims[self.scenario.name], kpis, [sims[s.name].kpis for s in self.extra]


def _queue_simulations(
    scenario: Scenario, plan: Plan, compare: Sequence[Scenario], roster: bool, replications: int | None,
    months: int | None, jobs: int, pool: cf.Executor,
) -> _Queued:  # fmt: skip
    """Submit the scenario's and the compared scenarios' replications on ``plan``, plan the summer
    leave (:func:`plan_roster`) meanwhile, then submit those that play it and the scenario with
    the other leave rule (the memo's summer line). Every scenario on the scenario's seed and
    replication count (common random numbers), as one :func:`simulate_many` would."""
    kw = {
        "replications": replications or scenario.config.simulation.replications, "seed": scenario.seed,
        "jobs": jobs, "months": months, "staff_tables": (scenario.name,),  # the run folder's posts, roster
    }  # fmt: skip
    runs = [scenario, *compare]
    now = [s for s in runs if not _needs_leave(s) or plan.allocation.leave is not None]
    submitted = [submit_many(now, plan.allocation, pool, **kw)] if now else []  # type: ignore[arg-type]
    leave = plan_roster(scenario, plan.allocation) if roster else None
    if leave is not None and plan.allocation.leave is None:
        plan = Plan(plan.allocation.with_leave(leave_rows(leave)), plan.optimised)
    rule = other_rule(scenario.config.staff.absence.summer_leave) if leave is not None else None
    extra = [with_leave_rule(scenario, rule)] if rule else []
    later = [s for s in runs if s not in now] + extra
    if later:
        submitted.append(submit_many(later, plan.allocation, pool, **kw))  # type: ignore[arg-type]
    return _Queued(scenario, compare, extra, submitted, leave, plan)


def _spare_worker(pool: Executor, jobs: int) -> Executor | None:
    """The simulation's process pool, idle now, for the report's workbook and figures (each
    worker imports their libraries at once, while the run folder is written); None when the
    pool is this process."""
    if not isinstance(pool, ProcessPoolExecutor):
        return None
    from resurssimalli.report.write import workers_ready

    for _ in range(jobs):
        pool.submit(workers_ready)
    return pool


def write_roster(rf: RunFolder, roster: LeavePlan, lang: str = "fi") -> None:
    """The leave plan's files: ``roster.csv`` (week × area), ``leave_plan.csv`` (person × leave
    week, what the simulation plays), ``roster.json`` (the plan in numbers) and ``roster.png``."""
    from resurssimalli.report.names import Names
    from resurssimalli.report.roster_figure import roster_figure
    from resurssimalli.report.texts import Texts

    table = roster_table(roster)
    rf.write_csv("roster.csv", table)
    rf.write_csv("leave_plan.csv", leave_rows(roster))
    rf.write_json("roster.json", roster.summary())
    names = Names(rf.scenario.region, Texts(lang), {})
    rf.path("roster.png").write_bytes(roster_figure(table, Texts(lang), names.area))


def _write_run(
    scenario: Scenario, out: Path | None, plan: OptimizeResult, sim: SimulationResult,
    kpis: pd.DataFrame, compare: Sequence[Scenario], memo_lang: str | None = None,
    what_if: WhatIf | None = None, background: Executor | None = None,
    htv_value: pd.DataFrame | None = None, roster: LeavePlan | None = None,
    leave_effect: pd.DataFrame | None = None,
) -> tuple[Path, pd.DataFrame, tuple[str, ...]]:
    """Write the run folder; every file once. Returns the folder, the KPI summary, memo file names.

    With ``memo_lang`` the memo, figures and workbook are written into the folder before it is
    published, so a run folder is visible only when it is complete; with ``background`` (a
    process pool) the workbook is written there while this process draws the memo.
    """
    summary = plain(summarise_periods(keyed(kpis)))  # the same table; a fraction of the memory
    summary = with_worst_places(summary, scenario.region.municipalities)  # where and when worst
    memo_files: list[str] = []
    with RunFolder.new(scenario.name, out, scenario=scenario, command="run") as rf:
        if memo_lang is not None:
            from resurssimalli.report import write_report

            given = {"kpis.parquet": kpis}  # as written below: the report does not read it back

            def memo(d: Path) -> None:
                written = write_report(d, lang=memo_lang, given=given, background=background)
                memo_files.extend(p.name for p in written)

            rf.on_complete(memo)
        plan.write(rf)
        if roster is not None:
            write_roster(rf, roster, memo_lang or "fi")
        if leave_effect is not None:
            rf.write_csv("leave_effect.csv", leave_effect)
        rf.write_parquet("kpis.parquet", kpis)
        rf.write_csv("summary.csv", summary)
        if sim.events is not None:
            rf.write_parquet("events.parquet", sim.events)
        if sim.posts is not None:  # the people's minutes by kind of work, and their days
            rf.write_csv("posts.csv", sim.posts)
            rf.write_parquet("roster.parquet", sim.roster)
        if what_if is not None:
            rf.write_csv("what_if.csv", what_if.table)
            rf.write_csv("what_if_plans.csv", what_if.plans)
            rf.write_csv("what_if_verdicts.csv", what_if.verdicts)
        if htv_value is not None:
            rf.write_csv("htv_value.csv", htv_value)
        rf.extra["simulation"] = sim.manifest()
        rf.extra["lang"] = memo_lang or "fi"  # the run's language: memo.md and results.xlsx are in it
        if compare:
            rf.write_csv("comparison.csv", paired_comparison(kpis, scenario.name))
            rf.extra["compared_scenarios"] = {s.name: scenario_record(s) for s in compare}
    return rf.final, summary, tuple(memo_files)


def run_pipeline(
    scenario: Scenario,
    out: Path,
    *,
    compare: Sequence[Scenario] = (),
    replications: int | None = None,
    months: int | None = None,
    jobs: int | None = None,
    pareto: int | None = 5,
    lang: str = "fi",
    memo: bool = True,
    what_if: Sequence[tuple[str, str]] = (),
    htv_value: bool = True,
    progress: ProgressFn | None = None,
    roster: bool = True,
) -> RunOutcome:
    """Run every stage on ``scenario``; ``compare`` scenarios are simulated on the same plan.

    ``what_if``: places resolved by :func:`~resurssimalli.experiment.outcomes.resolve_place`;
    their variants (±1 HTV in an area, a site closed) are simulated at the low/central/high
    effect size with the run's replications and seeds and written to ``what_if.csv`` (what
    changes: ``what_if_plans.csv``, ``what_if_verdicts.csv``). ``htv_value`` (with an
    ``outcomes:`` section): one HTV more and fewer in every area at the scenario's own effect size,
    paired with the plan's own simulation (``htv_value.csv``, the memo's financial effects).
    ``progress`` hears stage ``"run"`` steps (optimise, simulate, [what-if,] write with the memo,
    done). ``out`` (a new folder; required, so nothing is written into the current folder) is
    claimed before any work (a hidden folder beside it); the folder appears only when complete.
    ``roster``: plan the summer leave on the plan's people (:func:`plan_roster`), write it, and
    hand it to the simulation (played where a scenario's ``staff.absence.summer_leave`` is
    ``planned``).
    """
    if out is None:
        raise InputError("run_pipeline", "out", "an output folder (the command line picks results/<name>-<time>)")
    check_distinct([scenario, *compare], "run")
    out = claim_run_path(out, scenario.name)  # the name is this run's from now on
    try:
        return _run_stages(
            scenario, out, compare=compare, replications=replications, months=months, jobs=jobs,
            pareto=pareto, lang=lang, memo=memo, what_if=what_if, htv_value=htv_value, progress=progress,
            roster=roster,
        )  # fmt: skip
    except BaseException:
        release_claim(out)
        raise


def _run_stages(
    scenario: Scenario, out: Path, *, compare: Sequence[Scenario], replications: int | None,
    months: int | None, jobs: int | None, pareto: int | None, lang: str, memo: bool,
    what_if: Sequence[tuple[str, str]], htv_value: bool, progress: ProgressFn | None, roster: bool,
) -> RunOutcome:
    """The stages of :func:`run_pipeline` once its folder is claimed. Every simulation goes to one
    pool as soon as it can start (:func:`_queue_simulations`, then the variants): the pool never
    waits for the leave plan, the variants' plans or a batch's last replication."""
    total = 4 if what_if else 3
    tick(progress, "run", 0, total, f"optimise {scenario.name}")
    with executor("processes", jobs or 1) as pool:
        start_workers(pool, jobs or 1)  # the workers import the simulation while the plan is optimised
        plan = plan_for(scenario, pareto=pareto, marginals=True)  # marginals: the memo's whole HTV
        others = f" + {len(compare)} scenarios" if compare else ""
        tick(progress, "run", 1, total, f"simulate {scenario.name}{others}")
        queued = _queue_simulations(scenario, plan, compare, roster, replications, months, jobs or 1, pool)
        plan, leave = queued.plan or plan, queued.leave
        kw = {"months": months, "jobs": jobs or 1, "pool": pool, "base_given": True}
        value = None
        if htv_value and scenario.config.outcomes is not None:  # one HTV more and fewer in every area
            from resurssimalli.experiment.outcomes import area_places

            value = submit_what_if(
                scenario, plan.allocation, area_places(scenario), replications,
                bands=(scenario.config.outcomes.effect_size,), **kw,  # type: ignore[arg-type]
            )  # fmt: skip
        table = None
        if what_if:
            costs = plan.optimised.costs if plan.optimised else None
            table = submit_what_if(
                scenario, plan.allocation, what_if, replications, costs=costs, **kw  # type: ignore[arg-type]
            )
        pending = [*(value.submitted() if value else []), *(table.submitted() if table else [])]
        sim, kpis, by_rule = queued.results(progress, pending)
        effect = None
        own = kpis[kpis["scenario"] == scenario.name]
        if by_rule:  # what the leave plan does to the summer, on the same seeds (the memo's summer line)
            own_rule = scenario.config.staff.absence.summer_leave
            effect = leave_effect(own, by_rule[0], own_rule, other_rule(own_rule))
        spare = _spare_worker(pool, jobs or 1) if memo else None  # writes the workbook beside the memo
        if what_if:
            tick(progress, "run", 2, total, "what if: " + ", ".join(p for _, p in what_if))
        got = table.finish(progress, own) if table is not None else None
        htv = value.finish(progress, own).table if value is not None else None
        tick(progress, "run", total - 1, total, "write the run folder" + (" and the memo" if memo else ""))
        assert plan.optimised is not None
        folder, summary, names = _write_run(
            scenario, out, plan.optimised, sim, kpis, compare, lang if memo else None, got, spare, htv,
            leave, effect,
        )
    tick(progress, "run", total, total, "done")
    return RunOutcome(
        plan.optimised, sim, kpis, summary, folder, tuple(folder / n for n in names),
        got.table if got is not None else None, got.plans if got is not None else None, htv,
        got.verdicts if got is not None else None, leave,
    )  # fmt: skip
