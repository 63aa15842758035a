r"""Regularization paths: :func:`minimize` for a sequence of problems on one fold.

The points of a path share the data term (same datafit, same design) and
differ only in their regularizer. :class:`PathSolver` keeps what does not
depend on the regularizer from one point to the next:

* the quadratic model of the squared loss (per-task Gram moments, or a
  shared Gram with per-task scales), built once for the path;
* when a point is a linear system (squared loss and quadratic terms only:
  mean-regularized and task-graph models without ``l1``), the decomposition
  of the model: one eigendecomposition of the shared Gram (Sylvester), or one
  per task Gram, which preconditions conjugate gradients for every task
  penalty :math:`Q = \rho I + C` (a plain block-Jacobi preconditioner would
  invert the blocks again for every ``Q``).

Every other point goes to :func:`minimize`, which chooses the algorithm;
the caller passes the previous solution as the warm start. An L2,1 path on
the squared loss can instead run whole in compiled code
(:meth:`PathSolver.compiled_path`, the folds of ``L21RegressorCV``).
"""

import numpy as np

from ._closed_form import CoupledSolver, SharedDesignSolver, conjugate_gradient
from ._minimize import minimize, tolerance_scales

_UNSET = object()


class EigenCoupledSolver(CoupledSolver):
    """Conjugate gradients for any task penalty ``Q`` from one set of
    per-column eigendecompositions ``H_t = U_t diag(lambda_t) U_t^T``.

    The block preconditioner ``(H_t + Q_tt I)^{-1}`` is applied as
    ``U_t diag(1 / (lambda_t + Q_tt)) U_t^T``.
    """

    def solve(self, Q, W0=None):
        model = self.model
        values, vectors = model.eigen()  # (T, s), (T, s, s), cached by the model
        shift = values + np.diag(Q)[:, None]
        inverse = 1.0 / np.maximum(shift, 1e-12 * max(float(shift.max()), 1e-300))

        def apply(W):
            return model.hessian_product(W) + W @ Q

        def precondition(R):
            projected = np.einsum("tkj,kt->tj", vectors, R) * inverse
            return np.einsum("tjk,tk->jt", vectors, projected)

        x0 = np.zeros_like(model.C) if W0 is None else np.array(W0, dtype=float)
        return conjugate_gradient(apply, precondition, model.C, x0, self.tol,
                                  self.max_iter)


def is_linear_system(problem):
    """Squared loss (intercepts profiled out) and only quadratic terms."""
    return bool(problem.datafit.profiled_intercept and problem.penalty.alpha == 0)


class PathSolver:
    """:func:`minimize` for the points of a regularization path on one fold.

    Give it the problem of each strength in turn (built on the same datafit
    and design, only the regularizer changing) with the previous solution as
    the start. It shares the quadratic model of the squared loss between the
    points and, where a point is a linear system, one decomposition of it;
    every other point is solved by :func:`minimize`. Each point's
    :class:`Result` is certified as :func:`minimize`'s are.

    Parameters
    ----------
    tol, max_iter : float, int
        As in :func:`minimize`, for every point.

    Examples
    --------
    A ridge-like path of the mean-regularized model: the points are linear
    systems, solved from one decomposition of the Gram matrix; each one's
    gradient vanishes:

    >>> import numpy as np
    >>> from skmtl.datafits import Quadratic
    >>> from skmtl.penalties import NoPenalty
    >>> from skmtl.solvers import PathSolver, Problem
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((30, 5))
    >>> Y = X @ rng.standard_normal((5, 3))
    >>> rows, tasks = np.tile(np.arange(30), 3), np.repeat(np.arange(3), 30)
    >>> datafit = Quadratic(rows, tasks, Y.T.ravel(), np.full(90, 1 / 30), 30, 3)
    >>> L = np.eye(3) - 1 / 3  # the mean-regularization Laplacian
    >>> path, W = PathSolver(tol=1e-10), None
    >>> for alpha in [10.0, 1.0, 0.1]:
    ...     problem = Problem(X, datafit, NoPenalty(), fit_intercept=True,
    ...                       coupling=alpha * L)
    ...     result = path.minimize(problem, W)
    ...     W = result.W
    ...     print(result.solver, result.status)
    Sylvester converged
    Sylvester converged
    Sylvester converged
    >>> grad = -X.T @ (Y - X @ W - result.b) / 30 + W @ (0.1 * L)
    >>> bool(np.abs(grad).max() < 1e-8)
    True
    """

    def __init__(self, *, tol=1e-4, max_iter=1000):
        self.tol, self.max_iter = tol, max_iter
        self._previous = None
        self._linear = _UNSET

    def minimize(self, problem, W0=None, b0=None):
        """Solve ``problem`` (the next point) from ``(W0, b0)``; a
        :class:`Result`."""
        from ._closed_form import solve_quadratic

        self._share(problem)
        options = dict(tol=self.tol, max_iter=self.max_iter)
        if is_linear_system(problem):
            solver = self._linear_solver(problem)
            if solver is not None:
                return solve_quadratic(problem, W0, solver=solver, **options)
        return minimize(problem, W0, b0, **options)

    @staticmethod
    def compiles():
        """Whether :meth:`compiled_path` can run here (numba importable)."""
        from . import _gram_path

        return _gram_path.available()

    def compiled_path(self, problem, fallback=None):
        """A solver of a whole descending grid in one compiled call, or None.

        For an L2,1 problem on the squared loss whose quadratic model of all
        features is affordable (no coupling): the compiled Gram-space path of
        :mod:`skmtl.solvers._gram_path` (only ``W`` and ``H W`` kept per
        strength, the estimator's stopping criterion), whose ``solve(alphas,
        W0)`` yields the solutions in chunks. ``fallback(alpha, W)`` solves a
        strength that the compiled epochs do not finish (a :class:`Result`).
        """
        from . import _gram_path

        if not _gram_path.applies(problem):
            return None
        return _gram_path.GramL21Path(problem, self.tol, self.max_iter, fallback)

    def _share(self, problem):
        previous, self._previous = self._previous, problem
        if previous is not None and previous is not problem:
            problem.share_gram(previous)  # the fold's quadratic model, built once
        elif previous is None and problem.datafit.profiled_intercept and (
                problem.gram_affordable(problem.n_features)):
            problem.gram(np.arange(problem.n_features))

    def _linear_solver(self, problem):
        """One solver for every linear-system point, or None (too big)."""
        if self._linear is _UNSET:
            self._linear = None
            if problem.gram_affordable(problem.n_features):
                model = problem.gram(np.arange(problem.n_features))
                if model.shared:
                    self._linear = SharedDesignSolver(model)  # eigen() of G cached
                else:
                    threshold = self.tol * tolerance_scales(problem)[1]
                    self._linear = EigenCoupledSolver(model, 1e-3 * threshold,
                                                      self.max_iter)
        return self._linear
