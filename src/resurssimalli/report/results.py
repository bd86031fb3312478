"""Read a finished run folder: the manifest, whichever result tables are present, the scenario.

Each table has a contract (its required columns). A table that is absent is ``None`` (the
memo says it was not computed); a table that is present but breaks its contract is an
:class:`~resurssimalli.errors.InputError` naming the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
from pydantic import ValidationError

from resurssimalli.errors import InputError, ResurssimalliError
from resurssimalli.experiment.compare import COMPARISON_COLUMNS
from resurssimalli.reading import read_csv, read_json, read_parquet
from resurssimalli.report.assumptions import flatten
from resurssimalli.safety import restore
from resurssimalli.scenario.load import Scenario, load_scenario, region_for
from resurssimalli.scenario.schema import ScenarioConfig

# file name -> required columns (the run-folder contract of the optimiser, simulation and sweeps)
TABLES: dict[str, tuple[str, ...]] = {
    "allocation.csv": ("area", "municipality", "site", "service_line", "htv"),
    "sites.csv": ("site", "municipality", "kind", "open", "htv", "workstations", "workstations_used"),
    "access.csv": ("demand_point", "municipality", "site", "share", "minutes"),
    "costs.csv": ("municipality", "cost_item", "eur"),
    "pareto.csv": ("point", "cost_eur", "max_minutes", "mean_minutes"),
    "kpis.parquet": ("scenario", "replication", "month", "kpi", "group", "value"),
    "summary.csv": ("scenario", "kpi", "group", "mean", "ci_low", "ci_high", "n"),
    "comparison.csv": tuple(COMPARISON_COLUMNS),
    "stress_iterations.csv": (),
    "stress_brackets.csv": ("unit", "area", "service_line", "lower_hours", "upper_hours", "lower_htv", "upper_htv"),
    "stress_causes.csv": ("unit", "scenario", "kpi", "months", "cause"),
    "stress_rounds.csv": ("iteration", "unit", "hours", "holds"),
    "stress_months.csv": ("scenario", "kpi", "month", "mean", "ci_low", "ci_high", "clearly_missed", "iteration"),
    "stress_certificate.csv": ("area", "service_line", "min_hours", "min_htv"),
    "what_if.csv": ("variant", "change", "place", "effect_size", "kpi", "group", "mean", "ci_low", "ci_high", "n"),
    "what_if_plans.csv": ("variant", "change", "place", "feasible", "sites_opened", "sites_closed"),
    "what_if_verdicts.csv": (),
    "htv_value.csv": ("variant", "change", "place", "effect_size", "kpi", "group", "mean", "ci_low", "ci_high", "n"),
    "roster.csv": ("week_start", "iso_week", "month", "area", "people", "people_on_leave", "substitute_hours",
                   "on_duty_hours", "capacity_hours", "work_hours", "short_hours", "queues_uncovered"),
    "leave_effect.csv": ("kpi", "month", "own_rule", "other_rule", "own_mean", "other_mean", "diff_mean",
                         "diff_ci_low", "diff_ci_high", "n"),
    "sensitivity_factors.csv": ("factor", "key", "range_kind", "low", "high", "x_base", "base", "options"),
    "sensitivity_indices.csv": ("output", "factor", "key", "method", "importance", "rank"),
    "sensitivity_oat.csv": ("factor", "output", "x_low", "x_base", "x_high", "at_low", "at_base", "at_high"),
    "sensitivity_flips.csv": ("verdict", "output", "factor", "side", "holds_at_base", "flips", "value_base",
                              "value_holds", "value_flips"),
}
NUMERIC: dict[str, tuple[str, ...]] = {
    "allocation.csv": ("htv",),
    "sites.csv": ("htv", "workstations", "workstations_used"),
    "access.csv": ("share", "minutes"),
    "costs.csv": ("eur",),
    "pareto.csv": ("cost_eur", "max_minutes", "mean_minutes"),
    "kpis.parquet": ("value",),
    "summary.csv": ("mean", "ci_low", "ci_high", "n"),
    "comparison.csv": ("baseline_mean", "scenario_mean", "diff_mean", "diff_ci_low", "diff_ci_high", "n"),
    "what_if.csv": ("mean", "ci_low", "ci_high", "n"),
    "htv_value.csv": ("mean", "ci_low", "ci_high", "n"),
    "what_if_plans.csv": (
        "budget_eur", "budget_change_eur", "travel_value_eur", "travel_value_change_eur", "within_share",
        "mean_minutes", "max_minutes", "within_share_change", "mean_minutes_change", "max_minutes_change",
    ),  # fmt: skip
    "roster.csv": ("iso_week", "month", "people", "people_on_leave", "substitute_hours", "on_duty_hours",
                   "capacity_hours", "work_hours", "short_hours", "queues_uncovered"),
    "leave_effect.csv": ("own_mean", "other_mean", "diff_mean", "diff_ci_low", "diff_ci_high", "n"),
    "stress_brackets.csv": (
        "first_hours", "lower_hours", "upper_hours", "lower_htv", "upper_htv", "added_lower_htv", "added_upper_htv",
    ),  # fmt: skip
    "stress_causes.csv": ("first_hours", "hours_tried"),
    "stress_rounds.csv": ("iteration", "hours", "htv"),
    "stress_months.csv": ("mean", "ci_low", "ci_high", "iteration"),
    "stress_certificate.csv": ("min_hours", "min_htv"),
    "sensitivity_factors.csv": ("low", "high", "x_base"),
    "sensitivity_indices.csv": ("importance", "rank"),
    "sensitivity_oat.csv": ("x_low", "x_base", "x_high", "at_low", "at_base", "at_high"),
}
STRINGS = (
    "area", "municipality", "site", "service_line", "kind", "demand_point", "cost_item", "scenario",
    "variant", "place",
)  # fmt: skip


@dataclass(frozen=True)
class RunResults:
    """A run folder's contents. ``tables`` maps file name -> DataFrame for the files present."""

    path: Path
    manifest: Mapping[str, Any]
    scenario: Scenario
    tables: Mapping[str, pd.DataFrame]
    solver: Mapping[str, Any] | None = None
    scenario_rebuilt: bool = False
    missing: tuple[str, ...] = field(default=())

    def table(self, name: str) -> pd.DataFrame | None:
        """A copy of a table to change freely, or None when the run did not produce it.

        Shallow: with pandas' copy-on-write a change to the copy copies what it changes, so the
        run's tables never change and ~10^5-row tables are not duplicated for every reader."""
        df = self.tables.get(name)
        return None if df is None else df.copy(deep=False)

    def only(self, names: Iterable[str]) -> RunResults:
        """The same run with only the tables ``names`` (of those it has): what a job in another
        process reads, handed to it instead of the whole run (:mod:`resurssimalli.report.write`)."""
        keep = set(names)
        return replace(self, tables=MappingProxyType({k: v for k, v in self.tables.items() if k in keep}))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled for a worker process as plain dicts (a ``mappingproxy`` cannot be pickled):
        ~0.03 s for a 30-replication run's KPI frame, against ~0.2 s for the worker to read it back."""
        solver = None if self.solver is None else dict(self.solver)
        fields = (self.path, dict(self.manifest), self.scenario, dict(self.tables), solver)
        return _unpickled, (*fields, self.scenario_rebuilt, self.missing)


