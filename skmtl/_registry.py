"""The list of skmtl's multi-task models, in one place.

Each :class:`Family` names a model's module (under :mod:`skmtl.estimators`)
and its classes (``<name>Regressor`` and ``<name>Classifier``, or the
``classes`` it lists), with the grid on which the command line
(``python -m skmtl compare``) tunes them. A family with a sparsity parameter
(``relative``) is wrapped in :class:`~skmtl.model_selection.RelativeAlpha`,
so its grid is over ``ratio``, the penalty as a fraction of
:func:`skmtl.alpha_max` on each training set; ``estimator__<name>`` entries
reach the wrapped model's other parameters.

Everything else reads :data:`FAMILIES`: the exports of :mod:`skmtl` and
:mod:`skmtl.estimators` (:func:`estimator_classes`), the command line
(:func:`model_names`, :func:`find`) and the tests. Adding a model is one
more :class:`Family` here plus its module. Classes are imported lazily, so
this module imports nothing from the estimators when it is loaded.
"""

from dataclasses import dataclass, field
from importlib import import_module

__all__ = ["FAMILIES", "Family", "estimator_classes", "find", "model_names"]


@dataclass(frozen=True)
class Family:
    """A multi-task model as a regressor and a classifier, with CLI grids.

    Attributes
    ----------
    name : str
        Prefix of the class names (``"L21"``: ``L21Regressor``, ``L21Classifier``).
    module : str
        Module of :mod:`skmtl.estimators` defining the classes (``"_l21"``).
    grid, quick_grid : dict of str to list
        Parameter grids (full, and for ``--quick``), keys as seen by the
        grid search: ``ratio`` / ``estimator__<name>`` when ``relative``.
    relative : str or None
        The parameter set relative to ``alpha_max`` (``"alpha"``, ``"l1"``).
    params : dict
        Constructor parameters of the model in the comparison.
    classes : tuple of str or None
        ``(regressor, classifier)`` class names when they are not
        ``<name>Regressor`` / ``<name>Classifier``; an entry may be None (a
        model with one kind only).
    """

    name: str
    module: str
    grid: dict
    quick_grid: dict
    relative: str | None = None
    params: dict = field(default_factory=dict)
    classes: tuple | None = None

    def class_name(self, classification):
        if self.classes is not None:
            return self.classes[1 if classification else 0]
        return self.name + ("Classifier" if classification else "Regressor")

    def cls(self, classification):
        """The class of that kind (None if the family has none)."""
        name = self.class_name(classification)
        if name is None:
            return None
        return getattr(import_module(f"skmtl.estimators.{self.module}"), name)

    @property
    def regressor(self):
        return self.cls(False)

    @property
    def classifier(self):
        return self.cls(True)

    def model(self, classification):
        """The untuned model (wrapped when its grid is relative)."""
        from .model_selection import RelativeAlpha

        model = self.cls(classification)(**self.params)
        if self.relative is not None:
            model = RelativeAlpha(model, param=self.relative)
        return model

    def grid_for(self, quick):
        return self.quick_grid if quick else self.grid


_RATIOS = {"grid": {"ratio": [0.5, 0.16, 0.05]}, "quick_grid": {"ratio": [0.3, 0.05]}}

FAMILIES = (
    Family("L21", "_l21", relative="alpha", **_RATIOS),
    Family("TraceNorm", "_trace", relative="alpha", **_RATIOS),
    Family(
        "MeanRegularized",
        "_relation",
        grid={"alpha": [0.03, 0.3, 3.0], "ridge": [0.01, 0.1]},
        quick_grid={"alpha": [0.1, 1.0], "ridge": [0.1]},
    ),
    Family(
        "TaskGraph",
        "_relation",
        grid={"ratio": [0.1, 0.03], "estimator__alpha": [0.1, 1.0, 10.0]},
        quick_grid={"ratio": [0.1, 0.02], "estimator__alpha": [1.0]},
        relative="l1",
        params={"graph": None, "l1": 1.0},
    ),
    Family(
        "TaskRelation",
        "_relation",
        grid={"alpha": [0.01, 0.05, 0.25]},
        quick_grid={"alpha": [0.01, 0.1]},
    ),
    Family(
        "Dirty",
        "_decomposed",
        grid={"ratio": [0.3, 0.1, 0.03], "estimator__l1": [0.03, 0.1]},
        quick_grid={"ratio": [0.1], "estimator__l1": [0.05]},
        relative="alpha",
    ),
    Family(
        "RobustFeature",
        "_decomposed",
        grid={"ratio": [0.3, 0.1, 0.03], "estimator__beta": [0.1, 0.3]},
        quick_grid={"ratio": [0.1], "estimator__beta": [0.3]},
        relative="alpha",
    ),
    Family(
        "RobustLowRank",
        "_decomposed",
        grid={"ratio": [0.3, 0.1, 0.03], "estimator__beta": [0.1, 0.3]},
        quick_grid={"ratio": [0.1], "estimator__beta": [0.3]},
        relative="alpha",
    ),
    Family(
        "SparseLowRank",
        "_decomposed",
        grid={"ratio": [0.3, 0.1, 0.03], "estimator__l1": [0.03, 0.1]},
        quick_grid={"ratio": [0.1], "estimator__l1": [0.05]},
        relative="alpha",
    ),
    Family(
        "Clustered",
        "_clustered",
        grid={"alpha": [0.03, 0.1, 0.3], "n_clusters": [1, 2, 4]},
        quick_grid={"alpha": [0.03, 0.3], "n_clusters": [2]},
    ),
    Family(
        "SharedSubspace",
        "_clustered",
        grid={"alpha": [0.03, 0.1, 0.3], "n_components": [1, 3]},
        quick_grid={"alpha": [0.03, 0.3], "n_components": [2]},
    ),
    Family(
        "FusedTask",
        "_fused",
        grid={**_RATIOS["grid"], "estimator__fused": [0.01, 0.1]},
        quick_grid=_RATIOS["quick_grid"],
        relative="alpha",
    ),
    Family(
        "MultiTaskKernelRidge",
        "_kernel",
        # ridge stays at its default in the comparison: searched as
        # [0.003, 0.03] it doubled the exact solves of MultiTaskKernelRidgeCV
        # and did not raise its score on the synthetic data (R^2 per split
        # 0.016, 0.020, -0.004, -0.006, -0.010 against 0.015, 0.022, -0.000,
        # -0.001, 0.010 with the default)
        grid={"alpha": [0.1, 1.0, 10.0]},
        quick_grid={"alpha": [1.0]},
        classes=("MultiTaskKernelRidge", None),
    ),
)


def estimator_classes():
    """``{class name: class}`` of every model, in the order of FAMILIES."""
    out = {}
    for family in FAMILIES:
        for classification in (False, True):
            cls = family.cls(classification)
            if cls is not None:
                out[cls.__name__] = cls
    return out


def model_names(classification):
    """Class names of the models of one kind, in the order of FAMILIES."""
    names = (family.class_name(classification) for family in FAMILIES)
    return [name for name in names if name is not None]


def find(name):
    """``(family, classification)`` of a model class name; KeyError if none."""
    for family in FAMILIES:
        for classification in (False, True):
            if family.class_name(classification) == name:
                return family, classification
    raise KeyError(name)
