"""Region packs: any of Finland's 45 employment areas as the model's tables (``resurssimalli region init``).

A pack is a folder with the same tables the package's seed area has (``region.csv``,
``municipalities.csv``, ``areas.csv``, ``demand_points.csv``, ``sites.csv``, ``travel_times.csv``,
``labour_market.csv``, ``calibration.csv``) plus ``staff.csv`` and a ``baseline.yaml`` that uses it
(``region: {pack: "."}``). Built from the shipped Finland-wide data (:mod:`resurssimalli.data.finland`).
Where those data have nothing, the defaults (each a row of ``region.csv``, listed in the
assumptions table and the memo's opening):

* one responsibility area per municipality, its office at the municipal centre (the planner
  merges areas in ``municipalities.csv``/``areas.csv`` and adds villages and sites);
* one demand point per municipality at its administrative centre;
* travel times by the seed area's straight-line rule (:mod:`resurssimalli.data.travel`);
* the lead municipality (centralised services, integration) = the one with most job seekers;
* staff from ``--htv``, or an ESTIMATE: the national total transferred scaled by job seekers;
* exit hazards and inflow factors from the seed area's calibration: a seed municipality keeps its
  fitted factors, any other gets the seed's mean factor times its long-term-share adjustment;
* under-30 unemployed estimated from under-25 by the seed area's ratio; suppressed cells counted
  as :data:`SUPPRESSED_CELL` people each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from resurssimalli.data import finland
from resurssimalli.data.calibration import load_calibration
from resurssimalli.data.region import Region, load_region
from resurssimalli.data.regioninfo import INFO_FILE
from resurssimalli.data.travel import ACCESS_MINUTES, DETOUR_FACTOR, SPEED_KMH, derive_travel_times
from resurssimalli.errors import InputError

TEMPLATE = Path(str(resources.files("resurssimalli.data"))) / "pack_baseline.yaml"
NATIONAL_STAFF = 4000.0  # people transferred from the state to the 45 areas on 1.1.2025 ("just over 4,000")
NATIONAL_STAFF_SOURCE = (
    "TEM (TE2024 reform): 'just over 4,000' state staff transferred to the areas; people counted as HTV"
)
SUPPRESSED_CELL = 2.0  # people in a cell the statistics suppress (a small count): assumption
OFFICE_BASE_EUR, WORKSTATION_EUR = 20_000.0, 2_700.0  # the seed's office cost rule (data/sites.csv)
WORKSTATION_HEADROOM = 1.5  # workstations per estimated HTV stationed (assumption)
ADJUST_RANGE = (0.5, 1.5)  # the long-term adjustment of exit hazards is kept within this range
MAX_HTV = 5000.0


@dataclass
class Pack:
    """A region pack as tables (``files``: file name -> text) before it is written."""

    area: finland.AreaRef
    total_htv: float
    htv_estimated: bool
    munis: pd.DataFrame
    files: dict[str, str] = field(default_factory=dict)


def _csv(header: str, df: pd.DataFrame) -> str:
    lines = "".join(f"# {line}\n" for line in header.strip().splitlines())
    return lines + df.to_csv(index=False, lineterminator="\n")


def estimated_htv(job_seekers: float) -> float:
    """ESTIMATE of an area's HTV: the national staff transferred x the area's share of job seekers."""
    return round(NATIONAL_STAFF * job_seekers / national_job_seekers(), 2)


def national_job_seekers() -> float:
    js = pd.read_csv(finland.JOBSEEKERS_FILE, dtype={"area_code": str})
    return float(js.loc[js["area_code"] == "SSS", "HAKIJALOPUSSA"].iloc[0])


def build_pack(query: str, htv: float | None = None) -> Pack:
    """The pack of the employment area ``query`` (code or name) with ``htv`` staff (or the estimate)."""
    area = finland.find_area(query)
    munis = finland.municipalities(area.code)
    if munis[["lat", "lon", "unemployed", "job_seekers"]].isna().any().any():
        raise InputError(
            finland.FINLAND_DIR, str(area.code), "a centre and job seekers for every municipality"
        )
    dup = munis["id"][munis["id"].duplicated()].tolist()
    if dup:
        raise InputError(
            finland.AREAS_FILE, str(area.code), f"municipality names unique as ids; repeated {dup}"
        )
    if htv is not None and not (0 < htv <= MAX_HTV and math.isfinite(htv)):
        raise InputError("--htv", "htv", f"a number of HTV above 0 and at most {MAX_HTV:g}, got {htv!r}")
    total = float(htv) if htv is not None else estimated_htv(float(munis["job_seekers"].sum()))
    pack = Pack(area, total, htv is None, munis)
    seed = _seed()
    template = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    centralised = round(template["staff"]["centralised_htv"] * total / template["staff"]["total_htv"], 2)
    pack.files["areas.csv"] = _areas(munis)
    pack.files["municipalities.csv"] = _municipalities(munis)
    points, sites = _points(munis), _sites(munis, total, centralised)
    pack.files["demand_points.csv"] = _csv(
        "Demand points: one per municipality at its administrative centre (DEFAULT: villages can be added;\n"
        "customer_share = the share of the municipality's customers there). " + finland.SOURCE_CENTRES + ".",
        points,
    )
    pack.files["sites.csv"] = _sites_text(sites)
    pack.files["travel_times.csv"] = _csv(
        f"Car travel times, demand point -> site. DERIVED (approximate) by the seed area's rule: great-circle "
        f"distance x {DETOUR_FACTOR} at {SPEED_KMH:g} km/h plus {ACCESS_MINUTES:g} min access\n"
        "(resurssimalli.data.travel). Replace with routed times keeping the columns.",
        derive_travel_times(points, sites),
    )
    under30_ratio = _under30_ratio(seed)
    pack.files["labour_market.csv"] = _labour_market(munis, under30_ratio)
    pack.files["calibration.csv"] = _calibration(munis, seed)
    pack.files["staff.csv"] = _staff(pack, centralised)
    pack.files[INFO_FILE] = _info(pack, under30_ratio, centralised)
    pack.files["baseline.yaml"] = _baseline(pack, template, centralised)
    pack.files["README.md"] = _readme(pack)
    return pack


@lru_cache(maxsize=1)
def _seed() -> Region:
    """The package's seed area (its calibration and plan tables are the packs' reference)."""
    return load_region()


def _areas(munis: pd.DataFrame) -> str:
    df = pd.DataFrame(
        {"area": munis["id"], "name": munis["municipality_name_fi"], "lead_municipality": munis["id"]}
    )
    return _csv(
        "Responsibility areas (vastuualue): DEFAULT one per municipality. Merge them by giving municipalities\n"
        "the same area in municipalities.csv and one row here (its lead municipality).",
        df,
    )


def _municipalities(munis: pd.DataFrame) -> str:
    df = pd.DataFrame(
        {
            "municipality": munis["id"],
            "name": munis["municipality_name_fi"],
            "name_sv": munis["municipality_name_sv"],
            "area": munis["id"],
            "lead": [i == 0 for i in range(len(munis))],
            "population_2023": "",
            "centre": munis["id"],
            "code": munis["municipality_code"],
        }
    )
    return _csv(
        f"Municipalities of the employment area. {finland.SOURCE_AREAS}; names fi/sv as classified.\n"
        "lead: DEFAULT the municipality with most job seekers (the real lead municipality is not in the data).\n"
        "population_2023: not in the shipped data (empty). centre: the demand point at the municipal centre.",
        df,
    )


def _points(munis: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "demand_point": munis["id"],
            "name": munis["municipality_name_fi"],
            "municipality": munis["id"],
            "lat": munis["lat"].round(6),
            "lon": munis["lon"].round(6),
            "customer_share": 1.0,
            "coord_source": "MML kunnanhallintokeskus",
        }
    )


def _sites(munis: pd.DataFrame, total: float, centralised: float) -> pd.DataFrame:
    """An office candidate at every centre; workstations for its share of the staff with headroom."""
    share = munis["unemployed"] / munis["unemployed"].sum()
    desks = np.ceil(WORKSTATION_HEADROOM * (share * (total - centralised))).astype(int) + 1
    desks.iloc[0] += math.ceil(centralised)  # the lead municipality's office houses the centralised staff
    return pd.DataFrame(
        {
            "site": munis["id"] + "_office",
            "name": munis["municipality_name_en"] + " office",
            "municipality": munis["id"],
            "demand_point": munis["id"],
            "kind": "office",
            "fixed_cost_eur": OFFICE_BASE_EUR + WORKSTATION_EUR * desks,
            "workstations": desks,
            "name_fi": "Toimipiste " + munis["municipality_name_fi"],
        }
    )


def _sites_text(sites: pd.DataFrame) -> str:
    return _csv(
        "Candidate sites: DEFAULT an office at every municipal centre (add service points and pop-ups as rows).\n"
        f"fixed_cost_eur: the seed area's ASSUMPTION, {OFFICE_BASE_EUR:,.0f} EUR + {WORKSTATION_EUR:,.0f} EUR per workstation.\n"
        f"workstations: ESTIMATE, {WORKSTATION_HEADROOM:g} x the municipality's share of the staff (by unemployed) + 1;\n"
        "the lead municipality's office also the centralised staff.",
        sites,
    )


def _under30_ratio(seed: Region) -> float:
    """Under-30 / under-25 unemployed: the seed area's plan (stock month) over its June-2026 statistics."""
    lm = seed.labour_market
    period = lm.latest_period("unemployed_under_30")
    seed_munis = finland.municipalities(int(seed.info.get("code")))
    u25 = (
        seed_munis["unemployed_under_25"].sum()
        / seed_munis.loc[seed_munis["unemployed_under_25"].notna(), "unemployed"].sum()
    )
    u30 = lm.total("unemployed_under_30", period) / lm.total("unemployed", period)
    return round(float(u30 / u25), 3)


