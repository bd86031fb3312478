"""The memo, figures and results workbook, checked against the run's own tables.

The run folder is real: the optimiser's baseline plan with a traced front, simulated (3 short
replications) under the baseline and the recession scenario, with their paired comparison.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from resurssimalli.errors import InputError
from resurssimalli.experiment.compare import paired_comparison
from resurssimalli.optimize import optimize
from resurssimalli.report import tables, write_report
from resurssimalli.report.memo.facts import build_names
from resurssimalli.report.names import scenario_record
from resurssimalli.report.results import load_run
from resurssimalli.report.suppression import people_table
from resurssimalli.report.tables import customer_cells, labour_market_cells, verdict
from resurssimalli.report.texts import SUPPRESSED, Texts, parse_number, text_keys
from resurssimalli.report.write import report_files, run_language
from resurssimalli.runs import RunFolder
from resurssimalli.scenario import load_scenario
from resurssimalli.scenario.schema import KPI_NAMES
from resurssimalli.simulate import Allocation, simulate

MONTHS = 3  # short runs keep the test fast
SHARE_KPIS = ("initial_interview_on_time_share", "spells_past_3_months_share", "staff_utilisation")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, baseline, scenario_dir: Path) -> Path:
    """A real run: the baseline plan (with a 3-point front), simulated under baseline and recession."""
    out = tmp_path_factory.mktemp("report") / "run"
    result = optimize(baseline, pareto=3)
    allocation = Allocation.from_result(result)
    recession = load_scenario(scenario_dir / "recession.yaml")
    sims = [simulate(s, allocation, replications=3, months=MONTHS) for s in (baseline, recession)]
    kpis = pd.concat([s.kpis for s in sims], ignore_index=True)
    with RunFolder.new(baseline.name, out, scenario=baseline, command="test") as rf:
        result.write(rf)
        rf.write_parquet("kpis.parquet", kpis)
        rf.write_csv("summary.csv", pd.concat([s.summary for s in sims], ignore_index=True))
        rf.write_csv("comparison.csv", paired_comparison(kpis))
        rf.extra["compared_scenarios"] = {"recession": scenario_record(recession)}
    write_report(out, lang="en", pdf=True)
    write_report(out, lang="fi")
    return out


def md_tables(text: str) -> dict[str, list[list[str]]]:
    """Tables of a memo by id: header row first, then body rows (cells stripped)."""
    out = {}
    for m in re.finditer(r"<!-- table: (\w+) -->\n\*\*.*?\*\*\n\n((?:\|.*\|\s*\n)+)", text):
        lines = [ln.strip() for ln in m.group(2).strip().splitlines()]
        rows = [[c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", ln)[1:-1]] for ln in lines]
        out[m.group(1)] = [rows[0], *rows[2:]]
    return out


def num(cell: str, lang: str) -> float:
    """A memo cell as a number: percentages and percentage points become shares."""
    share = "%" in cell or cell.endswith("pp")
    v = parse_number(re.sub(r"%-yks\.|pp$|%", "", cell).strip(), lang)
    return v / 100 if share else v


def memo_text(run_dir: Path, lang: str) -> str:
    return (run_dir / report_files(run_dir, lang).md).read_text(encoding="utf-8")


def read_memo(run_dir: Path, lang: str) -> dict[str, list[list[str]]]:
    return md_tables(memo_text(run_dir, lang))


def scenario_ids(run_dir: Path, lang: str) -> dict[str, str]:
    """Display name -> scenario id, as the memo shows them."""
    names = build_names(load_run(run_dir), Texts(lang))
    return {names.scenario(s): s for s in pd.read_csv(run_dir / "summary.csv")["scenario"].unique()}


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_memo_numbers_equal_the_run_tables(run_dir: Path, lang: str, baseline) -> None:
    tabs = read_memo(run_dir, lang)
    alloc = pd.read_csv(run_dir / "allocation.csv")
    htv = tabs["htv"]
    total_row = htv[-1]
    assert num(total_row[-1], lang) == pytest.approx(alloc["htv"].sum(), abs=0.05)
    by_area = alloc.groupby("area")["htv"].sum()
    names = {a.name: a.id for a in baseline.region.areas.values()}
    for row in htv[1:-1]:
        assert num(row[-1], lang) == pytest.approx(by_area[names[row[0]]], abs=0.05)
    costs = pd.read_csv(run_dir / "costs.csv")
    social = costs["cost_item"] == "customer_travel"
    budget = costs[~social & ~costs["cost_item"].str.contains("penalty")]
    by_muni = budget.groupby("municipality")["eur"].sum()
    social_by_muni = costs[social].groupby("municipality")["eur"].sum()
    munis = {m.name: m.id for m in baseline.region.municipalities.values()}
    for row in tabs["costs"][1:-1]:
        assert num(row[-2], lang) == pytest.approx(by_muni[munis[row[0]]], abs=0.5)
        assert num(row[-1], lang) == pytest.approx(social_by_muni[munis[row[0]]], abs=0.5)
    assert num(tabs["costs"][-1][-2], lang) == pytest.approx(budget["eur"].sum(), abs=0.5)
    assert num(tabs["costs"][-1][-1], lang) == pytest.approx(costs.loc[social, "eur"].sum(), abs=0.5)
    central = tabs["central"]
    assert num(central[-1][2], lang) == pytest.approx(
        costs.loc[costs["cost_item"].str.contains("central"), "eur"].sum(), abs=0.5
    )
    sites = pd.read_csv(run_dir / "sites.csv")
    open_names = {baseline.region.sites[s].label(lang) for s in sites.loc[sites["open"], "site"]}
    assert {r[1] for r in tabs["sites"][1:]} == open_names
    access = pd.read_csv(run_dir / "access.csv")
    longest = access[access["share"] > 0].groupby("demand_point")["minutes"].max()
    names = build_names(load_run(run_dir), Texts(lang))
    points = {names.point(p): p for p in baseline.region.demand_points}
    for row in tabs["access"][1:]:
        assert num(row[5], lang) == pytest.approx(longest[points[row[0]]], abs=0.05)
    summary = pd.read_csv(run_dir / "summary.csv")
    ids = scenario_ids(run_dir, lang)
    stress = tabs["stress"][1:]
    assert len(stress) == len(baseline.config.targets) * summary["scenario"].nunique()
    for row in stress:
        kpi = next(k for k in KPI_NAMES if Texts(lang).name("kpi", k) == row[1])
        hit = summary[
            (summary["scenario"] == ids[row[0]]) & (summary["kpi"] == kpi) & (summary["group"] == "all")
        ]
        tol = 0.0005 if kpi in SHARE_KPIS else 0.05
        assert num(row[4], lang) == pytest.approx(float(hit["mean"].iloc[0]), abs=tol)
    comp = pd.read_csv(run_dir / "comparison.csv")
    comp = comp[comp["group"] == "all"]
    assert len(tabs["comparison"]) - 1 == len(comp)
    for row in tabs["comparison"][1:]:
        kpi = next(k for k in KPI_NAMES if Texts(lang).name("kpi", k) == row[1])
        hit = comp[(comp["scenario"] == ids[row[0]]) & (comp["kpi"] == kpi)]
        tol = 0.0005 if kpi in SHARE_KPIS else 0.05
        assert num(row[4], lang) == pytest.approx(float(hit["diff_mean"].iloc[0]), abs=tol)
    pareto = pd.read_csv(run_dir / "pareto.csv")
    assert [num(r[1], lang) for r in tabs["pareto"][1:]] == pytest.approx(list(pareto["cost_eur"]), abs=0.5)
    shadow = json.loads((run_dir / "summary.json").read_text())["shadow_price_htv"]
    area_names = {a.name: a.id for a in baseline.region.areas.values()}
    for row in tabs["marginal"][1:]:
        assert num(row[1], lang) == pytest.approx(shadow[area_names[row[0]]], abs=0.5)


def test_the_proposal_carries_the_totals(run_dir: Path) -> None:
    """The financial effects say what the municipalities pay and what customers' travel is worth:
    the numbers of costs.csv, in the opening two pages (before the appendices)."""
    text = memo_text(run_dir, "en").split("# Appendices")[0]
    costs = pd.read_csv(run_dir / "costs.csv")
    budget = costs[(costs["cost_item"] != "customer_travel") & ~costs["cost_item"].str.contains("penalty")]
    m = re.search(r"The municipalities pay ([\d,]+) EUR a year in total", text)
    assert m and parse_number(m.group(1), "en") == pytest.approx(budget["eur"].sum(), abs=0.5)
    m = re.search(r"customers' travel time and car cost, ([\d,]+) EUR", text)
    social = costs.loc[costs["cost_item"] == "customer_travel", "eur"].sum()
    assert m and parse_number(m.group(1), "en") == pytest.approx(social, abs=0.5)
    for heading in ("Proposed decision", "Grounds", "Financial effects", "Risks and uncertainty"):
        assert f"## {heading}" in text


def test_finnish_and_english_memos_carry_the_same_numbers(run_dir: Path) -> None:
    fi, en = read_memo(run_dir, "fi"), read_memo(run_dir, "en")
    assert fi.keys() == en.keys()
    checked = 0
    for tid in fi:
        if tid in ("assumptions", "provenance"):
            assert fi[tid][1:] != [] and len(fi[tid]) == len(en[tid])
            continue
        assert len(fi[tid]) == len(en[tid]), tid
        for rf, re_ in zip(fi[tid][1:], en[tid][1:], strict=True):
            for a, b in zip(rf, re_, strict=True):
                if a == SUPPRESSED or b == SUPPRESSED:
                    assert a == b
                    continue
                try:
                    x, y = num(a, "fi"), num(b, "en")
                except ValueError:
                    continue
                assert x == pytest.approx(y, abs=1e-9), (tid, a, b)
                checked += 1
    assert checked > 100
    fi_text = memo_text(run_dir, "fi")
    assert "Päätösehdotus" in fi_text and "toimipisteet" in fi_text and "Proposed decision" not in fi_text


def test_every_figure_is_embedded_in_the_html(run_dir: Path) -> None:
    for lang in ("fi", "en"):
        files = report_files(run_dir, lang)
        md = (run_dir / files.md).read_text(encoding="utf-8")
        html = (run_dir / files.html).read_text(encoding="utf-8")
        referenced = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
        assert set(referenced) == {f"figure_{k}_{lang}.png" for k in ("targets", "map", "htv", "pareto")}
        for f in referenced:
            assert (run_dir / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        srcs = re.findall(r'<img src="([^"]+)"[^>]*data-file="([^"]+)"', html)
        assert {f for _, f in srcs} == set(referenced)
        for src, f in srcs:
            assert src.startswith("data:image/png;base64,")
            assert base64.b64decode(src.split(",", 1)[1]) == (run_dir / f).read_bytes()
        assert not re.search(r'(src|href)="(?!data:)[^"#]', html)


def test_languages_sit_side_by_side(run_dir: Path) -> None:
    """The run's language (Finnish) owns memo.* and results.xlsx; English never replaces them."""
    assert run_language(run_dir) == "fi"
    assert report_files(run_dir, "fi").md == "memo.md" and report_files(run_dir, "en").md == "memo.en.md"
    assert (run_dir / "memo.en.pdf").read_bytes()[:5] == b"%PDF-"
    assert '<html lang="fi">' in (run_dir / "memo.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in (run_dir / "memo.en.html").read_text(encoding="utf-8")
    assert not (run_dir / "memo.fi.md").exists() and (run_dir / "results.en.xlsx").exists()
    own = {f: (run_dir / f).read_bytes() for f in ("memo.md", "memo.html", "results.xlsx")}
    exe = Path(sys.executable).parent / "resurssimalli"
    r = subprocess.run([exe, "memo", str(run_dir), "--lang", "en"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert {f: (run_dir / f).read_bytes() for f in own} == own


def test_small_cells_suppressed_in_memo_and_workbook_totals_exact(run_dir: Path) -> None:
    res = load_run(run_dir)
    cells, totals = labour_market_cells(res)
    assert cells.loc["Kihnio", "foreign_nationals"] < 5  # the case the rule is for
    tabs = read_memo(run_dir, "fi")
    lm = tabs["labour_market"]
    header = lm[0]
    col = header.index(Texts("fi").name("ind", "foreign_nationals"))
    kihnio = next(r for r in lm if r[0] == "Kihniö")
    assert kihnio[col] == SUPPRESSED
    assert num(lm[-1][col], "fi") == cells["foreign_nationals"].sum() == totals["foreign_nationals"]
    mix_cells, _ = customer_cells(res)
    mix = tabs["customers"]
    n_small = int((mix_cells.round() < 5).to_numpy().sum())
    n_hidden = sum(c == SUPPRESSED for r in mix[1:] for c in r)
    assert n_small > 0 and n_hidden >= n_small  # secondary suppression may hide more
    for j in range(1, len(mix[0])):  # no column with a lone hidden cell beside an exact total
        assert sum(r[j] == SUPPRESSED for r in mix[1:-1]) != 1 or mix[-1][j] == SUPPRESSED
    for j, line in enumerate(mix_cells.columns, start=1):
        assert num(mix[-1][j], "fi") == round(mix_cells[line].sum())
    t = Texts("fi")
    wb = openpyxl.load_workbook(run_dir / "results.xlsx")
    lm_xl = _sheet(wb, t, "labour_market").set_index(["Kunta (tunniste)", "Ryhmä (tunniste)"])
    kihnio = lm_xl.loc[("Kihnio", "foreign_nationals")]
    assert kihnio["Henkilöitä"] is None or pd.isna(kihnio["Henkilöitä"])
    assert kihnio["Salattu (alle 5 henkeä)"] == "kyllä"
    assert lm_xl.loc[("total", "foreign_nationals"), "Henkilöitä"] == totals["foreign_nationals"]
    assert lm_xl.loc[("Sastamala", "unemployed"), "Henkilöitä"] == cells.loc["Sastamala", "unemployed"]
    cust = _sheet(wb, t, "customers")
    assert (cust["Salattu (alle 5 henkeä)"] == "kyllä").sum() == n_hidden


def test_no_suppression_shows_every_cell(run_dir: Path) -> None:
    res = load_run(run_dir)
    cells, totals = customer_cells(res)
    table = people_table(cells, totals, suppression=False)
    assert (table == SUPPRESSED).to_numpy().sum() == 0
    assert table.loc["total"].tolist() == [round(v) for v in totals]


def _sheet(wb: openpyxl.Workbook, t: Texts, sheet_id: str) -> pd.DataFrame:
    ws = wb[t(f"xlsheet_{sheet_id}")]
    rows = list(ws.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_workbook_is_formatted_filtered_and_equal_to_the_run_tables(run_dir: Path) -> None:
    """Every data sheet an Excel Table with a filter; every numeric cell a number format; values
    equal to the run's tables; Finnish headers with units; a tidy monthly KPI sheet; a dictionary."""
    t = Texts("fi")
    wb = openpyxl.load_workbook(run_dir / "results.xlsx")
    assert wb.sheetnames[0] == t("xlsheet_readme")
    for ws in wb.worksheets[1:]:
        assert len(ws.tables) == 1, ws.title
        table = next(iter(ws.tables.values()))
        assert table.autoFilter is not None and table.ref.endswith(str(ws.max_row)), ws.title
        for row in ws.iter_rows(min_row=2):
            for c in row:
                if isinstance(c.value, int | float) and not isinstance(c.value, bool):
                    assert c.number_format != "General", (ws.title, c.coordinate)
                assert not (isinstance(c.value, str) and c.value in ("…", "nan", "None", "True", "False"))
    alloc = _sheet(wb, t, "allocation")
    assert "Henkilötyövuodet [HTV]" in alloc.columns and "Vastuualue" in alloc.columns
    csv = pd.read_csv(run_dir / "allocation.csv")
    assert alloc["Henkilötyövuodet [HTV]"].tolist() == pytest.approx(csv["htv"].tolist(), rel=1e-12)
    assert alloc["Vastuualue (tunniste)"].tolist() == csv["area"].tolist()
    assert "Hämeenkyrö" in set(alloc["Vastuualue"]) and "Hameenkyro" not in set(alloc["Vastuualue"])
    costs = _sheet(wb, t, "costs")
    assert costs["Kustannus [€/v]"].sum() == pytest.approx(pd.read_csv(run_dir / "costs.csv")["eur"].sum())
    monthly = _sheet(wb, t, "kpi_monthly")
    kpis = pd.read_parquet(run_dir / "kpis.parquet")
    months = {m.strftime("%Y-%m") for m in monthly["Kuukausi"]}
    assert months == set(kpis["month"].astype(str)) and min(months) == "2023-08"  # calendar months
    assert 0 < len(monthly) <= len(kpis.groupby(["scenario", "month", "kpi", "group"]))
    assert set(monthly["Ryhmän tyyppi"]) >= {"koko alue", "kunta"}
    dictionary = _sheet(wb, t, "dictionary")
    assert set(dictionary["Välilehti"]) == {ws.title for ws in wb.worksheets[1:-1]}
    assert dictionary["Sisältö"].str.len().min() > 2


def test_missing_tables_are_named_not_invented(tmp_path: Path, baseline) -> None:
    out = tmp_path / "bare"
    with RunFolder.new(baseline.name, out, scenario=baseline, command="test"):
        pass
    written = write_report(out, lang="en")
    md = memo_text(out, "en")
    for f in (
        "allocation.csv",
        "sites.csv",
        "access.csv",
        "costs.csv",
        "summary.csv",
        "comparison.csv",
        "pareto.csv",
    ):
        assert f in md
    assert "the optimiser was not run" in md
    assert {p.name for p in written if p.suffix == ".png"} == {"figure_map_en.png"}
    assert "customers" in md.lower() and "…" in md
    wb = openpyxl.load_workbook(out / report_files(out, "en").xlsx)
    en = Texts("en")
    assert en("xlsheet_allocation") not in wb.sheetnames and en("xlsheet_customers") in wb.sheetnames


def test_malformed_table_is_an_input_error_and_nothing_is_written(tmp_path: Path, run_dir: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in ("manifest.json", "sites.csv", "access.csv", "costs.csv"):
        (bad / f).write_bytes((run_dir / f).read_bytes())
    pd.read_csv(run_dir / "allocation.csv").drop(columns="htv").to_csv(bad / "allocation.csv", index=False)
    with pytest.raises(InputError) as e:
        write_report(bad)
    assert e.value.file.endswith("allocation.csv") and "htv" in e.value.expected
    exe = Path(sys.executable).parent / "resurssimalli"
    r = subprocess.run([exe, "memo", str(bad)], capture_output=True, text=True)
    assert r.returncode == 2 and "allocation.csv" in r.stderr and "Traceback" not in r.stderr
    assert not (bad / "memo.md").exists() and not (bad / "results.xlsx").exists()
    r = subprocess.run([exe, "memo", str(run_dir), "--lang", "sv"], capture_output=True, text=True)
    assert r.returncode == 2 and "fi" in r.stderr


def test_memo_is_deterministic(run_dir: Path, tmp_path: Path) -> None:
    before = memo_text(run_dir, "fi")
    write_report(run_dir, lang="fi")
    assert memo_text(run_dir, "fi") == before


def test_verdicts() -> None:
    assert verdict(">=", 0.9, 0.91, 0.95, 0.93) == "meets"
    assert verdict(">=", 0.9, 0.85, 0.92, 0.88) == "at_risk"
    assert verdict(">=", 0.9, 0.80, 0.89, 0.85) == "fails"
    assert verdict("<=", 0.95, 0.80, 0.94, 0.9) == "meets"
    assert verdict("<=", 0.95, 0.96, 0.99, 0.97) == "fails"
    assert verdict("<=", 0.95, float("nan"), float("nan"), 0.97) == "fails"


def test_texts_table_is_complete_and_finnish() -> None:
    fi, en = Texts("fi"), Texts("en")
    differing = sum(fi(k) != en(k) for k in text_keys())
    assert differing > 0.9 * len(text_keys())
    assert fi.num(1234.5, 1) == "1\u00a0234,5" and en.num(1234.5, 1) == "1,234.5"
    assert parse_number(fi.num(-1234.56, 2), "fi") == -1234.56
    with pytest.raises(InputError):
        Texts("sv")


def test_changed_scenario_file_uses_the_manifest_scenario(tmp_path: Path, run_dir: Path) -> None:
    moved = tmp_path / "moved"
    moved.mkdir()
    for f in ("allocation.csv", "sites.csv", "access.csv", "costs.csv", "summary.json"):
        (moved / f).write_bytes((run_dir / f).read_bytes())
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["scenario"]["file"] = str(tmp_path / "gone.yaml")
    (moved / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    res = load_run(moved)
    assert res.scenario_rebuilt and res.scenario.hash == manifest["scenario"]["hash_sha256"]
    write_report(moved, lang="en")
    md = memo_text(moved, "en")
    assert "uses the scenario stored in the run's manifest" in md
    assert read_memo(run_dir, "en")["htv"] == md_tables(md)["htv"]


def test_village_customer_counts_are_suppressed(run_dir: Path) -> None:
    """The access table's customers per village: no count under 5, none derivable per municipality."""
    access = read_memo(run_dir, "en")["access"]
    header, body = access[0], access[1:]
    col, muni = header.index("customers") if "customers" in header else 3, 1
    shown = [r[col] for r in body if r[col] != SUPPRESSED]
    assert shown and all(num(c, "en") >= 5 for c in shown)
    for m in {r[muni] for r in body}:
        assert sum(r[col] == SUPPRESSED for r in body if r[muni] == m) != 1


# words that must not appear in the Finnish memo (outside `code` spans: keys, files, hashes)
ENGLISH_WORDS = (
    "the",
    "and",
    "of",
    "optimal",
    "centre",
    "scenario",
    "baseline",
    "total",
    "share",
    "objective",
    "office",
    "travel",
    "cost",
    "staff",
    "customers",
    "within",
    "replication",
    "group",
    "mean",
)
PYTHON_REPRS = re.compile(r"\bTrue\b|\bFalse\b|\bNone\b|\bnan\b|\{'|\['|\{\"")
FINNISH_ONLY = (
    "Yhteensä",
    "Kunta",
    "Vastuualue",
    "keskusta",
    "kyllä",
    "täyttyy",
    "Liite",
    "euroa",
    "Skenaario",
)


def prose(md: str) -> str:
    """The memo's text without `code` spans, HTML comments and figure file names."""
    md = re.sub(r"<!--.*?-->", " ", md)
    md = re.sub(r"\\?`[^`]*?\\?`", " ", md)  # code spans (the Markdown escapes their backticks)
    return re.sub(r"\]\([^)]*\)", "]", md)


def test_finnish_memo_has_no_english_ids_or_reprs(run_dir: Path) -> None:
    text = prose(memo_text(run_dir, "fi"))
    ids = set(pd.read_csv(run_dir / "summary.csv")["scenario"]) | {"plant_closure", "staff_shortage"}
    found = [w for w in (*ENGLISH_WORDS, *ids) if re.search(rf"\b{w}\b", text, flags=re.I)]
    assert found == []
    assert PYTHON_REPRS.findall(text) == []
    assert "1 pop-up-pistettä" not in text and "Tunnusluvut verrataan" not in text
    assert "replikaatio" not in text and "(centre)" not in text
    assert re.search(r"\b\d{4}-\d{2}-\d{2}\b", text) is None  # dates as 1.8.2023


def test_english_memo_has_no_finnish_labels(run_dir: Path) -> None:
    text = prose(memo_text(run_dir, "en"))
    assert [w for w in FINNISH_ONLY if re.search(rf"\b{w}\b", text)] == []
    assert PYTHON_REPRS.findall(text) == []


def _layout_text(html: str) -> tuple[list[str], list[float]]:
    """Text of each printed page and how far any text box reaches past the page's content box."""
    import weasyprint

    doc = weasyprint.HTML(string=html).render()
    pages, overflow = [], []
    for page in doc.pages:
        box = page._page_box
        right = box.content_box_x() + box.width
        words, worst = [], 0.0
        stack = [box]
        while stack:
            b = stack.pop()
            if type(b).__name__ == "TextBox":
                words.append(b.text)
                worst = max(worst, b.position_x + b.width - right)
            stack.extend(reversed(getattr(b, "children", [])))
        pages.append(" ".join(words))
        overflow.append(worst)
    return pages, overflow


def test_printed_memo_keeps_every_table_total_and_fits_the_page(run_dir: Path) -> None:
    """The PDF's layout (WeasyPrint's, the one the PDF is written from): nothing past the right
    margin, every total row's numbers printed, body about 8 pages with the appendices after."""
    html = (run_dir / "memo.html").read_text(encoding="utf-8")
    pages, overflow = _layout_text(html)
    assert max(overflow) <= 0.5, overflow
    printed = " ".join(pages).replace("\u00a0", " ").replace("\u00ad", "")
    tabs = read_memo(run_dir, "fi")
    for tid in ("htv", "costs", "central", "labour_market", "customers"):
        for cell in tabs[tid][-1]:
            assert cell.replace("\u00a0", " ") in printed, (tid, cell)
    appendix_page = next(i for i, p in enumerate(pages, start=1) if "Liitteet" in p.split())
    assert appendix_page <= 9


def test_every_assumption_has_a_finnish_source() -> None:
    """A key added to data/assumptions.csv needs its Finnish source in report/assumptions_fi.csv."""
    from resurssimalli.report.assumptions import load_sources
    from resurssimalli.report.memo.appendix import finnish_sources

    fi = finnish_sources()
    missing = [k for k in load_sources()["key"] if not str(fi.get(k, "")).strip()]
    assert missing == []


def test_every_assumption_unit_has_a_finnish_form() -> None:
    from resurssimalli.report.assumptions import load_sources

    assert set(load_sources()["unit"]) <= set(Texts("fi")("units"))


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_pareto_points_say_which_sites_change(run_dir: Path, baseline, lang: str) -> None:
    """pareto.csv names the sites each point opens and closes against the cost optimum; the
    memo's front table says it with the sites' display names."""
    pareto = pd.read_csv(run_dir / "pareto.csv", keep_default_na=False)
    assert {"sites_open", "sites_opened", "sites_closed"} <= set(pareto.columns)
    assert pareto.loc[0, "sites_opened"] == "" and pareto.loc[0, "sites_closed"] == ""
    changed = pareto[(pareto["sites_opened"] != "") | (pareto["sites_closed"] != "")]
    assert not changed.empty  # tighter trips need other sites
    for r in changed.itertuples():
        assert set(r.sites_open.split()) == (set(pareto.loc[0, "sites_open"].split()) | set(r.sites_opened.split())) - set(r.sites_closed.split())
    memo = (run_dir / ("memo.md" if lang == run_language(run_dir) else f"memo.{lang}.md")).read_text(encoding="utf-8")
    rows = md_tables(memo)["pareto"]
    assert rows[0][-1] == Texts(lang)("col_site_changes")
    for r in changed.itertuples():
        cell = rows[int(r.point)][-1]
        for s in r.sites_opened.split() + r.sites_closed.split():
            assert baseline.region.sites[s].label(lang) in cell


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_the_grounds_name_each_failing_scenario_once(run_dir: Path, lang: str) -> None:
    """The grounds' line on the compared scenarios names each one that misses or risks a target
    once, with its worst target; none that meets every target."""
    memo = (run_dir / ("memo.md" if lang == run_language(run_dir) else f"memo.{lang}.md")).read_text(encoding="utf-8")
    t = Texts(lang)
    res = load_run(run_dir)
    st = tables.stress(res)
    others = st[st["scenario"] != res.scenario.name]
    missing = set(others.loc[others["verdict"] != "meets", "scenario"])
    names = build_names(res, t)
    lead = t("prop_others", n=others["scenario"].nunique(), scenarios="").split(":")[0]
    if not missing:
        return
    line = next(ln for ln in memo.splitlines() if ln.startswith(lead))
    for sc in others["scenario"].unique():
        assert line.count(names.scenario(sc)) == (1 if sc in missing else 0), line


def test_given_kpi_frame_is_read_as_the_folder_would_be(run_dir: Path) -> None:
    """``run`` hands the report its KPI frame instead of a second copy read back from the folder."""
    kpis = pd.read_parquet(run_dir / "kpis.parquet")
    before = kpis.copy()
    read, given = load_run(run_dir), load_run(run_dir, {"kpis.parquet": kpis})
    assert set(read.tables) == set(given.tables)
    for name, table in read.tables.items():
        pd.testing.assert_frame_equal(given.tables[name], table)
    pd.testing.assert_frame_equal(kpis, before)  # the caller's frame is not changed
    with pytest.raises(InputError) as e:
        load_run(run_dir, {"kpis.parquet": kpis.drop(columns="value")})
    assert e.value.file.endswith("kpis.parquet") and "value" in e.value.expected


def test_paired_comparison_with_missing_replications_matches_one_group_at_a_time(run_dir: Path) -> None:
    """Groups with a missing or non-finite replication take the one-by-one path; all others the
    matrix path; both give what t_interval gives group by group."""
    import numpy as np

    from resurssimalli.simulate.stats import t_interval

    kpis = pd.read_parquet(run_dir / "kpis.parquet")
    gap = (kpis["scenario"] == "recession") & (kpis["kpi"] == "stock") & (kpis["replication"] == 1)
    nan = (kpis["scenario"] == "baseline") & (kpis["kpi"] == "caseload_per_coach") & (kpis["replication"] == 0)
    kpis = kpis[~gap].assign(value=kpis["value"].where(~nan[~gap], np.nan))
    comp = paired_comparison(kpis).set_index(["scenario", "kpi", "group"])
    rep = kpis.groupby(["scenario", "replication", "kpi", "group"], as_index=False)["value"].mean()
    base = rep[rep["scenario"] == "baseline"].drop(columns="scenario")
    merged = rep[rep["scenario"] == "recession"].merge(base, on=["replication", "kpi", "group"])
    assert len(comp) == merged.groupby(["kpi", "group"]).ngroups
    for (kpi, group), m in merged.groupby(["kpi", "group"]):
        mean, low, high, n = t_interval((m["value_x"] - m["value_y"]).to_numpy())
        row = comp.loc[("recession", kpi, group)]
        got = (row["diff_mean"], row["diff_ci_low"], row["diff_ci_high"], row["n"], row["baseline_mean"])
        assert got == pytest.approx((mean, low, high, n, m["value_y"].mean()), nan_ok=True)
    assert comp.loc[("recession", "stock", "all"), "n"] == 2


def test_kpi_figure_bands_are_t_intervals_month_by_month(run_dir: Path) -> None:
    """The KPI figure's bands, computed at once, are exactly t_interval's of each month's values."""
    import math

    import numpy as np

    from resurssimalli.report.plots import _monthly_bands
    from resurssimalli.simulate.stats import PROPORTION_KPIS, t_interval

    k = pd.read_parquet(run_dir / "kpis.parquet")
    k = k[k["group"] == "all"]
    first = k["month"] == k["month"].min()
    k = k[~(first & (k["kpi"] == "stock") & (k["replication"] == 2))]  # a month with 2 of 3
    k = k.assign(value=k["value"].where(~(first & (k["kpi"] == "caseload_per_coach")), np.nan))  # none finite
    bands = _monthly_bands(k)
    for (sc, kpi, month), g in k.groupby(["scenario", "kpi", "month"]):
        mean, low, high, _ = t_interval(g["value"].to_numpy(), proportion=kpi in PROPORTION_KPIS)
        want = [mean, low if math.isfinite(low) else mean, high if math.isfinite(high) else mean]
        got = bands[(sc, kpi)].loc[month].tolist()
        assert got == pytest.approx(want, rel=1e-12) or (math.isnan(mean) and all(math.isnan(v) for v in got))


def test_workbook_and_figure_made_in_a_pool_worker_are_the_same_files(run_dir: Path, tmp_path: Path) -> None:
    """``run`` has its idle simulation workers write results.xlsx and draw the figures while it
    writes the memo: the same bytes as made in one process."""
    import concurrent.futures as cf
    import multiprocessing as mp
    import shutil
    import zipfile

    from resurssimalli.report.figures import FIGURES, figure_name

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    (copy / "results.xlsx").unlink()
    drawn = [k for k in FIGURES if (run_dir / figure_name(k, "fi")).exists()]  # the tornado: sensitivity runs
    for key in drawn:
        (copy / figure_name(key, "fi")).unlink()
    with cf.ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        written = write_report(copy, lang="fi", background=pool)
    assert copy / "results.xlsx" in written
    for key in drawn:
        name = figure_name(key, "fi")
        assert copy / name in written and (copy / name).read_bytes() == (run_dir / name).read_bytes()
    with zipfile.ZipFile(run_dir / "results.xlsx") as a, zipfile.ZipFile(copy / "results.xlsx") as b:
        parts = [n for n in a.namelist() if n != "docProps/core.xml"]  # core.xml: the time written
        assert parts == [n for n in b.namelist() if n != "docProps/core.xml"]
        assert all(a.read(n) == b.read(n) for n in parts)
    assert not list(copy.glob(".*.tmp"))


def test_a_report_job_is_handed_the_tables_it_reads(run_dir: Path) -> None:
    """A pool worker makes the workbook and the figures from the tables handed to it (pickled),
    not from the run folder read back: the workbook leaves out the KPI frame only when the
    summary has the calendar months (its sheets unchanged); the KPI figure gets the area's rows."""
    import pickle
    from dataclasses import replace
    from types import MappingProxyType

    from resurssimalli.report.excel import workbook_sheets, workbook_tables
    from resurssimalli.report.figures import tables_for
    from resurssimalli.simulate.stats import summarise_periods

    res = load_run(run_dir)
    assert workbook_tables(res) == list(res.tables)  # a summary without months: they come from the KPIs
    months = summarise_periods(res.tables["kpis.parquet"])
    res = replace(res, tables=MappingProxyType({**res.tables, "summary.csv": months}))
    given = pickle.loads(pickle.dumps(res.only(workbook_tables(res))))
    assert list(given.tables) == [n for n in res.tables if n != "kpis.parquet"]
    assert (given.path, dict(given.manifest), given.scenario.hash) == (res.path, dict(res.manifest), res.scenario.hash)
    t = Texts("en")
    for a, b in zip(workbook_sheets(res, t), workbook_sheets(given, t), strict=True):
        assert a.id == b.id
        pd.testing.assert_frame_equal(a.frame, b.frame)
    kpis = pickle.loads(pickle.dumps(tables_for(res, ("kpis",)))).tables
    assert list(kpis) == ["kpis.parquet"] and set(kpis["kpis.parquet"]["group"]) == {"all"}
    assert len(kpis["kpis.parquet"]) == int((res.tables["kpis.parquet"]["group"] == "all").sum())


def test_paired_comparison_and_bands_when_no_group_is_whole() -> None:
    """Every group missing a value: all one by one (the matrix of whole groups is empty)."""
    import numpy as np

    from resurssimalli.experiment.compare import t_intervals

    k = pd.DataFrame(
        {
            "scenario": ["baseline"] * 4 + ["x"] * 4,
            "replication": [0, 1, 0, 1] * 2,
            "month": ["2023-08"] * 8,
            "kpi": ["a", "a", "b", "b"] * 2,
            "group": ["all"] * 8,
            "value": [1.0, np.nan, 2.0, np.nan, 1.5, 2.5, np.nan, 3.0],
        }
    )
    comp = paired_comparison(k)
    assert comp[["kpi", "baseline_mean", "scenario_mean", "diff_mean", "n"]].values.tolist() == [
        ["a", 1.0, 2.0, 0.5, 1],
        ["b", 2.0, 3.0, pytest.approx(np.nan, nan_ok=True), 0],
    ]
    bands = t_intervals(k, ["scenario", "kpi", "month"])
    assert bands["n"].tolist() == [1, 1, 2, 1] and bands["mean"].tolist() == [1.0, 2.0, 2.0, 3.0]


def test_writing_the_memo_needs_no_matplotlib_where_workers_draw() -> None:
    """``run``'s main process writes the memo while its workers draw and write the workbook:
    importing the writer, the memo and the figures' names imports neither matplotlib nor openpyxl
    (over half a second of the run's critical path); a worker's warm-up imports both."""
    code = (
        "import sys\n"
        "import resurssimalli.report.write, resurssimalli.report.figures, resurssimalli.report.memo\n"
        "assert 'matplotlib' not in sys.modules and 'openpyxl' not in sys.modules, 'imported'\n"
        "from resurssimalli.report.write import workers_ready\n"
        "workers_ready()\n"
        "assert 'matplotlib' in sys.modules and 'openpyxl' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
