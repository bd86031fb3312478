"""What a region pack rests on, in words: the memo's opening line and the assumptions table's rows.

A pack's ``region.csv`` (:mod:`resurssimalli.data.regioninfo`) has one row per default or
estimate ``resurssimalli region init`` made; the seed area's has none.
"""

from __future__ import annotations

from resurssimalli.data.region import Region
from resurssimalli.report.texts import Texts

ASSUMPTION_KEY = "region.pack"  # the assumptions table shows the pack's rows as region.pack.<key>


def pack_line(region: Region, t: Texts) -> str | None:
    """The memo's opening line naming the pack's defaults and estimates (None for the seed area)."""
    info = region.info
    if not info.is_pack:
        return None
    notes = []
    for r in info.notes:
        if r.key == "jobseekers_month":  # the line names it
            continue
        key = f"pack_note_{r.key}"
        kind = t("pack_note_staff_estimate") if r.status == "derived" else t("pack_note_staff_given")
        notes.append(t(key, value=_shown(r.value, t.lang), kind=kind))
    area = region.name.split(" (")[0] if t.lang == "fi" else info.get("name_en")
    return t("line_pack", area=area, month=t.month(info.get("jobseekers_month")), notes="; ".join(notes))


def pack_rows(region: Region, lang: str = "en") -> list[tuple[str, str, str, str, str]]:
    """The pack's rows for the assumptions table: key, value, unit, status, source (in ``lang``)."""
    return [
        (
            f"{ASSUMPTION_KEY}.{r.key}",
            _shown(r.value, lang),
            "-",
            r.status,
            r.source_fi if lang == "fi" else r.source,
        )
        for r in region.info.notes
    ]


def _shown(value: str, lang: str) -> str:
    """A decimal number with a decimal comma in Finnish (``1.335`` -> ``1,335``); other text as is."""
    try:
        float(value)
    except ValueError:
        return value
    return value.replace(".", ",") if lang == "fi" else value
