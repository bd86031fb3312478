"""Load the region (municipalities, areas, labour market, demand points, sites, travel times).

Everything returned is frozen: dataclasses with tuples and read-only mappings. Tables are
handed out as fresh pandas DataFrames so callers cannot change the shared objects.
Sources of every file are named in the files' header comments and in ``SOURCES.md``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from resurssimalli import tolerances
from resurssimalli.data.regioninfo import INFO_FILE, RegionInfo, read_info
from resurssimalli.data.travel import SPEED_KMH
from resurssimalli.errors import InputError
from resurssimalli.frozen import FrozenMap
from resurssimalli.reading import read_csv
from resurssimalli.units import MINUTES_PER_HOUR

DATA_DIR = Path(str(resources.files("resurssimalli.data")))
SITE_KINDS = ("office", "service_point", "popup")
# The 2022 foreign-national cells of Kihniö, Parkano and Punkalaidun are suppressed ("…") in the
# plan; the row total (59) minus the published cells gives the 7 people they hold together.
SUPPRESSED_FOREIGN_2022_TOTAL = 7
# the labour-market (job-seeker) table: a region pack's name first, then the seed area's
LABOUR_MARKET_FILES = ("labour_market.csv", "labour_market_2022_2023.csv")
FLOW_FILE = "flow_to_over_3_months_2023.csv"  # the seed area's plan only; a pack has none


@dataclass(frozen=True)
class Municipality:
    id: str
    name: str
    area: str
    lead: bool
    population_2023: int | None  # None: not in the region's data (a region pack)
    centre: str


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    lead_municipality: str
    municipalities: tuple[str, ...]


@dataclass(frozen=True)
class DemandPoint:
    id: str
    name: str
    municipality: str
    lat: float
    lon: float
    customer_share: float
    coord_source: str


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    municipality: str
    demand_point: str
    kind: str
    fixed_cost_eur: float
    workstations: int
    name_fi: str = ""

    def label(self, lang: str = "en") -> str:
        """The site's name in the memo's language (Finnish name when there is one)."""
        return self.name_fi if lang == "fi" and self.name_fi else self.name


@dataclass(frozen=True)
class LabourMarket:
    """The plan's labour-market table: (indicator, period, municipality) -> count or None.

    ``None`` means *suppressed* (shown as "…" in the plan), never zero.
    """

    cells: Mapping[tuple[str, str, str], float | None]
    totals: Mapping[tuple[str, str], float]
    suppressed_totals: Mapping[tuple[str, str], float]

    def value(self, indicator: str, period: str, municipality: str) -> float | None:
        return self.cells[(indicator, period, municipality)]

    def total(self, indicator: str, period: str) -> float:
        return self.totals[(indicator, period)]

    def frame(self) -> pd.DataFrame:
        """Long table: indicator, period, municipality, value (NaN where suppressed), suppressed."""
        rows = [(i, p, m, float("nan") if v is None else v, v is None) for (i, p, m), v in self.cells.items()]
        return pd.DataFrame(rows, columns=["indicator", "period", "municipality", "value", "suppressed"])

    def periods(self, indicator: str) -> tuple[str, ...]:
        """The periods the table has for ``indicator``, in order."""
        return tuple(sorted({p for (i, p) in self.totals if i == indicator}))

    def latest_period(self, indicator: str) -> str:
        """The table's latest period of ``indicator`` (the seed's workforce: ``2023``)."""
        return self.periods(indicator)[-1]

    def wide(self, period: str) -> pd.DataFrame:
        """Municipality x indicator for one period (suppressed cells NaN)."""
        f = self.frame()
        f = f[f["period"] == period]
        return f.pivot(index="municipality", columns="indicator", values="value")


@dataclass(frozen=True)
class TravelMatrix:
    """Car minutes and road km from each demand point to each site."""

    minutes: Mapping[tuple[str, str], float]
    km: Mapping[tuple[str, str], float]
    source: str

    def frame(self) -> pd.DataFrame:
        rows = [(p, s, self.km[(p, s)], m) for (p, s), m in self.minutes.items()]
        return pd.DataFrame(rows, columns=["demand_point", "site", "km", "minutes"])


@dataclass(frozen=True)
class Region:
    """The employment area as data. Build with :func:`load_region`."""

    name: str
    lead_municipality: str
    municipalities: Mapping[str, Municipality]
    areas: Mapping[str, Area]
    demand_points: Mapping[str, DemandPoint]
    sites: Mapping[str, Site]
    labour_market: LabourMarket
    flow_past_3_months: Mapping[tuple[str, str], float] = field(repr=False)
    travel: TravelMatrix = field(repr=False)
    info: RegionInfo = field(default=RegionInfo(()), repr=False)
    data_dir: Path = DATA_DIR  # the folder the tables came from (the package's, or a region pack)

    def area_of(self, municipality: str) -> str:
        return self.municipalities[municipality].area

    def points_in(self, municipality: str) -> tuple[str, ...]:
        return tuple(p.id for p in self.demand_points.values() if p.municipality == municipality)

    def sites_in_area(self, area: str) -> tuple[str, ...]:
        return tuple(s.id for s in self.sites.values() if self.area_of(s.municipality) == area)

    def sites_frame(self) -> pd.DataFrame:
        return pd.DataFrame([s.__dict__ for s in self.sites.values()]).rename(columns={"id": "site"})

    def demand_points_frame(self) -> pd.DataFrame:
        return pd.DataFrame([p.__dict__ for p in self.demand_points.values()]).rename(
            columns={"id": "demand_point"}
        )


# ---------------------------------------------------------------------------------------------
# reading helpers


def _read(path: Path, required: list[str]) -> pd.DataFrame:
    return read_csv(path, "CSV table", tuple(required), comment="#", skipinitialspace=True)


def _number(path: Path, df: pd.DataFrame, col: str, key: str, *, minimum: float = 0.0) -> None:
    values = pd.to_numeric(df[col], errors="coerce")
    for i, v in enumerate(values):
        if v is None or not math.isfinite(v):
            where = f"row {i + 1} ({df[key].iloc[i]}).{col}"
            raise InputError(path, where, f"a number (finite), got {df[col].iloc[i]!r}")
        if v < minimum:
            raise InputError(
                path, f"row {i + 1} ({df[key].iloc[i]}).{col}", f"a number >= {minimum:g}, got {v:g}"
            )
    df[col] = values


def _unique(path: Path, df: pd.DataFrame, key: str) -> None:
    dup = df[key][df[key].duplicated()].tolist()
    if dup:
        raise InputError(path, key, f"unique values; duplicated {dup}")


def _known(path: Path, df: pd.DataFrame, col: str, key: str, known: set[str], what: str) -> None:
    for i, v in enumerate(df[col]):
        if v not in known:
            raise InputError(
                path, f"row {i + 1} ({df[key].iloc[i]}).{col}", f"a known {what} {sorted(known)}, got {v!r}"
            )


# ---------------------------------------------------------------------------------------------
# the loader


def load_region(
    data_dir: Path | None = None,
    *,
    travel_times: Path | None = None,
    demand_point_shares: Mapping[str, float] | None = None,
    shares_source: str = "<scenario>",
    inputs_workbook: Path | None = None,
) -> Region:
    """Read and validate the region tables.

    ``data_dir`` defaults to the shipped package data. ``travel_times`` replaces the travel
    matrix file; ``demand_point_shares`` replaces customer shares of the named points (each
    municipality's shares must still sum to 1). ``inputs_workbook`` (see
    :mod:`resurssimalli.data.workbook`) replaces customer shares, site costs and workstations
    and the travel matrix before ``demand_point_shares`` apply; not with ``travel_times``.
    """
    wb = _workbook(inputs_workbook, travel_times)
    d = Path(data_dir) if data_dir else DATA_DIR
    municipalities, areas, lead = _load_municipalities(d)
    points = _load_points(d, municipalities, wb, demand_point_shares, shares_source)
    sites = _load_sites(d, municipalities, points, wb)
    if wb is not None:
        travel = _travel_from_frame(wb.travel, wb.where("travel_times"), set(points), set(sites), wb.source)
    else:
        travel = _load_travel(
            Path(travel_times) if travel_times else d / "travel_times.csv", set(points), set(sites)
        )
    info = read_info(d / INFO_FILE)
    return Region(
        name=info.name,
        lead_municipality=lead,
        municipalities=FrozenMap(municipalities),
        areas=FrozenMap(areas),
        demand_points=FrozenMap(points),
        sites=FrozenMap(sites),
        labour_market=_load_labour_market(labour_market_file(d), set(municipalities)),
        flow_past_3_months=FrozenMap(
            _load_flow(d / FLOW_FILE, set(municipalities)) if (d / FLOW_FILE).exists() else {}
        ),
        travel=travel,
        info=info,
        data_dir=d,
    )


def labour_market_file(d: Path) -> Path:
    """The folder's labour-market table (a pack's ``labour_market.csv``, else the seed's)."""
    found = next((d / n for n in LABOUR_MARKET_FILES if (d / n).exists()), None)
    if found is None:
        raise InputError(d, LABOUR_MARKET_FILES[0], f"the job-seeker table, one of {', '.join(LABOUR_MARKET_FILES)}")
    return found


