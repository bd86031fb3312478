"""Read a scenario file: YAML → ``extends:`` chain → merge → pydantic → cross-check with the region.

Precedence (lowest to highest), documented in the README and shown by ``resurssimalli show``:

1. the root scenario of the ``extends:`` chain (normally ``baseline.yaml``);
2. each file that extends it, in order: mappings merge key by key, while lists and scalars
   are replaced whole;
3. ``--set key.path=value`` overrides given on the command line.

A key written twice in one file (or given twice with ``--set``) is an error, as is a cycle of
``extends:``. ``name``, ``name_fi``, ``name_en``, ``description``, ``description_fi`` and
``compare`` are never inherited: the name defaults to the file stem. Overrides (``--set``) of
any of them are kept.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from resurssimalli.data.calibration import calibration_for
from resurssimalli.data.jobseekers import JOBSEEKER_DIR, Snapshot, load_snapshot
from resurssimalli.data.region import Region, load_region
from resurssimalli.errors import InputError, InputErrors
from resurssimalli.frozen import FrozenMap
from resurssimalli.reading import existing_file, read_text
from resurssimalli.scenario.schema import ScenarioConfig

log = logging.getLogger(__name__)
NOT_INHERITED = ("name", "name_fi", "name_en", "description", "description_fi", "compare", "extends")
MAX_SCENARIO_BYTES = 1_000_000
MAX_SET_DEPTH = 12  # the deepest scenario key has 4 parts


@dataclass(frozen=True)
class Override:
    """One key a file (or ``--set``) changed relative to what it extends."""

    source: str
    key: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Scenario:
    """A validated scenario together with its region; what every later stage takes."""

    name: str
    path: Path
    config: ScenarioConfig
    region: Region
    hash: str
    chain: tuple[str, ...]
    provenance: Mapping[str, str]
    overrides: tuple[Override, ...]

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def jobseekers(self) -> Snapshot | None:
        """The official job-seeker snapshot ``demand.jobseekers`` names (None without one)."""
        js = self.config.demand.jobseekers
        if js is None:
            return None
        path = jobseekers_file(self.config, lambda key: self.provenance.get(key, str(self.path)))
        return _snapshot(str(path), js.month, tuple(sorted(self.region.municipalities)))


# ---------------------------------------------------------------------------------------------
# YAML with duplicate-key detection


class _UniqueKeyLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a name, not a {type(key).__name__}", key_node.start_mark
            )
        if key in seen:
            raise _DuplicateKey(str(key), seen[key] + 1, key_node.start_mark.line + 1, node)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


class _DuplicateKey(Exception):
    def __init__(self, key: str, first: int, second: int, mapping: yaml.MappingNode | None = None) -> None:
        self.key, self.first, self.second, self.mapping = key, first, second, mapping

    def path(self, root: yaml.Node | None) -> str:
        """The key's dotted path (``staff.total_htv``): the mapping that holds it found in ``root``
        (a fresh composition of the text: found by where it starts)."""
        if root is None or self.mapping is None:
            return self.key
        mark = self.mapping.start_mark
        trail = _find(root, (mark.line, mark.column))
        return ".".join([*trail, self.key]) if trail else self.key


def _find(node: yaml.Node, target: tuple[int, int], depth: int = 0) -> list[str] | None:
    """The keys leading from ``node`` to the mapping starting at ``target`` (line, column)."""
    if isinstance(node, yaml.MappingNode) and (node.start_mark.line, node.start_mark.column) == target:
        return []
    if depth > 100 or not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        return None
    children = node.value if isinstance(node, yaml.MappingNode) else [(None, v) for v in node.value]
    for i, (k, v) in enumerate(children):
        below = _find(v, target, depth + 1)
        if below is not None:
            label = str(k.value) if isinstance(k, yaml.ScalarNode) else f"[{i}]"
            return [label, *below]
    return None


MAX_YAML_VALUES = 200_000  # values after aliases are expanded; a real scenario has a few hundred


def _check_expanded_size(data: Any, path: Path | str) -> None:
    """Refuse YAML whose aliases expand to more than :data:`MAX_YAML_VALUES` values (an alias
    bomb parses in no time but every later walk over it would run for hours)."""
    count, stack = 0, [data]
    while stack:
        item = stack.pop()
        count += 1
        if count > MAX_YAML_VALUES:
            expected = f"at most {MAX_YAML_VALUES:,} values once aliases (*name) are expanded"
            raise InputError(path, "<file>", expected)
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _construct_timestamp(loader: _UniqueKeyLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as exc:  # 2025-02-30: a date that does not exist
        raise yaml.constructor.ConstructorError(
            None, None, f"a date that exists; {node.value!r}: {exc}", node.start_mark
        ) from None


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def read_yaml(path: Path) -> dict:
    """Parse one YAML mapping; duplicate keys and syntax errors become :class:`InputError`."""
    text = read_text(path, "scenario file", limit=MAX_SCENARIO_BYTES)
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506
    except _DuplicateKey as e:
        key = e.path(_compose(text))
        raise InputError(path, key, f"each key once; set twice (lines {e.first} and {e.second})") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}" if mark is not None else "<file>"
        raise InputError(path, where, f"valid YAML ({e.problem or e.context})") from None
    except yaml.YAMLError as e:
        raise InputError(path, "<file>", f"valid YAML ({e})".replace("\n", " ")) from None
    except RecursionError:
        raise InputError(path, "<file>", "valid YAML (nested too deeply)") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(path, "<root>", f"a mapping of keys, got {type(data).__name__}")
    _check_expanded_size(data, path)
    return data


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return None


# ---------------------------------------------------------------------------------------------
# extends + merge


def _chain(path: Path) -> list[tuple[Path, dict]]:
    """Files from the root of the ``extends:`` chain to ``path``."""
    out: list[tuple[Path, dict]] = []
    seen: list[Path] = []
    current: Path | None = _resolve(path, path, "<file>")
    shown = Path(path)  # the path as written (messages name it, not where links lead)
    while current is not None:
        if current in seen:
            cycle = " -> ".join(p.name for p in [*seen, current])
            raise InputError(path, "extends", f"a chain without cycles; found {cycle}")
        seen.append(current)
        data = read_yaml(shown)
        out.append((current, data))
        parent = data.get("extends")
        if parent is None:
            current = None
        elif not isinstance(parent, str):
            raise InputError(current, "extends", "the file name of another scenario (a string)")
        else:
            shown = current.parent / parent if not Path(parent).is_absolute() else Path(parent)
            current = _resolve(shown, current, "extends")
            try:
                existing_file(current, "scenario file")
            except InputError as e:  # the path as the file wrote it, not where links lead
                raise InputError(seen[-1], "extends", f"{parent}: {e.expected}") from None
    return list(reversed(out))


def _resolve(target: Path, referrer: Path, key: str) -> Path:
    """``target.resolve()``; a symbolic-link loop (RuntimeError in Python 3.11) is an InputError."""
    try:
        return target.resolve()
    except (RuntimeError, OSError):
        raise InputError(referrer, key, f"a scenario file; {target} is a loop of symbolic links") from None


class Provenance(dict[str, str]):
    """Dotted key → the file (or ``--set``) that set it, plus the layers in precedence order."""

    def __init__(self, layers: list[str]) -> None:
        super().__init__()
        self.layers = [*layers, "--set"]

    def source_of(self, key: str, default: str) -> str:
        """The file that set ``key``; for a mapping, the highest-precedence file that set part of it."""
        probe = key
        while probe:
            hits = [
                src
                for k, src in self.items()
                if k == probe or k.startswith(probe + ".") or k.startswith(probe + "[")
            ]
            if hits:
                return max(hits, key=lambda src: self.layers.index(src) if src in self.layers else -1)
            probe = probe.rsplit(".", 1)[0] if "." in probe else ""
        return default


def _merge(
    base: dict, new: Mapping, source: str, prov: dict[str, str], ov: list[Override], prefix: str = ""
) -> None:
    for key, value in new.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value, source, prov, ov, path + ".")
            continue
        if key in base:
            ov.append(Override(source, path, copy.deepcopy(base[key]), copy.deepcopy(value)))
        base[key] = copy.deepcopy(value)
        _record(value, path, source, prov)


def _record(value: Any, path: str, source: str, prov: dict[str, str]) -> None:
    for k in [k for k in prov if k == path or k.startswith(path + ".")]:
        del prov[k]
    if isinstance(value, Mapping):
        for k, v in value.items():
            _record(v, f"{path}.{k}", source, prov)
    else:
        prov[path] = source


def parse_set(items: Iterable[str]) -> dict:
    """``["a.b=1", "c=[1, 2]"]`` → nested dict; values are parsed as YAML; repeated keys are errors."""
    out: dict = {}
    seen: set[str] = set()
    for item in items:
        if "=" not in item:
            raise InputError("--set", item, "KEY.PATH=VALUE")
        key, raw = item.split("=", 1)
        key = key.strip()
        if not key or any(not part.strip() for part in key.split(".")):
            raise InputError("--set", item, "KEY.PATH=VALUE with a key before '=' (e.g. staff.total_htv=30)")
        if key in seen:
            raise InputError("--set", key, "each key once; given twice")
        if key.count(".") >= MAX_SET_DEPTH:
            raise InputError("--set", key[:80], f"a key path of at most {MAX_SET_DEPTH} parts")
        seen.add(key)
        try:
            value = yaml.load(raw, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
        except _DuplicateKey as e:
            where = f"{key}.{e.path(_compose(raw))}"
            raise InputError("--set", where, "each key once in the value; set twice") from None
        except (yaml.YAMLError, RecursionError):
            value = raw
        _check_expanded_size(value, "--set")
        node = out
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise InputError("--set", key, "a key path that does not cross another --set value")
        node[parts[-1]] = value
    return out


def resolve(
    path: Path, overrides: Mapping | None = None
) -> tuple[dict, Provenance, list[Override], list[str]]:
    """Merge the ``extends:`` chain and overrides into one raw mapping, with provenance."""
    chain = _chain(path)
    merged: dict = {}
    prov = Provenance([str(p) for p, _ in chain])
    ov: list[Override] = []
    for i, (p, data) in enumerate(chain):
        own = {k: v for k, v in data.items() if k not in NOT_INHERITED}
        if i == 0:
            merged = copy.deepcopy(own)
            for k, v in own.items():
                _record(v, k, str(p), prov)
        else:
            _merge(merged, own, str(p), prov, ov)
        log.debug("scenario layer %d: %s", i, p)
    if overrides:
        _merge(merged, overrides, "--set", prov, ov)
    top = chain[-1][1]
    for key in NOT_INHERITED[:-1]:  # never inherited; an override (--set name=x) is kept
        default = path.stem if key == "name" else ([] if key == "compare" else "")
        given = (overrides or {}).get(key)
        merged[key] = given if given is not None else top.get(key, default)
        prov[key] = "--set" if given is not None else str(chain[-1][0])
    return merged, prov, ov, [str(p) for p, _ in chain]


# ---------------------------------------------------------------------------------------------
# validation


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _validation_errors(exc: ValidationError, prov: Provenance, default: str) -> InputErrors:
    errors = []
    for e in exc.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        key = _loc(loc)
        if e["type"] == "missing":
            expected = "a required key (missing)"
        elif e["type"] == "extra_forbidden":
            expected = "no such key (unknown key; check the spelling)"
        else:
            msg = e["msg"].removeprefix("Value error, ")
            expected = f"{msg}; got {e.get('input')!r}" if not isinstance(e.get("input"), dict) else msg
        errors.append(InputError(prov.source_of(key, default), key, expected))
    return InputErrors(errors)


def _cross_check(cfg: ScenarioConfig, region: Region, prov: Provenance, default: str) -> None:
    """Checks that need the region: names, shares, dates inside the horizon."""
    errors: list[InputError] = []

    def err(key: str, expected: str) -> None:
        errors.append(InputError(prov.source_of(key, default), key, expected))

    munis, sites, points = set(region.municipalities), set(region.sites), set(region.demand_points)
    start, end = cfg.horizon.start, cfg.horizon.end
    periods = region.labour_market.periods("unemployed")
    if cfg.demand.stock_period not in periods:
        got = cfg.demand.stock_period
        err("demand.stock_period", f"a month of the region's job-seeker table {list(periods)}, got {got!r}")
    for i, pc in enumerate(cfg.demand.plant_closures):
        key = f"demand.plant_closures[{i}]"
        if pc.municipality not in munis:
            err(f"{key}.municipality", f"a known municipality {sorted(munis)}, got {pc.municipality!r}")
        known_points = sorted(region.points_in(pc.municipality)) if pc.municipality in munis else []
        if pc.demand_point is not None and (
            pc.demand_point not in points
            or region.demand_points[pc.demand_point].municipality != pc.municipality
        ):
            err(
                f"{key}.demand_point",
                f"a demand point in {pc.municipality} {known_points}, got {pc.demand_point!r}",
            )
        if not start <= pc.date < end:
            err(f"{key}.date", f"a date inside the horizon {start}..{end}, got {pc.date}")
    for i, s in enumerate(cfg.staff.shortages):
        if not start <= s.start < end:
            err(f"staff.shortages[{i}].start", f"a date inside the horizon {start}..{end}, got {s.start}")
    for key, names in (
        ("sites.force_open", cfg.sites.force_open),
        ("sites.force_closed", cfg.sites.force_closed),
        ("sites.fixed_cost_eur", list(cfg.sites.fixed_cost_eur)),
        ("sites.workstations", list(cfg.sites.workstations)),
    ):
        for n in names:
            if n not in sites:
                err(
                    f"{key}.{n}" if not key.startswith("sites.force") else key,
                    f"a known site {sorted(sites)}, got {n!r}",
                )
    for m in cfg.costs.central_cost_shares:
        if m not in munis:
            err(f"costs.central_cost_shares.{m}", f"a known municipality {sorted(munis)}")
    if cfg.costs.central_cost_key == "custom":
        missing = munis - set(cfg.costs.central_cost_shares)
        if missing:
            err("costs.central_cost_shares", f"a share for every municipality; missing {sorted(missing)}")
    for i, t in enumerate(cfg.targets):
        if not is_target_group(t.group, region):
            err(f"targets[{i}].group", TARGET_GROUPS)
    if errors:
        raise InputErrors(errors)


def jobseekers_file(cfg: ScenarioConfig, source_of: Callable[[str], str]) -> Path | None:
    """The snapshot file of ``demand.jobseekers``: beside the scenario file that names it, else the
    import the package ships for its month."""
    js = cfg.demand.jobseekers
    if js is None:
        return None
    if js.file:
        return (Path(source_of("demand.jobseekers.file")).parent / js.file).resolve()
    return JOBSEEKER_DIR / f"jobseekers_12r5_{js.month}.csv"


@lru_cache(maxsize=8)
def _snapshot(path: str, month: str, municipalities: tuple[str, ...]) -> Snapshot:
    return load_snapshot(path, month, list(municipalities))


def _check_jobseekers(cfg: ScenarioConfig, region: Region, source_of: Callable[[str], str]) -> None:
    """The snapshot loads, and a scenario that starts from its counts plans the year after it."""
    js = cfg.demand.jobseekers
    if js is None:
        return
    path = jobseekers_file(cfg, source_of)
    if js.file is None and path is not None and not path.exists():
        shipped = sorted(p.stem.rsplit("_", 1)[-1] for p in JOBSEEKER_DIR.glob("jobseekers_12r5_*.csv"))
        raise InputError(source_of("demand.jobseekers.month"), "demand.jobseekers.month",
                         f"a month the package ships {shipped} (or a file), got {js.month!r}")
    _snapshot(str(path), js.month, tuple(sorted(region.municipalities)))
    year, month = map(int, js.month.split("-"))
    after = dt.date(year + month // 12, month % 12 + 1, 1)
    if js.use == "counts" and cfg.horizon.start != after:
        raise InputError(source_of("horizon.start"), "horizon.start",
                         f"the first day after the snapshot of {js.month} ({after}): the year planned "
                         f"starts from its counts, got {cfg.horizon.start}")


TARGET_GROUPS = "'all', a municipality, an area or a service line"


def is_target_group(group: str, region: Region) -> bool:
    """True if a target's group is a place or line of ``region`` (the scenario's and ``--target``'s rule)."""
    from resurssimalli.scenario.schema import SERVICE_LINES

    return group == "all" or group in region.municipalities or group in region.areas or group in SERVICE_LINES


