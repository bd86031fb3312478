"""Scenario values as a reader writes them: no Python reprs, names instead of ids, local numbers.

``True`` is *kyllä*/*yes*, ``None`` *ei asetettu*/*not set*, ``2023-08-01`` is ``1.8.2023``,
``{"youth": 8.0}`` is ``nuoret 8``; targets read ``alkuhaastattelu määräajassa (osuus) ≥ 90,0 %``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from resurssimalli.report.memo.facts import target_text
from resurssimalli.report.names import Names
from resurssimalli.scenario.schema import KPI_NAMES, SERVICE_LINES

SOURCE_KEYS = ("source",)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
# prefixes of the texts table tried for a word found in a scenario value
_NAME_PREFIXES = ("split", "kind", "key", "objective", "band", "choice")
_LINES = (*SERVICE_LINES, "employer_services", "centralised")


def _word(names: Names, word: str) -> str:
    t = names.t
    if word in _LINES:
        return names.line(word)
    if word in KPI_NAMES:
        return names.kpi(word)
    for prefix in _NAME_PREFIXES:
        shown = t.name(prefix, word)
        if shown != word:
            return shown
    for lookup in (names.municipality, names.site, names.point, names.area):
        shown = lookup(word)
        if shown != word:
            return shown
    return word


def _number(names: Names, x: float) -> str:
    if float(x).is_integer():
        return names.t.num(x, 0)
    decimals = min(4, max(1, len(f"{x:.6g}".split(".")[-1]) if "." in f"{x:.6g}" else 0))
    return names.t.num(x, decimals)


def _target(names: Names, v: Mapping[str, Any]) -> str:
    t = names.t
    text = f"{names.kpi(str(v['kpi']))} {target_text(t, str(v['op']), str(v['kpi']), float(v['value']))}"
    group = str(v.get("group", "all"))
    return text if group == "all" else f"{text} ({names.group(group)})"


def show_value(names: Names, value: Any) -> str:
    """A scenario value (possibly nested) as text in the reader's language."""
    t = names.t
    if value is None:
        return t("value_not_set")
    if isinstance(value, bool):
        return t("value_yes") if value else t("value_no")
    if isinstance(value, int | float):
        return _number(names, value)
    if isinstance(value, str):
        if _DATE.match(value):
            return t.date(value)
        if _MONTH.match(value):
            return t.month(value)
        return _word(names, value)
    if isinstance(value, Mapping):
        if {"kpi", "op", "value"} <= set(value):
            return _target(names, value)
        if not value:
            return t("value_none")
        items = [(k, v) for k, v in value.items() if k not in SOURCE_KEYS]  # sources: the source column
        return "; ".join(f"{_word(names, str(k))}: {show_value(names, v)}" for k, v in items)
    if isinstance(value, list | tuple):
        if not value:
            return t("value_none")
        numbers = all(isinstance(v, int | float) for v in value)
        return ("; " if numbers and t.lang == "fi" else ", ").join(show_value(names, v) for v in value)
    return str(value)


def show_table_value(names: Names, text: str) -> str:
    """A value as the assumptions table stores it (JSON for mappings, ``str`` otherwise)."""
    if text in ("(not set)", "None"):
        return names.t("value_not_set")
    if text in ("True", "False"):
        return show_value(names, text == "True")
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = json.loads(text.replace("'", '"'))
        except ValueError:
            return show_value(names, text)
    return show_value(names, value)
