"""Display names: one name per place, area, line, group and scenario, in the reader's language.

Ids (``Hameenkyro``, ``Kyroskoski_office``, ``area:Parkano-Kihnio``, ``plant_closure``) stay in
the data; every table a person reads shows the name this module gives. The memo, the workbook
and the console all use it, so a place is spelt one way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from resurssimalli.data.region import Region
from resurssimalli.report.texts import Texts

TOTAL = "total"
# KPIs that are shares (shown as %); here, not in the memo package, so the console stays light
SHARE_KPIS = (
    "initial_interview_on_time_share",
    "spells_past_3_months_share",
    "staff_utilisation",
    "conversations_on_time_share",
)
# the demand points' English qualifier and its Finnish form
_POINT_QUALIFIERS = {"(centre)": "(keskusta)"}


def scenario_record(scenario: Any) -> dict[str, str]:
    """What a run's manifest records of a compared scenario: file, hash and display names."""
    cfg = scenario.config
    return {
        "file": str(scenario.path),
        "hash_sha256": str(scenario.hash),
        "name_fi": cfg.name_fi,
        "name_en": cfg.name_en,
    }


CUSTOMER_GROUPS = ("under_30", "over_50", "long_term", "partially_able", "foreign")


def group_type(group: str, region: Region) -> str:
    """What a KPI group id names: ``all``, ``municipality``, ``area``, ``queue`` (an interview
    queue: ``queue:<area>`` or ``queue:integration``), ``line``, ``customer_group`` (the plan's
    groups, area-wide or ``<group>:<municipality>``) or ``customer_state`` (``state:<state>``, the
    job seekers by customer state, issue 26)."""
    if group == "all":
        return "all"
    if group.startswith("area:"):
        return "area"
    if group.startswith("queue:"):
        return "queue"
    if group.startswith("state:"):
        return "customer_state"
    if group in region.municipalities:
        return "municipality"
    if group.split(":", 1)[0] in CUSTOMER_GROUPS:
        return "customer_group"
    return "line"


@dataclass(frozen=True)
class Names:
    """Display names of one region's ids in one language.

    ``scenarios`` maps scenario id -> ``{"name_fi": ..., "name_en": ...}`` (from the run's
    manifest); a scenario without a display name is shown by its id.
    """

    region: Region
    t: Texts
    scenarios: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.t.lang

    def municipality(self, m: str) -> str:
        if m == TOTAL:
            return self.t("col_total")
        ms = self.region.municipalities
        return ms[m].name if m in ms else m

    def area(self, a: str) -> str:
        if a == TOTAL:
            return self.t("col_total")
        if a == "all":
            return self.t("group_all")
        areas = self.region.areas
        return areas[a].name if a in areas else a

    def point(self, p: str) -> str:
        pts = self.region.demand_points
        name = pts[p].name if p in pts else p
        if self.lang == "fi":
            for en, fi in _POINT_QUALIFIERS.items():
                name = name.replace(en, fi)
        return name

    def site(self, s: str) -> str:
        sites = self.region.sites
        return sites[s].label(self.lang) if s in sites else s

    def line(self, line: str) -> str:
        return self.t("col_total") if line == TOTAL else self.t.name("line", line)

    def group(self, g: str) -> str:
        kind = group_type(g, self.region)
        if kind == "all":
            return self.t("group_all")
        if kind == "area":
            return self.area(g.removeprefix("area:"))
        if kind == "queue":
            q = g.removeprefix("queue:")
            if q in self.region.areas:
                return self.t("stressloop_queue_area", area=self.area(q))
            return self.t("stressloop_queue_integration") if q == "integration" else q
        if kind == "municipality":
            return self.municipality(g)
        if kind == "customer_state":
            from resurssimalli.scenario.states import STATE_NAMES

            return STATE_NAMES.get(self.lang, STATE_NAMES["en"]).get(g.removeprefix("state:"), g)
        if kind == "customer_group":
            base, _, muni = g.partition(":")
            name = self.t.name("group", base)
            return f"{name}, {self.municipality(muni)}" if muni else name
        return self.line(g)

    def site_changes(self, opened: object, closed: object) -> str:
        """``opens A, B; closes C`` for a plan's sites against another (ids space-separated; a
        missing value is no change); ``no change`` when nothing changes."""
        def ids(v: object) -> list[str]:
            return [] if v is None or (isinstance(v, float) and v != v) else str(v).split()

        parts = [
            f"{self.t(key)} {', '.join(self.site(s) for s in ids(v))}"
            for key, v in (("sites_opens", opened), ("sites_closes", closed))
            if ids(v)
        ]
        return "; ".join(parts) if parts else str(self.t("sites_no_change"))

    def kpi(self, k: str) -> str:
        return self.t.name("kpi", k)

    def scenario(self, s: str) -> str:
        info = self.scenarios.get(s, {})
        return str(info.get(f"name_{self.lang}") or info.get("name_en") or s)