def check_distinct(scenarios: Iterable[Scenario], where: str) -> None:
    """Refuse scenarios sharing a name in one run, sweep or stress loop: their replications would
    be pooled under that name (the same file given twice, or a compared file named like the run's)."""
    seen: dict[str, Path] = {}
    for s in scenarios:
        if s.name in seen:
            first = seen[s.name]
            files = f"{first} and {s.path}" if Path(first) != Path(s.path) else f"{s.path} twice"
            raise InputError(
                where, "name", f"scenarios with distinct names in one run; {s.name!r} is the name of {files} "
                "(give each file its own name:)",
            )
        seen[s.name] = s.path


def scenario_hash(cfg: ScenarioConfig, region: Region, jobseekers: Path | None = None) -> str:
    """SHA-256 over the resolved scenario and the bytes of the region files it uses."""
    h = hashlib.sha256(json.dumps(cfg.model_dump(mode="json"), sort_keys=True).encode())
    if jobseekers is not None:
        h.update(jobseekers.read_bytes())
    files = sorted(region.data_dir.glob("*.csv"))
    for f in files:
        if f.name != "travel_times.csv":
            h.update(f.read_bytes())
    h.update(Path(region.travel.source).read_bytes())
    return h.hexdigest()


def region_for(cfg: ScenarioConfig, source_of: Callable[[str], str], data_dir: Path | None = None) -> Region:
    """The region a scenario describes; its file paths are relative to the file that set them.

    ``source_of(key)`` names the scenario file that set ``key`` (the provenance), so a
    ``region.travel_times`` given in ``baseline.yaml`` resolves beside ``baseline.yaml`` even when
    a scenario in another folder extends it. Used for loading and for rebuilding a run's scenario.
    """

    def beside(key: str, name: str | None) -> Path | None:
        return (Path(source_of(key)).parent / name).resolve() if name else None

    pack = beside("region.pack", cfg.region.pack)
    if pack is not None and not pack.is_dir():
        where = source_of("region.pack")
        raise InputError(where, "region.pack", f"a region pack's folder; {pack} is not one")
    return load_region(
        data_dir or pack,
        travel_times=beside("region.travel_times", cfg.region.travel_times),
        inputs_workbook=beside("region.inputs_workbook", cfg.region.inputs_workbook),
        demand_point_shares=dict(cfg.demand.demand_point_shares) or None,
        shares_source=source_of("demand.demand_point_shares"),
    )


def load_scenario(
    path: str | Path, overrides: Mapping | None = None, *, data_dir: Path | None = None
) -> Scenario:
    """Load, merge, validate and cross-check a scenario file; raise ``InputError(s)`` on bad input."""
    path = Path(path)
    raw, prov, ov, chain = resolve(path, overrides)
    try:
        cfg = ScenarioConfig.model_validate(raw)
    except ValidationError as exc:
        raise _validation_errors(exc, prov, str(path)) from None
    region = region_for(cfg, lambda key: prov.source_of(key, str(path)), data_dir)
    _cross_check(cfg, region, prov, str(path))
    _check_jobseekers(cfg, region, lambda key: prov.source_of(key, str(path)))
    calibration_for(cfg.demand.calibrated, region.data_dir)  # read (and checked) now, not mid-run
    return Scenario(
        name=cfg.name,
        path=path,
        config=cfg,
        region=region,
        hash=scenario_hash(cfg, region, jobseekers_file(cfg, lambda key: prov.source_of(key, str(path)))),
        chain=tuple(chain),
        provenance=FrozenMap(prov),
        overrides=tuple(ov),
    )
