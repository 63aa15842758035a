"""skmtl: regularized multi-task learning estimators for scikit-learn.

The multi-task linear models exported here are those of
:data:`skmtl._registry.FAMILIES` (one list: a new model is registered there).
"""

from . import estimators
from .baselines import PooledBaseline, SingleTaskBaseline
from .estimators import alpha_max
from .model_selection import Comparison, compare
from .neural import MultiTaskMLPClassifier, MultiTaskMLPRegressor

_MODELS = {name: getattr(estimators, name) for name in estimators._MODELS}
globals().update(_MODELS)

__version__ = "0.1.0.dev0"

__all__ = sorted(
    [
        *_MODELS,
        "Comparison",
        "MultiTaskMLPClassifier",
        "MultiTaskMLPRegressor",
        "PooledBaseline",
        "SingleTaskBaseline",
        "__version__",
        "alpha_max",
        "compare",
    ]
)
