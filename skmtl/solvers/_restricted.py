"""The smooth part of a problem restricted to a subset of features.

Two interchangeable implementations, chosen by cost:

* :class:`DesignObjective` computes ``X_S W`` and ``X_S^T dF/dZ`` (any datafit);
* :class:`EntryDesignObjective` does the same on the observed entries only
  (any datafit; for sparse masks such as per-task rows);
* :class:`SharedDesignObjective` centres ``X_S`` once when all tasks weight
  the rows alike (squared loss);
* :class:`GramObjective` works on the task Gram matrices of the features
  ``X_S^T diag(omega_t) X_S`` (squared loss only), so that an iteration costs
  nothing that grows with the number of samples.

Both expose ``evaluate(W, b) -> (value, cache)``, ``gradient(cache) -> (gW,
gb)`` and ``intercept(cache)``; ``gb`` is empty when the intercept is not a
free variable (no intercept, or profiled out in closed form).
"""

import numpy as np
from scipy import sparse

_EXPECTED_ITERATIONS = 30
_MAX_GRAM_ENTRIES = 2 * 10**7
_MAX_DENSE_ENTRIES = 2 * 10**7


def _columns(X, features):
    XS = X[:, features]
    if sparse.issparse(XS):
        return XS.astype(np.float64).tocsc()
    return np.asarray(XS, dtype=np.float64)


class DesignObjective:
    """Smooth part evaluated through the design matrix columns ``X[:, S]``."""

    def __init__(self, problem, features):
        self.problem = problem
        self.XS = _columns(problem.X, features)
        self._joint = hasattr(problem.datafit, "value_and_raw_gradient")

    def evaluate(self, W, b):
        problem = self.problem
        XW = np.asarray(self.XS @ W)
        b = problem.intercept(XW, b)
        Z = XW + b
        if self._joint:
            value, raw = problem.datafit.value_and_raw_gradient(Z)
        else:
            value, raw = problem.datafit.value(Z), None
        return value + problem.quadratic_value(W), (W, b, Z, raw)

    def gradient(self, cache):
        W, _, Z, raw = cache
        problem = self.problem
        if raw is None:
            raw = problem.datafit.raw_gradient(Z)
        gW = np.asarray(self.XS.T @ raw) + problem.quadratic_gradient(W)
        return gW, problem.intercept_gradient(raw)

    @staticmethod
    def intercept(cache):
        return cache[1]

    @staticmethod
    def linear_part(cache):
        """``X W`` at the cached point (saves the outer loop a product)."""
        return cache[2] - cache[1]

    def residual_moments(self, cache):
        """``(data value, sum w r y, sum w r^2)`` (squared loss only)."""
        yr, rr = self.problem.datafit.residual_moments(cache[2])
        return 0.5 * rr, yr, rr


class EntryDesignObjective:
    """Smooth part evaluated on the observed entries only.

    When each task observes only some rows (per-task rows, many missing
    targets), ``X_S W`` is needed at the observed (row, column) entries
    only: the rows of ``X_S`` are gathered once per entry and every
    evaluation costs ``O(n_entries * |S|)`` instead of
    ``O(n_samples * |S| * n_columns)``.
    """

    def __init__(self, problem, features):
        self.problem = problem
        datafit = problem.datafit
        self.rows, self.cols = datafit.entries()
        XS = _columns(problem.X, features)
        XS = XS.toarray() if sparse.issparse(XS) else XS
        self.XE = XS[self.rows]
        self.columns, self.starts = np.unique(self.cols, return_index=True)
        self.profiled = problem.profiled

    def evaluate(self, W, b):
        problem = self.problem
        xw = np.einsum("ks,ks->k", self.XE, W.T[self.cols])
        if self.profiled:
            b = problem.datafit.entry_best_intercept(xw)
        elif not problem.fit_intercept:
            b = np.zeros(W.shape[1])
        z = xw + b[self.cols]
        value, g = problem.datafit.entry_value_and_gradient(z)
        return value + problem.quadratic_value(W), (W, b, z, g)

    def gradient(self, cache):
        W, _, _, g = cache
        problem = self.problem
        gW = np.zeros(W.shape)
        if self.cols.size:
            sums = np.add.reduceat(g[:, None] * self.XE, self.starts, axis=0)
            gW[:, self.columns] = sums.T
        gb = np.zeros(0)
        if problem.fit_intercept and not self.profiled:
            gb = np.bincount(self.cols, g, minlength=W.shape[1])
        return gW + problem.quadratic_gradient(W), gb

    def residual_moments(self, cache):
        yr, rr = self.problem.datafit.entry_residual_moments(cache[2])
        return 0.5 * rr, yr, rr

    @staticmethod
    def intercept(cache):
        return cache[1]

    @staticmethod
    def linear_part(cache):
        return None