def _unpickled(  # noqa: PLR0913 - RunResults' fields in order
    path: Path, manifest: dict, scenario: Scenario, tables: dict, solver: dict | None, rebuilt: bool,
    missing: tuple[str, ...],
) -> RunResults:  # fmt: skip
    """A :class:`RunResults` from its pickle (:meth:`RunResults.__reduce__`)."""
    return RunResults(
        path, MappingProxyType(manifest), scenario, MappingProxyType(tables),
        None if solver is None else MappingProxyType(solver), rebuilt, missing,
    )  # fmt: skip


def read_table(path: Path, required: tuple[str, ...], numeric: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read one result table and check its contract."""
    reader = read_parquet if path.suffix == ".parquet" else read_csv
    return checked_table(reader(path, "a result table", required), path, numeric)


def checked_table(df: pd.DataFrame, path: Path, numeric: tuple[str, ...] = ()) -> pd.DataFrame:
    """A result table as the report reads it: numbers as floats, names restored, ``open`` as bools.

    ``df`` itself is not changed (copy-on-write); a non-number names ``path`` and the row."""
    df = df.copy(deep=False)
    for c in numeric:
        values = pd.to_numeric(df[c], errors="coerce")
        bad = values.isna() & df[c].notna()
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(path, f"row {i + 1}.{c}", f"a number, got {df[c].iloc[i]!r}")
        df[c] = values.astype(float)
    for c in STRINGS:
        if c in df.columns:
            values = df[c].astype(str)
            changed = {u: restore(u) for u in values.dropna().unique() if restore(u) != u}  # each name once
            df[c] = values.replace(changed) if changed else values
    if "open" in df.columns:
        df["open"] = df["open"].map(lambda v: str(v).strip().lower() in ("true", "1", "1.0", "yes"))
    return df


def _overrides_from_manifest(sc: Mapping[str, Any]) -> dict:
    out: dict = {}
    for o in sc.get("overrides", []):
        if o.get("source") != "--set":
            continue
        node = out
        parts = str(o["key"]).split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = o["new"]
    return out


def scenario_of_run(manifest: Mapping[str, Any], manifest_path: Path) -> tuple[Scenario, bool]:
    """The run's scenario: reloaded from its file if its hash still matches, else rebuilt.

    Returns ``(scenario, rebuilt)``; ``rebuilt`` is True when the manifest's resolved scenario
    was used because the file has changed or moved since the run.
    """
    sc = manifest.get("scenario")
    if not isinstance(sc, Mapping) or "resolved" not in sc:
        raise InputError(manifest_path, "scenario", "the run's scenario (name, file, hash_sha256, resolved)")
    file = Path(str(sc.get("file", "")))
    try:
        s = load_scenario(file, _overrides_from_manifest(sc) or None)
        if s.hash == sc.get("hash_sha256"):
            return s, False
    except ResurssimalliError:
        pass
    try:
        cfg = ScenarioConfig.model_validate(sc["resolved"])
    except ValidationError as exc:
        raise InputError(
            manifest_path, "scenario.resolved", f"a valid scenario ({exc.error_count()} errors)"
        ) from None
    chain = [str(c) for c in sc.get("extends_chain", [])] or [str(file)]
    set_by = {str(o["key"]): str(o["source"]) for o in sc.get("overrides", [])}
    prov = {}
    for leaf in flatten(sc["resolved"]):
        src = next((set_by[k] for k in set_by if leaf == k or leaf.startswith(k + ".")), chain[0])
        prov[leaf] = src
    sources = {**prov, **{str(k): str(v) for k, v in (sc.get("sources") or {}).items()}}
    region = region_for(cfg, lambda key: sources.get(key, chain[-1]))
    scenario = Scenario(
        name=cfg.name,
        path=file,
        config=cfg,
        region=region,
        hash=str(sc.get("hash_sha256", "")),
        chain=tuple(chain),
        provenance=MappingProxyType(prov),
        overrides=(),
    )
    return scenario, True


def load_run(run_dir: str | Path, given: Mapping[str, pd.DataFrame] | None = None) -> RunResults:
    """Read a run folder (must hold ``manifest.json``) and every result table it has.

    ``given``: tables the caller still holds exactly as it wrote them into the folder (by file
    name; a parquet table round-trips unchanged), checked like a read one instead of being read
    back: ``run`` hands over its ~10^5-row KPI frame so that it is not in memory twice."""
    run_dir = Path(run_dir)
    mpath = run_dir / "manifest.json"
    if not mpath.exists():
        raise InputError(run_dir, "manifest.json", "a run folder written by `resurssimalli run`")
    manifest = read_json(mpath, "the run's manifest")
    scenario, rebuilt = scenario_of_run(manifest, mpath)
    tables: dict[str, pd.DataFrame] = {}
    missing = []
    for name, cols in TABLES.items():
        p = run_dir / name
        if given is not None and name in given and p.exists():
            missing_cols = [c for c in cols if c not in given[name].columns]
            if missing_cols:
                raise InputError(p, "<columns>", f"columns {list(cols)}; missing {missing_cols}")
            tables[name] = checked_table(given[name], p, NUMERIC.get(name, ()))
        elif p.exists():
            tables[name] = read_table(p, cols, NUMERIC.get(name, ()))
        else:
            missing.append(name)
    solver = None
    spath = run_dir / "summary.json"
    if spath.exists():
        solver = read_json(spath, "the optimiser's summary")
        if "status" not in solver:
            raise InputError(spath, "status", "the optimiser's summary with a status")
    return RunResults(
        path=run_dir,
        manifest=MappingProxyType(manifest),
        scenario=scenario,
        tables=MappingProxyType(tables),
        solver=None if solver is None else MappingProxyType(solver),
        scenario_rebuilt=rebuilt,
        missing=tuple(missing),
    )
