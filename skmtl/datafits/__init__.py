"""Smooth data terms on masked stacked targets.

A datafit is a function ``F(Z)`` of the linear predictor ``Z = X W + 1 b^T``
(n_samples, n_columns). It provides ``value``, ``raw_gradient`` (dF/dZ) and
``null_intercept`` (intercept minimising F when W = 0).
"""

from ._logistic import Logistic
from ._quadratic import Quadratic

__all__ = ["Logistic", "Quadratic"]
