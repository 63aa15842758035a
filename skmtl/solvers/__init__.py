"""Solvers: they call datafits and penalties through their protocols only.

:func:`minimize` is the one public entry: it chooses the algorithm.
"""

from ._minimize import Result, minimize, tolerance_scales
from ._problem import Problem, kkt_distance
from ._protocols import Datafit, Penalty

__all__ = [
    "Datafit",
    "Penalty",
    "Problem",
    "Result",
    "kkt_distance",
    "minimize",
    "tolerance_scales",
]