def _labour_market(munis: pd.DataFrame, under30_ratio: float) -> str:
    """The June 2026 measures per municipality; suppressed cells empty with the total estimated."""
    cols = list(munis["id"])
    data = munis.set_index("id")
    rows = []
    names = [n for n in finland.MEASURES.values() if n != "unemployment_rate_pct"]
    for ind in [*names, "unemployed_under_30"]:
        if ind == "unemployed_under_30":
            cells = (data["unemployed_under_25"] * under30_ratio).round()
        else:
            cells = data[ind]
        hidden = int(cells.isna().sum())
        total = float(cells.sum()) + SUPPRESSED_CELL * hidden
        rows.append(
            [
                ind,
                finland.JOBSEEKERS_MONTH,
                *["" if pd.isna(v) else str(int(v)) for v in cells],
                str(round(total)),
            ]
        )
    rate = data["unemployed"] / data["workforce"] * 100
    area_rate = data["unemployed"].sum() / data["workforce"].sum() * 100
    rows.append(
        ["unemployment_rate_pct", finland.JOBSEEKERS_MONTH, *[f"{r:.1f}" for r in rate], f"{area_rate:.1f}"]
    )
    df = pd.DataFrame(rows, columns=["indicator", "period", *cols, "total"])
    return _csv(
        f"Job seekers at the end of June 2026 by municipality. {finland.SOURCE_JOBSEEKERS}; {finland.CREDIT}\n"
        "unemployed_under_30: ESTIMATE, under-25 unemployed x the seed area's under-30/under-25 ratio (region.csv).\n"
        f"Empty cell: suppressed at source; its row's total counts it as {SUPPRESSED_CELL:g} people (ASSUMPTION).\n"
        "workforce: the table's TYOVOIMATK (Statistics Finland's employment statistics); partially_able_to_work:\n"
        "its disabled or long-term ill unemployed (TYOTTOMATSAIR), the only published proxy (ESTIMATE of the group).",
        df,
    )


