"""Solvers: they call datafits and penalties through their protocols only.

:func:`minimize` is the one public entry: it chooses the algorithm.
:class:`PathSolver` calls it for the points of a path, keeping what the points
share (the quadratic model, the decomposition of a linear system).
"""

from ._minimize import Result, minimize, tolerance_scales
from ._path import PathSolver
from ._problem import Problem, kkt_distance
from ._protocols import Datafit, Penalty
from ._threads import blas_threads_for

__all__ = [
    "Datafit",
    "PathSolver",
    "Penalty",
    "Problem",
    "Result",
    "blas_threads_for",
    "kkt_distance",
    "minimize",
    "tolerance_scales",
]
