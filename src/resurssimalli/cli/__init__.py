"""The ``resurssimalli`` command line (typer).

User errors (bad scenario, bad table, existing run folder) are printed without a traceback and
exit with code 2; nothing is written.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from resurssimalli.errors import InputError, ResurssimalliError

if TYPE_CHECKING:  # the scenario package (pandas, pydantic) is imported by the commands that load one:
    from resurssimalli.scenario.load import Scenario  # `--help` and usage errors start in a third of the time

app = typer.Typer(
    help="resurssimalli — staff and office planning for a Finnish employment area (TE2024).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("resurssimalli")

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML file, e.g. scenarios/baseline.yaml")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a key: --set staff.total_htv=30 (highest precedence; repeatable)"),
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Run folder to create (must not exist)")]


def load(path: Path, sets: list[str] | None = None) -> Scenario:
    """Load a scenario with ``--set`` overrides (shared by every command)."""
    from resurssimalli.scenario.load import load_scenario, parse_set

    return load_scenario(path, parse_set(sets or []))


MAX_MONTHS = 60  # the schema's horizon.months limit
MAX_REPLICATIONS = 10_000
MAX_JOBS = 256


def check_run_options(
    out: Path | None,
    *,
    replications: int | None = None,
    months: int | None = None,
    jobs: int | None = None,
    claim: bool = True,
) -> None:
    """Refuse bad numbers and an unusable ``--out`` before any work is done; ``claim``: take the
    run folder's name now (a hidden folder beside it), so no other run can work towards it."""
    from resurssimalli.runs import check_output_path, claim_run_path

    for opt, value, top in (
        ("--replications", replications, MAX_REPLICATIONS),
        ("--months", months, MAX_MONTHS),
        ("--jobs", jobs, MAX_JOBS),
    ):
        if value is not None and not 1 <= value <= top:
            raise InputError(opt, opt.lstrip("-"), f"a whole number from 1 to {top}, got {value}")
    if out is not None:
        claim_run_path(out, "") if claim else check_output_path(out)


@app.command()
def validate(scenarios: Annotated[list[Path], typer.Argument(help="Scenario files")]) -> None:
    """Validate scenario files; print each one's name and hash."""
    from resurssimalli.scenario.load import load_scenario

    failed = 0
    for p in scenarios:
        try:
            s = load_scenario(p)
            console.print(Text.assemble(("ok", "green"), f" {p} — {s.name} ({s.hash[:12]})"))
        except ResurssimalliError as e:
            failed += 1
            err_console.print(Text.assemble(("invalid", "red"), f" {e}"), highlight=False)
    if failed:
        raise typer.Exit(2)


@app.command()
def show(scenario: ScenarioArg, set_: SetOpt = None) -> None:
    """Print the resolved scenario and what each file of its extends: chain changed."""
    import yaml

    s = load(scenario, set_)
    console.print(Text.assemble((s.name, "bold"), f" ({s.hash[:12]}) — {s.config.description}"))
    chain = " -> ".join([*s.chain, "--set"] if set_ else s.chain)
    console.print(f"precedence (lowest first): {chain}", markup=False)
    if s.overrides:
        console.print("[bold]overrides[/bold]")
        for o in s.overrides:
            line = Text.assemble(f"  {o.key}: {o.old!r} -> {o.new!r}   ", (f"({o.source})", "dim"))
            console.print(line, highlight=False)
    console.print("[bold]resolved scenario[/bold]")
    console.print(
        yaml.safe_dump(s.config.model_dump(mode="json"), sort_keys=False, allow_unicode=True),
        markup=False,
        highlight=False,
    )


@app.command()
def assumptions(scenario: ScenarioArg) -> None:
    """Print the assumptions table with the scenario's values."""
    from resurssimalli.report.assumptions import assumptions_table
    from resurssimalli.report.console import df_table

    console.print(df_table(assumptions_table(load(scenario)), "Assumptions and sources"))


