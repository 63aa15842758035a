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
falls back to the weighted least-squares model otherwise. For a penalty that
separates over the rows of ``W`` and zeroes some, the model is built on a
working set of features (the support and the rows that violate optimality
most, :func:`working_features`): the other rows stay zero for this step and
the outer KKT distance, over all features, brings them in when they violate.
"""

import numpy as np

from ._problem import _block, sqnorm

_MAX_ENTRIES = 2 * 10**7  # numbers in the Hessian blocks (as for the Grams)


def affordable(problem, n_features=None):
    """Whether the exact Hessian blocks of ``problem`` (on ``n_features``
    features, all by default) fit the budget."""
    if n_features is None:
        n_features = problem.n_features // stacked_blocks(problem)
    P = n_features + int(problem.fit_intercept)
    widths = problem.datafit.layout.widths
    return int(np.sum((P * widths) ** 2)) <= _MAX_ENTRIES


class ExactModel:
    """The exact Hessian of the smooth part at ``z``, by groups of tasks of
    the same width, with ``damping`` times each task's mean curvature added
    to every row's block (Levenberg-Marquardt in the predictor)."""

    def __init__(self, problem, z, damping=0.0, features=None):
        self.problem = problem
        self.fit_intercept = problem.fit_intercept
        # a decomposed model's design is [X, ..., X]: its Hessian is
        # 1 1^T (x) (the Hessian in X), built and applied from the one in X
        self.n_blocks = 1 if features is not None else stacked_blocks(problem)
        if features is None:
            features = np.arange(problem.n_features // self.n_blocks)
        d = features.size
        layout = problem.datafit.layout
        blocks = {}
        for t, rows, H in problem.datafit.row_hessians(z):
            weights = problem.datafit.row_weights(t) if damping > 0 else None
            blocks[t] = self._task_block(problem, features, rows, H, damping,
                                         weights)
        self.groups = []  # (columns (n_group, K), M (n_group, PK, PK))
        widths = layout.widths
        P = d + int(self.fit_intercept)
        for K in np.unique(widths):
            tasks = np.flatnonzero(widths == K)
            columns = np.array([np.arange(layout.columns(t).start,
                                          layout.columns(t).stop) for t in tasks])
            M = np.stack([blocks.get(t, np.zeros((P * K, P * K))) for t in tasks])
            self.groups.append((columns, M))
        self.ridge = problem.ridge
        self.coupling = problem.coupling

    @staticmethod
    def _task_block(problem, features, rows, H, damping, weights):
        K = H.shape[1]
        Xa = _block(problem.X, rows, features)
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

    @property
    def n_entries(self):
        """Numbers held in the blocks (the flops of a product, about)."""
        return int(sum(M.size for _, M in self.groups))

    def apply(self, DW, Db):
        """Hessian of the smooth part applied to ``(DW, Db)``."""
        B = self.n_blocks
        S = DW if B == 1 else DW.reshape(B, -1, DW.shape[1]).sum(axis=0)
        HS = np.zeros_like(S)
        Hb = np.zeros_like(Db)
        for columns, M in self.groups:
            V = np.transpose(S[:, columns], (1, 0, 2))  # (n_group, d, K)
            if self.fit_intercept:
                V = np.concatenate([V, Db[columns][:, None, :]], axis=1)
            n_group, P, K = V.shape
            out = np.matmul(M, V.reshape(n_group, P * K, 1)).reshape(n_group, P, K)
            HS[:, columns] = np.transpose(out[:, :S.shape[0]], (1, 0, 2))
            if self.fit_intercept:
                Hb[columns] = out[:, -1]
        HW = HS if B == 1 else np.vstack([HS] * B)
        if self.ridge:
            HW += self.ridge * DW
        if self.coupling is not None:
            HW += DW @ self.coupling
        return HW, Hb

    def lipschitz(self):
        """Largest eigenvalue of the model's Hessian (an upper bound)."""
        top = 0.0
        for _, M in self.groups:
            top = max(top, _top_eigenvalue(M))
        # (sum_b D_b, db)^T M (sum_b D_b, db) <= B |M| (sum_b |D_b|^2 + |db|^2)
        top = self.n_blocks * top + self.ridge
        if self.coupling is not None and self.coupling.size:
            top += max(float(np.linalg.eigvalsh(self.coupling)[-1]), 0.0)
        return top


_MIN_WORKING_SET = 10
_PATIENCE = 1000  # iterations without progress of the model's KKT bound


def _largest_affordable(problem):
    """The most features whose exact blocks fit the budget."""
    widths = problem.datafit.layout.widths.astype(float)
    P = np.sqrt(_MAX_ENTRIES / max(float(np.sum(widths**2)), 1.0))
    return int(np.floor(P)) - int(problem.fit_intercept)


def working_features(problem, W, G):
    """Features of the exact model: all of them, or for a row-separable
    sparse penalty the support and the rows violating optimality most (the
    next working set of :func:`._minimize._select`, cut to the budget); None
    when the budget leaves no room beyond the support."""
    penalty = problem.penalty
    largest = _largest_affordable(problem)
    d = problem.n_features // stacked_blocks(problem)
    if not (penalty.row_separable and penalty.induces_sparsity):
        return np.arange(problem.n_features) if largest >= d else None
    from ._minimize import _select

    in_support = np.any(W != 0, axis=1)
    support = int(np.count_nonzero(in_support))
    if largest >= problem.n_features:
        features = _select(problem, W, G, _MIN_WORKING_SET, fast=False)
    elif largest <= support:
        return None
    else:
        features = _select(problem, W, G, _MIN_WORKING_SET, fast=False)
        if features.size > largest:
            scores = np.where(in_support, np.inf, penalty.row_violations(W, G))
            features = np.sort(np.argsort(-scores, kind="stable")[:largest])
    return features


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
    """Largest eigenvalue over the stacked symmetric blocks ``M``."""
    if M.shape[1] <= 200:
        return float(np.linalg.eigvalsh(M)[:, -1].max())
    # power iterations on every block at once (a small overestimate: 1.05)
    v = np.random.default_rng(0).standard_normal(M.shape[:2] + (1,))
    value = np.zeros(M.shape[0])
    for _ in range(40):
        w = np.matmul(M, v)
        norms = np.sqrt(np.sum(w * w, axis=(1, 2)))
        if not np.any(norms > 0):
            return 0.0
        value = norms
        v = w / np.where(norms > 0, norms, 1.0)[:, None, None]
    return 1.05 * float(value.max())


def stacked_blocks(problem):
    """``B`` when the problem is a decomposed model on the design
    ``[X, ..., X]`` (``B`` copies), else 1."""
    from ..penalties._decomposed import BlockPenalty
    from ._stacked import stacked_design

    penalty = problem.penalty
    if isinstance(penalty, BlockPenalty):
        B = len(penalty.penalties)
        if B > 1 and stacked_design(problem, B):
            return B
    return 1


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
    best, since = np.inf, 0
    for _ in range(max_iter):
        N_W = penalty.prox(Y_W - step * YG_W, step)
        N_b = Y_b - step * YG_b
        HW, Hb = model.apply(N_W - W, N_b - b)
        NG_W, NG_b = G + HW, gb + Hb
        # -YG - L (N - Y) is in the subdifferential at N: the model's KKT
        # distance at N is at most the norm of this residual
        RW = NG_W - YG_W - L * (N_W - Y_W)
        Rb = NG_b - YG_b - L * (N_b - Y_b) if fit_intercept else 0.0 * N_b
        residual = np.sqrt(sqnorm(RW) + sqnorm(Rb))
        if residual <= tol:
            X_W, X_b, status = N_W, N_b, "converged"
            break
        # a tolerance below what rounding lets the model resolve: stop when
        # the residual has not improved by 1% for _PATIENCE iterations
        best, since = (residual, 0) if residual < 0.99 * best else (best, since + 1)
        if since >= _PATIENCE:
            X_W, X_b, status = N_W, N_b, "stalled"
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
