"""The assumptions a sensitivity run varies: one :class:`Factor` per ranged row of the
assumptions table (``data/assumptions.csv``), each turning a number x from its range into the
scenario override (``--set`` path and value) that x stands for.

Kinds (the table's ``range_kind``): ``relative`` multiplies every number of the scenario's value by
x; ``absolute`` sets the value to x; ``spread`` multiplies each number's difference from 1 (a
shape around 1, such as the inflow's seasonality) by x; ``band`` sets the value the simulation
uses of an effect band (``outcomes.<effect>.<effect_size>``) to x between the band's own low and
high; ``choice`` picks one of the alternatives (x in [0, 1]); ``relative_per_site`` is one
relative factor per candidate site's annual cost. Integers stay integers (rounded).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from resurssimalli.data.assumptions import RANGE_KINDS, load_sources
from resurssimalli.errors import InputError
from resurssimalli.scenario.load import Scenario

SOURCE = "data/assumptions.csv"


@dataclass(frozen=True)
class Factor:
    """One varied assumption: x in [low, high] (SALib's bounds) sets ``path`` to ``value(x)``."""

    name: str  # the factor's id: the table key, or key.<site> for a site's cost
    key: str  # the assumptions table's row
    path: str  # the scenario key the override sets
    kind: str
    low: float
    high: float
    base: Any  # the scenario's value at ``path``
    options: tuple[Any, ...] = ()  # a choice's alternatives
    range_source: str = ""

    def value(self, x: float) -> Any:
        """The scenario value x stands for (the scenario's own value, exactly, at ``base_x``)."""
        if x == self.base_x:
            return self.base
        if self.kind == "choice":
            return self.options[_choice_index(x, len(self.options))]
        if self.kind in ("absolute", "band"):
            return _like(self.base, x)
        if self.kind == "spread":
            return _map_numbers(self.base, lambda v: 1.0 + (v - 1.0) * x)
        return _map_numbers(self.base, lambda v: v * x)

    @property
    def base_x(self) -> float:
        """The x that gives the scenario's own value."""
        if self.kind == "choice":
            return self.options.index(self.base) / (len(self.options) - 1)
        if self.kind in ("absolute", "band"):
            return float(self.base)
        return 1.0

    @property
    def integer(self) -> bool:
        """Whether the value is whole numbers (a search over it stops at neighbouring integers)."""
        nums = list(_numbers(self.base))
        return self.kind != "choice" and bool(nums) and all(isinstance(v, int) for v in nums)


def _choice_index(x: float, n: int) -> int:
    return min(n - 1, max(0, int(round(x * (n - 1)))))


def _numbers(v: Any) -> Iterable[Any]:
    if isinstance(v, bool):
        return
    if isinstance(v, (int, float)):
        yield v
    elif isinstance(v, Mapping):
        for x in v.values():
            yield from _numbers(x)
    elif isinstance(v, (list, tuple)):
        for x in v:
            yield from _numbers(x)


def _like(base: Any, x: float) -> Any:
    """x as the base's type: an integer rounded, a float as it is."""
    return int(round(x)) if isinstance(base, int) and not isinstance(base, bool) else float(x)


def _map_numbers(v: Any, fn: Any) -> Any:
    """Every number of a value (through mappings and lists) through ``fn``; other leaves kept."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return _like(v, fn(float(v)))
    if isinstance(v, Mapping):
        return {k: _map_numbers(x, fn) for k, x in v.items()}
    return [_map_numbers(x, fn) for x in v]


def scenario_value(scenario: Scenario, path: str) -> Any:
    """The resolved scenario's value at a dotted path (JSON types), or None when it is unset."""
    node: Any = scenario.config.model_dump(mode="json")
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _number(row: Any, col: str) -> float:
    try:
        return float(getattr(row, col))
    except ValueError:
        raise InputError(SOURCE, f"{row.key}.{col}", f"a number for a {row.range_kind} range") from None


def _row_factors(row: Any, scenario: Scenario) -> list[Factor]:
    """The factors one ranged row of the table gives for this scenario (none when it is unset)."""
    kind, key, src = row.range_kind, row.key, row.range_source
    if kind == "relative_per_site":
        lo, hi = _number(row, "low"), _number(row, "high")
        costs = scenario_value(scenario, key) or {}
        return [
            Factor(f"{key}.{s}", key, f"{key}.{s}", "relative", lo, hi,
                   float(costs.get(s, site.fixed_cost_eur)), range_source=src)
            for s, site in scenario.region.sites.items()
        ]  # fmt: skip
    if kind == "band":
        band = scenario_value(scenario, key)
        size = scenario_value(scenario, "outcomes.effect_size")
        if not isinstance(band, Mapping) or not band:
            return []
        return [Factor(key, key, f"{key}.{size}", kind, float(band["low"]), float(band["high"]),
                       float(band[size]), range_source=src)]  # fmt: skip
    base = scenario_value(scenario, key)
    if base is None or base == {} or base == []:
        return []
    if kind == "choice":
        options = tuple(dict.fromkeys(_choice_options(row.low, base, row.high)))
        return [Factor(key, key, key, kind, 0.0, 1.0, base, options, src)]
    factor = Factor(key, key, key, kind, _number(row, "low"), _number(row, "high"), base, range_source=src)
    if not factor.low < factor.high:
        raise InputError(SOURCE, f"{key}.low", f"a low below the high ({factor.low} >= {factor.high})")
    return [factor]


def _choice_options(low: str, base: Any, high: str) -> list[Any]:
    """The alternatives in the table's order, the scenario's own value between them if not one."""
    typed = [type(base)(v) if not isinstance(base, bool) else v == "true" for v in (low, high)]
    return [typed[0], base, typed[1]] if base not in typed else typed


def factors(scenario: Scenario, only: Sequence[str] | None = None) -> list[Factor]:
    """Every factor of the scenario's ranged assumptions, in the table's order; ``only`` keeps the
    named ones (factor names or table keys; an unknown name is an error)."""
    table = load_sources()
    bad = sorted(set(table["range_kind"]) - set(RANGE_KINDS))
    if bad:
        raise InputError(SOURCE, "range_kind", f"one of {', '.join(RANGE_KINDS)}; got {bad}")
    out = [
        f
        for row in table.itertuples(index=False)
        if row.range_kind != "fixed"
        for f in _row_factors(row, scenario)
    ]
    if only is None:
        return out
    unknown = [n for n in only if not any(n in (f.name, f.key) for f in out)]
    if unknown:
        raise InputError("--factor", unknown[0], "a ranged assumption (resurssimalli assumptions lists them)")
    return [f for f in out if f.name in only or f.key in only]


def overrides(factors_: Sequence[Factor], xs: Sequence[float], base: Mapping | None = None) -> dict:
    """The nested override mapping (as ``--set`` gives it) for the factors at ``xs``, on top of
    ``base`` (the run's own ``--set`` overrides)."""
    out: dict = _deep_copy(base or {})
    for f, x in zip(factors_, xs, strict=True):
        node = out
        parts = f.path.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = f.value(float(x))
    return out


def _deep_copy(m: Mapping) -> dict:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in m.items()}


def set_overrides(scenario: Scenario) -> dict:
    """The scenario's own ``--set`` overrides as a nested mapping (re-applied to every sample)."""
    out: dict = {}
    for key, source in scenario.provenance.items():
        if source != "--set":
            continue
        node = out
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = scenario_value(scenario, key)
    return out