def resolve_what_if(
    s: Scenario, names: list[str], option: str = "--what-if", lang: str = "fi"
) -> list[tuple[str, str]]:
    """``--what-if`` (or ``option``) names as (kind, id), refused before any work when unknown
    (the known names listed in ``lang``), when a site cannot close, or without an outcomes: section."""
    from resurssimalli.experiment.outcomes import check_closable, resolve_place

    if names and s.config.outcomes is None:
        raise InputError(option, "outcomes", "a scenario with an outcomes: section (see scenarios/baseline.yaml)")
    from resurssimalli.safety import mixed_scripts

    places = []
    for name in names:
        try:
            places.append(resolve_place(s, name, lang))
            if places[-1][0] == "site" and option != "--area":
                check_closable(s, places[-1][1], lang)
        except (KeyError, ValueError) as e:
            odd = mixed_scripts(name)
            note = f" ({name!r} mixes scripts: {odd})" if odd else ""
            raise InputError(option, option.lstrip("-").replace("-", "_"), f"{e.args[0]}{note}") from None
    return places


@app.command()
def run(
    scenario: ScenarioArg,
    out: OutOpt = None,
    compare: Annotated[
        list[Path] | None,
        typer.Option(
            "--compare",
            help="A scenario to simulate on the same plan (repeat for several: --compare a.yaml "
            "--compare b.yaml); default: the scenario's own compare: list",
        ),
    ] = None,
    no_compare: Annotated[
        bool, typer.Option("--no-compare", help="Simulate only this scenario (ignore its compare: list)")
    ] = False,
    replications: Annotated[
        int | None, typer.Option("--replications", help="Replications (default simulation.replications)")
    ] = None,
    months: Annotated[int | None, typer.Option("--months", help="Simulated months (default horizon)")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", help="Worker processes (default: all cores)")] = None,
    pareto: Annotated[int, typer.Option("--pareto", help="Points on the cost-access front (0: none)")] = 5,
    lang: Annotated[str, typer.Option("--lang", help="Memo language: fi (default) or en")] = "fi",
    what_if: Annotated[
        list[str] | None,
        typer.Option(
            "--what-if",
            help="An area (one HTV more and one fewer) or a site (closed) whose effect on unemployment "
            "days and the municipalities' benefit share the memo shows, low/central/high effect; "
            "repeatable, ids or names: --what-if AREA --what-if 'SITE NAME'",
        ),
    ] = None,
    set_: SetOpt = None,
) -> None:
    """The main job: summary, optimise, simulate (with the structural-change scenarios), memo."""
    from resurssimalli.cli.optimize import print_result
    from resurssimalli.cli.progress import progress_bar
    from resurssimalli.cli.simulate import print_kpis, print_verdicts
    from resurssimalli.executors import default_jobs, start_workers_early
    from resurssimalli.pipeline import compared_scenarios, run_pipeline
    from resurssimalli.report.console import print_summary
    from resurssimalli.runs import claim_run_path

    if lang not in ("fi", "en"):
        raise InputError("--lang", "lang", f"fi or en, got {lang!r}")
    if no_compare and compare:
        raise InputError("--no-compare", "compare", "either --no-compare or --compare FILE, not both")
    check_run_options(out, replications=replications, months=months, jobs=jobs)
    start_workers_early(jobs)  # the workers' imports run while the scenarios are read and optimised
    s = load(scenario, set_)
    places = resolve_what_if(s, what_if or [], lang=lang)
    others = [] if no_compare else compared_scenarios(s, compare)
    from resurssimalli.report.texts import Texts

    t = Texts(lang)
    folder = claim_run_path(out, s.name)  # before any output: the name is this run's, or refused
    print_summary(s, console, t)
    with progress_bar(console, "run", lang) as progress:
        done = run_pipeline(
            s,
            folder,
            compare=others,
            replications=replications,
            months=months,
            jobs=jobs or default_jobs(),
            pareto=pareto or None,
            lang=lang,
            what_if=places,
            progress=progress,
        )
    print_result(done.plan, s, console, lang)
    print_kpis(done.simulation, console, lang)
    print_verdicts(done.summary, [s, *others], console, lang)
    if done.what_if is not None:
        from resurssimalli.cli.outcomes import print_what_if

        print_what_if(done.what_if, s, console, lang, done.what_if_plans, done.what_if_verdicts)
    console.print(Text.assemble(t("con_run_folder"), (str(done.folder), "bold")))
    for p in done.memo_files:
        console.print(t("con_wrote", file=p.name), markup=False)


@app.command()
def memo(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `resurssimalli run`")],
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Memo language: fi or en (default: the run's). The run's language writes memo.md, "
            "memo.html, memo.pdf and results.xlsx; another language memo.<lang>.* and results.<lang>.xlsx",
        ),
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write memo.pdf (WeasyPrint)")] = False,
    suppression: Annotated[
        bool,
        typer.Option(
            "--suppression/--no-suppression",
            help="Show people counts under 5 per municipality x group cell as '…' (default on)",
        ),
    ] = True,
) -> None:
    """Write the decision memo (memo.md, memo.html, --pdf memo.pdf), results.xlsx and figures."""
    from resurssimalli.cli.progress import progress_bar
    from resurssimalli.report import write_report
    from resurssimalli.runs import check_output_dir

    if run_dir.is_dir():  # a read-only folder, or a link or folder where a memo file goes: refused first
        from resurssimalli.report.write import report_files, run_language
        from resurssimalli.runs import check_replaceable

        check_output_dir(run_dir, "RUN_DIR")
        files = report_files(run_dir, lang or run_language(run_dir))
        for name in (files.md, files.html, files.xlsx, *([files.pdf] if pdf else [])):
            check_replaceable(run_dir / name, replace=True, what="RUN_DIR")
    with progress_bar(console, "memo") as progress:
        files = write_report(run_dir, lang=lang, pdf=pdf, suppression=suppression, progress=progress)
    for p in files:
        console.print(f"wrote {p}", markup=False)


@app.command()
def template(
    out: Annotated[Path, typer.Argument(help="Input workbook to write, e.g. inputs.xlsx")],
    scenario: Annotated[
        Path | None, typer.Option("--scenario", help="Fill with this scenario's region (default: shipped)")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists")] = False,
    lang: Annotated[
        str, typer.Option("--lang", help="Language of the README and the names for the reader: fi (default) or en")
    ] = "fi",
) -> None:
    """Write an input workbook (demand shares, sites and costs, travel times) to edit in Excel."""
    from resurssimalli.data.region import load_region
    from resurssimalli.data.workbook import write_inputs_template
    from resurssimalli.runs import check_output_file

    if lang not in ("fi", "en"):
        raise InputError("--lang", "lang", f"fi or en, got {lang!r}")
    check_output_file(out, force=force, what="template")
    region = load(scenario).region if scenario else load_region()
    console.print(f"wrote {write_inputs_template(out, region, lang, replace=force)}", markup=False)
    hint = "name it in a scenario with  region: {inputs_workbook: " + out.name + "}"
    console.print(hint, highlight=False, markup=False)


@app.command()
def optimize(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML file (several with --robust)")],
    out: OutOpt = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Solver time limit in seconds")
    ] = None,
    gap: Annotated[float | None, typer.Option("--gap", help="Relative MIP gap at which to stop")] = None,
    objective: Annotated[
        str | None, typer.Option("--objective", help="cost (default) or minmax-travel (equity, then cost)")
    ] = None,
    pareto: Annotated[
        int | None, typer.Option("--pareto", help="Trace the cost-accessibility front with N points")
    ] = None,
    robust: Annotated[
        bool, typer.Option("--robust", help="One site plan for all given scenarios (two-stage model)")
    ] = False,
    split_sensitivity: Annotated[
        bool,
        typer.Option(
            "--split-sensitivity", help="Also the 40/40/20 split with youth counted as weaker position"
        ),
    ] = False,
    set_: SetOpt = None,
) -> None:
    """Allocate staff, offices and service points (Pyomo + HiGHS) and write the plan to a run folder."""
    check_run_options(out)
    loaded = [load(p, set_) for p in scenarios]
    if robust:
        from resurssimalli.cli.experiment import robust_command

        robust_command(loaded, console, out=out, time_limit=time_limit, gap=gap)
        return
    if len(loaded) != 1:
        raise InputError("optimize", "SCENARIO", "one scenario (several only with --robust)")
    from resurssimalli.cli.optimize import optimize_command

    optimize_command(
        loaded[0],
        out,
        console,
        time_limit=time_limit,
        gap=gap,
        objective=objective,
        pareto=pareto,
        split_sensitivity=split_sensitivity,
    )


@app.command()
def outcomes(
    scenario: ScenarioArg,
    area: Annotated[str, typer.Option("--area", help="Area that gets one HTV more / fewer (id or name)")],
    site: Annotated[
        str | None, typer.Option("--site", help="Site to close, re-optimised without it (id or name)")
    ] = None,
    replications: Annotated[int, typer.Option("--replications", help="Paired replications")] = 10,
    band: Annotated[str, typer.Option("--band", help="Effect sizes, comma separated")] = "low,central,high",
    lang: Annotated[str, typer.Option("--lang", help="Console language: fi (default) or en")] = "fi",
    set_: SetOpt = None,
) -> None:
    """What service buys: person-days of unemployment and the municipalities' benefit share a year."""
    from resurssimalli.cli.outcomes import outcomes_command

    if lang not in ("fi", "en"):
        raise InputError("--lang", "lang", f"fi or en, got {lang!r}")
    check_run_options(None, replications=replications)
    s = load(scenario, set_)
    places = resolve_what_if(s, [area], "--area", lang) + (resolve_what_if(s, [site], "--site", lang) if site else [])
    if places[0][0] != "area":
        known = ", ".join(a.name for a in s.region.areas.values())
        raise InputError("--area", "area", f"an area ({known}), got {area!r}")
    if site is not None and places[-1][0] != "site":
        raise InputError("--site", "site", f"a site, got {site!r}")
    bands = tuple(b.strip() for b in band.split(","))
    if not set(bands) <= {"low", "central", "high"}:
        raise InputError("--band", "band", f"low, central and/or high, got {band!r}")
    outcomes_command(s, console, places=places, replications=replications, bands=bands, lang=lang)


@app.command()
def sweep(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files; the first is the baseline")],
    replications: Annotated[int, typer.Option("--replications", help="Replications per scenario")] = 10,
    jobs: Annotated[
        int | None, typer.Option("--jobs", help="Local worker processes (default: all cores)")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    ] = None,
    dask: Annotated[
        bool, typer.Option("--dask", help="Use a local Dask cluster instead of a process pool")
    ] = False,
    resume: Annotated[
        Path | None,
        typer.Option("--resume", help="Sweep folder of an interrupted sweep: compute only what is missing"),
    ] = None,
    allocation: Annotated[
        Path | None,
        typer.Option("--allocation", help="Optimiser run folder to test (default: optimise the first)"),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Root seed (default: the first scenario's)")
    ] = None,
    months: Annotated[int | None, typer.Option("--months", help="Simulated months (default horizon)")] = None,
    out: OutOpt = None,
    set_: SetOpt = None,
) -> None:
    """Run scenarios x replications on all cores or a Dask cluster; paired comparison to the baseline."""
    from resurssimalli.cli.experiment import sweep_command

    if resume is not None and out is not None:
        raise InputError("--resume", "resume", "either --resume or --out, not both")
    # a sweep folder is made (claimed) as the sweep starts
    check_run_options(out, replications=replications, months=months, jobs=jobs, claim=False)
    if scheduler is not None:
        from resurssimalli.executors import check_scheduler

        check_scheduler(scheduler)
    sweep_command(
        [load(p, set_) for p in scenarios],
        console,
        replications=replications,
        jobs=jobs,
        scheduler=scheduler,
        resume=resume,
        out=out,
        allocation=allocation,
        seed=seed,
        months=months,
        kind="dask" if dask else "processes",
    )


@app.command()
def stress(
    scenarios: Annotated[
        list[Path], typer.Argument(help="Scenario files; the plan is optimised on the first")
    ],
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            help="KPI target, e.g. initial_interview_on_time_share>=0.95 (repeatable; "
            "default: each scenario's targets)",
        ),
    ] = None,
    replications: Annotated[
        int, typer.Option("--replications", help="Replications per scenario while bisecting")
    ] = 10,
    confirm_replications: Annotated[
        int, typer.Option("--confirm-replications", help="Replications every ask is settled on")
    ] = 20,
    jobs: Annotated[int | None, typer.Option("--jobs", help="Worker processes (default: all cores)")] = None,
    months: Annotated[int | None, typer.Option("--months", help="Simulated months (default horizon)")] = None,
    max_iterations: Annotated[
        int, typer.Option("--max-iterations", help="Plans to simulate at most after the first")
    ] = 40,
    tolerance_htv: Annotated[
        float, typer.Option("--tolerance-htv", help="Width of each ask's bracket, HTV")
    ] = 0.1,
    out: OutOpt = None,
    set_: SetOpt = None,
) -> None:
    """The least hours each failing queue needs, as brackets, and a plan that holds (or proof
    that the budget cannot)."""
    from resurssimalli.cli.experiment import stress_command
    from resurssimalli.experiment.stress import parse_target

    targets = [parse_target(t) for t in target] if target else None
    if max_iterations < 1:
        raise InputError("--max-iterations", "max_iterations", f"at least 1, got {max_iterations}")
    if not 0 < tolerance_htv <= 10:
        raise InputError("--tolerance-htv", "tolerance_htv", f"between 0 and 10 HTV, got {tolerance_htv}")
    check_run_options(out, replications=replications, months=months, jobs=jobs)
    if not 1 <= confirm_replications <= MAX_REPLICATIONS:
        raise InputError("--confirm-replications", "confirm_replications",
                         f"a whole number from 1 to {MAX_REPLICATIONS}, got {confirm_replications}")  # fmt: skip
    loaded = [load(p, set_) for p in scenarios]
    check_targets(targets or [], loaded)
    stress_command(
        loaded,
        console,
        targets=targets,
        replications=replications,
        confirm_replications=confirm_replications,
        jobs=jobs,
        months=months,
        max_iterations=max_iterations,
        out=out,
        tolerance_htv=tolerance_htv,
    )


