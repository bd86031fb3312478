"""Shared fixtures: the shipped scenarios, loaded once per test session."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from hypothesis import settings

# Speed is measured in benchmarks, never in tests: no per-example deadline (a busy machine made a
# 200 ms default deadline fail a correct property).
settings.register_profile("resurssimalli", deadline=None)
settings.load_profile("resurssimalli")

# The Ctrl-C tests send SIGINT to a CLI child process. A suite started in the background from a
# script (`make test &`) ignores SIGINT, the children inherit that, and Python then installs no
# KeyboardInterrupt handler: the interrupt would be lost. Give the children the interactive default.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

from resurssimalli.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    return load_scenario(SCENARIOS / "baseline.yaml")


@pytest.fixture(scope="session")
def scenario_dir() -> Path:
    return SCENARIOS
