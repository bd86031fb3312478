"""The decision memo: a language-neutral document built from a run, rendered by jinja2 templates.

* :mod:`.document` — the document model (:class:`Memo`, :class:`Section`, :class:`Table` with
  its :class:`Column` specs, :class:`Para`, :class:`Bullets`, :class:`Figure`);
* :mod:`.facts` — what the memo says, computed once from the run (:func:`collect_facts`);
* :mod:`.summary`, :mod:`.body`, :mod:`.appendix` — the section builders;
* :mod:`.render` — Markdown, HTML and PDF.

:func:`build_memo` puts them together. ``BODY`` and ``APPENDICES`` list the section builders
in order: to add a section, write a function ``Facts -> Section | None`` (``None`` leaves it
out) and add it to one of the lists (see ``/work/notes/out-to-all.md`` in the project notes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from resurssimalli.report.memo import appendix, body
from resurssimalli.report.memo.document import Block, Bullets, Column, Figure, Memo, Para, Section, Table
from resurssimalli.report.memo.facts import (  # noqa: F401 - re-exported
    Facts,
    collect_facts,
    kpi_ci,
    kpi_diff,
    kpi_diff_ci,
    kpi_value,
    verdict_text,
)
from resurssimalli.report.memo.proposal import PROPOSAL
from resurssimalli.report.memo.render import (
    figure_fetcher,
    inline_html,
    md_cell,
    render_html,
    render_markdown,
    render_pdf,
)
from resurssimalli.report.results import RunResults
from resurssimalli.report.texts import Texts

SectionBuilder = Callable[[Facts], Section | None]

def _outcomes(f: Facts) -> Section | None:
    from resurssimalli.report.outcomes_section import outcomes_section

    return outcomes_section(f.res, f.t)


def _stress_loop(f: Facts) -> Section | None:
    from resurssimalli.report.memo.stress_loop import stress_loop

    return stress_loop(f)


def _sensitivity(f: Facts) -> Section | None:
    from resurssimalli.report.sensitivity import section

    return section(f.res, f.names, f.figure("tornado"))


def _leave(f: Facts) -> Section | None:
    from resurssimalli.report.memo.leave import leave_section

    return leave_section(f)


# the decision proposal (two printed pages), then every other section as a lettered appendix
BODY: list[SectionBuilder] = list(PROPOSAL)


def _calibration(f: Facts) -> Section | None:
    from resurssimalli.report.calibration_appendix import calibration_section

    return calibration_section(f.res, f.t, f.suppression)


APPENDICES: list[SectionBuilder] = [
    body.plan, body.costs, body.access, body.stress, _leave, _stress_loop, _outcomes, _sensitivity,
    body.front,
    appendix.stress_details,
    appendix.comparison,
    appendix.customers,
    _calibration,
    appendix.assumptions,
    appendix.limits,
    appendix.provenance,
]


def _built(builders: list[SectionBuilder], f: Facts) -> list[Section]:
    return [s for s in (b(f) for b in builders) if s is not None]


def _lettered(sections: list[Section], label: str) -> list[Section]:
    """Appendix titles ``Liite A. …``, ``Liite B. …`` in order."""
    return [
        dataclasses.replace(s, title=f"{label} {chr(ord('A') + i)}. {s.title}")
        for i, s in enumerate(sections)
    ]


def build_memo(
    res: RunResults, t: Texts, figures: Mapping[str, str] | None = None, *, suppression: bool = True
) -> Memo:
    """The memo as a document; ``figures`` maps figure key -> file name in the run folder."""
    f = collect_facts(res, t, figures, suppression=suppression)
    appendices = _built(APPENDICES, f)
    letters = {a.id: chr(ord("A") + i) for i, a in enumerate(appendices)}
    f = dataclasses.replace(f, extra={**f.extra, "letters": letters})  # the proposal cites them
    s = res.scenario
    return Memo(
        lang=t.lang,
        title=t("title"),
        subtitle=t("subtitle_htv", scenario=f.names.scenario(s.name), htv=t.num(s.config.staff.total_htv, 2)),
        byline=t(
            "for_board",
            version=res.manifest.get("versions", {}).get("resurssimalli", "?"),
            date=t.date(str(res.manifest.get("started_utc", ""))[:10] or None),
        ),
        summary_title="",
        summary=[],
        sections=_built(BODY, f),
        appendix_title=t("sec_appendices"),
        appendices=_lettered(appendices, t("appendix_label")),
    )


__all__ = [
    "APPENDICES",
    "BODY",
    "Block",
    "Bullets",
    "Column",
    "Facts",
    "Figure",
    "Memo",
    "Para",
    "Section",
    "Table",
    "build_memo",
    "collect_facts",
    "inline_html",
    "kpi_ci",
    "kpi_diff",
    "kpi_diff_ci",
    "kpi_value",
    "figure_fetcher",
    "md_cell",
    "render_html",
    "render_markdown",
    "render_pdf",
]
