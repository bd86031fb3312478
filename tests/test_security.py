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
FULLWIDTH_FI = "＋cmd|' /C calc'!A0 <script>alert(6)</script>"
FULLWIDTH_EN = '＝HYPERLINK("http://evil.example/fw")'


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory, baseline) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    (d / "baseline.yaml").write_text((ROOT / "scenarios" / "baseline.yaml").read_text(encoding="utf-8"))
    layer = {"extends": "baseline.yaml", "name": NAME, "description": DESCRIPTION}
    layer["description_fi"] = DESCRIPTION_FI
    layer |= {"name_fi": FULLWIDTH_FI, "name_en": FULLWIDTH_EN}  # display names: full-width formula starts
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
    assert len(headings) == len(memo.all_sections())  # the sections (proposal, appendices), nothing forged


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
    texts = [c for c in cells if isinstance(c, str)]
    assert any(c.startswith("'＋cmd") or c.startswith("'＝HYPERLINK") for c in texts)  # full-width: as text


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


# ============================================================================================
# Round 3 (issue 31), rule 4: one neutraliser for text reaching a spreadsheet, a document or a
# terminal; identifiers mixing scripts refused with the code point named.

CONFUSABLE_STARTS = {
    "fullwidth_equals": "＝1+1",
    "fullwidth_plus": "＋cmd|' /C calc'!A0",
    "fullwidth_minus": "－2+3",
    "fullwidth_at": "＠SUM(1)",
    "small_equals": "﹦1+1",
    "small_plus": "﹢1",
    "small_minus": "﹣1+1",
    "superscript_equals": "⁼1",
    "superscript_plus": "⁺1",
    "minus_sign": "−1+2",
}


@pytest.mark.parametrize("case", sorted(CONFUSABLE_STARTS))
def test_confusable_formula_starts_are_neutralised(case: str) -> None:
    text = CONFUSABLE_STARTS[case]
    assert is_formula_like(text) and neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["-1.5", "+3", "1e5", "Kyröskoski", "＝"[:0] + "plain"])
def test_plain_text_and_numbers_are_left_alone(text: str) -> None:
    assert neutralise(text) == text


INVISIBLE = {
    "escape": ("\x1b[2J\x1b[31m", "\\x1b[2J\\x1b[31m"),
    "bell": ("a\x07b", "a\\x07b"),
    "right_to_left_override": ("fdp.exe\u202eTXT", "fdp.exe\\u202eTXT"),
    "first_strong_isolate": ("a\u2068b", "a\\u2068b"),
    "zero_width_space": ("ba\u200bseline", "ba\\u200bseline"),
    "byte_order_mark": ("\ufeffname", "\\ufeffname"),
    "c1_next_line": ("a\x85b", "a\\x85b"),
    "line_separator": ("a\u2028b", "a\\u2028b"),
}


@pytest.mark.parametrize("case", sorted(INVISIBLE))
def test_invisible_characters_are_shown_as_escapes(case: str) -> None:
    from resurssimalli.safety import visible

    raw, shown = INVISIBLE[case]
    assert visible(raw) == shown
    assert raw not in neutralise(raw) and "\\" in neutralise(raw)  # a spreadsheet cell shows it too
    assert raw not in md_text(raw)


def test_visible_bounds_a_message() -> None:
    from resurssimalli.errors import InputError
    from resurssimalli.safety import visible

    assert len(visible("x" * 100_000, 50)) < 100 and visible("x" * 100_000, 50).endswith("(99,950 more characters)")
    e = InputError("f.yaml", "k" * 10_000, "\x1b]0;title\x07" + "y" * 1_000_000)
    assert len(str(e)) < 3_000 and "\x1b" not in str(e) and "\x07" not in str(e)


