"""Stage 2 — scenario: validated, frozen scenario objects built from YAML files."""

from resurssimalli.scenario.load import Override, Scenario, load_scenario, parse_set
from resurssimalli.scenario.schema import CUSTOMER_LINES, KPI_NAMES, SERVICE_LINES, ScenarioConfig

__all__ = [
    "CUSTOMER_LINES",
    "KPI_NAMES",
    "SERVICE_LINES",
    "Override",
    "Scenario",
    "ScenarioConfig",
    "load_scenario",
    "parse_set",
]