def _workbook(inputs_workbook: Path | None, travel_times: Path | None) -> Any:
    """The planner's input workbook, if the scenario names one (not together with a travel file)."""
    if inputs_workbook is None:
        return None
    from resurssimalli.data.workbook import read_inputs_workbook

    if travel_times is not None:
        raise InputError(
            inputs_workbook, "region", "either region.travel_times or region.inputs_workbook, not both"
        )
    return read_inputs_workbook(inputs_workbook)


def _load_municipalities(d: Path) -> tuple[dict[str, Municipality], dict[str, Area], str]:
    """Municipalities and responsibility areas (vastuualueet), and the one lead municipality."""
    mun = _read(
        d / "municipalities.csv", ["municipality", "name", "area", "lead", "population_2023", "centre"]
    )
    _unique(d / "municipalities.csv", mun, "municipality")
    areas_df = _read(d / "areas.csv", ["area", "name", "lead_municipality"])
    _unique(d / "areas.csv", areas_df, "area")
    _known(d / "municipalities.csv", mun, "area", "municipality", set(areas_df["area"]), "area")
    known_population = mun["population_2023"].notna()  # a region pack leaves it empty (not in its data)
    if known_population.any():
        _number(d / "municipalities.csv", mun, "population_2023", "municipality")
    municipalities = {
        r.municipality: Municipality(
            r.municipality, r.name, r.area, str(r.lead).lower() == "true",
            int(r.population_2023) if known_population.any() else None, r.centre,
        )
        for r in mun.itertuples()
    }
    leads = [m.id for m in municipalities.values() if m.lead]
    if len(leads) != 1:
        raise InputError(d / "municipalities.csv", "lead", f"exactly one lead municipality, got {leads}")
    _known(d / "areas.csv", areas_df, "lead_municipality", "area", set(municipalities), "municipality")
    areas = {
        r.area: Area(
            r.area,
            r.name,
            r.lead_municipality,
            tuple(m.id for m in municipalities.values() if m.area == r.area),
        )
        for r in areas_df.itertuples()
    }
    return municipalities, areas, leads[0]


