"""Clustered tasks (convex cMTL) and shared subspaces (convex ASO).

References in tests/_models_reference.py import nothing from skmtl: an
alternating exact minimisation over ``(W, b)`` (one dense solve) and ``M``
(eigenvalues by bisection), and accelerated proximal gradient on the
smooth penalty for the logistic loss.
"""

import numpy as np
import pytest
from _models_reference import (
    best_structure,
    fista,
    lipschitz,
    logistic_loss,
    missing,
    squared_loss,
    structure_penalty,
    structure_regression,
)
from numpy.testing import assert_allclose
from sklearn.base import is_classifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmtl import (
    ClusteredClassifier,
    ClusteredRegressor,
    SharedSubspaceClassifier,
    SharedSubspaceRegressor,
)

TIGHT = dict(tol=1e-13, max_iter=100000)


def _clustered_data(seed=0, n=40, d=5, classification=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    centres = rng.standard_normal((d, 2))
    W = centres[:, [0, 0, 1, 1]] + 0.3 * rng.standard_normal((d, 4))
    Z = X @ W + 0.5 + 0.5 * rng.standard_normal((n, 4))
    Y = (Z > 0.5).astype(float) if classification else Z
    return X, missing(Y, 0.2, rng)


def _objective(X, Y, model, side, k, ridge=0.0):
    W, b = model.coef_.T, model.intercept_
    M = best_structure(W, model.eta, k, side)
    loss = logistic_loss if is_classifier(model) else squared_loss
    value = loss(X, Y, W, b)[0] + structure_penalty(W, M, model.alpha, model.eta, side)
    return value + 0.5 * ridge * np.sum(W * W)


@pytest.mark.parametrize(
    "cls, side, k, ridge",
    [
        (ClusteredRegressor, "columns", 2, 0.0),
        (ClusteredRegressor, "columns", 1, 0.05),
        (SharedSubspaceRegressor, "rows", 2, 0.0),
    ],
)
def test_regression_objective_matches_reference(cls, side, k, ridge):
    X, Y = _clustered_data()
    name = "n_clusters" if side == "columns" else "n_components"
    model = cls(alpha=0.3, eta=0.2, ridge=ridge, **{name: k}, **TIGHT).fit(X, Y)
    *_, reference = structure_regression(X, Y, 0.3, 0.2, k, side, ridge)
    ours = _objective(X, Y, model, side, k, ridge)
    assert abs(ours - reference) <= 1e-6 * abs(reference)
    assert 0 <= model.dual_gap_ <= 1e-10


@pytest.mark.parametrize("cls, side", [(ClusteredClassifier, "columns"),
                                       (SharedSubspaceClassifier, "rows")])
def test_classifier_objective_matches_reference(cls, side):
    X, Y = _clustered_data(1, classification=True)
    alpha, eta, k = 0.1, 0.3, 2
    name = "n_clusters" if side == "columns" else "n_components"
    model = cls(alpha=alpha, eta=eta, **{name: k}, tol=1e-10, max_iter=10000).fit(X, Y)
    c = alpha * eta * (1 + eta)

    def smooth(W):  # smooth penalty: gradient by Danskin at the optimal M
        M = best_structure(W, eta, k, side)
        P = np.linalg.inv(eta * np.eye(M.shape[0]) + M)
        grad = 2 * c * (W @ P if side == "columns" else P @ W)
        return structure_penalty(W, M, alpha, eta, side), grad

    L = lipschitz(X, Y, 0.25) + 2 * c / eta
    d, T = X.shape[1], Y.shape[1]
    *_, reference = fista(lambda W, b: logistic_loss(X, Y, W, b), smooth,
                          lambda V, step: V, lambda W: 0.0,
                          np.zeros((d, T)), np.zeros(T), L, 800)
    ours = _objective(X, Y, model, side, k)
    assert abs(ours - reference) <= 1e-6 * abs(reference)


def test_optimality_and_reported_structure():
    """Gradient zero with the reported ``M``, which is feasible and optimal."""
    X, Y = _clustered_data(2)
    alpha, eta, k = 0.3, 0.2, 2
    model = ClusteredRegressor(alpha=alpha, eta=eta, n_clusters=k, **TIGHT).fit(X, Y)
    W, b = model.coef_.T, model.intercept_
    M = model.task_similarity_
    values = np.linalg.eigvalsh(M)
    assert values.min() >= -1e-10 and values.max() <= 1 + 1e-10
    assert_allclose(np.trace(M), k)
    assert_allclose(M, best_structure(W, eta, k, "columns"), atol=1e-8)
    _, G, gb = squared_loss(X, Y, W, b)
    G = G + 2 * alpha * eta * (1 + eta) * W @ np.linalg.inv(eta * np.eye(4) + M)
    G0 = squared_loss(X, Y, 0 * W, np.nanmean(Y, axis=0))[1]
    # a gap of 1e-13 (relative) bounds the gradient by about its square root
    assert np.linalg.norm(G) <= 1e-5 * np.linalg.norm(G0)
    assert_allclose(gb, 0.0, atol=1e-10)
    assert model.kkt_violation_ <= 1e-5 * np.linalg.norm(G0)


def test_clusters_recovered_and_permuted():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((80, 6))
    centres = 2 * rng.standard_normal((6, 3))
    groups = np.array([0, 1, 0, 2, 1, 2])
    Y = X @ (centres[:, groups] + 0.05 * rng.standard_normal((6, 6)))
    Y += 0.1 * rng.standard_normal(Y.shape)
    model = ClusteredRegressor(alpha=0.1, n_clusters=3, **TIGHT).fit(X, Y)
    assert_allclose(model.task_clusters_, [0, 1, 0, 2, 1, 2])
    perm = np.array([5, 2, 0, 4, 1, 3])
    other = ClusteredRegressor(alpha=0.1, n_clusters=3, **TIGHT).fit(X, Y[:, perm])
    assert_allclose(other.coef_, model.coef_[perm], atol=1e-8)
    assert_allclose(other.task_similarity_, model.task_similarity_[np.ix_(perm, perm)],
                    atol=1e-8)
    same = other.task_clusters_[:, None] == other.task_clusters_[None, :]
    assert np.array_equal(same, (groups[perm][:, None] == groups[perm][None, :]))


def test_subspace_recovered():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((60, 6))
    direction = np.array([1.0, 2.0, 0, 0, 0, 0]) / np.sqrt(5)
    Y = X @ np.outer(direction, rng.standard_normal(5))
    Y += 0.05 * rng.standard_normal((60, 5))
    model = SharedSubspaceRegressor(alpha=0.1, **TIGHT).fit(X, Y)
    assert_allclose(np.abs(model.subspace_[0] @ direction), 1.0, atol=1e-2)
    M = model.feature_similarity_
    assert_allclose(np.trace(M), 1.0)


def test_same_function_of_W():
    """As a function of W the two penalties coincide when k fits both sides."""
    X, Y = _clustered_data(5)
    a = ClusteredRegressor(alpha=0.2, eta=0.5, n_clusters=2, **TIGHT).fit(X, Y)
    b = SharedSubspaceRegressor(alpha=0.2, eta=0.5, n_components=2, **TIGHT).fit(X, Y)
    assert_allclose(a.coef_, b.coef_, atol=1e-8)


def test_warm_start_and_errors():
    X, Y = _clustered_data(6)
    model = ClusteredRegressor(alpha=0.3, n_clusters=2, warm_start=True, tol=1e-10)
    model.fit(X, Y)
    first = model.n_iter_
    model.fit(X, Y)
    assert model.n_iter_ <= max(first // 2, 1)
    T = Y.shape[1]
    message = f"n_clusters=5 exceeds the number of tasks .{T}."
    with pytest.warns(UserWarning, match=message):
        over = ClusteredRegressor(alpha=0.3, n_clusters=5, tol=1e-10).fit(X, Y)
    # more clusters than tasks is fitted as one cluster per task: M = I
    exact = ClusteredRegressor(alpha=0.3, n_clusters=T, tol=1e-10).fit(X, Y)
    assert_allclose(over.coef_, exact.coef_, atol=1e-10)
    assert_allclose(over.task_similarity_, np.eye(T), atol=1e-8)
    assert sorted(over.task_clusters_) == list(range(T))
    with pytest.raises(ValueError, match="n_components=6 exceeds the number of feat"):
        SharedSubspaceRegressor(n_components=6).fit(X, Y)
    with pytest.raises(ValueError, match="eta"):
        ClusteredRegressor(eta=0.0).fit(X, Y)


def _expected_failed(estimator):
    failed = {}
    if is_classifier(estimator):
        failed["check_classifier_multioutput"] = "predict_proba is a list per task"
    return failed


@parametrize_with_checks(
    [ClusteredRegressor(), ClusteredClassifier(),
     SharedSubspaceRegressor(), SharedSubspaceClassifier()],
    expected_failed_checks=_expected_failed,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
