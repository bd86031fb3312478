"""The compiled simulation model (setup.py, mypyc) and the runtime choice (simulate/native.py).

The compiled and the interpreted model must give the same results to the bit; a source edited
since the build must run as Python; and the project's own install must run the compiled model,
or the benchmarks measure something else than what runs.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pandas as pd
import pytest

from resurssimalli.runs import RunFolder
from resurssimalli.simulate import native
from resurssimalli.simulate.params import build_params
from resurssimalli.simulate.runner import replication_customers, run_params

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
MONTHS = 2
COMPILED = native.implementation().startswith("compiled")
NOT_COMPILED = "the compiled model is not in use here: " + native.implementation()


def tables(scenario_file: Path = ROOT / "scenarios" / "baseline.yaml") -> dict[str, pd.DataFrame]:
    """One short replication's KPI frame and per-customer table (event log on)."""
    from resurssimalli.scenario import load_scenario
    from test_simulate_support import proportional_allocation

    s = load_scenario(scenario_file)
    a = proportional_allocation(s)
    kpis, events, *_ = run_params(build_params(s, a, MONTHS), 1, 7, event_log=True)
    _, customers = replication_customers(s, a, 1, 7, MONTHS)
    return {"kpis": kpis, "events": events, "customers": customers}


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != native.FORCE} | env
    return subprocess.run(
        [sys.executable, "-c", code], cwd=TESTS, env=environ, capture_output=True, text=True, timeout=300
    )


@pytest.mark.skipif(not COMPILED, reason=NOT_COMPILED)
def test_compiled_and_interpreted_models_give_identical_tables(tmp_path):
    out = tmp_path / "interpreted.pkl"
    code = (
        "import pandas as pd\n"
        "from resurssimalli.simulate import native\n"
        "import resurssimalli.simulate.model as m, resurssimalli.simulate.exits as e\n"
        "assert native.implementation().startswith('interpreted'), native.implementation()\n"
        "assert m.__file__.endswith('.py') and e.__file__.endswith('.py')\n"
        f"from test_native import tables\npd.to_pickle(tables(), {str(out)!r})\n"
    )
    r = _run(code, **{native.FORCE: "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    interpreted, compiled = pd.read_pickle(out), tables()
    assert len(compiled["customers"]) > 1000 and len(compiled["events"]) > 1000
    for name, frame in compiled.items():
        pd.testing.assert_frame_equal(frame, interpreted[name], check_exact=True, obj=name)


def _fake_build(folder: Path, source: bytes = b"x = 1\n", compiled_file: bool = True) -> dict:
    (folder / "model.py").write_bytes(source)
    if compiled_file:
        (folder / f"model{EXTENSION_SUFFIXES[0]}").write_bytes(b"")
    digest = hashlib.sha256(b"x = 1\n").hexdigest()
    return {"compiled": True, "mypyc": "9.9", "modules": {"resurssimalli.simulate.model": digest}}


def test_a_build_whose_sources_match_may_be_used(tmp_path):
    assert native.decide(_fake_build(tmp_path), tmp_path, env={}) == ""


def test_a_source_edited_since_the_build_runs_interpreted(tmp_path):
    record = _fake_build(tmp_path, source=b"x = 2\n")
    assert native.decide(record, tmp_path, env={}) == "model.py changed since the build"


def test_no_build_a_failed_build_a_missing_module_or_the_switch_run_interpreted(tmp_path):
    record = _fake_build(tmp_path, compiled_file=False)
    assert native.decide(record, tmp_path, env={}) == "no compiled model for this Python"
    assert native.decide(None, tmp_path, env={}) == "no compiled build"
    failed = {"compiled": False, "reason": "the C build failed: no gcc"}
    assert native.decide(failed, tmp_path, env={}) == "the C build failed: no gcc"
    record = _fake_build(tmp_path)
    assert native.decide(record, tmp_path, env={native.FORCE: "1"}) == f"{native.FORCE}=1"
    assert native.decide(record, tmp_path, env={native.FORCE: "0"}) == ""


@pytest.mark.skipif(not COMPILED, reason=NOT_COMPILED)
def test_a_compiled_module_that_fails_to_import_leaves_all_of_them_interpreted():
    # the compiled model imports draws, which imports streams, which fails once: what the attempt
    # loaded goes, and both modules then run from their sources
    code = (
        "import importlib.abc, sys\n"
        "class Once(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'resurssimalli.simulate.streams' and not hasattr(self, 'done'):\n"
        "            self.done = True\n"
        "            raise ImportError('broken on purpose')\n"
        "sys.meta_path.insert(0, Once())\n"
        "from resurssimalli.simulate import native\n"
        "import resurssimalli.simulate.model as m, resurssimalli.simulate.exits as e\n"
        "print(native.implementation())\n"
        "assert m.__file__.endswith('.py') and e.__file__.endswith('.py'), (m.__file__, e.__file__)\n"
        "assert m.ExitClock is e.ExitClock\n"
    )
    r = _run(code)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip() == "interpreted (the compiled model does not import: broken on purpose)"


def test_the_project_install_runs_the_compiled_model():
    """Under `make test` (and CI) the install compiled the model, unless told not to."""
    record = native.read_record() or {}
    if "RESURSSIMALLI_NO_COMPILE" in os.environ or "RESURSSIMALLI_NO_COMPILE" in record.get("reason", ""):
        pytest.skip("installed with RESURSSIMALLI_NO_COMPILE")
    if native.FORCE in os.environ:
        pytest.skip(f"{native.FORCE} is set")
    assert COMPILED, f"{NOT_COMPILED} (reinstall: make install, or pip install -e .)"
    assert record["mypyc"] in native.implementation()
    import resurssimalli.simulate.exits as e
    import resurssimalli.simulate.model as m

    assert m.__file__.endswith(tuple(EXTENSION_SUFFIXES)) and e.__file__.endswith(tuple(EXTENSION_SUFFIXES))


def test_worker_processes_make_the_same_choice():
    ctx = multiprocessing.get_context("spawn")  # as the runner's pool
    with cf.ProcessPoolExecutor(1, mp_context=ctx) as ex:
        assert ex.submit(native.implementation).result(timeout=120) == native.implementation()


def test_the_run_manifest_names_the_model(tmp_path, baseline):
    RunFolder(tmp_path / "r", scenario=baseline, command="test").finish()
    m = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert m["simulation_model"] == native.implementation()
    assert m["simulation_model"].startswith(("compiled (mypyc ", "interpreted ("))


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server")
def test_the_fork_server_is_not_the_users_process(tmp_path):
    """The workers' fork server has no parent process of its own, yet must not repeat the user's
    warning that a source changed since the build (it printed it a second time, after the
    command's own error message when a scenario failed validation)."""
    script = (
        "import multiprocessing as mp\n"
        "from resurssimalli.simulate import native\n"
        "ctx = mp.get_context('forkserver'); ctx.set_forkserver_preload(['fork_server_probe'])\n"
        "p = ctx.Process(target=len, args=((),)); p.start(); p.join()\n"
        "print(native.users_process(), p.exitcode)\n"
    )
    probe = tmp_path / "probe"
    # The fork server imports its preload on its own sys.path: the probe's folder goes in by PYTHONPATH
    path = os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "RESURSSIMALLI_PROBE": str(probe), "PYTHONPATH": path}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["True", "0"], done.stderr
    assert probe.read_text() == "False"