def test_csv_cells_with_full_width_starts_are_text(tmp_path: Path) -> None:
    from resurssimalli.safety import write_csv

    df = pd.DataFrame({"scenario": list(CONFUSABLE_STARTS.values()), "n": range(len(CONFUSABLE_STARTS))})
    write_csv(df, tmp_path / "x.csv")
    with (tmp_path / "x.csv").open(encoding="utf-8", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert [c for c in cells if is_formula_like(c)] == []
    assert all("'" + v in cells for v in CONFUSABLE_STARTS.values())


@pytest.mark.parametrize(
    "name,code_point",
    [("b\u0430seline", "U+0430"), ("Sastamal\u0430", "U+0430"), ("P\u0430rkano", "U+0430"),
     ("\u039fulu", "U+039F"), ("PARKANＯ", "U+FF2F")],
)
def test_names_mixing_scripts_are_refused_naming_the_code_point(name: str, code_point: str) -> None:
    from resurssimalli.safety import mixed_scripts

    assert code_point in (mixed_scripts(name) or "")
    assert mixed_scripts("Hämeenkyrö – Kyröskoski") is None and mixed_scripts("Москва") is None


# ============================================================================================
# Round 3 (issue 31), rule 5: workbooks read as Excel shows them; limits before parsing; no
# entities; a message naming the cell or sheet.

@pytest.fixture(scope="module")
def template_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from resurssimalli.data.region import load_region
    from resurssimalli.data.workbook import write_inputs_template

    path = tmp_path_factory.mktemp("tpl") / "w.xlsx"
    write_inputs_template(path, load_region())
    return path.read_bytes()


def _sheet_part(data: bytes, sheet: str) -> str:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        book = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet[^>]*name="{sheet}"[^>]*r:id="([^"]+)"', book)
    assert rid, book[:300]
    target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
    assert target
    name = target.group(1) or target.group(2)
    return name.lstrip("/") if name.startswith("/") else "xl/" + name


def _rezip(data: bytes, edits: dict, extra: dict | None = None) -> bytes:
    """The workbook with parts replaced (``edits``: name -> bytes or a function of the old bytes)."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            edit = edits.get(info.filename)
            dst.writestr(info.filename, edit(body) if callable(edit) else edit if edit is not None else body)
        for name, body in (extra or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def _part_edit(sheet: str, edit) -> callable:
    return lambda data: _rezip(data, {_sheet_part(data, sheet): edit})


def _openpyxl_edit(edit) -> callable:
    def apply(data: bytes) -> bytes:
        import io

        book = openpyxl.load_workbook(io.BytesIO(data))
        edit(book)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    return apply


BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><worksheet><sheetData><row r="1"><c r="A1" '
        b't="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>')
EXTERNAL_ENTITY = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                   b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is></c></row>'
                   b'</sheetData></worksheet>')


def _cell_xml(sheet: str, cell: str, xml: bytes):
    """The workbook with one cell's XML replaced (as a file edited outside Excel could hold it)."""
    pattern = rb'<c r="' + cell.encode() + rb'"[^>]*>.*?</c>'
    return _part_edit(sheet, lambda x: re.sub(pattern, lambda m: xml, x, count=1, flags=re.S))


def _huge_cell(data: bytes) -> bytes:
    """A 70 MB cell (compresses to ~70 kB): refused by the decompressed size, before parsing."""
    cell = b'<c r="B2" t="inlineStr"><is><t>' + b"x" * 70_000_000 + b"</t></is></c>"
    return _cell_xml("sites", "B2", cell)(data)


def _million_rows(data: bytes) -> bytes:
    row = b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>Parkano_keskusta_travel_point</t></is></c><c r="D%d"><v>1</v></c></row>'
    body = b"".join(row % (i, i, i) for i in range(1, 1_000_001))
    head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    return _rezip(data, {_sheet_part(data, "travel_times"): head + body + b"</sheetData></worksheet>"})


def _rows_over_limit(data: bytes) -> bytes:
    row = b'<row r="%d"><c r="A%d"><v>%d</v></c></row>'
    body = b"".join(row % (i, i, i) for i in range(1, 100_003))
    head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    return _rezip(data, {_sheet_part(data, "travel_times"): head + body + b"</sheetData></worksheet>"})


def _hide(name: str, state: str):
    def edit(book) -> None:
        ws = book.create_sheet(name) if name not in book.sheetnames else book[name]
        ws.sheet_state = state

    return edit


def _formula(book) -> None:
    book["travel_times"]["D2"] = "=1/2"


def _set_cell(sheet: str, cell: str, value):
    def edit(book) -> None:
        book[sheet][cell] = value

    return edit


