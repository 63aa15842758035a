"""skmtl: regularized multi-task learning estimators for scikit-learn.

The multi-task linear models exported here are those of
:data:`skmtl._registry.FAMILIES` (one list: a new model is registered there),
each with its cross-validated version ``<name>CV`` (:mod:`skmtl._cv`).
"""

from . import estimators
from ._cv import cv_classes
from .baselines import PooledBaseline, SingleTaskBaseline
from .estimators import alpha_max, chain_graph, grid_graph
from .model_selection import Comparison, compare
from .neural import MultiTaskMLPClassifier, MultiTaskMLPRegressor

_MODELS = {name: getattr(estimators, name) for name in estimators._MODELS}
globals().update(_MODELS)
_CV_MODELS = cv_classes()
globals().update(_CV_MODELS)

__version__ = "0.1.0.dev0"

__all__ = sorted(
    [
        *_MODELS,
        *_CV_MODELS,
        "Comparison",
        "MultiTaskMLPClassifier",
        "MultiTaskMLPRegressor",
        "PooledBaseline",
        "SingleTaskBaseline",
        "__version__",
        "alpha_max",
        "chain_graph",
        "compare",
        "grid_graph",
    ]
)
