"""The planners' input workbook: demand shares, sites and their costs, travel times in Excel.

``resurssimalli template OUT.xlsx`` writes it filled with the shipped region data; a scenario
names an edited copy with ``region.inputs_workbook:`` and the loader applies it in place of
the shipped tables. Three sheets are read (every row required, checked like any input):

* ``demand_points``: ``demand_point``, ``customer_share`` (0..1; each municipality's sum is 1)
* ``sites``: ``site``, ``fixed_cost_eur`` (>= 0), ``workstations`` (integer >= 0)
* ``travel_times``: ``demand_point``, ``site``, ``km``, ``minutes`` (>= 0; every pair)

The other columns (names, municipality, kind) are for the reader and are not read.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from resurssimalli.errors import InputError
from resurssimalli.frozen import FrozenMap
from resurssimalli.reading import existing_file, open_workbook, sheet_rows
from resurssimalli.safety import defuse_workbook, neutralise_frame

if TYPE_CHECKING:
    from resurssimalli.data.region import Region

SHEETS: dict[str, tuple[str, ...]] = {
    "demand_points": ("demand_point", "customer_share"),
    "sites": ("site", "fixed_cost_eur", "workstations"),
    "travel_times": ("demand_point", "site", "km", "minutes"),
}
INFO_COLUMNS: dict[str, tuple[str, ...]] = {
    "demand_points": ("name", "municipality"),
    "sites": ("name", "municipality", "kind"),
    "travel_times": (),
}
README_ROWS = (
    ("sheet", "column", "unit", "meaning"),
    ("demand_points", "customer_share", "0..1", "Share of the municipality's customers living at the point"),
    ("demand_points", "(rule)", "", "The shares of one municipality's points must sum to 1"),
    ("sites", "fixed_cost_eur", "EUR/year", "Annual cost of keeping the site open (rent, agreement, kit)"),
    ("sites", "workstations", "count", "Workstations for stationed staff (integer; 0 for pop-ups)"),
    ("travel_times", "km", "km", "Road distance, demand point to site"),
    ("travel_times", "minutes", "min", "Car travel time, demand point to site; every pair required"),
    ("(all)", "name, municipality, kind", "", "For reading only: the model does not read these columns"),
    ("(all)", "(rule)", "", "Do not add, remove or rename rows, sheets or header cells"),
)

README_ROWS_FI = (
    ("välilehti", "sarake", "yksikkö", "merkitys"),
    ("demand_points", "customer_share", "0..1", "Osuus kunnan asiakkaista, jotka asuvat asuinalueella"),
    ("demand_points", "(sääntö)", "", "Saman kunnan asuinalueiden osuuksien summa on 1"),
    ("sites", "fixed_cost_eur", "€/vuosi", "Toimipaikan vuosikustannus (vuokra, sopimus, varusteet)"),
    ("sites", "workstations", "kpl", "Työpisteet sijoitetulle henkilöstölle (kokonaisluku; pop-upeille 0)"),
    ("travel_times", "km", "km", "Tieetäisyys asuinalueelta toimipaikkaan"),
    ("travel_times", "minutes", "min", "Ajoaika autolla asuinalueelta toimipaikkaan; jokainen pari tarvitaan"),
    ("(kaikki)", "name, municipality, kind", "", "Vain lukijalle: malli ei lue näitä sarakkeita"),
    ("(kaikki)", "(sääntö)", "", "Älä lisää, poista tai nimeä uudelleen rivejä, välilehtiä tai otsikkosoluja"),
)
KINDS_FI = {"office": "toimipiste", "service_point": "palvelupiste", "popup": "pop-up"}


@dataclass(frozen=True)
class WorkbookInputs:
    """What an input workbook sets (validated for form; names are checked by the region loader)."""

    source: Path
    customer_shares: Mapping[str, float]
    fixed_cost_eur: Mapping[str, float]
    workstations: Mapping[str, int]
    travel: pd.DataFrame

    def where(self, sheet: str) -> str:
        return f"{self.source}[{sheet}]"


def _reader_columns(region: Region, pts: pd.DataFrame, sites: pd.DataFrame, lang: str) -> None:
    """The columns for the reader in ``lang``: place names with ä and ö, Finnish site names and
    kinds in Finnish (the model reads only the id and value columns)."""
    munis = {m: x.name for m, x in region.municipalities.items()}
    for df in (pts, sites):
        df["municipality"] = df["municipality"].map(lambda m: munis.get(m, m))
    if lang == "fi":
        fi = {s: x.name_fi or x.name for s, x in region.sites.items()}
        sites["name"] = sites["site"].map(lambda s: fi.get(s, s))
        sites["kind"] = sites["kind"].map(lambda k: KINDS_FI.get(k, k))


def write_inputs_template(
    path: str | Path, region: Region, lang: str = "fi", *, replace: bool = False
) -> Path:
    """Write an input workbook holding ``region``'s current values (atomically; an existing regular
    file is replaced only with ``replace``, anything else never); the README and
    the columns for the reader in ``lang`` (``fi`` or ``en``), the ids and headers the model
    reads unchanged."""
    from resurssimalli.runs import atomic_write

    pts = region.demand_points_frame()[["demand_point", "name", "municipality", "customer_share"]].copy()
    cols = ["site", "name", "municipality", "kind", "fixed_cost_eur", "workstations"]
    sites = region.sites_frame()[cols].copy()
    travel = region.travel.frame()[["demand_point", "site", "km", "minutes"]]
    _reader_columns(region, pts, sites, lang)
    readme = README_ROWS_FI if lang == "fi" else README_ROWS

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            pd.DataFrame(readme[1:], columns=list(readme[0])).to_excel(xw, sheet_name="README", index=False)
            for sheet, df in (("demand_points", pts), ("sites", sites), ("travel_times", travel)):
                neutralise_frame(df).to_excel(xw, sheet_name=sheet, index=False)
            defuse_workbook(xw.book)
            for ws in xw.book.worksheets:
                ws.freeze_panes = "A2"
                for col in ws.columns:
                    width = max(len(str(c.value or "")) for c in col)
                    ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 70)

    return atomic_write(Path(path), write, replace=replace)


def _sheet(path: Path, book: Any, sheet: str) -> pd.DataFrame:
    if sheet not in book.sheetnames:
        raise InputError(path, sheet, f"a sheet named {sheet!r} (sheets found: {book.sheetnames[:10]})")
    rows = sheet_rows(path, book, sheet)
    if not rows:
        raise InputError(path, sheet, f"a header row with {list(SHEETS[sheet])}")
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    missing = [c for c in SHEETS[sheet] if c not in header]
    if missing:
        raise InputError(path, f"{sheet}.<header>", f"columns {list(SHEETS[sheet])}; missing {missing}")
    body = [r for r in rows[1:] if any(v is not None and str(v).strip() != "" for v in r)]
    df = pd.DataFrame(body, columns=header)
    return df[list(SHEETS[sheet])]


def _cell(sheet: str, i: int, ident: str, col: str) -> str:
    return f"{sheet}.row {i + 2} ({ident}).{col}"


def _names(path: Path, sheet: str, df: pd.DataFrame, cols: tuple[str, ...]) -> None:
    for c in cols:
        for i, v in enumerate(df[c]):
            if v is None or (isinstance(v, float) and math.isnan(v)) or not str(v).strip():
                raise InputError(path, f"{sheet}.row {i + 2}.{c}", "a name (the cell is empty)")
        df[c] = df[c].astype(str).str.strip()
    counts = Counter(zip(*(df[c] for c in cols), strict=True))
    dup = sorted(k for k, n in counts.items() if n > 1)
    if dup:
        raise InputError(path, f"{sheet}.{','.join(cols)}", f"one row each; repeated {dup[:5]}")


def _numbers(
    path: Path,
    sheet: str,
    df: pd.DataFrame,
    col: str,
    ident: pd.Series,
    *,
    maximum: float = math.inf,
    integer: bool = False,
) -> None:
    out = []
    for i, v in enumerate(df[col]):
        where = _cell(sheet, i, ident.iloc[i], col)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise InputError(path, where, f"a number (finite), got {v!r}")
        if not 0 <= v <= maximum:
            rng = f"between 0 and {maximum:g}" if maximum < math.inf else ">= 0"
            raise InputError(path, where, f"a number {rng}, got {v!r}")
        if integer and float(v) != int(v):
            raise InputError(path, where, f"a whole number, got {v!r}")
        out.append(int(v) if integer else float(v))
    df[col] = out


def read_inputs_workbook(path: str | Path) -> WorkbookInputs:
    """Read and check an input workbook; any problem is an :class:`InputError` naming the cell."""
    path = existing_file(path, "an existing input workbook (.xlsx; see `resurssimalli template`)")
    book = open_workbook(path, "an Excel .xlsx workbook")
    try:
        pts = _sheet(path, book, "demand_points")
        sites = _sheet(path, book, "sites")
        travel = _sheet(path, book, "travel_times")
    finally:
        book.close()
    _names(path, "demand_points", pts, ("demand_point",))
    _numbers(path, "demand_points", pts, "customer_share", pts["demand_point"], maximum=1.0)
    _names(path, "sites", sites, ("site",))
    _numbers(path, "sites", sites, "fixed_cost_eur", sites["site"])
    _numbers(path, "sites", sites, "workstations", sites["site"], integer=True)
    _names(path, "travel_times", travel, ("demand_point", "site"))
    pair = travel["demand_point"] + "->" + travel["site"]
    _numbers(path, "travel_times", travel, "km", pair)
    _numbers(path, "travel_times", travel, "minutes", pair)
    return WorkbookInputs(
        source=path.resolve(),
        customer_shares=FrozenMap(dict(zip(pts["demand_point"], pts["customer_share"], strict=True))),
        fixed_cost_eur=FrozenMap(dict(zip(sites["site"], sites["fixed_cost_eur"], strict=True))),
        workstations=FrozenMap(dict(zip(sites["site"], sites["workstations"], strict=True))),
        travel=travel.reset_index(drop=True),
    )


def check_names(wb: WorkbookInputs, sheet: str, known: set[str]) -> None:
    """Every name on ``sheet`` (demand_points or sites) is known and each known one has a row."""
    given = set(wb.customer_shares if sheet == "demand_points" else wb.fixed_cost_eur)
    what = sheet[:-1]
    unknown = sorted(given - known)
    if unknown:
        raise InputError(wb.source, f"{sheet}.{what}", f"known {what} names {sorted(known)}; got {unknown}")
    missing = sorted(known - given)
    if missing:
        raise InputError(wb.source, f"{sheet}.{what}", f"a row for every {what}; missing {missing}")