def check_targets(targets: list, scenarios: list[Scenario]) -> None:
    """Every ``--target``'s group is a place or line of the scenarios' region, and their names are
    distinct: refused before the loop optimises or simulates anything."""
    from resurssimalli.scenario.load import TARGET_GROUPS, check_distinct, is_target_group

    check_distinct(scenarios, "stress")
    for t in targets:
        if not is_target_group(t.group, scenarios[0].region):
            raise InputError("--target", f"{t.kpi}[{t.group}]", f"a group that is {TARGET_GROUPS}")


@app.command()
def simulate(
    scenario: ScenarioArg,
    allocation: Annotated[
        Path | None,
        typer.Option("--allocation", help="Optimiser run folder to simulate (default: optimise first)"),
    ] = None,
    replications: Annotated[
        int | None, typer.Option("--replications", help="Replications (default simulation.replications)")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Root seed (default: scenario seed)")] = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", help="Worker processes (default: all cores); results do not depend on it"),
    ] = None,
    months: Annotated[int | None, typer.Option("--months", help="Simulated months (default horizon)")] = None,
    precision: Annotated[
        float | None,
        typer.Option("--precision", help="Pick replications for this relative CI half-width (Hoad et al.)"),
    ] = None,
    event_log: Annotated[
        bool, typer.Option("--event-log", help="Also write events.parquet (arrival, interview, ...)")
    ] = False,
    out: OutOpt = None,
    set_: SetOpt = None,
) -> None:
    """Replay customers day by day (SimPy) on an allocation: KPIs with confidence intervals."""
    from resurssimalli.cli.simulate import simulate_command
    from resurssimalli.executors import default_jobs, start_workers_early

    check_run_options(out, replications=replications, months=months, jobs=jobs)
    start_workers_early(jobs)  # the workers' imports run while the scenario is read
    simulate_command(
        load(scenario, set_),
        out,
        console,
        allocation=allocation,
        replications=replications,
        seed=seed,
        jobs=default_jobs() if jobs is None else jobs,
        months=months,
        precision=precision,
        event_log=event_log,
    )


