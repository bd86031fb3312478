"""README.md's sensitivity figures (issue 29): what the baseline's results rest on.

:func:`regenerate_sensitivity_tables` runs the Morris screening of the baseline over every ranged
assumption with the command's defaults (``experiment.sensitivity.sensitivity``, 2 workers, a new
folder under ``results/``; or reads a given run folder: a finished one as it is, an interrupted
one resumed, so a benchmark's folder can be reused) and stores what the README's paragraph
needs beside this file: the run's facts (``readme_sensitivity_run.csv``), the five assumptions
that matter most over the decision quantities with their μ* per quantity and ranges
(``readme_sensitivity_top.csv``) and every verdict searched for a flip
(``readme_sensitivity_flips.csv``). :func:`sensitivity_figures` renders the spans from them with
the memo's own rules (``report.sensitivity``: the overall top, the labels, the flip sentences).

    .venv/bin/python tests/backtest/readme_sensitivity.py                  # run (long), store, fill README.md
    .venv/bin/python tests/backtest/readme_sensitivity.py --from FOLDER    # a sensitivity folder's run
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from readme_figures import HERE, READMES, ROOT, fill  # noqa: E402

from resurssimalli.experiment.sensitivity import (  # noqa: E402
    DEFAULT_SAMPLES,
    MORRIS_LEVELS,
    default_folder,
    sensitivity,
)
from resurssimalli.report.names import Names  # noqa: E402
from resurssimalli.report.results import load_run  # noqa: E402
from resurssimalli.report.sensitivity import (  # noqa: E402
    SHOWN,
    effect_text,
    factor_label,
    factor_range,
    flip_sentences,
    output_label,
    overall_top,
    steady_sentences,
)
from resurssimalli.report.texts import Texts  # noqa: E402
from resurssimalli.scenario import load_scenario  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"
RUN = HERE / "readme_sensitivity_run.csv"
TOP = HERE / "readme_sensitivity_top.csv"
FLIPS = HERE / "readme_sensitivity_flips.csv"
JOBS = 2
RANK_SHOWN = 5  # a top assumption's μ* is named for each quantity where it ranks this high
DEFAULT_RANGE = "stated default"  # how range_source starts for a range not taken from a source
FACTOR_COLUMNS = ["factor", "key", "range_kind", "low", "high", "base", "options"]
FLIP_COLUMNS = ["verdict", "output", "factor", "side", "holds_at_base", "flips", "value_base",
                "value_holds", "value_flips"]  # fmt: skip


def run_folder(folder: Path | None = None) -> Path:
    """The baseline's sensitivity folder: a new run (``folder`` None), ``folder`` as it is when
    finished, or ``folder`` resumed when interrupted."""
    base = load_scenario(BASELINE)
    if folder is None:
        return sensitivity(base, jobs=JOBS, out=default_folder(base, ROOT / "results")).folder
    if (Path(folder) / "manifest.json").exists():
        return Path(folder)
    return sensitivity(base, jobs=JOBS, resume=Path(folder)).folder


def _commit(recorded: str) -> str:
    """The run's commit as the manifest records it, shortened (``-dirty``: edits not committed);
    kept in the stored table for provenance, not printed (a branch's commit may be rebased away)."""
    sha, dirty, _ = recorded.partition("-dirty")
    return sha[:7] + dirty


def _shown(folder: Path) -> str:
    """A run folder as the README may name it: relative to the repository when inside it."""
    folder = Path(folder).resolve()
    return str(folder.relative_to(ROOT)) if folder.is_relative_to(ROOT) else str(folder)


def regenerate_sensitivity_tables(folder: Path | None = None) -> list[Path]:
    """Run (or read) the baseline's screening and store the tables the figures render from."""
    res = load_run(run_folder(folder))
    m = res.manifest
    info = m.get("sensitivity") or {}
    base = load_scenario(BASELINE)
    if m.get("command") != "sensitivity" or m["scenario"]["hash_sha256"] != base.hash:
        raise SystemExit(f"{res.path}: not a sensitivity run of {BASELINE.name} as it is now")
    if (
        info.get("method") != "morris"
        or info.get("samples") != DEFAULT_SAMPLES["morris"]
        or info.get("months")
    ):
        raise SystemExit(f"{res.path}: not the command's default Morris screening (got {info})")
    idx, fac, flips = (res.table(n) for n in ("sensitivity_indices.csv", "sensitivity_factors.csv",
                                              "sensitivity_flips.csv"))  # fmt: skip
    keys = fac.groupby("key", sort=False)["range_source"].first().astype(str)
    run = {
        "method": info["method"], "trajectories": info["samples"], "levels": MORRIS_LEVELS,
        "factors": len(fac), "keys": len(keys), "default_ranges": int(keys.str.startswith(DEFAULT_RANGE).sum()),
        "replications": info["replications"], "months": base.config.horizon.months,
        "points": int(info["points_computed"]) + int(info["points_reused"]), "top_per_verdict": info["top"],
        "steps": info["steps"], "date": str(m["finished_utc"])[:10], "commit": _commit(str(m["git_commit"])),
        "folder": _shown(res.path),
    }  # fmt: skip
    pd.Series(run).to_csv(RUN, header=["value"])
    top = overall_top(idx)
    rows = idx[idx["factor"].isin(top) & idx["output"].isin(SHOWN)][
        ["factor", "output", "importance", "rank"]
    ]
    rows = rows.merge(fac[FACTOR_COLUMNS], on="factor")
    rows["order"] = [top.index(f) for f in rows["factor"]]
    rows.sort_values(["order", "output"], kind="stable").to_csv(TOP, index=False, float_format="%.10g")
    flips[FLIP_COLUMNS].to_csv(FLIPS, index=False)
    return [RUN, TOP, FLIPS]


def _names() -> Names:
    return Names(load_scenario(BASELINE).region, Texts("en"))


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


def _effects(rows: pd.DataFrame, names: Names) -> str:
    """μ* on each decision quantity where the assumption ranks in the top :data:`RANK_SHOWN`
    (else its best rank)."""
    shown = rows[rows["rank"] <= RANK_SHOWN]
    shown = shown if not shown.empty else rows.nsmallest(1, "rank")
    order = {o: i for i, o in enumerate(SHOWN)}
    shown = shown.sort_values("output", key=lambda s: s.map(order))
    return "; ".join(
        f"{_lower(output_label(r.output, names))}: {effect_text(names.t, r.output, r.importance)}, "
        f"rank {r.rank}"
        for r in shown.itertuples(index=False)
    )


def top_text(top: pd.DataFrame, names: Names) -> str:
    """The five assumptions in order, each with its range and its μ* where it matters."""
    parts = []
    for _, rows in top.groupby("order", sort=True):
        row = rows.iloc[0]
        label = factor_label(str(row["factor"]), names)
        parts.append(f"**{label}** (range {factor_range(row, names.t)}; {_effects(rows, names)})")
    listed = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)
    return (
        f"The {len(parts)} assumptions that matter most over the decision quantities (each one's range and "
        f"its μ* on every quantity where it ranks in the top {RANK_SHOWN}, else where it ranks highest): "
        f"{listed}"
    )