def _long_term_share(df: pd.DataFrame) -> pd.Series:
    return df["long_term_unemployed"] / df["unemployed"]


def _calibration(munis: pd.DataFrame, seed: Region) -> str:
    """The seed's area values; seed municipalities' fitted factors, others the seed's mean x adjustment."""
    cal = load_calibration(seed.data_dir / "calibration.csv")
    seed_munis = finland.municipalities(int(seed.info.get("code")))
    seed_share = float(seed_munis["long_term_unemployed"].sum() / seed_munis["unemployed"].sum())
    weights = seed.labour_market.wide(seed.labour_market.latest_period("unemployed"))["unemployed"]
    bands = sorted({b for (_m, b) in cal.hazard_factor})
    lines = sorted({ln for (_m, ln) in cal.inflow_factor})

    def seed_mean(table, key: str) -> float:
        return float(sum(table[(m, key)] * w for m, w in weights.items()) / weights.sum())

    rows = [("area", "", k, v) for k, v in cal.area.items()]
    adjust = ((1 - _long_term_share(munis.set_index("id"))) / (1 - seed_share)).clip(*ADJUST_RANGE)
    for m in munis["id"]:
        fitted = m in seed.municipalities
        for b in bands:
            v = cal.hazard_factor[(m, b)] if fitted else seed_mean(cal.hazard_factor, b) * adjust[m]
            rows.append(("hazard_factor", m, b, round(v, 6)))
        for ln in lines:
            v = cal.inflow_factor[(m, ln)] if fitted else seed_mean(cal.inflow_factor, ln)
            rows.append(("inflow_factor", m, ln, round(v, 6)))
    df = pd.DataFrame(rows, columns=["kind", "municipality", "key", "value"])
    return _csv(
        "ESTIMATE: the seed area's calibration (resurssimalli calibrate on its organising plan's tables), not fitted\n"
        "to this area. area rows: the seed's values. A municipality of the seed area keeps its fitted factors; any\n"
        "other: hazard_factor = the seed's mean factor (weighted by its unemployed) x (1 - its long-term share) /\n"
        f"(1 - the seed's long-term share {seed_share:.3f}), within {ADJUST_RANGE[0]}-{ADJUST_RANGE[1]} (June 2026 "
        "statistics); inflow_factor = the seed's mean factor.",
        df,
    )


