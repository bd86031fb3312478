"""Console output for planners (rich tables)."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from resurssimalli.scenario.customers import INDICATORS, customer_mix
from resurssimalli.scenario.load import Scenario


def df_table(df: pd.DataFrame, title: str, floatfmt: str = "{:,.1f}") -> Table:
    """A rich table of ``df``; every title, header and cell is plain text (never rich markup)."""
    t = Table(title=Text(title), title_justify="left")
    for c in df.columns:
        t.add_column(Text(str(c)), justify="right" if pd.api.types.is_numeric_dtype(df[c]) else "left")
    for row in df.itertuples(index=False):
        t.add_row(*[Text(floatfmt.format(v) if isinstance(v, float) else str(v)) for v in row])
    return t


SHORT = {
    "unemployed": "all",
    "unemployed_under_30": "under 30",
    "unemployed_over_50": "over 50",
    "long_term_unemployed": "long-term",
    "partially_able_to_work": "part. able",
    "foreign_nationals": "foreign",
    "job_brokering": "job brok.",
    "competence_development": "competence",
    "multi_sector": "multi-sector",
}


def baseline_tables(scenario: Scenario) -> dict[str, pd.DataFrame]:
    """The scenario summary as tables: municipalities, unemployed by area and group, staff."""
    region = scenario.region
    lm = region.labour_market
    period = scenario.config.demand.stock_period
    munis = pd.DataFrame(
        [
            (
                m.name,
                region.areas[m.area].name,
                "yes" if m.lead else "",
                m.population_2023,
                lm.value("workforce", "2023", m.id),
                lm.value("unemployed", period, m.id),
            )
            for m in region.municipalities.values()
        ],
        columns=[
            "municipality",
            "area (vastuualue)",
            "lead",
            "population 2023",
            "workforce 2023",
            f"unemployed {period}",
        ],
    )
    wide = lm.wide(period)[list(INDICATORS)]
    wide["area"] = [region.area_of(m) for m in wide.index]
    by_area = wide.groupby("area", sort=False).sum(min_count=1)
    by_area.loc["total"] = by_area.sum()
    by_area = by_area.reset_index().rename(columns=SHORT)
    mix = customer_mix(scenario)
    lines = (
        mix.pivot_table(index="area", columns="service_line", values="stock", aggfunc="sum", sort=False)
        .reset_index()
        .rename(columns=SHORT)
    )
    staff = scenario.config.staff
    staff_df = pd.DataFrame(
        [
            ("HTV transferring", staff.total_htv),
            ("productive hours per HTV", staff.productive_hours_per_htv),
            ("annual cost per HTV (EUR)", staff.cost_per_htv_eur),
            *[(f"split: {k}", v) for k, v in staff.customer_facing_split.items()],
        ],
        columns=["item", "value"],
    )
    return {"municipalities": munis, "unemployed_by_area": by_area, "stock_by_line": lines, "staff": staff_df}


def print_summary(scenario: Scenario, console: Console | None = None) -> None:
    console = console or Console()
    t = baseline_tables(scenario)
    console.print(
        Text.assemble(
            (scenario.region.name, "bold"),
            " — scenario ",
            (scenario.name, "bold"),
            f": {scenario.config.description}",
        )
    )
    console.print(
        f"lead municipality: {scenario.region.lead_municipality}; "
        f"{len(scenario.region.municipalities)} municipalities in {len(scenario.region.areas)} areas; "
        f"{scenario.config.staff.total_htv:g} HTV"
    )
    console.print(df_table(t["municipalities"], "Municipalities", "{:,.0f}"))
    console.print(
        df_table(
            t["unemployed_by_area"],
            f"Unemployed {scenario.config.demand.stock_period} by area and group",
            "{:,.0f}",
        )
    )
    console.print(
        df_table(t["stock_by_line"], "Customers by service need (segmented; assumption)", "{:,.0f}")
    )
    console.print(df_table(t["staff"], "Staff", "{:,.2f}"))
