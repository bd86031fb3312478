"""Issue 27: the board decides from two pages, local failures are named, what-ifs show what changes.

One short real run (2 replications of 2 months, the baseline and one compared scenario, closing
Kihniö's service point as a what-if) feeds every check; no simulation figure is written here by
hand: each expectation is read from the run's own tables.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from resurssimalli.errors import InputError
from resurssimalli.scenario import load_scenario

FI_HEADINGS = ("Päätösehdotus", "Perustelut", "Talousvaikutukset", "Riskit ja epävarmuus")


@pytest.fixture(scope="module")
def run(tmp_path_factory, baseline, scenario_dir):
    from resurssimalli.pipeline import run_pipeline
    from resurssimalli.report import write_report

    out = tmp_path_factory.mktemp("proposal") / "run"
    done = run_pipeline(
        baseline, out, compare=[load_scenario(scenario_dir / "recession.yaml")], replications=2, months=2,
        jobs=1, pareto=None, what_if=[("site", "Kihnio_point")],
    )  # fmt: skip
    write_report(done.folder, lang="fi", pdf=True)
    write_report(done.folder, lang="en")
    return done


def _pages(pdf: Path) -> list[str]:
    """The PDF's text page by page (as WeasyPrint lays out the memo's HTML, the PDF's source)."""
    import weasyprint

    html = pdf.with_suffix(".html").read_text(encoding="utf-8")
    doc = weasyprint.HTML(string=html).render()

    def text(box) -> str:  # noqa: ANN001
        out = [box.text] if getattr(box, "text", None) else []
        for child in getattr(box, "children", []) or []:
            out.append(text(child))
        return " ".join(out)

    return [text(p._page_box).replace("\u00ad", "") for p in doc.pages]


def test_the_finnish_memo_opens_with_the_four_sections_on_two_pages(run) -> None:
    assert (run.folder / "memo.pdf").stat().st_size > 0
    pages = _pages(run.folder / "memo.pdf")
    first_two = " ".join(pages[:2])
    for heading in FI_HEADINGS:
        assert heading in first_two, heading
    appendices = next(i for i, p in enumerate(pages) if "Liitteet" in p.split())
    assert appendices == 2, "the proposal must end on page 2 (the appendices start on a new page)"
    md = (run.folder / "memo.md").read_text(encoding="utf-8")
    order = [md.index(f"## {h}") for h in FI_HEADINGS]
    assert order == sorted(order) and order[-1] < md.index("# Liitteet")


def _model_ids(s) -> set[str]:  # noqa: ANN001
    """Ids a Finnish reader must never see: lines, sites, areas, KPIs, scenarios, site kinds and
    English months (only the ids that differ from every Finnish display name)."""
    from resurssimalli.scenario.schema import KPI_NAMES, SERVICE_LINES

    region = s.region
    ids = {*SERVICE_LINES, "employer_services", "centralised", *region.sites, *KPI_NAMES}
    ids |= {a for a in region.areas if a not in {x.name for x in region.areas.values()}}
    ids |= {m for m, x in region.municipalities.items() if m != x.name}
    ids |= {"baseline", "recession", "office", "service_point", "popup", "july", "january", "summer_leave"}
    ids |= {x.name for x in region.sites.values()}  # English site names ("Parkano office")
    return ids


def test_no_english_id_in_the_finnish_memo(run, baseline) -> None:
    md = (run.folder / "memo.md").read_text(encoding="utf-8")
    prose = re.sub(r"`[^`]*`", " ", md)  # code spans are keys and commands a planner types
    found = sorted(
        i for i in _model_ids(baseline) if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", prose, re.I)
    )
    assert found == []


def test_the_subtitle_says_the_runs_htv(tmp_path) -> None:
    from resurssimalli.pipeline import run_pipeline
    from resurssimalli.report.texts import Texts

    s = load_scenario(Path(__file__).parents[1] / "scenarios/baseline.yaml", {"staff": {"total_htv": 30.66}})
    done = run_pipeline(s, tmp_path / "r", replications=1, months=1, jobs=1, pareto=None, htv_value=False)
    md = (done.folder / "memo.md").read_text(encoding="utf-8")
    subtitle = md.splitlines()[2]
    assert Texts("fi").num(30.66, 2) in subtitle and "32,66" not in subtitle


def test_closing_kihnios_service_point_names_the_site_that_opens_instead(run, baseline) -> None:
    from resurssimalli.report.names import Names
    from resurssimalli.report.texts import Texts

    plans = pd.read_csv(run.folder / "what_if_plans.csv", keep_default_na=False)
    by_change = plans.set_index("change")
    replaced = by_change.loc["close_site"]
    assert replaced["sites_closed"] == "Kihnio_point"
    opened = replaced["sites_opened"].split()
    assert opened, "the re-optimised plan keeps a presence in Kihniö: it opens a site instead"
    assert by_change.loc["close_site_only", "sites_opened"] == ""  # no replacement: nothing opens
    for lang, file in (("fi", "memo.md"), ("en", "memo.en.md")):
        md = (run.folder / file).read_text(encoding="utf-8")
        names = Names(baseline.region, Texts(lang))
        block = md.split("<!-- table: what_if_plans -->")[1].split("\n\n")[1]
        rows = [
            ln
            for ln in block.splitlines()
            if ln.startswith("|") and names.site("Kihnio_point") in ln.split("|")[1]
        ]
        row = next(ln for ln in rows if "ilman" not in ln and "no replacement" not in ln)
        for site in opened:
            assert names.site(site) in row
        assert re.search(r"[+−-]\d", row.split("|")[3])  # the change in the municipalities' cost


