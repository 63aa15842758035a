"""The estimator layer: generated signatures, the registry, ColumnLayout views."""

import inspect

import numpy as np
import pytest
from sklearn.base import clone

import skmtl
from skmtl import estimators
from skmtl._data import ColumnLayout
from skmtl._registry import FAMILIES, estimator_classes, model_names

# the models built on the layer (MultiTaskKernelRidge is a direct solve with
# its own parameters, not a datafit + regularizer problem)
CLASSES = [c for c in estimator_classes().values() if hasattr(c, "_build_problem")]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_signature_is_explicit_and_validated(cls):
    signature = inspect.signature(cls.__init__)
    kinds = {p.kind for p in signature.parameters.values()}
    assert inspect.Parameter.VAR_KEYWORD not in kinds
    assert inspect.Parameter.VAR_POSITIONAL not in kinds
    names = [n for n in signature.parameters if n != "self"]
    assert set(names) == set(cls().get_params()) == set(cls._parameter_constraints)
    shared = ["fit_intercept", "task_weights", "tol", "max_iter", "warm_start",
              "verbose"]
    side = list(getattr(cls, "_side_parameters", {}))  # e.g. class_weight
    assert names[len(names) - len(side):] == side  # a side's parameters last
    names = names[:len(names) - len(side)]
    assert names[-6:] == shared  # the model's own parameters (and ridge) first


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_set_params_and_clone_round_trip(cls):
    est = cls().set_params(tol=1e-7, max_iter=17)
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert copy.tol == 1e-7 and copy.max_iter == 17
    for name in cls._sparsity_parameters:
        assert name in copy.get_params()


def test_exports_follow_the_registry():
    names = set(model_names(False)) | set(model_names(True))
    public = [getattr(estimators, n) for n in estimators.__all__]
    exported = {c.__name__ for c in public if inspect.isclass(c)}
    assert exported == names
    assert names <= set(skmtl.__all__)
    for family in FAMILIES:
        for classification in (False, True):
            cls = family.cls(classification)
            if cls is None:  # a one-kind family (MultiTaskKernelRidge)
                continue
            assert getattr(skmtl, cls.__name__) is cls


def test_positional_parameters_keep_their_order():
    assert skmtl.L21Regressor(0.3).alpha == 0.3
    assert skmtl.TaskGraphRegressor(None, 0.2, 0.1, 0.05).l1 == 0.05
    assert skmtl.L21Classifier().alpha == "auto"  # 0.1 alpha_max, set in fit


def test_column_layout_views():
    rng = np.random.default_rng(0)
    layout = ColumnLayout.from_classes([np.arange(3)] * 4)
    W = rng.standard_normal((5, 12))  # 4 tasks x 3 classes, task-major
    V = layout.task_matrix(W)
    assert V.shape == (15, 4)
    np.testing.assert_array_equal(V[:, 2], W[:, 6:9].ravel())  # task 2's weights
    np.testing.assert_array_equal(layout.from_task_matrix(V), W)
    M = rng.standard_normal((4, 4))
    np.testing.assert_array_equal(layout.expand(M), np.kron(M, np.eye(3)))
    mean = np.mean([W[:, 3 * t : 3 * t + 3] for t in range(4)], axis=0).T
    np.testing.assert_allclose(layout.task_mean(W), mean)
    assert layout.slices()[1] == slice(3, 6)


def test_alpha_max_names_the_parameters():
    X = np.random.default_rng(0).standard_normal((20, 3))
    Y = X @ np.ones((3, 2))
    with pytest.raises(ValueError, match=r"alpha_max is defined for \['l1', 'l21'\]"):
        skmtl.alpha_max(skmtl.TaskGraphRegressor(), X, Y, param="alpha")
    default = skmtl.alpha_max(skmtl.L21Regressor(), X, Y)
    assert default == skmtl.alpha_max(skmtl.L21Regressor(), X, Y, param="alpha")
