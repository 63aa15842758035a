"""skmtl: regularized multi-task learning estimators for scikit-learn."""

from .baselines import PooledBaseline, SingleTaskBaseline
from .estimators import (
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
from .model_selection import (
    Comparison,
    L21ClassifierCV,
    L21RegressorCV,
    MeanRegularizedClassifierCV,
    MeanRegularizedRegressorCV,
    MultiTaskMLPClassifierCV,
    MultiTaskMLPRegressorCV,
    TaskGraphClassifierCV,
    TaskGraphRegressorCV,
    TaskRelationClassifierCV,
    TaskRelationRegressorCV,
    TraceNormClassifierCV,
    TraceNormRegressorCV,
    compare,
)
from .neural import MultiTaskMLPClassifier, MultiTaskMLPRegressor

__version__ = "0.1.0.dev0"

__all__ = [
    "Comparison",
    "L21Classifier",
    "L21ClassifierCV",
    "L21Regressor",
    "L21RegressorCV",
    "MeanRegularizedClassifier",
    "MeanRegularizedClassifierCV",
    "MeanRegularizedRegressor",
    "MeanRegularizedRegressorCV",
    "MultiTaskMLPClassifier",
    "MultiTaskMLPClassifierCV",
    "MultiTaskMLPRegressor",
    "MultiTaskMLPRegressorCV",
    "PooledBaseline",
    "SingleTaskBaseline",
    "TaskGraphClassifier",
    "TaskGraphClassifierCV",
    "TaskGraphRegressor",
    "TaskGraphRegressorCV",
    "TaskRelationClassifier",
    "TaskRelationClassifierCV",
    "TaskRelationRegressor",
    "TaskRelationRegressorCV",
    "TraceNormClassifier",
    "TraceNormClassifierCV",
    "TraceNormRegressor",
    "TraceNormRegressorCV",
    "__version__",
    "alpha_max",
    "compare",
]