def test_a_finnish_site_name_is_accepted_and_errors_list_finnish_names(baseline) -> None:
    from resurssimalli.cli import resolve_what_if
    from resurssimalli.experiment.outcomes import resolve_place

    assert resolve_place(baseline, "Kihniön palvelupiste") == ("site", "Kihnio_point")
    assert resolve_place(baseline, "kihnion palvelupiste (kunnan asiointipiste)") == ("site", "Kihnio_point")
    assert resolve_place(baseline, "Sastamala office") == ("site", "Sastamala_office")
    with pytest.raises(InputError) as e:
        resolve_what_if(baseline, ["Tampere"], lang="fi")
    assert "Kihniön palvelupiste" in str(e.value) and "Kihniö service point" not in str(e.value)


def test_local_verdicts_name_the_worst_place_and_month(run, baseline) -> None:
    """summary.csv: beside each whole-area horizon row, the municipality or area whose month does
    worst; the same place as a search of the places' monthly rows gives."""
    s = pd.read_csv(run.folder / "summary.csv")
    kpi = "initial_interview_on_time_share"
    row = s[
        (s["scenario"] == baseline.name)
        & (s["kpi"] == kpi)
        & (s["group"] == "all")
        & (s["period"] == "horizon")
    ]
    months = s[(s["scenario"] == baseline.name) & (s["kpi"] == kpi) & ~s["period"].isin(["horizon", "worst"])]
    local = months[
        months["group"].isin(list(baseline.region.municipalities)) | months["group"].str.startswith("area:")
    ]
    worst = local.loc[local["mean"].idxmin()]
    assert row["worst_place"].iloc[0] == worst["group"] and row["worst_place_month"].iloc[0] == worst["month"]


def test_worst_places_pick_the_worst_verdict_then_value() -> None:
    from resurssimalli.scenario.schema import Target
    from resurssimalli.simulate.verdicts import judge_local, worst_places

    rows = []
    for group, means in (
        ("all", (0.95, 0.93)),
        ("A", (0.96, 0.60)),
        ("B", (0.91, 0.92)),
        ("area:X", (0.97, 0.95)),
    ):
        for month, mean in zip(("2024-01", "2024-02"), means, strict=True):
            rows.append(
                (
                    "s",
                    "initial_interview_on_time_share",
                    group,
                    month,
                    month,
                    mean,
                    mean - 0.01,
                    mean + 0.01,
                    5,
                )
            )
        rows.append(("s", "initial_interview_on_time_share", group, "horizon", "", sum(means) / 2, 0, 1, 5))
    cols = ["scenario", "kpi", "group", "period", "month", "mean", "ci_low", "ci_high", "n"]
    summary = pd.DataFrame(rows, columns=cols)
    target = Target(kpi="initial_interview_on_time_share", op=">=", value=0.9)
    local = judge_local(summary, {"s": [target]}, ["A", "B"])
    assert set(local["group"]) == {"A", "B", "area:X"}
    worst = worst_places(local)
    assert len(worst) == 1 and worst["group"].iloc[0] == "A" and worst["period"].iloc[0] == "2024-02"


def test_the_workbook_has_units_in_finnish_no_text_stand_ins_and_labelled_groups(run, baseline) -> None:
    """results.xlsx (Finnish): no cell holds a dash for a missing value, the assumptions' units are
    Finnish, and every KPI group is shown by its kind and display name (never ``queue:<id>``)."""
    import openpyxl

    from resurssimalli.report.texts import Texts

    wb = openpyxl.load_workbook(run.folder / "results.xlsx", read_only=True)
    stand_ins = [
        (ws.title, v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
        if isinstance(v, str) and v.strip().lstrip("'") in ("-", "–", "—")
    ]  # fmt: skip
    assert stand_ins == []
    t = Texts("fi")
    rows = list(wb[t("xlsheet_assumptions")].iter_rows(values_only=True))
    unit = rows[0].index(t("xlcol_unit")) if t("xlcol_unit") in rows[0] else 2
    units = {r[unit] for r in rows[1:] if r[unit]}
    assert "kk" in units and "months" not in units and "date" not in units
    kpis = list(wb[t("xlsheet_kpi_summary")].iter_rows(values_only=True))
    head = kpis[0]
    kind, group = head.index(t("xlcol_group_type")), head.index(t("xlcol_group"))
    shown = {(r[kind], r[group]) for r in kpis[1:]}
    assert not any(":" in str(g) and str(g).split(":")[0] in ("queue", "area") for _, g in shown)
    assert (t("gtype_queue"), t("stressloop_queue_area", area="Hämeenkyrö")) in shown
