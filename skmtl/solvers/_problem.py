r"""The optimisation problem shared by every estimator, and its certificates.

.. math::

    \min_{W, b} \; F(z) + \Omega(W)
        + \frac{\rho}{2} \lVert W \rVert_F^2 + \frac{1}{2} \mathrm{tr}(W C W^\top),
    \qquad z_k = x_{i_k}^\top W_{:, t_k} + b_{t_k},

``F`` is a datafit (:mod:`skmtl.datafits`) of the predictor values ``z`` at
the observed entries ``k = (i_k, t_k)``, ``Omega`` a penalty
(:mod:`skmtl.penalties`), ``rho`` the ridge strength and ``C`` an optional
symmetric positive semi-definite coupling between the columns of ``W`` (the
task-graph and mean-regularisation terms). ``W`` is (n_features, n_columns).
Everything here costs in proportion to the observed entries, never to
``n_samples * n_columns``.
"""

import numpy as np
from scipy import sparse

from ._gram import gram_entries, gram_model
from ._protocols import check_datafit, check_penalty

_CHUNK_ENTRIES = 2**20
_MAX_GRAM_ENTRIES = 2 * 10**7
_WIDE = 16  # d / T above which X^T R is computed as (R^T X)^T


def nonzero_rows(W):
    """Whether each row of ``W`` has a non-zero entry (boolean, one per row).

    The sum of the absolute values by a matrix-vector product: for a few
    columns, numpy's ``np.any(W != 0, axis=1)`` reduces along short rows
    3.5x slower (88 against 25 us on (5000, 10), measured)."""
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[1] == 0:
        return np.any(W != 0, axis=-1)
    return np.abs(W) @ np.ones(W.shape[1]) > 0


def sqnorm(A):
    """Squared Frobenius norm."""
    return float(np.vdot(A, A)) if A.size else 0.0


