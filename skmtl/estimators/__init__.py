"""The public estimators (thin: build a datafit and a penalty, call a solver)."""

from ._base import alpha_max
from ._clustered import (
    ClusteredClassifier,
    ClusteredRegressor,
    SharedSubspaceClassifier,
    SharedSubspaceRegressor,
)
from ._fused import FusedTaskClassifier, FusedTaskRegressor
# a regressor only, not a family of skmtl._registry (which pairs a regressor
# with a classifier): exported by skmtl, not listed in __all__ here
from ._kernel import MultiTaskKernelRidge  # noqa: F401
from ._l21 import L21Classifier, L21Regressor
from ._relation import (
    MeanRegularizedClassifier,
    MeanRegularizedRegressor,
    TaskGraphClassifier,
    TaskGraphRegressor,
    TaskRelationClassifier,
    TaskRelationRegressor,
    task_graph_path,
)
from ._task_graphs import chain_graph, grid_graph
from ._trace import TraceNormClassifier, TraceNormRegressor

__all__ = [
    "FusedTaskClassifier",
    "FusedTaskRegressor",
    "ClusteredClassifier",
    "ClusteredRegressor",
    "SharedSubspaceClassifier",
    "SharedSubspaceRegressor",
    "L21Classifier",
    "L21Regressor",
    "MeanRegularizedClassifier",
    "MeanRegularizedRegressor",
    "TaskGraphClassifier",
    "TaskGraphRegressor",
    "TaskRelationClassifier",
    "TaskRelationRegressor",
    "TraceNormClassifier",
    "TraceNormRegressor",
    "alpha_max",
    "chain_graph",
    "grid_graph",
    "task_graph_path",
]
