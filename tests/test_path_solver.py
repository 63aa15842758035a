"""PathSolver: the points of a path equal independent solves of each point."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skmtl.datafits import Quadratic
from skmtl.penalties import L21, NoPenalty
from skmtl.solvers import PathSolver, Problem, minimize


def _fold(shared, seed=0, n=40, d=6, T=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = X @ rng.standard_normal((d, T)) + 0.3 * rng.standard_normal((n, T))
    observed = np.ones((n, T), bool) if shared else rng.random((n, T)) > 0.3
    rows, tasks = np.nonzero(observed)
    order = np.lexsort((rows, tasks))
    rows, tasks = rows[order], tasks[order]
    weights = 1.0 / np.bincount(tasks, minlength=T)[tasks]
    return X, Y, Quadratic(rows, tasks, Y[rows, tasks], weights, n, T), (rows, tasks)


def _gradient(X, Y, entries, W, b, coupling):
    """Gradient of sum_t mean_i (y - x w_t - b_t)^2 / 2 + tr(W C W^T) / 2."""
    rows, tasks = entries
    T = W.shape[1]
    n_t = np.bincount(tasks, minlength=T)
    residual = Y[rows, tasks] - np.einsum("ij,ij->i", X[rows], W[:, tasks].T) - b[tasks]
    G = np.zeros_like(W)
    for t in range(T):
        on = tasks == t
        G[:, t] = -X[rows[on]].T @ residual[on] / n_t[t]
    return G + W @ coupling


@pytest.mark.parametrize("shared", [True, False])
def test_linear_points_solve_their_systems(shared):
    X, Y, datafit, entries = _fold(shared)
    L = np.eye(3) - 1.0 / 3
    path, W = PathSolver(tol=1e-12, max_iter=5000), None
    solvers = set()
    for alpha in [30.0, 3.0, 0.3, 0.03]:
        problem = Problem(X, datafit, NoPenalty(), fit_intercept=True,
                          coupling=alpha * L)
        result = path.minimize(problem, W)
        W = result.W
        assert result.converged
        G = _gradient(X, Y, entries, W, result.b, alpha * L)
        assert np.abs(G).max() < 1e-7
        solvers.add(id(path._linear))
    assert len(solvers) == 1  # one decomposition for the whole path


def test_sparse_points_equal_independent_minimize():
    X, Y, datafit, _ = _fold(False, seed=1)
    path, W, b = PathSolver(tol=1e-10, max_iter=5000), None, None
    for alpha in [0.3, 0.1, 0.03]:
        problem = Problem(X, datafit, L21(alpha), fit_intercept=True, ridge=0.01)
        result = path.minimize(problem, W, b)
        W, b = result.W, result.b
        alone = minimize(Problem(X, datafit, L21(alpha), fit_intercept=True,
                                 ridge=0.01), tol=1e-10, max_iter=5000)
        assert result.converged and alone.converged
        assert_allclose(W, alone.W, atol=1e-6)
        assert problem.has_gram  # shared from the first point
