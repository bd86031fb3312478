"""The ``outcomes`` command: what one more / one fewer HTV, or one office fewer, buys."""

from __future__ import annotations

import pandas as pd
from rich.console import Console

from resurssimalli.report.console import df_table, print_frame
from resurssimalli.scenario.load import Scenario


def _ci(mean: float, low: float, high: float) -> str:
    return f"{mean:+,.0f} [{low:+,.0f}, {high:+,.0f}]"


def outcomes_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per variant and effect size: yearly changes with 95 % CIs, whole area."""
    t = table[table["group"] == "all"]
    rows = []
    for (variant, size), g in t.groupby(["variant", "effect_size"], sort=False):
        k = g.set_index("kpi")
        d, e = k.loc["unemployment_days"], k.loc["benefit_cost_municipal_eur"]
        rows.append((variant, size, _ci(d["mean"], d.ci_low, d.ci_high), _ci(e["mean"], e.ci_low, e.ci_high)))
    return pd.DataFrame(
        rows, columns=["variant", "effect size", "person-days / year", "municipal EUR / year"]
    )


def print_what_if(table: pd.DataFrame, s: Scenario, console: Console) -> None:
    """The ``run --what-if`` answer: change a year against the plan, central effect with its CI,
    and the low–high band (+ = more unemployment / cost)."""
    from resurssimalli.report.names import Names
    from resurssimalli.report.outcomes_section import what_if_head, what_if_rows
    from resurssimalli.report.texts import Texts

    names = Names(s.region, Texts("en"))
    head = what_if_head(names.t)
    head[2], head[4] = "days low–high", "EUR low–high"
    frame = pd.DataFrame(what_if_rows(table, names), columns=head)
    title = "What the changes buy a year (central effect, 95% CI; + = more unemployment / cost)"
    print_frame(console, frame, title, kinds={head[0]: "text"})


def outcomes_command(
    s: Scenario, console: Console, *, area: str, site: str | None, replications: int, bands: tuple[str, ...]
) -> None:
    from resurssimalli.experiment.outcomes import caseload_outside_studies, standard_variants, what_it_buys
    from resurssimalli.optimize import optimize
    from resurssimalli.simulate import Allocation, simulate

    alloc = Allocation.from_result(optimize(s), source=f"optimize({s.name})")
    table = what_it_buys(
        s, alloc, standard_variants(s, alloc, area, site), replications=replications, bands=bands
    )
    title = (
        f"Change against the plan ({replications} paired replications, 95% CI; + = more unemployment / cost)"
    )
    console.print(df_table(outcomes_table(table), title))
    summary = simulate(s, alloc, replications=replications).summary
    for r in caseload_outside_studies(summary, s).itertuples():
        console.print(
            f"[yellow]caution[/yellow]: caseload {r.group} {r.mean:.0f} customers per coach is outside "
            f"the {r.studied_low:.0f}-{r.studied_high:.0f} the studies covered",
            highlight=False,
        )