WORKBOOK3 = {
    "formula_cell": (_openpyxl_edit(_formula), ("w.xlsx", "travel_times!D2", "formula")),
    "formula_with_stale_cached_value": (
        _cell_xml("travel_times", "D2", b'<c r="D2"><f>1+1</f><v>3</v></c>'), ("travel_times!D2", "formula"),
    ),
    "external_link_formula": (
        lambda data: _rezip(
            _cell_xml("travel_times", "D2", b'<c r="D2"><f>[1]Sheet1!A1</f><v>7</v></c>')(data),
            {}, {"xl/externalLinks/externalLink1.xml": b"<externalLink/>"},
        ),
        ("xl/externalLinks/externalLink1.xml", "links to other workbooks"),
    ),
    "hidden_sheet": (_openpyxl_edit(_hide("notes", "hidden")), ("w.xlsx", "notes", "visible")),
    "very_hidden_sheet": (_openpyxl_edit(_hide("shadow", "veryHidden")), ("shadow", "veryHidden")),
    "read_sheet_very_hidden": (_openpyxl_edit(_hide("sites", "veryHidden")), ("sites", "veryHidden")),
    "entity_bomb": (_part_edit("travel_times", BOMB), ("w.xlsx", "DTD")),
    "external_entity": (_part_edit("travel_times", EXTERNAL_ENTITY), ("w.xlsx", "DTD")),
    "entity_in_shared_strings": (lambda d: _rezip(d, {}, {"xl/sharedStrings.xml": BOMB}), ("sharedStrings.xml", "DTD")),
    "invalid_utf8_in_sheet": (
        _part_edit("travel_times", lambda x: x.replace(b"<sheetData>", b"<sheetData>\xff\xfe", 1)),
        ("w.xlsx", "can be read"),
    ),
    "truncated_sheet_xml": (_part_edit("travel_times", lambda x: x[: len(x) // 2]), ("w.xlsx", "can be read")),
    "shared_string_index_999999": (
        _cell_xml("sites", "A2", b'<c r="A2" t="s"><v>999999</v></c>'), ("w.xlsx", "sites", "can be read"),
    ),
    "cell_of_70_megabytes": (_huge_cell, ("w.xlsx", "unzipped")),
    "travel_sheet_of_a_million_rows": (_million_rows, ("w.xlsx", "unzipped")),
    "travel_sheet_over_the_row_limit": (_rows_over_limit, ("travel_times", "100,000 rows")),
    "too_many_parts": (lambda d: _rezip(d, {}, {f"xl/media/x{i}.bin": b"" for i in range(1_001)}), ("parts",)),
    "text_over_excel_cell_limit": (
        _cell_xml("demand_points", "D2", b'<c r="D2" t="inlineStr"><is><t>' + b"9" * 40_000 + b"</t></is></c>"),
        ("demand_points!D2", "32,767"),
    ),
    "long_text_as_a_number": (
        _openpyxl_edit(_set_cell("demand_points", "D2", "z" * 30_000)), ("demand_points", "customer_share"),
    ),
}


@pytest.mark.parametrize("case", sorted(WORKBOOK3))
def test_workbook_read_as_excel_shows_it(case, template_bytes, tmp_path, monkeypatch, capsys):
    """Via ``show`` (the scenario names the workbook; read before any work): exit 2, the file and
    the cell or sheet named, a bounded message, nothing written."""
    from test_hostile import check, run_cli, scen, snapshot

    build, expect = WORKBOOK3[case]
    (tmp_path / "w.xlsx").write_bytes(build(template_bytes))
    name = scen(tmp_path, "region: {inputs_workbook: w.xlsx}\n")
    before = snapshot(tmp_path)
    code, text = run_cli(["show", name], tmp_path, monkeypatch, capsys)
    check(code, text, expect, before, snapshot(tmp_path))
    assert len(text) < 3_000, text[:500]


def test_the_template_itself_is_read(template_bytes, tmp_path):
    """The checks refuse nothing the tool writes: its own template reads back."""
    from resurssimalli.data.workbook import read_inputs_workbook

    (tmp_path / "w.xlsx").write_bytes(template_bytes)
    wb = read_inputs_workbook(tmp_path / "w.xlsx")
    assert len(wb.travel) > 0 and len(wb.fixed_cost_eur) > 0
