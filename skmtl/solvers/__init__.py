"""Solvers: they call datafits and penalties through their methods only."""

from ._problem import Problem
from ._prox_grad import kkt_distance, prox_gradient
from ._working_set import Result, solve, tolerance_scales

__all__ = [
    "Problem",
    "Result",
    "kkt_distance",
    "prox_gradient",
    "solve",
    "tolerance_scales",
]