def _override_shares(
    pts: pd.DataFrame, pts_path: Path, wb: Any, demand_point_shares: Mapping[str, float] | None,
    shares_source: str,
) -> Path:
    """Customer shares from the workbook, then from the scenario; returns the file that set them last."""
    if wb is not None:
        from resurssimalli.data.workbook import check_names

        check_names(wb, "demand_points", set(pts["demand_point"]))
        pts["customer_share"] = pts["demand_point"].map(wb.customer_shares).astype(float)
        pts_path = Path(wb.where("demand_points"))
    if demand_point_shares:
        for p, share in demand_point_shares.items():
            if p not in set(pts["demand_point"]):
                raise InputError(
                    shares_source,
                    f"demand.demand_point_shares.{p}",
                    f"a known demand point {sorted(pts['demand_point'])}",
                )
            pts.loc[pts["demand_point"] == p, "customer_share"] = float(share)
        pts_path = Path(shares_source)
    return pts_path


def _load_points(
    d: Path, municipalities: Mapping[str, Municipality], wb: Any,
    demand_point_shares: Mapping[str, float] | None, shares_source: str,
) -> dict[str, DemandPoint]:
    """Demand points (centres and villages) with customer shares summing to 1 per municipality."""
    pts_path = d / "demand_points.csv"
    pts = _read(
        pts_path, ["demand_point", "name", "municipality", "lat", "lon", "customer_share", "coord_source"]
    )
    _unique(pts_path, pts, "demand_point")
    _known(pts_path, pts, "municipality", "demand_point", set(municipalities), "municipality")
    for c in ("lat", "lon", "customer_share"):
        _number(pts_path, pts, c, "demand_point")
    pts_path = _override_shares(pts, pts_path, wb, demand_point_shares, shares_source)
    for m, s in pts.groupby("municipality")["customer_share"].sum().items():
        if abs(s - 1.0) > tolerances.SHARE_SUM:
            raise InputError(
                pts_path, f"customer_share[{m}]", f"shares of {m}'s demand points summing to 1, got {s:.4f}"
            )
    missing_m = set(municipalities) - set(pts["municipality"])
    if missing_m:
        raise InputError(
            pts_path,
            "municipality",
            f"at least one demand point in each municipality; none in {sorted(missing_m)}",
        )
    return {
        r.demand_point: DemandPoint(
            r.demand_point, r.name, r.municipality, float(r.lat), float(r.lon), float(r.customer_share),
            r.coord_source,
        )
        for r in pts.itertuples()
    }