def _staff(pack: Pack, centralised: float) -> str:
    source = (
        f"ESTIMATE: {NATIONAL_STAFF:,.0f} x the area's job seekers / the whole country's ({NATIONAL_STAFF_SOURCE})"
        if pack.htv_estimated
        else "The planner's figure (region init --htv)"
    )
    df = pd.DataFrame(
        [
            ("total_htv", pack.total_htv, "derived" if pack.htv_estimated else "sourced", source),
            (
                "centralised_htv",
                centralised,
                "derived",
                "ESTIMATE: the seed area's centralised share of its HTV",
            ),
        ],
        columns=["key", "value", "status", "source"],
    )
    return _csv(
        "Staff (HTV) of the area; baseline.yaml's staff.total_htv and staff.centralised_htv use them.", df
    )


# the pack's defaults and estimates: key -> (status, English source, Finnish source); {} filled in _info
NOTES = {
    "jobseekers_month": (
        "sourced",
        "Job seekers at the end of June 2026: {js} ({unemp} unemployed); {src}",
        "Työnhakijoita kesäkuun 2026 lopussa {js} (joista työttömiä {unemp}); {src_fi}",
    ),
    "staff_htv": ("{staff_status}", "{staff_en}", "{staff_fi}"),
    "lead_municipality": (
        "assumption",
        "DEFAULT: the municipality with most job seekers runs the centralised and integration services",
        "OLETUS: eniten työnhakijoita olevassa kunnassa ovat keskitetyt ja kotoutumispalvelut",
    ),
    "responsibility_areas": (
        "assumption",
        "DEFAULT: one responsibility area per municipality (merge them in municipalities.csv and areas.csv)",
        "OLETUS: yksi vastuualue kuntaa kohden (yhdistä ne tiedostoissa municipalities.csv ja areas.csv)",
    ),
    "demand_points": (
        "assumption",
        "DEFAULT: customers at the municipal centres (MML); villages can be added in demand_points.csv",
        "OLETUS: asiakkaat kuntakeskuksissa (MML); kyliä voi lisätä tiedostoon demand_points.csv",
    ),
    "sites": (
        "assumption",
        "DEFAULT: an office candidate at every municipal centre; cost by the seed area's rule, workstations ESTIMATED",
        "OLETUS: toimipisteehdokas jokaisessa kuntakeskuksessa; kustannus lähtöalueen säännöllä, työpisteet ARVIO",
    ),
    "travel_times": (
        "derived",
        "ESTIMATE: straight line x {detour} at {speed} km/h + {access} min (the seed area's rule), not routed",
        "ARVIO: linnuntie x {detour}, {speed} km/h + {access} min (lähtöalueen sääntö), ei reititetty",
    ),
    "exit_hazards": (
        "derived",
        "ESTIMATE: the seed area's calibration, adjusted by each municipality's long-term share (calibration.csv)",
        "ARVIO: lähtöalueen kalibrointi kunnan pitkäaikaistyöttömien osuudella korjattuna (calibration.csv)",
    ),
    "unemployed_under_30": (
        "derived",
        "ESTIMATE: under-25 unemployed x {ratio} (the seed area's under-30 / under-25 ratio)",
        "ARVIO: alle 25-vuotiaat työttömät x {ratio} (lähtöalueen alle 30- ja alle 25-vuotiaiden suhde)",
    ),
    "suppressed_cells": (
        "assumption",
        "A cell suppressed at source counts as {cell} people in its total",
        "Tilastossa salattu solu lasketaan summaan {cell} henkilönä",
    ),
}


