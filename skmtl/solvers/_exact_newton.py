r"""Newton's model with the exact class-coupled Hessian, for any penalty.

For a task with ``K > 2`` classes the multinomial loss of a row couples its
classes: its Hessian in the row's predictors is ``w (diag(p) - p p^T)``. The
weighted least-squares model of :mod:`._prox_newton` bounds that block by a
multiple of the identity (a majorisation step: linear convergence). Here the
model keeps the exact blocks. In the coefficients ``(W, b)`` of one task
``t`` (its ``K`` columns, the intercepts as a last row) the loss's Hessian is

.. math::

    M_t = \sum_i \tilde x_i \tilde x_i^\top \otimes H_i, \qquad
    \tilde x_i = (x_i, 1),

a dense ``(P K) x (P K)`` matrix with ``P = d + 1``; tasks are not coupled
by the loss, so the Hessian is block diagonal over the tasks (a binary task
is the case ``K = 1``). The model

.. math::

    m(D) = \langle G, D\rangle + \tfrac12 D^\top (M + \rho I + C) D
        + \Omega(W + D)

(``G`` the gradient of the smooth part, ``rho`` the ridge, ``C`` the
coupling between columns) is minimised by accelerated proximal gradient
with adaptive restart: it needs only products with ``M`` (batched over tasks
of the same width) and the prox of the penalty, so it serves every penalty
(row-separable, spectral, decomposed, fused, clustered). The model's KKT
distance at the prox point is bounded from the prox step itself (no
subdifferential to evaluate).

Affordable when the blocks hold at most ``_MAX_ENTRIES`` numbers; the caller
falls back to the weighted least-squares model otherwise.
"""

import numpy as np

from ._problem import _block, sqnorm

_MAX_ENTRIES = 4 * 10**6  # numbers in the Hessian blocks, all tasks


def affordable(problem):
    """Whether the exact Hessian blocks of ``problem`` fit the budget."""
    P = problem.n_features + int(problem.fit_intercept)
    widths = problem.datafit.layout.widths
    return int(np.sum((P * widths) ** 2)) <= _MAX_ENTRIES


class ExactModel:
    """The exact Hessian of the smooth part at ``z``, by groups of tasks of
    the same width, with ``damping`` times each task's mean curvature added
    to every row's block (Levenberg-Marquardt in the predictor)."""

    def __init__(self, problem, z, damping=0.0):
        self.problem = problem
        self.fit_intercept = problem.fit_intercept
        layout = problem.datafit.layout
        blocks = {}
        for t, rows, H in problem.datafit.row_hessians(z):
            weights = problem.datafit.row_weights(t) if damping > 0 else None
            blocks[t] = self._task_block(problem, rows, H, damping, weights)
        self.groups = []  # (columns (n_group, K), M (n_group, PK, PK))
        widths = layout.widths
        for K in np.unique(widths):
            tasks = np.flatnonzero(widths == K)
            columns = np.array([np.arange(layout.columns(t).start,
                                          layout.columns(t).stop) for t in tasks])
            P = problem.n_features + int(self.fit_intercept)
            M = np.stack([blocks.get(t, np.zeros((P * K, P * K))) for t in tasks])
            self.groups.append((columns, M))
        self.ridge = problem.ridge
        self.coupling = problem.coupling

    @staticmethod
    def _task_block(problem, rows, H, damping, weights):
        K = H.shape[1]
        Xa = _block(problem.X, rows, np.arange(problem.n_features))
        if problem.fit_intercept:
            Xa = np.column_stack([Xa, np.ones(rows.size)])
        if damping > 0 and weights.sum() > 0:
            # each row's curvature raised by damping times its weight times
            # the task's weighted mean curvature per class: the same for
            # integer weights and for repeated rows
            mean = np.trace(H, axis1=1, axis2=2).sum() / (K * weights.sum())
            H = H + (damping * mean * weights)[:, None, None] * np.eye(K)[None]
        P = Xa.shape[1]
        return block_hessian(Xa, H).reshape(P * K, P * K)

    def apply(self, DW, Db):
        """Hessian of the smooth part applied to ``(DW, Db)``."""
        HW = np.zeros_like(DW)
        Hb = np.zeros_like(Db)
        for columns, M in self.groups:
            V = np.transpose(DW[:, columns], (1, 0, 2))  # (n_group, d, K)
            if self.fit_intercept:
                V = np.concatenate([V, Db[columns][:, None, :]], axis=1)
            n_group, P, K = V.shape
            out = np.matmul(M, V.reshape(n_group, P * K, 1)).reshape(n_group, P, K)
            HW[:, columns] = np.transpose(out[:, :DW.shape[0]], (1, 0, 2))
            if self.fit_intercept:
                Hb[columns] = out[:, -1]
        if self.ridge:
            HW += self.ridge * DW
        if self.coupling is not None:
            HW += DW @ self.coupling
        return HW, Hb

    def lipschitz(self):
        """Largest eigenvalue of the model's Hessian (an upper bound)."""
        top = 0.0
        for _, M in self.groups:
            for block in M:
                top = max(top, _top_eigenvalue(block))
        top += self.ridge
        if self.coupling is not None and self.coupling.size:
            top += max(float(np.linalg.eigvalsh(self.coupling)[-1]), 0.0)
        return top


