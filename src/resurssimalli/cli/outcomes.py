"""The ``outcomes`` command: what one more / one fewer HTV, or one office fewer, buys."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.text import Text

from resurssimalli.report.console import print_frame
from resurssimalli.scenario.load import Scenario


def print_what_if(
    table: pd.DataFrame, s: Scenario, console: Console, lang: str = "en", plans: pd.DataFrame | None = None,
    verdicts: pd.DataFrame | None = None,
) -> None:  # fmt: skip
    """The ``run --what-if`` answer: change a year against the plan, central effect with its CI,
    and the low–high band (+ = more unemployment / cost); with ``plans`` (``what_if_plans.csv``)
    what each change changes: the sites opened and closed, the cost, access and the targets."""
    from resurssimalli.report.names import Names
    from resurssimalli.report.outcomes_section import (
        plans_head,
        plans_rows,
        what_if_head,
        what_if_rows,
        wrong_way,
    )
    from resurssimalli.report.texts import Texts

    t = Texts(lang)
    names = Names(s.region, t)
    head = what_if_head(names.t)
    head[2], head[4] = t("con_days_band"), t("con_eur_band")
    frame = pd.DataFrame(what_if_rows(table, names), columns=head)
    print_frame(console, frame, t("con_what_if_title"), kinds={head[0]: "text"})
    for caution in wrong_way(table, names):
        console.print(Text(caution, style="yellow"), highlight=False)
    if plans is not None and not plans.empty:
        ph = plans_head(t)
        frame = pd.DataFrame(plans_rows(plans, verdicts, names), columns=ph)
        kinds = {ph[0]: "text", ph[1]: "text", ph[4]: "text", ph[5]: "text"}
        print_frame(console, frame, t("con_what_if_plans_title"), kinds=kinds)


def outcomes_command(
    s: Scenario,
    console: Console,
    *,
    places: list[tuple[str, str]],
    replications: int,
    bands: tuple[str, ...],
    lang: str = "fi",
) -> None:
    """What one HTV more / fewer in an area, or a site closed, buys: simulated on the plan's
    seeds at the given effect sizes (the same computation as ``run --what-if``)."""
    from resurssimalli.cli.progress import progress_bar
    from resurssimalli.experiment.outcomes import caseload_outside_studies, what_if_all
    from resurssimalli.optimize import optimize
    from resurssimalli.report.names import Names
    from resurssimalli.report.texts import Texts
    from resurssimalli.simulate import Allocation, simulate

    plan = optimize(s)
    alloc = Allocation.from_result(plan, source=f"optimize({s.name})")
    with progress_bar(console, "outcomes", lang) as progress:
        got = what_if_all(s, alloc, places, replications, costs=plan.costs, bands=bands, progress=progress)
    print_what_if(got.table, s, console, lang, got.plans, got.verdicts)
    summary = simulate(s, alloc, replications=replications).summary
    names = Names(s.region, Texts("en"))  # the caution below is English only
    for r in caseload_outside_studies(summary, s).itertuples():
        console.print(
            Text.assemble(
                ("caution", "yellow"),
                f": caseload {names.group(str(r.group))} {r.mean:,.0f} customers per coach is outside "
                f"the {r.studied_low:,.0f}-{r.studied_high:,.0f} the studies covered",
            ),
            highlight=False,
        )
