"""skmtl: regularized multi-task learning estimators for scikit-learn."""

from .baselines import PooledBaseline, SingleTaskBaseline
from .estimators import (
    MultiTaskKernelRidge,
    FusedTaskClassifier,
    FusedTaskRegressor,
    ClusteredClassifier,
    ClusteredRegressor,
    SharedSubspaceClassifier,
    SharedSubspaceRegressor,
    chain_graph,
    grid_graph,
    L21Classifier,
    L21Regressor,
    MeanRegularizedClassifier,
    MeanRegularizedRegressor,
    TaskGraphClassifier,
    TaskGraphRegressor,
    TaskRelationClassifier,
    TaskRelationRegressor,
    TraceNormClassifier,
    TraceNormRegressor,
    alpha_max,
)
from .model_selection import Comparison, compare
from .neural import MultiTaskMLPClassifier, MultiTaskMLPRegressor

__version__ = "0.1.0.dev0"

__all__ = [
    "MultiTaskKernelRidge",
    "FusedTaskClassifier",
    "FusedTaskRegressor",
    "ClusteredClassifier",
    "ClusteredRegressor",
    "SharedSubspaceClassifier",
    "SharedSubspaceRegressor",
    "Comparison",
    "L21Classifier",
    "L21Regressor",
    "MeanRegularizedClassifier",
    "MeanRegularizedRegressor",
    "MultiTaskMLPClassifier",
    "MultiTaskMLPRegressor",
    "PooledBaseline",
    "SingleTaskBaseline",
    "TaskGraphClassifier",
    "TaskGraphRegressor",
    "TaskRelationClassifier",
    "TaskRelationRegressor",
    "TraceNormClassifier",
    "TraceNormRegressor",
    "__version__",
    "alpha_max",
    "chain_graph",
    "grid_graph",
    "compare",
]
