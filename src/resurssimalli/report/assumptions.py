"""The assumptions table: each scenario parameter, its value in this scenario, unit and source."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import pandas as pd

from resurssimalli.data.assumptions import load_sources
from resurssimalli.scenario.load import Scenario


def flatten(obj: object, prefix: str = "") -> dict[str, object]:
    """Nested mappings → ``{"a.b.c": leaf}``."""
    if isinstance(obj, dict):
        out: dict[str, object] = {}
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: obj}




def leaf_values(scenario: Scenario) -> dict[str, object]:
    cfg = scenario.config.model_dump(
        mode="json", exclude={"name", "name_fi", "name_en", "description", "description_fi", "compare"}
    )
    return flatten(cfg)


def covering_key(key: str, keys: list[str]) -> str | None:
    """The longest table key equal to ``key`` or a prefix of it (by dotted path)."""
    best = None
    for k in keys:
        if (key == k or key.startswith(k + ".")) and (best is None or len(k) > len(best)):
            best = k
    return best


NOT_SET = "(not set)"


def loop_settings() -> dict[str, object]:
    """Rows of the table that are the stress loop's settings, not scenario keys: their defaults,
    read from the code that uses them."""
    from resurssimalli.experiment.stress import CONFIRM_REPLICATIONS, DEFAULT_TOLERANCE_HTV
    from resurssimalli.experiment.stress_units import CAUSE_HOURS_FACTOR

    return {
        "stress.tolerance_htv": DEFAULT_TOLERANCE_HTV,
        "stress.cause_hours_factor": CAUSE_HOURS_FACTOR,
        "stress.confirm_replications": CONFIRM_REPLICATIONS,
    }


def key_values(scenario: Scenario, keys: list[str]) -> dict[str, object]:
    """Each table key's value in the scenario: a leaf, a mapping of its sub-keys, or None if unset."""
    values: dict[str, dict[str, object]] = {}
    for leaf, v in leaf_values(scenario).items():
        k = covering_key(leaf, keys)
        if k is not None:
            values.setdefault(k, {})[leaf[len(k) + 1 :] or ""] = v
    out: dict[str, object] = {}
    for k in keys:
        vals = values.get(k, {})
        out[k] = vals[""] if list(vals) == [""] else (vals or None)
    return out


def assumptions_table(scenario: Scenario) -> pd.DataFrame:
    """One row per table key with the scenario's value(s), unit, status, source and setter."""
    src = load_sources()
    values = key_values(scenario, list(src["key"]))
    values |= {k: v for k, v in loop_settings().items() if values.get(k) is None}
    rows = []
    for r in src.itertuples():
        v = values[r.key]
        if v is None:
            value = NOT_SET
        elif isinstance(v, dict):
            value = json.dumps(v, ensure_ascii=False, default=str)
        else:
            value = str(v)
        setter = scenario.provenance.get(r.key) or next(
            (s for k, s in scenario.provenance.items() if k.startswith(r.key + ".")), ""
        )
        rng = range_text(r.range_kind, r.low, r.high, v) or "not varied"
        set_in = setter.rsplit("/", 1)[-1]
        rows.append((r.key, value, r.unit, r.status, r.source, set_in, rng, r.range_source))
    from resurssimalli.report.pack_notes import pack_rows  # a region pack's defaults and estimates

    rows += [(*row, "region.csv", "not varied", "") for row in pack_rows(scenario.region)]
    cols = ["key", "value", "unit", "status", "source", "set_in", "range", "range_source"]
    return pd.DataFrame(rows, columns=cols)


def _plain(x: float) -> str:
    return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"


def range_text(
    kind: str, low: str, high: str, value: object, fmt: Callable[[float], str] = _plain,
    words: Mapping[str, str] | None = None,
) -> str:  # fmt: skip
    """The range a sensitivity run varies a key over, as text ("" when it is not varied): the
    values themselves where the value is one number, else the factor (×0.75–1.25)."""
    w = {"per_site": "each site", "spread": "difference from 1", **(words or {})}
    if kind == "choice":
        return f"{low} | {high}"
    if kind == "band":
        return f"{fmt(float(value['low']))}–{fmt(float(value['high']))}" if isinstance(value, Mapping) else ""
    if kind not in ("relative", "absolute", "spread", "relative_per_site"):
        return ""
    lo, hi = float(low), float(high)
    if kind == "absolute":
        return f"{fmt(lo)}–{fmt(hi)}"
    if kind == "relative" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{fmt(lo * value)}–{fmt(hi * value)}"
    extra = {"relative_per_site": f" ({w['per_site']})", "spread": f" ({w['spread']})"}.get(kind, "")
    return f"×{fmt(lo)}–{fmt(hi)}{extra}"
