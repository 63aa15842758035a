r"""Squared loss with a quadratic task penalty: linear equations, solved directly.

With the intercepts profiled out, the minimiser of

.. math::

    \frac{1}{2}\sum_{i,t} \omega_{it}(y_{it} - x_i^\top w_t - b_t)^2
    + \frac{1}{2}\mathrm{tr}(W Q W^\top), \qquad Q = \rho I + C,

solves :math:`H_t w_t + (W Q)_{:,t} = c_t` for every task ``t``, with ``H_t``
and ``c_t`` the task-centred weighted second moments of ``X`` and ``y_t``.

* Shared rows (``omega_it = a_i g_t``): ``H_t = g_t G``, and the equations
  are the Sylvester equation :math:`G V + V S = B \Gamma^{1/2}` with
  :math:`W = V \Gamma^{-1/2}`, :math:`S = \Gamma^{-1/2} Q \Gamma^{-1/2}`. One
  eigendecomposition of ``G`` (or a thin SVD of the design when
  ``n < d``) and one of ``S`` solve it; :class:`SharedDesignSolver` keeps the
  first, so a path over ``Q`` (over ``alpha``) pays for it once.
* Otherwise (missing targets, per-task rows, per-entry weights): the coupled
  system is solved by conjugate gradients preconditioned with the per-task
  blocks :math:`(H_t + Q_{tt} I)^{-1}`.

Both report the KKT distance (here the gradient norm) of the full problem.
"""

import numpy as np
from scipy import linalg, sparse

from ._working_set import Result, tolerance_scales

_MAX_BLOCK_ENTRIES = 2 * 10**7


def _dense(A):
    return A.toarray() if sparse.issparse(A) else np.asarray(A, dtype=np.float64)


class SharedDesignSolver:
    """Sylvester solver for shared rows; reusable for any task penalty ``Q``.

    Parameters
    ----------
    problem : Problem
        Squared loss with weights ``a_i g_t`` (``problem._task_scale``).
    """

    def __init__(self, problem):
        row_weight, task_scale = problem._task_scale
        self.problem = problem
        self.task_scale = task_scale
        X = problem.X
        Y = problem.datafit.Y
        total = row_weight.sum()
        if problem.fit_intercept:
            self.x_mean = np.asarray(X.T @ row_weight).ravel() / total
            self.y_mean = row_weight @ Y / total
        else:
            self.x_mean = np.zeros(X.shape[1])
            self.y_mean = np.zeros(Y.shape[1])
        root = np.sqrt(row_weight)
        Yc = (Y - self.y_mean) * root[:, None]
        Xw = sparse.diags(root) @ X if sparse.issparse(X) else X * root[:, None]
        # B = Xc^T D_a Yc; the column sums of the weighted Yc vanish, so X
        # need not be centred here
        self.B = _dense(Xw.T @ Yc)
        self.basis, self.eigenvalues = self._decompose(Xw, root)

    def _decompose(self, Xw, root):
        """Eigenvectors/values of G = Xc^T D_a Xc on its range (thin SVD if n < d)."""
        n, d = Xw.shape
        if n < d:
            Xc = _dense(Xw) - np.outer(root, self.x_mean)
            _, s, Vt = linalg.svd(Xc, full_matrices=False, lapack_driver="gesdd")
            return Vt.T, s * s
        G = _dense(Xw.T @ Xw)
        G -= (root @ root) * np.outer(self.x_mean, self.x_mean)
        eigenvalues, basis = linalg.eigh(G)
        return basis, np.maximum(eigenvalues, 0.0)

    def solve(self, Q, W0=None):
        """``W`` (d, T), intercepts and iteration count (1) for the penalty ``Q``."""
        scale = 1.0 / np.sqrt(self.task_scale)
        S = Q * np.outer(scale, scale)
        mu, P = linalg.eigh(S)
        mu = np.maximum(mu, 0.0)
        rhs = self.basis.T @ (self.B * np.sqrt(self.task_scale)) @ P
        denominator = self.eigenvalues[:, None] + mu[None, :]
        tiny = 1e-12 * max(float(denominator.max()), 1e-300)
        coefficients = np.divide(
            rhs, denominator, out=np.zeros_like(rhs), where=denominator > tiny
        )
        W = (self.basis @ coefficients @ P.T) * scale
        return W, self.y_mean - self.x_mean @ W, 1


def _task_blocks(problem):
    """Per-task centred Grams ``H`` (T, d, d), moments ``C`` (d, T), means."""
    X, Y, weights = problem.X, problem.datafit.Y, problem.datafit.weights
    d, T = X.shape[1], Y.shape[1]
    H, C = np.zeros((T, d, d)), np.zeros((d, T))
    x_mean, y_mean = np.zeros((d, T)), np.zeros(T)
    for t in range(T):
        rows = np.flatnonzero(weights[:, t] > 0)
        w, Xt, y = weights[rows, t], X[rows], Y[rows, t]
        Xw = sparse.diags(w) @ Xt if sparse.issparse(Xt) else Xt * w[:, None]
        H[t] = _dense(Xt.T @ Xw)
        if problem.fit_intercept and rows.size:
            total = w.sum()
            x_mean[:, t] = np.asarray(Xw.sum(axis=0)).ravel() / total
            y_mean[t] = w @ y / total
            H[t] -= total * np.outer(x_mean[:, t], x_mean[:, t])
        C[:, t] = np.asarray(Xw.T @ (y - y_mean[t])).ravel()
    return H, C, x_mean, y_mean