class Problem:
    """Data, datafit and penalties of one fit, with gradients and certificates.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        float64 or float32 (kept: products are accumulated in float64).
    datafit : Quadratic or Logistic
    penalty : penalty object
    fit_intercept : bool
    ridge : float
    coupling : ndarray of shape (n_columns, n_columns) or None

    Examples
    --------
    The problem of scikit-learn's ``MultiTaskLasso(alpha=0.1)``: three tasks
    observe the same 30 rows, every entry weighs ``1/30`` (the estimators
    build the same problem from ``L21Regressor(alpha=0.1)``):

    >>> import numpy as np
    >>> from skmtl.datafits import Quadratic
    >>> from skmtl.penalties import L21
    >>> from skmtl.solvers import Problem, minimize
    >>> X = np.random.default_rng(0).standard_normal((30, 6))
    >>> Y = X[:, :2] @ np.array([[1.0, 2.0, 0.5], [-1.0, 0.5, 1.0]])
    >>> rows, tasks = np.tile(np.arange(30), 3), np.repeat(np.arange(3), 30)
    >>> datafit = Quadratic(rows, tasks, Y.T.ravel(), np.full(90, 1 / 30), 30, 3)
    >>> problem = Problem(X, datafit, L21(0.1), fit_intercept=False)
    >>> problem.n_features, problem.n_columns
    (6, 3)
    >>> from sklearn.linear_model import MultiTaskLasso
    >>> peer = MultiTaskLasso(alpha=0.1, fit_intercept=False, tol=1e-12).fit(X, Y)
    >>> W = minimize(problem, tol=1e-10).W
    >>> bool(np.allclose(W, peer.coef_.T, atol=1e-8))
    True
    """

    def __init__(self, X, datafit, penalty, *, fit_intercept, ridge=0.0, coupling=None):
        check_datafit(datafit)
        check_penalty(penalty)
        if X.shape[0] != datafit.n_samples:
            raise ValueError(
                f"X has {X.shape[0]} rows, the datafit {datafit.n_samples}."
            )
        self.X = X.tocsc() if sparse.issparse(X) else X
        self.datafit = datafit
        self.penalty = penalty
        self.fit_intercept = bool(fit_intercept)
        self.ridge = float(ridge)
        self.coupling = None if coupling is None else np.asarray(coupling, float)
        self.n_features = X.shape[1]
        self.n_columns = datafit.n_columns
        self.rows, self.cols = datafit.entries()
        # entries sorted by column: the (n_columns, n) matrix of entry values
        # is a CSR matrix with these row pointers, built without sorting
        self._bounds = np.searchsorted(self.cols, np.arange(self.n_columns + 1))
        self.profiled = self.fit_intercept and datafit.profiled_intercept
        self.task_scale = _shared_rows(datafit) if datafit.profiled_intercept else None
        # the shared rows as products take them (None: every row in order)
        self._shared_design_rows = (None if self.task_scale is None
                                    else _all_rows(self.X, self.task_scale[0]))
        # each column's entries consecutive rows of a float64 X (tasks with
        # their own rows, stacked): products by column on slices of X
        self.segments = None
        if self.task_scale is None:
            self.segments = _segments(self.X, self.rows, self._bounds)
        self._gram = None
        # the design is [B] * n_blocks (a decomposed model's [X, X]): products
        # on all features are made on the one block B (declare_stacked)
        self.n_blocks, self._block_X = 1, None
        self.gap_scale = None  # 2 F(0), set by solvers.tolerance_scales
        # False: a solver may report its quadratic model's own figures instead
        # of recomputing the certificate from the design (Newton subproblems,
        # whose caller certifies the step on the true loss)
        self.certified = True

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

    @property
    def quadratic_curvature(self):
        """Largest eigenvalue of the Hessian of the quadratic terms."""
        top = 0.0
        if self.coupling is not None and self.coupling.size:
            top = float(np.linalg.eigvalsh(self.coupling)[-1])
        return self.ridge + max(top, 0.0)

    def declare_stacked(self, n_blocks, block):
        """Say that the design is ``[block] * n_blocks`` (columns): products
        on all features are then made once on ``block`` (a decomposed
        model's ``X W = X sum_b W_b``; its gradient on ``[X, X]`` is the one
        on ``X`` repeated). The caller vouches for the values (it built the
        design so, or compared it: ``_stacked.stacked_design``)."""
        if (n_blocks < 1 or block.shape[0] != self.X.shape[0]
                or block.shape[1] * n_blocks != self.n_features):
            raise ValueError(
                f"declare_stacked: {n_blocks} blocks of shape {block.shape} do not "
                f"make a design of shape {self.X.shape}."
            )
        if n_blocks > 1:
            self.n_blocks = int(n_blocks)
            self._block_X = block.tocsc() if sparse.issparse(block) else block

    def _sum_blocks(self, W):
        return W.reshape(self.n_blocks, -1, W.shape[1]).sum(axis=0)

    # -- products with the design, at the observed entries -------------------------
    def linear_predictor(self, W):
        """``x_i^T W_{:, t}`` at every observed entry (non-zero rows of W only)."""
        if self.n_blocks > 1:  # [B, ..., B] W = B (sum of the blocks of W)
            return self._predictor(self._block_X, self._sum_blocks(W))
        return self._predictor(self.X, W)

    def _predictor(self, X_all, W):
        features = np.flatnonzero(np.any(W != 0, axis=1))
        if features.size == 0:
            return np.zeros(self.rows.size)
        WS = W[features]
        if self.task_scale is not None:  # shared rows: one product, column-major
            return _dot(X_all, features, WS, self._shared_design_rows).T.ravel()
        if self.segments is not None:
            out = np.empty(self.rows.size)
            X = X_all if features.size == X_all.shape[1] else X_all[:, features]
            for t, start, lo, hi in self.segments:
                out[lo:hi] = X[start:start + hi - lo] @ WS[:, t]
            return out
        if self.rows.size >= 0.5 * X_all.shape[0] * self.n_columns:
            XW = _dot(X_all, features, WS)
            return XW[self.rows, self.cols]
        out = np.empty(self.rows.size)
        step = max(1, _CHUNK_ENTRIES // features.size)
        for start in range(0, self.rows.size, step):
            part = slice(start, start + step)
            XE = _block(X_all, self.rows[part], features)
            out[part] = np.einsum("ks,ks->k", XE, WS.T[self.cols[part]])
        return out

    def design_gradient(self, g, features=None):
        """``X^T`` applied to the entry values ``g``: (n_features, n_columns).

        Accumulated over row chunks in float64, so neither a float64 copy of
        a float32 ``X`` nor a copy of its columns is made.
        """
        if features is None and self.n_blocks > 1:  # the block's, repeated
            block = self._block_X
            G = self._transposed(block, g, np.arange(block.shape[1]))
            return np.vstack([G] * self.n_blocks)
        if features is None:
            features = np.arange(self.n_features)
        return self._transposed(self.X, g, features)

    def _transposed(self, X_all, g, features):
        n = X_all.shape[0]
        if self.task_scale is not None:  # shared rows: g is (T, m) column-major
            return _transposed_dot(X_all, features, g.reshape(self.n_columns, -1).T,
                                   self._shared_design_rows)
        if self.segments is not None:  # by column, on slices of X
            X = X_all if features.size == X_all.shape[1] else X_all[:, features]
            out = np.zeros((features.size, self.n_columns))
            for t, start, lo, hi in self.segments:
                out[:, t] = g[lo:hi] @ X[start:start + hi - lo]
            return out
        if (not sparse.issparse(X_all) and X_all.dtype == np.float64
                and features.size == X_all.shape[1]):  # one product, no copy of X
            if self.rows.size >= 0.5 * n * self.n_columns:
                # most entries observed (missing targets): the dense (n, T)
                # entry values and one BLAS product (the sparse product is
                # a single-threaded loop: 9 ms against 2 at n=5000, 2d=200)
                T = self.n_columns
                R = np.bincount(self.rows * T + self.cols, g, n * T).reshape(n, T)
                return X_all.T @ R
            S = sparse.csr_matrix((g, self.rows, self._bounds),
                                  shape=(self.n_columns, n))
            return np.asarray(S @ X_all).T
        # row chunks need a column-sliceable matrix: CSC, built once
        S = sparse.csc_matrix((g, (self.cols, self.rows)), shape=(self.n_columns, n))
        if sparse.issparse(X_all):
            return _dense(X_all[:, features].T @ S.T)
        out = np.zeros((features.size, self.n_columns))
        step = max(1, _CHUNK_ENTRIES // max(features.size, 1))
        for start in range(0, n, step):
            part = slice(start, min(start + step, n))
            out += np.asarray(S[:, part] @ _block(X_all, part, features)).T
        return out

    def intercept(self, xw, b):
        if self.profiled:
            return self.datafit.best_intercept(xw)
        if not self.fit_intercept:
            return np.zeros(self.n_columns)
        return b

    def full_gradient(self, W, b, xw=None):
        """Return ``b, z, g, G``: intercepts, predictor and loss derivative at
        the entries, and the gradient of the smooth part in ``W``."""
        if xw is None:
            xw = self.linear_predictor(W)
        b = self.intercept(xw, b)
        z = xw + b[self.cols]
        _, g = self.datafit.value_and_gradient(z)
        G = self.design_gradient(g)
        if self.ridge or self.coupling is not None:  # else no copy of G
            G = G + self.quadratic_gradient(W)
        return b, z, g, G

    def intercept_gradient(self, g):
        if self.fit_intercept and not self.profiled:
            return np.bincount(self.cols, g, minlength=self.n_columns)
        return np.zeros(0)

    def smooth_value(self, W, b, xw=None):
        if xw is None:
            xw = self.linear_predictor(W)
        b = self.intercept(xw, b)
        value, _ = self.datafit.value_and_gradient(xw + b[self.cols])
        return value + self.quadratic_value(W)

    def objective(self, W, b):
        return self.smooth_value(W, b) + self.penalty.value(W)

    def null_point(self):
        """``(W, b)`` with zero coefficients and the best intercept for them."""
        W = np.zeros((self.n_features, self.n_columns))
        if self.fit_intercept:
            return W, self.datafit.null_intercept()
        return W, np.zeros(W.shape[1])

    # -- the quadratic model of a squared loss -----------------------------------
    def gram_affordable(self, n_features):
        """Whether the quadratic model of ``n_features`` features may be kept:
        at most ``_MAX_GRAM_ENTRIES`` entries, or as many as ``X`` has (then
        it costs no more memory than a float64 copy of ``X`` would)."""
        n_grams = 1 if self.task_scale is not None else self.n_columns
        budget = _MAX_GRAM_ENTRIES
        if budget:  # 0 (tests) forces the design path
            budget = max(budget, self.X.shape[0] * self.X.shape[1])
        return gram_entries(n_grams, n_features) <= budget

    def share_gram(self, other):
        """Take the quadratic model of all features that ``other`` has built.

        For a path: ``other`` is the problem of the previous strength, with
        the same datafit and the same design (the model depends on nothing
        else; the caller vouches for the design's values, which are not
        compared), so every strength reuses one Gram. Does nothing when
        ``other`` has none.
        """
        if other.datafit is not self.datafit or other.X.shape != self.X.shape:
            raise ValueError(
                "share_gram: the other problem must have the same datafit and a "
                "design of the same shape (the quadratic model depends on both)."
            )
        if other._gram is not None:
            self._gram = other._gram

    @property
    def has_gram(self):
        """Whether the quadratic model of all features is built (and kept)."""
        return self._gram is not None

    def gram(self, features):
        """Quadratic model on ``features``, from the full one when it is kept."""
        features = np.asarray(features, dtype=np.intp)
        if self._gram is None and self.gram_affordable(self.n_features):
            self._gram = gram_model(self, np.arange(self.n_features))
        if self._gram is not None:
            if features.size == self.n_features:
                return self._gram
            return self._gram.restrict(features)
        return gram_model(self, features)

    # -- certificates ------------------------------------------------------------
    def kkt_violation(self, W, G, g):
        """Euclidean distance from ``-gradient`` to the subdifferential."""
        return kkt_distance(self.penalty, W, G, self.intercept_gradient(g))

    @property
    def has_duality_gap(self):
        """A closed-form dual exists: squared loss, no coupling term."""
        if not self.datafit.profiled_intercept or self.coupling is not None:
            return False
        return self.ridge > 0 or self.penalty.alpha > 0

    def duality_gap(self, W, z, G):
        """Duality gap at ``W`` given the predictor ``z`` and the gradient ``G``."""
        yr, rr = self.datafit.residual_moments(z)
        return self.gap_from_moments(W, G, 0.5 * rr, yr, rr)

    def dual_value(self, G, yr, rr):
        r"""Dual objective at the (rescaled) dual point :math:`s\,\omega\circ r`
        without ridge. ``G`` is the smooth gradient in ``W`` at the point whose
        residuals have moments ``yr``, ``rr``."""
        penalty = self.penalty
        if penalty.conjugate_is_indicator:
            norm = penalty.dual_norm(G)  # dual norms are even: ||-G|| = ||G||
            s = min(1.0, penalty.alpha / norm) if norm > 0 else 1.0
            return s * yr - 0.5 * s * s * rr
        return yr - 0.5 * rr - penalty.conjugate(-G, 0.0)

    def dual_at(self, W, G, yr, rr):
        """Dual value from the residuals of the point ``W`` (gradient ``G``)."""
        if self.ridge > 0:
            V = self.ridge * W - G  # X^T Theta at s = 1
            return yr - 0.5 * rr - self.penalty.conjugate(V, self.ridge)
        return self.dual_value(G, yr, rr)

    def primal_from_moments(self, W, data_value, penalty_value=None):
        if penalty_value is None:
            penalty_value = self.penalty.value(W)
        return data_value + penalty_value + self.quadratic_value(W)

    def gap_from_moments(self, W, G, data_value, yr, rr, penalty_value=None):
        """Duality gap at ``W`` with the dual point built from its residuals.

        ``G`` is the smooth gradient in ``W`` (its rows may be a subset of the
        features: the gap is then the one of the restricted problem).
        Requires the optimal (profiled) intercept when ``fit_intercept``.
        """
        primal = self.primal_from_moments(W, data_value, penalty_value)
        return max(primal - self.dual_at(W, G, yr, rr), 0.0)


def kkt_distance(penalty, W, gW, gb):
    """Distance from minus the gradient to the subdifferential of the penalty.

    ``gW`` is the gradient of the smooth part with respect to ``W`` and
    ``gb`` with respect to the intercepts; the distance is 0 exactly at a
    minimiser.

    Examples
    --------
    At ``W = 0`` the subdifferential of ``alpha * sum_j ||W_j||`` is the set
    of rows of norm at most ``alpha``, so the distance is
    ``sqrt(sum_j max(||G_j|| - alpha, 0)^2)``:

    >>> import numpy as np
    >>> from skmtl.penalties import L21
    >>> from skmtl.solvers import kkt_distance
    >>> G = np.array([[3.0, 4.0], [0.3, 0.4]])  # row norms 5 and 0.5
    >>> kkt_distance(L21(1.0), np.zeros((2, 2)), G, np.zeros(0))
    4.0
    """
    if penalty.row_separable:
        dist2 = sqnorm(penalty.row_violations(W, gW))
    else:
        dist2 = penalty.violation(W, gW) ** 2
    return float(np.sqrt(dist2 + sqnorm(gb)))


def _dense(M):
    return np.asarray(M.toarray() if sparse.issparse(M) else M, dtype=np.float64)


def _block(X, rows, features):
    """``X[rows][:, features]`` as a dense float64 array."""
    if (isinstance(rows, np.ndarray) and rows.size > 1
            and rows[-1] - rows[0] == rows.size - 1 and np.all(np.diff(rows) == 1)):
        rows = slice(int(rows[0]), int(rows[-1]) + 1)  # consecutive: no gather
    block = X[rows]
    block = block[:, features] if features.size < X.shape[1] else block
    return np.asarray(block.toarray() if sparse.issparse(block) else block, np.float64)


def _row_parts(n_rows, n_features, rows=None):
    """Row chunks of about ``_CHUNK_ENTRIES`` entries: slices into ``rows``
    (all rows when None) and the matching row indices of ``X``."""
    step = max(1, _CHUNK_ENTRIES // max(n_features, 1))
    for start in range(0, n_rows, step):
        part = slice(start, min(start + step, n_rows))
        yield part, (part if rows is None else rows[part])


def _all_rows(X, rows):
    """None when ``rows`` is every row of ``X`` in order (slices, no copies)."""
    if rows is None or (rows.size == X.shape[0] and rows.size
                        and rows[0] == 0 and rows[-1] == rows.size - 1
                        and np.all(np.diff(rows) == 1)):
        return None
    return rows


def _dot(X, features, W, rows=None):
    """``X[rows][:, features] @ W`` in float64, by row chunks."""
    rows = _all_rows(X, rows)
    if sparse.issparse(X):
        block = X if rows is None else X[rows]
        return _dense(block[:, features] @ W)
    n = X.shape[0] if rows is None else rows.size
    if X.dtype == np.float64 and rows is None and features.size == X.shape[1]:
        return X @ W
    out = np.empty((n, W.shape[1]))
    for part, index in _row_parts(n, features.size, rows):
        out[part] = _block(X, index, features) @ W
    return out


def _transposed_dot(X, features, R, rows=None):
    """``X[rows][:, features]^T @ R`` in float64, by row chunks."""
    rows = _all_rows(X, rows)
    if sparse.issparse(X):
        block = X if rows is None else X[rows]
        return _dense(block[:, features].T @ R)
    if X.dtype == np.float64 and rows is None and features.size == X.shape[1]:
        if X.shape[1] >= _WIDE * R.shape[1]:
            # a wide product laid out as (T, d) = R^T X: 1.3-2x faster in
            # OpenBLAS than X^T R for d >> T (one thread, both layouts of X);
            # returned as its (column-major) transpose: a copy into row-major
            # order cost 0.2 ms of the 0.6 of the product at (200, 5000, 10)
            return (R.T @ X).T
        return X.T @ R
    out = np.zeros((features.size, R.shape[1]))
    n = X.shape[0] if rows is None else rows.size
    for part, index in _row_parts(n, features.size, rows):
        out += _block(X, index, features).T @ R[part]
    return out


_MAX_SEGMENTS = 256  # columns: above, a Python loop over them costs more
_MIN_SEGMENT_ROWS = 64  # mean entries per column: below, the same


def _segments(X, rows, bounds):
    """``[(column, first row, lo, hi)]`` when every column's entries
    ``lo:hi`` are the consecutive rows ``first, first + 1, ...`` of a dense
    float64 ``X`` (tasks with their own rows, stacked), for few columns with
    many entries each; else None."""
    counts = np.diff(bounds)
    T = counts.size
    if (sparse.issparse(X) or X.dtype != np.float64 or T == 0
            or T > _MAX_SEGMENTS or rows.size < _MIN_SEGMENT_ROWS * T):
        return None
    firsts = np.zeros(T, dtype=np.intp)
    observed = counts > 0
    firsts[observed] = rows[bounds[:-1][observed]]
    # consecutive rows end count - 1 rows after their first: most other
    # entries (missing targets) fail this O(T) test before the O(N) one
    lasts = rows[bounds[1:][observed] - 1]
    if np.any(lasts - firsts[observed] != counts[observed] - 1):
        return None
    offsets = np.arange(rows.size) - np.repeat(bounds[:-1], counts)
    if not np.array_equal(rows, np.repeat(firsts, counts) + offsets):
        return None
    return [(t, int(firsts[t]), int(bounds[t]), int(bounds[t + 1]))
            for t in np.flatnonzero(observed)]


def _shared_rows(datafit):
    """``(rows, a, g)`` if every column observes the same rows with weights
    ``a_i g_t`` (a shared design), else None."""
    rows, cols = datafit.entries()
    T = datafit.n_columns
    if rows.size % T:
        return None
    m = rows.size // T
    R = rows.reshape(T, m)
    if m == 0 or not np.all(R == R[0]):
        return None
    weights = datafit.entry_weights.reshape(T, m)
    first = weights[0]
    if first[0] > 0 and np.all(weights == weights[:, :1]):
        # every column's weights equal (no sample weights): a_i = first, no
        # ratios to compare (0.4 ms of allclose on 100,000 entries)
        return R[0], first, weights[:, 0] / first[0]
    positive = first > 0
    if not positive.any() or np.any(weights[:, ~positive] != 0):
        return None
    ratios = weights[:, positive] / first[positive]
    scale = ratios[:, 0]
    if not np.allclose(ratios, scale[:, None], rtol=1e-12, atol=0):
        return None
    return R[0], first, scale