def _info(pack: Pack, under30_ratio: float, centralised: float) -> str:
    a, m = pack.area, pack.munis
    fill = {
        "js": int(m["job_seekers"].sum()),
        "unemp": int(m["unemployed"].sum()),
        "src": finland.SOURCE_JOBSEEKERS,
        "src_fi": finland.SOURCE_JOBSEEKERS_FI,
        "staff_status": "derived" if pack.htv_estimated else "sourced",
        "staff_en": (
            f"ESTIMATE: {NATIONAL_STAFF:,.0f} state staff x the area's share of job seekers; set --htv"
            if pack.htv_estimated
            else "The planner's figure (region init --htv)"
        ),
        "staff_fi": (
            f"ARVIO: {NATIONAL_STAFF:,.0f} siirtynyttä x alueen osuus työnhakijoista; anna --htv".replace(
                ",", " "
            )
            if pack.htv_estimated
            else "Suunnittelijan luku (region init --htv)"
        ),
        "detour": DETOUR_FACTOR,
        "speed": f"{SPEED_KMH:g}",
        "access": f"{ACCESS_MINUTES:g}",
        "ratio": under30_ratio,
        "cell": f"{SUPPRESSED_CELL:g}",
    }
    values = {
        "jobseekers_month": finland.JOBSEEKERS_MONTH,
        "staff_htv": f"{pack.total_htv:g}",
        "lead_municipality": str(m["municipality_name_fi"].iloc[0]),
        "responsibility_areas": str(len(m)),
        "demand_points": str(len(m)),
        "sites": str(len(m)),
        "travel_times": f"{DETOUR_FACTOR} / {SPEED_KMH:g} km/h",
        "exit_hazards": "calibration.csv",
        "unemployed_under_30": f"{under30_ratio:g}",
        "suppressed_cells": f"{SUPPRESSED_CELL:g}",
    }
    src = f"{finland.SOURCE_AREAS} (data/finland/)"
    rows = [
        ("code", str(a.code), "sourced", src, src),
        ("name_fi", f"Työllisyysalue {a.name_fi}", "sourced", src, src),
        ("name_sv", a.name_sv, "sourced", src, src),
        ("name_en", f"{a.name_en} employment area", "sourced", src, src),
    ]
    for key, (status, en, fi) in NOTES.items():
        rows.append((key, values[key], status.format(**fill), en.format(**fill), fi.format(**fill)))
    df = pd.DataFrame(rows, columns=["key", "value", "status", "source", "source_fi"])
    return _csv(
        f"The employment area and what its pack rests on (resurssimalli region init). {finland.CREDIT}", df
    )


