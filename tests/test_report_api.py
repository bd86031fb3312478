"""The analyst's view: KPI definitions as a table, groups split into type and display name."""

from __future__ import annotations

import pytest

from resurssimalli.report import kpi_definitions
from resurssimalli.report.names import Names, group_type
from resurssimalli.report.texts import Texts
from resurssimalli.scenario.schema import KPI_NAMES


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_every_kpi_has_a_definition(lang: str) -> None:
    d = kpi_definitions(lang)
    assert list(d["kpi"]) == list(KPI_NAMES)
    assert d["name"].is_unique and (d["definition"].str.len() > 20).all()
    assert (d["groups"].str.len() > 3).all() and (d["unit"].str.len() > 0).all()


def test_groups_have_a_type_and_one_display_name(baseline) -> None:
    region = baseline.region
    fi = Names(region, Texts("fi"))
    cases = {
        "all": ("all", "koko alue"),
        "Hameenkyro": ("municipality", "Hämeenkyrö"),
        "area:Parkano-Kihnio": ("area", "Parkano + Kihniö"),
        "multi_sector": ("line", "monialainen tuki"),
        "over_50:Kihnio": ("customer_group", "yli 50-vuotiaat, Kihniö"),
    }
    for g, (kind, name) in cases.items():
        assert group_type(g, region) == kind and fi.group(g) == name
    assert fi.site("Kyroskoski_office") == "Kyröskosken toimipiste"
    assert fi.point("Vammala") == "Vammala (keskusta)"
