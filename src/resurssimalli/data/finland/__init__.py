"""Finland-wide data shipped with the package: every municipality's employment area (2025), its
administrative centre and its job seekers at the end of June 2026 (``README.md`` here names the
sources; CC BY 4.0).

This module only reads the shipped tables (it is the region packs' reader; the StatFin 12r5
importer for scenarios is a separate module). Municipality ids of a pack are the Finnish names
folded to ASCII (``Hämeenkyrö`` → ``Hameenkyro``), as in the seed area's tables.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from resurssimalli.errors import InputError

FINLAND_DIR = Path(str(resources.files("resurssimalli.data.finland")))
AREAS_FILE = FINLAND_DIR / "employment_areas_2025.csv"
CENTRES_FILE = FINLAND_DIR / "municipality_centres_2025.csv"
JOBSEEKERS_FILE = FINLAND_DIR / "jobseekers_12r5_2026-06.csv"
JOBSEEKERS_MONTH = "2026-06"
CREDIT = "Lähde: Tilastokeskus, KEHA-keskus (Työnvälitystilasto), Maanmittauslaitos; CC BY 4.0."
ALAND = 46  # Åland's municipalities carry code 46: not a TE2024 employment area
SOURCE_AREAS = "Statistics Finland, classification municipality 2025 -> employment area (via geofi)"
SOURCE_CENTRES = "National Land Survey (MML), place names: municipal administrative centres"
SOURCE_JOBSEEKERS = (
    "KEHA-keskus, Työnvälitystilasto, StatFin tyonv/12r5, end of June 2026 (updated 2026-07-21)"
)
SOURCE_JOBSEEKERS_FI = (
    "KEHA-keskus, Työnvälitystilasto, StatFin tyonv/12r5, kesäkuun 2026 loppu (päivitetty 21.7.2026)"
)
# 12r5 measure -> the name the model's labour-market table uses for it
MEASURES = {
    "HAKIJALOPUSSA": "job_seekers",
    "TYOTTOMATLOPUSSA": "unemployed",
    "TYOVOIMATK": "workforce",
    "TYOTOSUUS": "unemployment_rate_pct",
    "TYOTTOMATMIEHET": "unemployed_men",
    "TYOTTOMATNAISET": "unemployed_women",
    "TYOTTOMAT25": "unemployed_under_25",
    "TYOTTOMAT50": "unemployed_over_50",
    "PITKAAIKAISTYOTTOMAT": "long_term_unemployed",
    "TYOTTOMATSAIR": "partially_able_to_work",
    "TYOTTOMATULK": "foreign_nationals",
}


def fold(text: str) -> str:
    """``Hämeenkyrö`` → ``hameenkyro``: lower case without diacritics (for matching names)."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def ascii_id(name: str) -> str:
    """An id from a name: ``Hämeenkyrö`` → ``Hameenkyro``, ``Pedersören kunta`` → ``Pedersoren_kunta``."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9-]+", "_", plain).strip("_")


@dataclass(frozen=True)
class AreaRef:
    """One employment area: its code and names."""

    code: int
    name_fi: str
    name_sv: str
    name_en: str


@lru_cache(maxsize=1)
def _municipality_table() -> pd.DataFrame:
    """Every municipality: code, names, area, centre and June 2026 measures (shipped files)."""
    areas = pd.read_csv(AREAS_FILE, dtype=str)
    centres = pd.read_csv(CENTRES_FILE, dtype={"municipality_code": str})[["municipality_code", "lat", "lon"]]
    js = pd.read_csv(JOBSEEKERS_FILE, dtype={"area_code": str})
    js = js[js["area_code"].str.startswith("KU")].copy()
    js["municipality_code"] = js["area_code"].str[2:]
    js = js[["municipality_code", *MEASURES]].rename(columns=MEASURES)
    out = areas.merge(centres, on="municipality_code", how="left").merge(
        js, on="municipality_code", how="left"
    )
    out["employment_area_code"] = out["employment_area_code"].astype(int)
    return out[out["employment_area_code"] != ALAND].reset_index(drop=True)


def municipalities(code: int) -> pd.DataFrame:
    """The area's municipalities (a fresh frame), largest by job seekers first, with ``id``."""
    t = _municipality_table()
    df = t[t["employment_area_code"] == code].copy()
    df["id"] = [ascii_id(n) for n in df["municipality_name_fi"]]
    return df.sort_values(["job_seekers", "municipality_name_fi"], ascending=[False, True]).reset_index(
        drop=True
    )


def area_table() -> pd.DataFrame:
    """The 45 employment areas: code, names fi/sv, municipalities, job seekers and unemployed (June 2026)."""
    t = _municipality_table()
    keys = [
        "employment_area_code",
        "employment_area_name_fi",
        "employment_area_name_sv",
        "employment_area_name_en",
    ]
    g = t.groupby(keys, sort=True).agg(
        municipalities=("municipality_code", "size"),
        job_seekers=("job_seekers", "sum"),
        unemployed=("unemployed", "sum"),
    )
    g = g.reset_index().rename(
        columns=dict(zip(keys, ["code", "name_fi", "name_sv", "name_en"], strict=True))
    )
    g[["job_seekers", "unemployed"]] = g[["job_seekers", "unemployed"]].astype(int)
    return g.sort_values("code").reset_index(drop=True)


def find_area(query: str) -> AreaRef:
    """An area by code (``21``) or by its Finnish or Swedish name, ä/ö optional, any case.

    A name that matches no area exactly but starts exactly one area's name is taken too;
    otherwise an :class:`InputError` names the areas that come close.
    """
    areas = area_table()
    q = fold(query)
    hits = areas[areas["code"].astype(str) == q.lstrip("0")] if q.isdigit() else areas.iloc[0:0]
    if hits.empty:
        exact = areas["name_fi"].map(fold).eq(q) | areas["name_sv"].map(fold).eq(q)
        hits = areas[exact]
    if hits.empty and q:
        starts = areas["name_fi"].map(fold).str.startswith(q) | areas["name_sv"].map(fold).str.startswith(q)
        hits = areas[starts]
    if len(hits) != 1:
        near = areas[areas["name_fi"].map(fold).str.contains(q[:4], regex=False)] if q else areas.iloc[0:0]
        listed = ", ".join(f"{r.code} {r.name_fi}" for r in (near if len(hits) == 0 else hits).itertuples())
        hint = f"; e.g. {listed}" if listed else " (resurssimalli region list)"
        raise InputError("AREA", query, f"an employment area's code (1-45) or Finnish/Swedish name{hint}")
    r = hits.iloc[0]
    return AreaRef(int(r["code"]), str(r["name_fi"]), str(r["name_sv"]), str(r["name_en"]))
