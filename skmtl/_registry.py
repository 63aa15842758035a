"""The list of skmtl's multi-task models, in one place.

Each family is a regressor and a classifier with the grid on which the
command line (``python -m skmtl compare``) tunes them. A family with a
sparsity parameter (``relative``) is wrapped in
:class:`~skmtl.model_selection.RelativeAlpha`, so its grid is over ``ratio``,
the penalty as a fraction of :func:`skmtl.alpha_max` on each training set;
``estimator__<name>`` entries reach the wrapped model's other parameters.
A new model is one more :class:`Family` here; the CLI and the tests read
:data:`FAMILIES`.
"""

from dataclasses import dataclass, field

from .estimators import (
    ClusteredClassifier,
    ClusteredRegressor,
    FusedTaskClassifier,
    FusedTaskRegressor,
    L21Classifier,
    L21Regressor,
    MeanRegularizedClassifier,
    MeanRegularizedRegressor,
    SharedSubspaceClassifier,
    SharedSubspaceRegressor,
    TaskGraphClassifier,
    TaskGraphRegressor,
    TaskRelationClassifier,
    TaskRelationRegressor,
    TraceNormClassifier,
    TraceNormRegressor,
)
from .model_selection import RelativeAlpha

__all__ = ["FAMILIES", "Family", "find", "model_names"]


@dataclass(frozen=True)
class Family:
    """A multi-task model as a regressor and a classifier, with CLI grids.

    Attributes
    ----------
    regressor, classifier : type
    grid, quick_grid : dict of str to list
        Parameter grids (full, and for ``--quick``), keys as seen by the
        grid search: ``ratio`` / ``estimator__<name>`` when ``relative``.
    relative : str or None
        The parameter set relative to ``alpha_max`` (``"alpha"``, ``"l1"``).
    params : dict
        Constructor parameters of the model.
    """

    regressor: type
    classifier: type
    grid: dict
    quick_grid: dict
    relative: str | None = None
    params: dict = field(default_factory=dict)

    def cls(self, classification):
        return self.classifier if classification else self.regressor

    def model(self, classification):
        """The untuned model (wrapped when its grid is relative)."""
        model = self.cls(classification)(**self.params)
        if self.relative is not None:
            model = RelativeAlpha(model, param=self.relative)
        return model

    def grid_for(self, quick):
        return self.quick_grid if quick else self.grid


FAMILIES = (
    Family(
        L21Regressor,
        L21Classifier,
        grid={"ratio": [0.5, 0.16, 0.05]},
        quick_grid={"ratio": [0.3, 0.05]},
        relative="alpha",
    ),
    Family(
        TraceNormRegressor,
        TraceNormClassifier,
        grid={"ratio": [0.5, 0.16, 0.05]},
        quick_grid={"ratio": [0.3, 0.05]},
        relative="alpha",
    ),
    Family(
        MeanRegularizedRegressor,
        MeanRegularizedClassifier,
        grid={"alpha": [0.03, 0.3, 3.0], "ridge": [0.01, 0.1]},
        quick_grid={"alpha": [0.1, 1.0], "ridge": [0.1]},
    ),
    Family(
        TaskGraphRegressor,
        TaskGraphClassifier,
        grid={"ratio": [0.1, 0.03], "estimator__alpha": [0.1, 1.0, 10.0]},
        quick_grid={"ratio": [0.1, 0.02], "estimator__alpha": [1.0]},
        relative="l1",
        params={"graph": None, "l1": 1.0},
    ),
    Family(
        TaskRelationRegressor,
        TaskRelationClassifier,
        grid={"alpha": [0.01, 0.05, 0.25]},
        quick_grid={"alpha": [0.01, 0.1]},
    ),
    Family(
        ClusteredRegressor,
        ClusteredClassifier,
        grid={"alpha": [0.03, 0.1, 0.3], "n_clusters": [1, 2, 4]},
        quick_grid={"alpha": [0.03, 0.3], "n_clusters": [2]},
    ),
    Family(
        SharedSubspaceRegressor,
        SharedSubspaceClassifier,
        grid={"alpha": [0.03, 0.1, 0.3], "n_components": [1, 3]},
        quick_grid={"alpha": [0.03, 0.3], "n_components": [2]},
    ),
    Family(
        FusedTaskRegressor,
        FusedTaskClassifier,
        grid={"ratio": [0.5, 0.16, 0.05], "estimator__fused": [0.01, 0.1]},
        quick_grid={"ratio": [0.3, 0.05]},
        relative="alpha",
    ),
)


def model_names(classification):
    """Class names of the models of one kind, in the order of FAMILIES."""
    return [family.cls(classification).__name__ for family in FAMILIES]


def find(name):
    """``(family, classification)`` of a model class name; KeyError if none."""
    for family in FAMILIES:
        for classification in (False, True):
            if family.cls(classification).__name__ == name:
                return family, classification
    raise KeyError(name)
