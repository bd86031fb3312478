"""Stage 3 — the allocation optimiser (Pyomo + HiGHS): staff, offices and service points.

``optimize(scenario, ...) -> OptimizeResult`` and ``load_result(run_dir)``; the model is
built by :func:`resurssimalli.optimize.model.build_model` from a frozen
:class:`~resurssimalli.optimize.inputs.OptimisationInput`.
"""

from resurssimalli.optimize.api import OptimizeResult, load_result, optimize, optimize_input
from resurssimalli.optimize.inputs import OptimisationInput, build_input
from resurssimalli.optimize.model import build_model
from resurssimalli.optimize.workload import workload

__all__ = [
    "OptimisationInput",
    "OptimizeResult",
    "build_input",
    "build_model",
    "load_result",
    "optimize",
    "optimize_input",
    "workload",
]