def block_hessian(Xa, H):
    """``sum_i Xa_i Xa_i^T (x) H_i`` as (P, K, P, K): one product with the
    design per pair of classes (BLAS), not a sum over rows."""
    P, K = Xa.shape[1], H.shape[1]
    M = np.empty((P, K, P, K))
    for k in range(K):
        for m in range(k, K):
            block = Xa.T @ (Xa * H[:, k, m][:, None])
            M[:, k, :, m] = block
            if m != k:
                M[:, m, :, k] = block.T
    return M


def _top_eigenvalue(M):
    if M.shape[0] <= 400:
        return float(np.linalg.eigvalsh(M)[-1])
    v = np.random.default_rng(0).standard_normal(M.shape[0])
    value = 0.0
    for _ in range(50):
        w = M @ v
        norm = float(np.sqrt(w @ w))
        if norm == 0:
            return 0.0
        value, v = norm, w / norm
    return 1.1 * value


def solve_model(model, penalty, W, b, G, gb, *, tol, max_iter):
    """Minimise the exact Newton model around ``(W, b)`` (gradient ``G``,
    ``gb`` of the smooth part there) by accelerated proximal gradient.

    Returns ``(W_new, b_new, status)``: ``status`` is "converged" when the
    model's KKT distance is at most ``tol``."""
    fit_intercept = gb.size > 0
    L = model.lipschitz()
    if not np.isfinite(L) or L <= 0:
        return None
    step = 1.0 / L
    gb = gb if fit_intercept else np.zeros_like(b)
    X_W, X_b = W.copy(), b.copy()  # current iterate
    GW, Gb = G.copy(), gb.copy()  # model gradient at the iterate
    Y_W, Y_b, YG_W, YG_b = X_W, X_b, GW, Gb
    theta, status = 1.0, "max_iter"
    for _ in range(max_iter):
        N_W = penalty.prox(Y_W - step * YG_W, step)
        N_b = Y_b - step * YG_b
        HW, Hb = model.apply(N_W - W, N_b - b)
        NG_W, NG_b = G + HW, gb + Hb
        # -YG - L (N - Y) is in the subdifferential at N: the model's KKT
        # distance at N is at most the norm of this residual
        RW = NG_W - YG_W - L * (N_W - Y_W)
        Rb = NG_b - YG_b - L * (N_b - Y_b) if fit_intercept else 0.0 * N_b
        if np.sqrt(sqnorm(RW) + sqnorm(Rb)) <= tol:
            X_W, X_b, status = N_W, N_b, "converged"
            break
        # adaptive restart (O'Donoghue & Candes): momentum against the step
        if np.vdot(Y_W - N_W, N_W - X_W) + np.vdot(Y_b - N_b, N_b - X_b) > 0:
            theta = 1.0
        new_theta = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * theta * theta))
        beta = (theta - 1.0) / new_theta
        theta = new_theta
        Y_W = N_W + beta * (N_W - X_W)
        Y_b = N_b + beta * (N_b - X_b)
        YG_W = NG_W + beta * (NG_W - GW)  # the model's gradient is affine
        YG_b = NG_b + beta * (NG_b - Gb)
        X_W, X_b, GW, Gb = N_W, N_b, NG_W, NG_b
    if not (np.all(np.isfinite(X_W)) and np.all(np.isfinite(X_b))):
        return None
    return X_W, X_b, status
