"""Penalties on the coefficient matrix ``W`` (n_features, n_columns).

Each penalty provides ``value(W)``, ``prox(W, step)``, a measure of how far
``-G`` is from its subdifferential at ``W`` (``row_violations`` for penalties
that separate over features, ``violation`` otherwise), and ``dual_norm`` /
``conjugate`` for duality gaps. Smooth quadratic terms (ridge, task graph) are
handled by the smooth part of the objective, not here.
"""

from ._l21 import L1, L21, NoPenalty
from ._trace import SquaredTraceNorm, TaskMatrixView, TraceNorm

__all__ = ["L1", "L21", "NoPenalty", "SquaredTraceNorm", "TaskMatrixView", "TraceNorm"]
