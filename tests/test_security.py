"""Hostile scenario text never becomes live in the memo, the PDF, the workbook or the CSV files.

One real (short) run of a scenario whose name, descriptions and plant-closure name carry
script, event-handler, ``javascript:`` link, Markdown-forging and spreadsheet-formula payloads,
compared with the baseline; then the memo (md, html, pdf) and ``results.xlsx`` are written.
"""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from resurssimalli.experiment.compare import paired_comparison
from resurssimalli.optimize import optimize
from resurssimalli.report import write_report
from resurssimalli.report.memo import build_memo, figure_fetcher, render_pdf
from resurssimalli.report.results import load_run
from resurssimalli.report.texts import Texts
from resurssimalli.report.write import report_files
from resurssimalli.runs import RunFolder
from resurssimalli.safety import is_formula_like, md_text, neutralise, slug
from resurssimalli.scenario import load_scenario
from resurssimalli.simulate import Allocation, simulate

ROOT = Path(__file__).resolve().parents[1]
NAME = '=HYPERLINK("http://evil.example/x","<script>alert(1)</script>")'
DESCRIPTION = (
    "<script>alert('d')</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) "
    '"><svg onload=alert(2)> \n## Forged heading\n<a href="javascript:alert(3)">x</a>'
)
DESCRIPTION_FI = "# Väärä otsikko\n- forged item <iframe src=javascript:alert(4)></iframe>"
CLOSURE = "@SUM(1+1)*cmd|' /C calc'!A0 <b onmouseover=alert(5)>x</b>"


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory, baseline) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    (d / "baseline.yaml").write_text((ROOT / "scenarios" / "baseline.yaml").read_text(encoding="utf-8"))
    layer = {"extends": "baseline.yaml", "name": NAME, "description": DESCRIPTION}
    layer["description_fi"] = DESCRIPTION_FI
    (d / "hostile.yaml").write_text(yaml.safe_dump(layer, allow_unicode=True), encoding="utf-8")
    hostile = load_scenario(d / "hostile.yaml")
    assert hostile.name == NAME and "\n## Forged" in hostile.config.description
    plan = optimize(baseline)
    alloc = Allocation.from_result(plan)
    sims = [simulate(s, alloc, replications=2, months=1) for s in (baseline, hostile)]
    kpis = pd.concat([s.kpis for s in sims], ignore_index=True)
    out = d / "run"
    with RunFolder.new(hostile.name, out, scenario=hostile, command="test") as rf:
        plan.write(rf)
        rf.write_parquet("kpis.parquet", kpis)
        rf.write_csv("comparison.csv", paired_comparison(kpis, baseline.name))
    write_report(out, lang="fi")
    write_report(out, lang="en", pdf=True)
    return out


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_no_live_markup_in_memo_html(hostile_run: Path, lang: str) -> None:
    text = (hostile_run / report_files(hostile_run, lang).html).read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(text)
    assert not {"script", "iframe", "svg", "a", "b"} & set(parser.tags)
    assert [k for k, _ in parser.attrs if k.lower().startswith("on")] == []
    assert not [v for _, v in parser.attrs if v.strip().lower().startswith("javascript:")]
    assert "&lt;script&gt;" in text  # the text is shown, escaped, not dropped


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_no_forged_structure_in_memo_md(hostile_run: Path, lang: str) -> None:
    text = (hostile_run / report_files(hostile_run, lang).md).read_text(encoding="utf-8")
    assert "<script" not in text and "<img" not in text and "<iframe" not in text and "<svg" not in text
    assert not re.search(r"(?<!\\)\]\(javascript:", text)  # an escaped "\](" is no link
    assert not re.search(r"^#+ (Forged heading|Väärä otsikko)", text, flags=re.M)
    assert not re.search(r"^- forged item", text, flags=re.M)
    headings = re.findall(r"^## ", text, flags=re.M)
    memo = build_memo(load_run(hostile_run), Texts(lang))
    assert len(headings) == 1 + len(memo.all_sections())  # summary + the sections, nothing forged


def test_pdf_embeds_nothing_and_fetches_only_figures(hostile_run: Path, tmp_path: Path) -> None:
    pdf = (hostile_run / report_files(hostile_run, "en").pdf).read_bytes()
    assert pdf.startswith(b"%PDF") and b"/EmbeddedFile" not in pdf and b"/JavaScript" not in pdf
    secret = tmp_path / "secret.txt"
    secret.write_text("do not embed")
    fig = hostile_run / "figure_plan_en.png"
    html = (
        f'<html><head><link rel="attachment" href="{secret.as_uri()}"></head><body>'
        f'<a rel="attachment" href="{secret.as_uri()}">x</a><img src="file:///etc/passwd">'
        f'<img src="http://127.0.0.1:9/x.png"><img src="{fig.as_uri()}"></body></html>'
    )
    fetcher = figure_fetcher(hostile_run)
    render_pdf(html, tmp_path / "t.pdf", hostile_run, fetcher=fetcher)
    assert b"/EmbeddedFile" not in (tmp_path / "t.pdf").read_bytes()
    assert fetcher.fetched == [fig.resolve().as_uri()]
    assert set(fetcher.refused) == {secret.as_uri(), "file:///etc/passwd", "http://127.0.0.1:9/x.png"}


def test_no_formula_cell_in_results_xlsx(hostile_run: Path) -> None:
    book = openpyxl.load_workbook(hostile_run / "results.xlsx")
    formulas = [
        (ws.title, c.coordinate)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f" or is_formula_like(c.value)
    ]
    assert formulas == []
    cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert "'" + NAME in cells  # the name is there, as text


def test_no_formula_cell_in_csv_files(hostile_run: Path) -> None:
    for path in hostile_run.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            bad = [c for row in csv.reader(fh) for c in row if is_formula_like(c)]
        assert bad == [], path.name
    rows = list(csv.DictReader((hostile_run / "comparison.csv").open(encoding="utf-8")))
    assert rows and {r["scenario"] for r in rows} == {"'" + NAME}


def test_hostile_name_stays_inside_results(tmp_path: Path) -> None:
    root = tmp_path / "results"
    for name in ("../../escape", "/etc/passwd", "..", ".hidden", "a/b\\c", "x" * 500, "CON", "\x00\n"):
        rf = RunFolder.new(name, root=root)
        with rf:
            rf.write_text("a.txt", "x")
        assert rf.final.parent == root and not rf.final.name.startswith(".")
        assert len(rf.final.name) <= 48 + 24
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_helpers() -> None:
    assert slug("Hämeenkyrö / tehdas ../x") == "Hameenkyro-tehdas-.-x"
    assert slug("../..") == "scenario" and slug("x" * 100) == "x" * 48
    assert neutralise("=1+1") == "'=1+1" and neutralise("-1.5") == "-1.5" and neutralise(-2) == -2
    assert neutralise("\tx") == "'\tx" and neutralise("plain") == "plain"
    assert md_text("# h\n<b>x</b> [a](b)") == "\\# h &lt;b&gt;x&lt;/b&gt; [a\\](b)"
