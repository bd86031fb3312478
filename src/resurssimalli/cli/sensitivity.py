"""The ``sensitivity`` command: which assumptions the verdicts rest on (issue 29)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.text import Text

from resurssimalli.cli import OutOpt, SetOpt, app, check_run_options, console, load
from resurssimalli.errors import InputError


@app.command()
def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file, e.g. scenarios/baseline.yaml")],
    method: Annotated[
        str, typer.Option("--method", help="morris (screening, default) or sobol (indices with intervals)")
    ] = "morris",
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples", help="Morris trajectories (default 4) or Sobol base samples (a power of 2; 64)"
        ),
    ] = None,
    replications: Annotated[
        int, typer.Option("--replications", help="Replications per point (the same seeds at every point)")
    ] = 2,
    months: Annotated[int | None, typer.Option("--months", help="Simulated months (default horizon)")] = None,
    factor: Annotated[
        list[str] | None,
        typer.Option(
            "--factor", help="Vary only this assumption (key; repeatable; default: every ranged one)"
        ),
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Assumptions per verdict whose flip is searched")] = 3,
    jobs: Annotated[int | None, typer.Option("--jobs", help="Worker processes (default: all cores)")] = None,
    dask: Annotated[bool, typer.Option("--dask", help="Run on a local Dask cluster")] = False,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option("--resume", help="Folder of an interrupted run: compute only what is missing"),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Root seed (default: the scenario's)")] = None,
    out: OutOpt = None,
    set_: SetOpt = None,
) -> None:
    """Vary the assumptions over their ranges (SALib): what the verdicts rest on and what flips them."""
    from resurssimalli.cli.progress import progress_bar
    from resurssimalli.experiment.sensitivity import default_folder
    from resurssimalli.experiment.sensitivity import sensitivity as run_sensitivity

    if resume is not None and out is not None:
        raise InputError("--resume", "resume", "either --resume or --out, not both")
    check_run_options(out, replications=replications, months=months, jobs=jobs)
    if top < 1:
        raise InputError("--top", "top", f"at least 1, got {top}")
    if scheduler is not None:
        from resurssimalli.executors import check_scheduler

        check_scheduler(scheduler)
    s = load(scenario, set_)
    if out is None and resume is None:
        out = default_folder(s)
    with progress_bar(console, "sensitivity") as progress:
        res = run_sensitivity(
            s, method=method, samples=samples, replications=replications, months=months, seed=seed,
            only=factor, top=top, kind="dask" if dask else "processes", jobs=jobs, scheduler=scheduler,
            resume=resume, out=out, progress=progress,
        )  # fmt: skip
    print_result(res, s, console)


def print_result(res: object, s: object, out: Console) -> None:
    """The top assumptions per decision quantity and the verdicts that flip, in English."""
    from resurssimalli.report.console import print_frame
    from resurssimalli.report.names import Names
    from resurssimalli.report.sensitivity import SHOWN, effect_text, factor_label, output_label
    from resurssimalli.report.texts import Texts

    names = Names(s.region, Texts("en"))  # type: ignore[attr-defined]
    idx = res.indices  # type: ignore[attr-defined]
    rows = []
    for o in [o for o in SHOWN if o in set(idx["output"])]:
        top = idx[(idx["output"] == o) & (idx["importance"] > 0)].sort_values("rank", kind="stable").head(5)
        for r in top.itertuples(index=False):
            value = effect_text(names.t, o, r.importance) if r.method == "morris" else f"{r.importance:.2f}"
            rows.append(
                (output_label(o, names), int(r.rank), factor_label(r.factor, names).strip("`"), value)
            )
    what = "μ*" if str(idx["method"].iloc[0]) == "morris" else "ST"
    frame = pd.DataFrame(rows, columns=["result", "rank", "assumption", what])
    print_frame(out, frame, "The assumptions that matter most", kinds={"rank": "int"})
    print_flips(res.flips, names, out)  # type: ignore[attr-defined]
    out.print(f"{res.computed} points computed, {res.reused} reused")  # type: ignore[attr-defined]
    out.print(Text.assemble("sensitivity folder: ", (str(res.folder), "bold")))  # type: ignore[attr-defined]


def print_flips(flips: pd.DataFrame, names: object, out: Console) -> None:
    from resurssimalli.report.console import print_frame
    from resurssimalli.report.sensitivity import factor_label, verdict_label

    f = flips[flips["flips"].astype(str).str.lower() == "true"]
    if f.empty:
        out.print("No verdict flips within the ranges of the top assumptions.")
        return
    frame = pd.DataFrame(
        {
            "verdict": [verdict_label(v, o, names) for v, o in zip(f["verdict"], f["output"], strict=True)],
            "assumption": [factor_label(x, names).strip("`") for x in f["factor"]],  # type: ignore[arg-type]
            "now": f["value_base"],
            "holds at": f["value_holds"],
            "flips at": f["value_flips"],
        }
    )
    print_frame(out, frame, "What flips a verdict (the others as planned)")