class SharedDesignObjective:
    """Squared loss when all tasks weight the rows alike (``w_it = a_i c_t``).

    Then one centring of ``X_S`` and ``Y`` profiles every intercept out, and
    an evaluation is one product ``X_S W`` plus a few operations on the
    residual matrix: the common case of a shared design with no missing
    targets, made as cheap as it can be.
    """

    def __init__(self, problem, features):
        self.problem = problem
        row_weight, task_scale = problem._task_scale
        XS = _columns(problem.X, features)
        XS = XS.toarray() if sparse.issparse(XS) else XS
        Y = problem.datafit.Y
        total = row_weight.sum()
        if problem.fit_intercept:
            self.x_mean = row_weight @ XS / total
            self.y_mean = row_weight @ Y / total
            XS = XS - self.x_mean
            Y = Y - self.y_mean
        else:
            self.x_mean = np.zeros(XS.shape[1])
            self.y_mean = np.zeros(Y.shape[1])
        self.XS, self.Y = XS, Y
        self.weights = np.outer(row_weight, task_scale)
        self.uniform = np.all(row_weight == row_weight[0])
        self.scale = task_scale * row_weight[0] if self.uniform else None
        # one weight for every entry: the weighted sums need no weight matrix
        self.constant = (
            row_weight[0] * task_scale[0]
            if (self.uniform and np.all(task_scale == task_scale[0]))
            else None
        )
        self.weighted_Y = self.weights * Y
        self._empty = np.zeros(0)

    def evaluate(self, W, b):
        R = self.Y - self.XS @ W
        if self.constant is not None:
            rr = self.constant * float(np.vdot(R, R))
        else:
            rr = float(np.vdot(R, self.weights * R))
        return 0.5 * rr + self.problem.quadratic_value(W), (W, R, rr)

    def gradient(self, cache):
        W, R, _ = cache
        if self.constant is not None:
            gW = (self.XS.T @ R) * -self.constant
        elif self.uniform:
            gW = (self.XS.T @ R) * -self.scale
        else:
            gW = -(self.XS.T @ (self.weights * R))
        if self.problem.ridge or self.problem.coupling is not None:
            gW = gW + self.problem.quadratic_gradient(W)
        return gW, self._empty

    def residual_moments(self, cache):
        _, R, rr = cache
        return 0.5 * rr, float(np.vdot(self.weighted_Y, R)), rr

    def intercept(self, cache):
        return self.y_mean - self.x_mean @ cache[0]

    def linear_part(self, cache):
        """``X W`` (uncentred) at the cached point."""
        W, R, _ = cache
        return (self.Y - R) + self.x_mean @ W