def run_text(run: pd.Series) -> str:
    """The run's facts: design, assumptions and their ranges' origin, points, μ*, flips, date."""
    levels, keys = int(run["levels"]), int(run["keys"])
    step = Fraction(levels, 2 * (levels - 1))  # SALib's Morris step on a grid of ``levels``
    return (
        f"Morris screening with SALib, {run['trajectories']} trajectories on a {levels}-level grid over the "
        f"{keys} ranged assumptions of the assumptions table ({run['factors']} factors: a candidate site's "
        f"annual cost is one factor per site; {run['default_ranges']} of the {keys} ranges are the table's "
        f"stated defaults for an unsourced or calibrated value, the others a source's range, a range stated "
        f"in the row, an effect band's own or the alternatives the model knows), each point optimised and "
        f"simulated for {run['months']} months with {run['replications']} replications on the same seeds; "
        f"{int(run['points']):,} points; μ* is the mean absolute change of a quantity per move over an "
        f"assumption's whole range, from steps of {step} of it; flips searched for each verdict's top "
        f"{run['top_per_verdict']} assumptions with {run['steps']} bisection steps; measured {run['date']}"
    )


def sensitivity_figures() -> dict[str, str]:
    """The sensitivity spans of README.md, from the stored tables."""
    run = pd.read_csv(RUN, index_col=0, keep_default_na=False)["value"]
    top = pd.read_csv(TOP, keep_default_na=False, na_values=[""])
    flips = pd.read_csv(
        FLIPS, keep_default_na=False, na_values=[""], dtype={c: str for c in FLIP_COLUMNS[6:]}
    )
    names = _names()
    lines = flip_sentences(flips, names) + steady_sentences(flips, names)
    return {
        "sens_run": run_text(run),
        "sens_top": top_text(top, names),
        "sens_flips": "\n".join(f"- {line}" for line in lines),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="folder", type=Path, help="a sensitivity folder of the baseline (finished: "
                    "read; interrupted: resumed) instead of a new run")  # fmt: skip
    ap.add_argument("--stored", action="store_true", help="render from the stored tables (no run)")
    args = ap.parse_args(argv)
    if not args.stored:
        for path in regenerate_sensitivity_tables(args.folder):
            print(f"wrote {path}")
    path = READMES[0]
    text = path.read_text(encoding="utf-8")
    new = fill(text, sensitivity_figures(), strict=False)
    if new != text:
        path.write_text(new, encoding="utf-8")
    print(f"{'rewrote' if new != text else 'unchanged'} {path}")


if __name__ == "__main__":
    main()