def _load_sites(
    d: Path, municipalities: Mapping[str, Municipality], points: Mapping[str, DemandPoint], wb: Any
) -> dict[str, Site]:
    """Candidate offices, service points and pop-ups (costs and workstations from the workbook if given)."""
    sites_path = d / "sites.csv"
    sdf = _read(
        sites_path, ["site", "name", "municipality", "demand_point", "kind", "fixed_cost_eur", "workstations"]
    )
    _unique(sites_path, sdf, "site")
    _known(sites_path, sdf, "municipality", "site", set(municipalities), "municipality")
    _known(sites_path, sdf, "demand_point", "site", set(points), "demand point")
    _known(sites_path, sdf, "kind", "site", set(SITE_KINDS), "site kind")
    _number(sites_path, sdf, "fixed_cost_eur", "site")
    _number(sites_path, sdf, "workstations", "site")
    if wb is not None:
        from resurssimalli.data.workbook import check_names

        check_names(wb, "sites", set(sdf["site"]))
        sdf["fixed_cost_eur"] = sdf["site"].map(wb.fixed_cost_eur).astype(float)
        sdf["workstations"] = sdf["site"].map(wb.workstations).astype(int)
    return {
        r.site: Site(
            r.site,
            r.name,
            r.municipality,
            r.demand_point,
            r.kind,
            float(r.fixed_cost_eur),
            int(r.workstations),
            str(r.name_fi) if "name_fi" in sdf.columns and isinstance(r.name_fi, str) else "",
        )
        for r in sdf.itertuples()
    }


