"""KPI definitions as a table (``kpi_definitions()``): id, name, unit, groups, definition.

The same texts the memo and the workbook use (``report/texts.yaml``), so the README's table,
the analyst's table and the memo never disagree.
"""

from __future__ import annotations

import pandas as pd

from resurssimalli.report.names import SHARE_KPIS
from resurssimalli.report.texts import MISSING, Texts
from resurssimalli.scenario.schema import KPI_NAMES


def kpi_definitions(lang: str = "en") -> pd.DataFrame:
    """One row per KPI: ``kpi`` (id), ``name``, ``unit``, ``groups`` and ``definition`` in ``lang``."""
    t = Texts(lang)
    rows = [
        (
            k,
            t.name("kpi", k),
            t("axis_share") if k in SHARE_KPIS else t.name("kpiunit", k),
            t.name("kpigroups", k).replace(k, MISSING),  # a KPI added without texts shows "–"
            t.name("kpidef", k).replace(k, MISSING),
        )
        for k in KPI_NAMES
    ]
    return pd.DataFrame(rows, columns=["kpi", "name", "unit", "groups", "definition"])