class GramObjective:
    """Squared loss through per-task Gram matrices (intercept profiled out).

    With a profiled intercept the loss of task ``t`` at ``w_t`` is
    ``1/2 (w^T H_t w - 2 c_t^T w + k_t)`` where ``H_t``, ``c_t``, ``k_t`` are
    the weighted, task-centred second moments of ``X_S`` and ``y_t``.
    """

    def __init__(self, problem, features):
        self.problem = problem
        self.features = features
        XS = _columns(problem.X, features)
        datafit = problem.datafit
        center = problem.fit_intercept
        if problem._task_scale is not None:
            self._init_shared(XS, datafit.Y, *problem._task_scale, center)
        else:
            self._init_per_task(XS, datafit.Y, datafit.weights, center)

    def _init_shared(self, XS, Y, row_weight, task_scale, center):
        total = row_weight.sum()
        x_mean = np.asarray(XS.T @ row_weight).ravel() / total if center else 0.0
        y_mean = row_weight @ Y / total if center else np.zeros(Y.shape[1])
        Xw = _scale_rows(XS, row_weight)
        gram = _dense(XS.T @ Xw)
        if center:
            gram -= total * np.outer(x_mean, x_mean)
        Yc = Y - y_mean
        # the weighted columns of Yc sum to zero, so X need not be centred here
        self.C = _dense(Xw.T @ Yc) * task_scale
        self.k = task_scale * (row_weight @ (Yc * Yc))
        self.gram, self.task_scale, self.H = gram, task_scale, None
        self.x_mean = np.outer(x_mean, np.ones(Y.shape[1])) if center else None
        self.y_mean = y_mean

    def _init_per_task(self, XS, Y, weights, center):
        n_features, n_tasks = XS.shape[1], Y.shape[1]
        self.H = np.empty((n_tasks, n_features, n_features))
        self.C = np.empty((n_features, n_tasks))
        self.k = np.empty(n_tasks)
        self.x_mean = np.zeros((n_features, n_tasks)) if center else None
        self.y_mean = np.zeros(n_tasks)
        for t in range(n_tasks):
            rows = np.flatnonzero(weights[:, t] > 0)
            w, Xt, y = weights[rows, t], XS[rows], Y[rows, t]
            Xw = _scale_rows(Xt, w)
            H = _dense(Xt.T @ Xw)
            if center and rows.size:
                total = w.sum()
                xm = np.asarray(Xw.sum(axis=0)).ravel() / total
                self.y_mean[t] = w @ y / total
                H -= total * np.outer(xm, xm)
                self.x_mean[:, t] = xm
            yc = y - self.y_mean[t]
            self.H[t] = H
            self.C[:, t] = np.asarray(Xw.T @ yc).ravel()
            self.k[t] = w @ (yc * yc)
        self.gram = None

    def _hessian_product(self, W):
        if self.H is None:
            return (self.gram @ W) * self.task_scale
        return np.einsum("tjk,kt->jt", self.H, W)

    def evaluate(self, W, b):
        HW = self._hessian_product(W)
        value = 0.5 * (np.sum(W * HW) + np.sum(self.k)) - np.sum(W * self.C)
        return float(value) + self.problem.quadratic_value(W), (W, HW)

    def gradient(self, cache):
        W, HW = cache
        return HW - self.C + self.problem.quadratic_gradient(W), np.zeros(0)

    def residual_moments(self, cache):
        """``(data value, sum w r y, sum w r^2)`` from the Gram quantities."""
        W, HW = cache
        k, cw = float(np.sum(self.k)), float(np.sum(W * self.C))
        rr = max(k - 2.0 * cw + float(np.sum(W * HW)), 0.0)
        return 0.5 * rr, k - cw, rr

    @staticmethod
    def linear_part(cache):
        return None

    def intercept(self, cache):
        W = cache[0]
        if self.x_mean is None:
            return np.zeros(W.shape[1])
        return self.y_mean - np.einsum("jt,jt->t", self.x_mean, W)


def _scale_rows(X, w):
    if sparse.issparse(X):
        return sparse.diags(w) @ X
    return X * w[:, None]


def _dense(M):
    return np.asarray(M.toarray() if sparse.issparse(M) else M, dtype=np.float64)


def choose_objective(problem, features):
    """The cheapest exact implementation for this restricted problem."""
    if gram_is_cheaper(problem, features):
        return GramObjective(problem, features)
    n_samples = problem.X.shape[0]
    shared = problem.datafit.profiled_intercept and problem._task_scale is not None
    if shared and n_samples * len(features) <= _MAX_DENSE_ENTRIES:
        return SharedDesignObjective(problem, features)
    n_entries = problem.datafit.entries()[0].size
    sparse_mask = n_entries < 0.5 * n_samples * problem.n_columns
    if sparse_mask and n_entries * len(features) <= _MAX_DENSE_ENTRIES:
        return EntryDesignObjective(problem, features)
    return DesignObjective(problem, features)


def gram_is_cheaper(problem, features):
    """Whether the Gram implementation costs less for this restricted problem."""
    if not problem.datafit.profiled_intercept:
        return False
    n_samples, n_columns = problem.X.shape[0], problem.n_columns
    size = len(features)
    shared = problem._task_scale is not None
    n_grams = 1 if shared else n_columns
    if n_grams * size * size > _MAX_GRAM_ENTRIES:
        return False
    observed = n_samples if shared else int(np.count_nonzero(problem.datafit.weights))
    build = observed * size * size
    gram_iteration = 2 * size * size * n_columns
    design_iteration = 4 * n_samples * size * n_columns
    k = _EXPECTED_ITERATIONS
    return build + k * gram_iteration < k * design_iteration