def _load_labour_market(path: Path, municipalities: set[str]) -> LabourMarket:
    df = _read(path, ["indicator", "period", "total", *sorted(municipalities)])
    for col in ["total", *sorted(municipalities)]:  # a cell is a number, or empty (suppressed)
        values = pd.to_numeric(df[col], errors="coerce")
        bad = (values.isna() & df[col].notna()) | ~np.isfinite(values.fillna(0)) | (values < 0)
        if col == "total":
            bad |= values.isna()
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            where = f"row {i + 1} ({df['indicator'].iloc[i]} {df['period'].iloc[i]}).{col}"
            raise InputError(path, where, f"a count >= 0 (empty = suppressed), got {df[col].iloc[i]!r}")
        df[col] = values
    cells: dict[tuple[str, str, str], float | None] = {}
    totals: dict[tuple[str, str], float] = {}
    suppressed: dict[tuple[str, str], float] = {}
    for i, r in df.iterrows():
        key = (r["indicator"], str(r["period"]))
        totals[key] = float(r["total"])
        published = 0.0
        n_suppressed = 0
        for m in sorted(municipalities):
            v = r[m]
            if pd.isna(v):
                cells[(*key, m)] = None
                n_suppressed += 1
            else:
                cells[(*key, m)] = float(v)
                published += float(v)
        if key[0].endswith("_pct"):
            continue  # rates do not sum
        if n_suppressed:
            suppressed[key] = totals[key] - published
        elif abs(published - totals[key]) > tolerances.PUBLISHED_TOTAL:
            raise InputError(
                path,
                f"row {i + 1} ({key[0]} {key[1]})",
                f"cells summing to total {totals[key]:g}, got {published:g}",
            )
    return LabourMarket(FrozenMap(cells), FrozenMap(totals), FrozenMap(suppressed))


def _load_flow(path: Path, municipalities: set[str]) -> dict[tuple[str, str], float]:
    df = _read(path, ["month", *sorted(municipalities)])
    out = {}
    for i, r in df.iterrows():
        for m in sorted(municipalities):
            v = r[m]
            if pd.isna(v) or not 0 <= float(v) <= 100:
                raise InputError(path, f"row {i + 1} ({r['month']}).{m}", "a percentage 0..100")
            out[(str(r["month"]), m)] = float(v)
    return out


def _load_travel(path: Path, points: set[str], sites: set[str]) -> TravelMatrix:
    return _travel_from_frame(_read(path, ["demand_point", "site", "minutes"]), path, points, sites)


def _distance(path: Path | str, df: pd.DataFrame, col: str, expected: str) -> None:
    """Every row of ``col`` a finite number >= 0 (named by row and pair), converted to float."""
    values = pd.to_numeric(df[col], errors="coerce")
    bad = ~(values.notna() & np.isfinite(values.fillna(0)) & (values >= 0))
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            path,
            f"row {i + 1} ({df['demand_point'].iloc[i]}->{df['site'].iloc[i]}).{col}",
            f"{expected}, got {df[col].iloc[i]!r}",
        )
    df[col] = values.astype(float)


def _travel_from_frame(
    df: pd.DataFrame, path: Path | str, points: set[str], sites: set[str], source: Path | None = None
) -> TravelMatrix:
    """Check a travel table (errors name ``path``); ``source`` is the file the matrix came from."""
    _known(path, df, "demand_point", "site", points, "demand point")
    _known(path, df, "site", "demand_point", sites, "site")
    _distance(path, df, "minutes", "non-negative minutes")
    if "km" not in df.columns:
        df["km"] = df["minutes"] / MINUTES_PER_HOUR * SPEED_KMH  # the derived matrix's speed if the file has no km
    else:
        _distance(path, df, "km", "non-negative km (the column is there, so every row needs one)")
    pairs = list(zip(df["demand_point"], df["site"], strict=True))
    dup = {p for p, n in Counter(pairs).items() if n > 1}
    if dup:
        raise InputError(path, "demand_point,site", f"one row per pair; duplicated {sorted(dup)[:5]}")
    missing = sorted({(p, s) for p in points for s in sites} - set(pairs))
    if missing:
        raise InputError(
            path,
            "demand_point,site",
            f"every demand point x site pair; {len(missing)} missing, e.g. {missing[:3]}",
        )
    minutes = {
        (p, s): float(m) for p, s, m in zip(df["demand_point"], df["site"], df["minutes"], strict=True)
    }
    km = {(p, s): float(k) for p, s, k in zip(df["demand_point"], df["site"], df["km"], strict=True)}
    return TravelMatrix(FrozenMap(minutes), FrozenMap(km), str(source or path))