@app.command()
def roster(
    scenario: ScenarioArg,
    out: OutOpt = None,
    allocation: Annotated[
        Path | None, typer.Option("--allocation", help="Run folder with the plan (default: optimise now)")
    ] = None,
    set_: SetOpt = None,
) -> None:
    """Plan the summer leave (KVTES season 2.5.-30.9.) and substitutes on the plan (Pyomo + HiGHS)."""
    check_run_options(out)
    from resurssimalli.cli.roster import roster_command

    roster_command(load(scenario, set_), out, console, allocation)


@app.command()
def calibrate(
    scenario: Annotated[Path, typer.Argument(help="Scenario the fit reads its rules from")] = Path(
        "scenarios/baseline.yaml"
    ),
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the two CSVs here instead of the shipped data folder")
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Write nothing; exit 1 if the shipped calibration is not what the fit gives"
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace the two CSVs if --out holds them")] = False,
    set_: SetOpt = None,
) -> None:
    """Fit exit hazards and inflow per municipality and group to the plan's tables (scipy)."""
    from resurssimalli.cli.calibrate import calibrate_command, calibration_files

    if out is not None and not check:
        calibration_files(out, force)  # refused before the scenario is read and the fit is made
    calibrate_command(load(scenario, set_), console, out, check, force)


