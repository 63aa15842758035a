"""The public estimators (thin: build a datafit and a penalty, call a solver)."""

from ._base import alpha_max
from ._l21 import L21Classifier, L21Regressor

__all__ = ["L21Classifier", "L21Regressor", "alpha_max"]
