"""What one more HTV is worth, in the memo's words: the shadow price per area *before* the extra
HTV's salary, the range of extra HTV over which it holds, and what one whole HTV more / fewer
changes when the plan is re-optimised (``summary.json``: ``shadow_price_htv``,
``shadow_price_htv_valid_for_extra_htv``, ``htv_value``; see ``optimize/shadow.py``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from resurssimalli.report.texts import Texts


def _bound(x: float | None, t: Texts, sign: str) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return f"{sign}∞"
    text = t.num(x, 2)
    return text if text.startswith(("-", "−")) or float(x) == 0 else f"+{text}"


def valid_range(lo: float | None, hi: float | None, t: Texts) -> str:
    """``−0.35 … +0.09``: the extra HTV (negative: fewer) over which the marginal holds."""
    return f"{_bound(lo, t, '−')} … {_bound(hi, t, '+')}".replace("-", "−")


def marginal_rows(summary: Mapping[str, Any], t: Texts, area_name) -> list[list[str]]:  # noqa: ANN001
    """Area, EUR a year per extra HTV before its salary, the range it holds for; None-valued skipped."""
    ranges = summary.get("shadow_price_htv_valid_for_extra_htv") or {}
    prices = summary.get("shadow_price_htv") or {}
    if not isinstance(prices, Mapping):
        prices = {"all": prices}
    rows = []
    for a, p in prices.items():
        if p is None:
            continue
        lo, hi = (list(ranges.get(a) or []) + [None, None])[:2]
        rows.append([area_name(str(a)), t.num(float(p), 0), valid_range(lo, hi, t)])
    return rows


def marginal_texts(summary: Mapping[str, Any], t: Texts, salary_eur: float) -> list[str]:
    """The paragraph above the table and, when the run re-solved with a whole HTV, its sentence."""
    out = [t("marginal_text", salary=t.num(salary_eur, 0))]
    value = summary.get("htv_value")
    if value:
        fmt = lambda x: t("marginal_not_proven") if x is None else t.num(x, 0)  # noqa: E731
        more, fewer = fmt(value.get("one_more_eur")), fmt(value.get("one_fewer_eur"))
        out.append(t("marginal_whole", more=more, fewer=fewer))
    return out