def _baseline(pack: Pack, template: dict, centralised: float) -> str:
    """The seed's baseline with the pack's name, horizon (the month after the data), staff and region."""
    a = pack.area
    cfg = dict(template)
    year, month = (int(x) for x in finland.JOBSEEKERS_MONTH.split("-"))
    start = pd.Timestamp(year=year + month // 12, month=month % 12 + 1, day=1).date()
    staff_word = "estimated" if pack.htv_estimated else "planner's"
    cfg.update(
        name=f"baseline_{a.code}",  # unique among the 45 (a sweep tells scenarios apart by name)
        name_fi="Perusskenaario",
        name_en="Baseline",
        description=f"Employment area {a.code} {a.name_en}, job seekers of June 2026, {pack.total_htv:g} HTV ({staff_word}).",
        description_fi=f"Työllisyysalue {a.code} {a.name_fi}, työnhakijat 6/2026, {str(pack.total_htv).replace('.', ',')} HTV "
        f"({'arvio' if pack.htv_estimated else 'suunnittelijan luku'}).",
        horizon={**template["horizon"], "start": start},
        region={"pack": "."},
        compare=[],
    )
    cfg["demand"] = {**template["demand"], "stock_period": finland.JOBSEEKERS_MONTH, "plant_closures": []}
    cfg["staff"] = {
        **template["staff"],
        "total_htv": pack.total_htv,
        "centralised_htv": centralised,
        "shortages": [],
    }
    head = (
        f"# Baseline of the region pack for employment area {a.code} {a.name_fi} ({a.name_sv}), written by\n"
        "# `resurssimalli region init`: the seed area's baseline with this area's data (region: pack), the\n"
        "# job seekers of June 2026 and the horizon after them. Every value's source is in the assumptions\n"
        "# table (`resurssimalli assumptions baseline.yaml`); the pack's defaults and estimates in region.csv.\n"
    )
    return head + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True, width=110)


def _readme(pack: Pack) -> str:
    a = pack.area
    return (
        f"# Region pack: employment area {a.code} {a.name_fi} ({a.name_sv})\n\n"
        f"{len(pack.munis)} municipalities, job seekers of June 2026. Written by `resurssimalli region init`.\n"
        "`resurssimalli run baseline.yaml` runs it. What the pack estimates or assumes is in `region.csv`\n"
        "(and the assumptions table); each table's header names its source.\n\n"
        f"{finland.CREDIT}\n"
    )


def write_pack(pack: Pack, out: Path) -> Path:
    """Write the pack into the new folder ``out`` (refused if it exists; published only complete)."""
    from resurssimalli.runs import RunFolder

    folder = RunFolder(Path(out), command=f"region init {pack.area.code}")
    for name, text in pack.files.items():
        folder.write_text(name, text)
    return folder.finish()
