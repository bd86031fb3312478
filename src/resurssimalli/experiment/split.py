"""Which service lines count as "weaker position" decides the 40/40/20 answer: the plan under
the scenario's mapping and under an alternative (by default youth counted as weaker position —
the plan names young people and immigrants as priority groups), as a goal and as a hard band."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import pandas as pd

from resurssimalli.optimize import optimize
from resurssimalli.scenario.load import Scenario

YOUTH_AS_WEAKER = "youth as weaker position"
COLUMNS = ["mapping", "split_mode", "group", "target", "share", "deviation_htv", "unserved_hours_total"]


def youth_as_weaker(split_lines: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The scenario's mapping with youth moved to the weaker-position group."""
    out = {g: [ln for ln in lines if ln != "youth"] for g, lines in split_lines.items()}
    out["weaker_position"] = [*out["weaker_position"], "youth"]
    return out


def _with_split(scenario: Scenario, lines: Mapping[str, Sequence[str]], mode: str) -> Scenario:
    staff = scenario.config.staff.model_copy(update={"split_lines": dict(lines), "split_mode": mode})
    return dataclasses.replace(scenario, config=scenario.config.model_copy(update={"staff": staff}))


def split_sensitivity(
    scenario: Scenario, alternatives: Mapping[str, Mapping[str, Sequence[str]]] | None = None
) -> pd.DataFrame:
    """The split per mapping × mode: each group's share, HTV outside the band, unserved hours."""
    mappings = {"as in the scenario": scenario.config.staff.split_lines}
    mappings.update(
        alternatives
        if alternatives is not None
        else {YOUTH_AS_WEAKER: youth_as_weaker(scenario.config.staff.split_lines)}
    )
    rows = []
    for name, lines in mappings.items():
        for mode in ("goal", "hard"):
            summary = optimize(_with_split(scenario, lines, mode)).summary
            for group, g in summary["split"].items():
                rows.append(
                    (
                        name,
                        mode,
                        group,
                        g["target"],
                        g["share"],
                        g["deviation_htv"],
                        summary["unserved_hours_total"],
                    )
                )
    return pd.DataFrame(rows, columns=COLUMNS)
