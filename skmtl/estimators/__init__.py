"""The public estimators (thin: build a datafit and a penalty, call a solver).

The model classes exported here are those of :data:`skmtl._registry.FAMILIES`.
"""

from .._registry import estimator_classes
from ._base import alpha_max
from ._relation import task_graph_path
from ._task_graphs import chain_graph, grid_graph

_MODELS = estimator_classes()
globals().update(_MODELS)

__all__ = sorted(
    [*_MODELS, "alpha_max", "chain_graph", "grid_graph", "task_graph_path"]
)
