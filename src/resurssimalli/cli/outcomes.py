"""The ``outcomes`` command: what one more / one fewer HTV, or one office fewer, buys."""

from __future__ import annotations

import pandas as pd
from rich.console import Console

from rich.text import Text

from resurssimalli.report.console import print_frame
from resurssimalli.scenario.load import Scenario


def print_what_if(table: pd.DataFrame, s: Scenario, console: Console) -> None:
    """The ``run --what-if`` answer: change a year against the plan, central effect with its CI,
    and the low–high band (+ = more unemployment / cost)."""
    from resurssimalli.report.names import Names
    from resurssimalli.report.outcomes_section import what_if_head, what_if_rows, wrong_way
    from resurssimalli.report.texts import Texts

    names = Names(s.region, Texts("en"))
    head = what_if_head(names.t)
    head[2], head[4] = "days low–high", "EUR low–high"
    frame = pd.DataFrame(what_if_rows(table, names), columns=head)
    title = "What the changes buy a year (central effect, 95% CI; + = more unemployment / cost)"
    print_frame(console, frame, title, kinds={head[0]: "text"})
    for caution in wrong_way(table, names):
        console.print(Text(caution, style="yellow"), highlight=False)


def outcomes_command(
    s: Scenario,
    console: Console,
    *,
    places: list[tuple[str, str]],
    replications: int,
    bands: tuple[str, ...],
) -> None:
    """What one HTV more / fewer in an area, or a site closed, buys: simulated on the plan's
    seeds at the given effect sizes (the same computation as ``run --what-if``)."""
    from resurssimalli.cli.progress import progress_bar
    from resurssimalli.experiment.outcomes import caseload_outside_studies, what_if_table
    from resurssimalli.optimize import optimize
    from resurssimalli.report.names import Names
    from resurssimalli.report.texts import Texts
    from resurssimalli.simulate import Allocation, simulate

    alloc = Allocation.from_result(optimize(s), source=f"optimize({s.name})")
    with progress_bar(console, "outcomes") as progress:
        table = what_if_table(s, alloc, places, replications, bands=bands, progress=progress)
    print_what_if(table, s, console)
    summary = simulate(s, alloc, replications=replications).summary
    names = Names(s.region, Texts("en"))
    for r in caseload_outside_studies(summary, s).itertuples():
        console.print(
            Text.assemble(
                ("caution", "yellow"),
                f": caseload {names.group(str(r.group))} {r.mean:,.0f} customers per coach is outside "
                f"the {r.studied_low:,.0f}-{r.studied_high:,.0f} the studies covered",
            ),
            highlight=False,
        )
