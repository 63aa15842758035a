r"""The optimisation problem shared by every estimator, and its certificates.

.. math::

    \min_{W, b} \; F(X W + \mathbf{1} b^\top) + \Omega(W)
        + \frac{\rho}{2} \lVert W \rVert_F^2 + \frac{1}{2} \mathrm{tr}(W C W^\top)

``F`` is a datafit (:mod:`skmtl.datafits`), ``Omega`` a penalty
(:mod:`skmtl.penalties`), ``rho`` the ridge strength and ``C`` an optional
symmetric positive semi-definite coupling between the columns of ``W`` (the
task-graph and mean-regularisation terms). ``W`` is (n_features, n_columns).
"""

import numpy as np
from scipy import sparse

from ._prox_grad import kkt_distance, sqnorm
from ._restricted import choose_objective


class Problem:
    """Data, datafit and penalties of one fit, with gradients and certificates.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    datafit : Quadratic or Logistic
    penalty : penalty object
    fit_intercept : bool
    ridge : float
    coupling : ndarray of shape (n_columns, n_columns) or None
    """

    def __init__(self, X, datafit, penalty, *, fit_intercept, ridge=0.0, coupling=None):
        self.X = X.tocsc() if sparse.issparse(X) else X
        self.datafit = datafit
        self.penalty = penalty
        self.fit_intercept = bool(fit_intercept)
        self.ridge = float(ridge)
        self.coupling = None if coupling is None else np.asarray(coupling, float)
        self.n_features = X.shape[1]
        self.n_columns = datafit.n_columns
        self.profiled = self.fit_intercept and datafit.profiled_intercept
        self._task_scale = _rank_one_scale(datafit.column_weights)

    # -- smooth quadratic penalty ------------------------------------------------
    def quadratic_value(self, W):
        value = 0.5 * self.ridge * sqnorm(W) if self.ridge else 0.0
        if self.coupling is not None:
            value += 0.5 * float(np.vdot(W, W @ self.coupling))
        return value

    def quadratic_gradient(self, W):
        """Gradient of the quadratic terms (0 when there are none)."""
        grad = self.ridge * W if self.ridge else 0.0
        if self.coupling is not None:
            grad = grad + W @ self.coupling
        return grad

    # -- full-size quantities ----------------------------------------------------
    def linear_predictor(self, W):
        """``X W`` computed from the non-zero rows of ``W`` only."""
        rows = np.flatnonzero(np.any(W != 0, axis=1))
        if rows.size == 0:
            return np.zeros((self.X.shape[0], self.n_columns))
        XS = self.X[:, rows]
        XS = XS.toarray() if sparse.issparse(XS) else XS
        return np.asarray(XS @ W[rows], dtype=np.float64)

    def intercept(self, XW, b):
        if self.profiled:
            return self.datafit.best_intercept(XW)
        if not self.fit_intercept:
            return np.zeros(self.n_columns)
        return b

    def full_gradient(self, W, b, XW=None):
        """Return ``b, Z, raw, G`` with G the gradient of the smooth part in W.

        ``XW`` may be passed when already known.
        """
        if XW is None:
            XW = self.linear_predictor(W)
        b = self.intercept(XW, b)
        Z = XW + b
        raw = self.datafit.raw_gradient(Z)
        G = _xt_dot(self.X, raw) + self.quadratic_gradient(W)
        return b, Z, raw, G

    def intercept_gradient(self, raw):
        if self.fit_intercept and not self.profiled:
            return raw.sum(axis=0)
        return np.zeros(0)

    def objective(self, W, b):
        XW = self.linear_predictor(W)
        b = self.intercept(XW, b)
        return (
            self.datafit.value(XW + b) + self.penalty.value(W) + self.quadratic_value(W)
        )

    def null_point(self):
        """``(W, b)`` with zero coefficients and the best intercept for them."""
        W = np.zeros((self.n_features, self.n_columns))
        b = (
            self.datafit.null_intercept()
            if self.fit_intercept
            else np.zeros(W.shape[1])
        )
        return W, b

    # -- certificates ------------------------------------------------------------
    def kkt_violation(self, W, G, raw):
        """Euclidean distance from ``-gradient`` to the subdifferential."""
        return kkt_distance(self.penalty, W, G, self.intercept_gradient(raw))

    @property
    def has_duality_gap(self):
        """A closed-form dual exists: squared loss, no coupling term."""
        if not hasattr(self.datafit, "residual_moments") or self.coupling is not None:
            return False
        if self.ridge > 0:
            return True
        return getattr(self.penalty, "alpha", 0.0) > 0

    def duality_gap(self, W, Z, G):
        """Duality gap at ``W`` given the predictor ``Z`` and the gradient ``G``."""
        yr, rr = self.datafit.residual_moments(Z)
        return self.gap_from_moments(W, G, 0.5 * rr, yr, rr)

    def gap_from_moments(self, W, G, data_value, yr, rr, penalty_value=None):
        r"""Duality gap at the dual point :math:`\Theta = s\,\omega\circ R`.

        ``G`` is the smooth gradient in ``W`` (its columns may be a subset of
        the features: the gap is then the one of the restricted problem).
        Without ridge, ``s`` scales the dual point into the feasible set.
        Requires the optimal (profiled) intercept when ``fit_intercept``.
        """
        if penalty_value is None:
            penalty_value = self.penalty.value(W)
        primal = data_value + penalty_value + self.quadratic_value(W)
        if self.ridge > 0:
            V = self.ridge * W - G  # X^T Theta at s = 1
            dual = yr - 0.5 * rr - self.penalty.conjugate(V, self.ridge)
        elif self.penalty.conjugate_is_indicator:
            norm = self.penalty.dual_norm(G)  # dual norms are even: ||-G|| = ||G||
            s = min(1.0, self.penalty.alpha / norm) if norm > 0 else 1.0
            dual = s * yr - 0.5 * s * s * rr
        else:
            dual = yr - 0.5 * rr - self.penalty.conjugate(-G, 0.0)
        return max(primal - dual, 0.0)

    def restricted(self, features):
        """Smooth part restricted to the given features (the others held at 0)."""
        return choose_objective(self, features)


def _xt_dot(X, M):
    """``X.T @ M`` in float64 without converting a float32 ``X`` to float64."""
    if X.dtype != np.float64:
        M = M.astype(X.dtype)
    if isinstance(X, np.ndarray) and X.flags.c_contiguous:
        product = (M.T @ X).T  # BLAS is faster this way round for C-ordered X
    else:
        product = X.T @ M
    return np.asarray(product, dtype=np.float64)


def _rank_one_scale(weights):
    """Return ``(a, c)`` if ``weights == outer(a, c)`` (shared rows), else None."""
    support = weights > 0
    if not np.all(support == support[:, :1]):
        return None
    first = weights[:, 0]
    rows = first > 0
    ratios = weights[rows] / first[rows, None]
    scale = ratios[0]
    if not np.allclose(ratios, scale, rtol=1e-12, atol=0):
        return None
    return first, scale