def _block_preconditioner(H, Q):
    """Inverses of ``H_t + Q_tt I`` (slightly regularised where singular)."""
    T, d, _ = H.shape
    inverses = np.empty_like(H)
    for t in range(T):
        block = H[t] + Q[t, t] * np.eye(d)
        jitter = 1e-10 * max(np.trace(block) / max(d, 1), 1e-300)
        inverses[t] = linalg.inv(block + jitter * np.eye(d))
    return inverses


def conjugate_gradient(apply, precondition, rhs, x0, tol, max_iter):
    """Preconditioned CG on a symmetric positive semi-definite operator.

    Stops when the Frobenius norm of the residual is at most ``tol``.
    Returns ``x, n_iter, residual_norm``.
    """
    x = x0.copy()
    r = rhs - apply(x)
    z = precondition(r)
    p = z.copy()
    rz = float(np.vdot(r, z))
    for n_iter in range(max_iter):
        norm = float(np.linalg.norm(r))
        if norm <= tol:
            return x, n_iter, norm
        Ap = apply(p)
        curvature = float(np.vdot(p, Ap))
        if curvature <= 0:
            return x, n_iter, norm
        step = rz / curvature
        x += step * p
        r -= step * Ap
        z = precondition(r)
        rz_new = float(np.vdot(r, z))
        p = z + (rz_new / rz) * p
        rz = rz_new
    return x, max_iter, float(np.linalg.norm(r))


class CoupledSolver:
    """Conjugate gradients on the coupled per-task systems; reusable for any ``Q``.

    The per-task centred Grams ``H_t`` and moments are computed once.
    """

    def __init__(self, problem, tol, max_iter):
        self.problem = problem
        self.tol, self.max_iter = tol, max_iter
        self.H, self.C, self.x_mean, self.y_mean = _task_blocks(problem)

    def solve(self, Q, W0=None):
        """``W, b, n_iter`` for the task penalty ``Q``, started from ``W0``."""
        H = self.H
        inverses = _block_preconditioner(H, Q)

        def apply(W):
            return np.einsum("tjk,kt->jt", H, W) + W @ Q

        def precondition(R):
            return np.einsum("tjk,kt->jt", inverses, R)

        x0 = np.zeros_like(self.C) if W0 is None else W0
        W, n_iter, _ = conjugate_gradient(
            apply, precondition, self.C, x0, self.tol, self.max_iter
        )
        b = self.y_mean - np.einsum("jt,jt->t", self.x_mean, W)
        return W, b, n_iter


def closed_form_applies(problem):
    """Whether :func:`solve_quadratic` handles this problem."""
    return problem.datafit.profiled_intercept and (
        _shared(problem)
        or problem.n_columns * problem.n_features**2 <= _MAX_BLOCK_ENTRIES
    )


def _shared(problem):
    return problem._task_scale is not None and np.all(problem._task_scale[1] > 0)


def quadratic_solver(problem, *, tol=1e-4, max_iter=1000, kkt_tol=None):
    """The solver for this problem's data, reusable for any task penalty ``Q``.

    Conjugate gradients stop at a gradient norm of ``tol`` times its value at
    zero, or ``kkt_tol`` when given.
    """
    if _shared(problem):
        return SharedDesignSolver(problem)
    if kkt_tol is None:
        kkt_tol = tol * tolerance_scales(problem)[1]
    return CoupledSolver(problem, kkt_tol, max_iter)


def solve_quadratic(
    problem, Q, W0=None, *, tol=1e-4, max_iter=1000, solver=None, kkt_tol=None
):
    """Minimise a squared-loss problem whose only regulariser is ``1/2 tr(W Q W^T)``.

    ``Q`` already includes the ridge term. ``solver`` may hold a
    :func:`quadratic_solver` built earlier on the same data (a path).
    Stops when the gradient norm is at most ``tol`` times its value at zero.
    Call only where :func:`closed_form_applies`.
    """
    threshold = kkt_tol if kkt_tol is not None else tol * tolerance_scales(problem)[1]
    solver = solver or quadratic_solver(problem, max_iter=max_iter, kkt_tol=threshold)
    W, b, n_iter = solver.solve(Q, W0)
    b, Z, raw, G = problem.full_gradient(W, b)
    kkt = problem.kkt_violation(W, G, raw)
    exact = isinstance(solver, SharedDesignSolver)  # exact up to rounding
    converged = kkt <= threshold or exact
    return Result(W, b, n_iter, converged, kkt, None, "kkt", kkt, threshold)