data_app = typer.Typer(help="Import official statistics (StatFin) for the model.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("import")
def data_import(
    files: Annotated[
        list[Path], typer.Argument(help="StatFin table 12r5 as PxWeb gives it: json, json-stat2, csv or px")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write jobseekers_12r5_<month>.csv into")
    ] = Path("."),
) -> None:
    """Import StatFin table 12r5 (job seekers by municipality) into the region's snapshot CSV per month."""
    from resurssimalli.cli.data import import_command

    import_command(files, out, console)


from resurssimalli.cli.region import region_app  # noqa: E402 (needs app, console above)

app.add_typer(region_app, name="region")


def _usage_errors() -> tuple[type[BaseException], ...]:
    """Click's usage-error class, and typer's vendored copy of it (typer >= 0.20 ships its own)."""
    import click

    found: list[type[BaseException]] = [click.ClickException]
    try:
        from typer._click.exceptions import ClickException as VendoredClickException
    except ImportError:  # an older typer that uses click itself
        pass
    else:
        found.append(VendoredClickException)
    return tuple(found)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is (like Ctrl-C), so every ``finally`` cleans up."""


_signalled: list[str] = []


def _on_sigterm(signum: int, frame: object) -> None:
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one does not cut the clean-up short
    _signalled.append("terminated")
    raise Terminated()


@app.callback()
def _every_command(ctx: typer.Context) -> None:
    """As any command ends — done, failed, interrupted — its unpublished temporary folders are
    removed (also when the app is called without :func:`main`, as tests do)."""
    from resurssimalli.runs import remove_temporaries

    ctx.call_on_close(remove_temporaries)


def _stopped(message: str, code: int) -> None:
    """End after an interruption or an error: workers, fork server and temporary folders go first."""
    from resurssimalli.executors import stop_workers
    from resurssimalli.runs import remove_temporaries

    remove_temporaries()
    stop_workers()
    if message:
        from resurssimalli.safety import visible

        err_console.print(visible(message, 20_000, newlines=True), markup=False, highlight=False)
    sys.exit(code)


def main() -> None:
    """Console-script entry point: user errors → message on stderr, exit code 2; Ctrl-C (130) and
    SIGTERM (143) stop the workers and the fork server and remove temporary folders first."""
    import signal

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        rc = app(standalone_mode=False)
    except ResurssimalliError as e:  # (a sweep stopped by SIGTERM says how to resume: code 143 then)
        _stopped(f"error: {e}", 143 if _signalled else e.exit_code)
    except KeyboardInterrupt:
        _stopped("interrupted", 130)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except Exception as e:  # usage errors (unknown option, missing argument, bad value)
        if isinstance(e, _usage_errors()):
            e.show()
            sys.exit(2)
        raise
    if _signalled:  # SIGTERM: typer turns it (a KeyboardInterrupt) into code 130
        _stopped("terminated (SIGTERM): workers stopped, nothing published", 143)
    if rc == 130:  # Ctrl-C: click turns the interrupt into this code without a word
        _stopped("interrupted", 130)
    sys.exit(rc if isinstance(rc, int) else 0)


from resurssimalli.cli import sensitivity as _sensitivity  # noqa: E402,F401 - registers `sensitivity`
