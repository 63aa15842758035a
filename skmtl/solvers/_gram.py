r"""The squared loss as one quadratic model: Gram moments and profiled intercepts.

With the intercepts profiled out, the weighted squared loss of column ``t``
at ``w_t`` restricted to a set ``S`` of features is

.. math::

    \frac{1}{2}\left(w_t^\top H_t w_t - 2 c_t^\top w_t + k_t\right),

with :math:`H_t = \sum_i \omega_{it} (x_{iS} - \bar x_t)(x_{iS} - \bar x_t)^\top`,
:math:`c_t = \sum_i \omega_{it} (x_{iS} - \bar x_t)(y_{it} - \bar y_t)`,
:math:`k_t = \sum_i \omega_{it} (y_{it} - \bar y_t)^2` and the weighted means
:math:`\bar x_t, \bar y_t` (all zero without intercept). The optimal
intercept is :math:`b_t = \bar y_t - \bar x_t^\top w_t`.

When every column weights the rows alike (``omega_it = a_i g_t``: a shared
design, no missing target) one Gram ``G`` serves all columns:
``H_t = g_t G``. :class:`GramModel` is built by :func:`gram_model` from the
observed entries, in one place (:func:`_centred_moments` does all the
centring), and is what every squared-loss solver of the package uses: the
coordinate-descent and ADMM inner solvers, the closed-form linear solvers
and the Newton subproblems of the logistic models.
"""

import numpy as np
from scipy import sparse

_CHUNK_ENTRIES = 2**20  # rows x features converted to float64 at once

def scratch(shape, zero=True):
    """A float64 C-contiguous array of ``shape``: zeros, or uninitialised
    with ``zero=False`` (the callers write every entry). Buffers kept
    between fits (reused when their reference count said nothing else held
    them) were measured and gave no gain on fits of 6-8 ms at (200, 100, 10)
    (TaskGraph ``l21``, FusedTask, Dirty, L2,1; 5 alternating runs): not
    kept, so no state is shared between fits."""
    return np.zeros(shape) if zero else np.empty(shape)


class GramModel:
    """Second moments of one squared-loss problem on a set of features.

    Attributes
    ----------
    features : ndarray of int, shape (s,)
    gram : ndarray (s, s) or None
        Shared Gram ``G`` (shared design), with ``scale`` (n_columns,).
    H : ndarray (s, s, n_columns) or None
        Per-column Grams, ``H[:, :, t] = H_t`` (the layout makes the update
        of ``H W`` after a change of row ``j`` one contiguous slice). A model
        built with ``grams`` (the Grams laid out (T, s, s), as
        :func:`gram_model` makes them) lays ``H`` out on first access only:
        the ADMM and the batched products read the (T, s, s) layout.
    C : ndarray (s, n_columns)
    k : ndarray (n_columns,)
    x_mean : ndarray (s, n_columns) or None
    y_mean : ndarray (n_columns,)
    """

    def __init__(self, features, C, k, y_mean, x_mean, *, gram=None, scale=None,
                 H=None, grams=None):
        self.features = features
        self.C, self.k, self.y_mean, self.x_mean = C, k, y_mean, x_mean
        self.gram, self.scale = gram, scale
        self._H, self._column_grams = H, grams
        self.shared = gram is not None

    @property
    def H(self):
        if self._H is None and self._column_grams is not None:
            self._H = np.ascontiguousarray(np.moveaxis(self._column_grams, 0, 2))
        return self._H

    @property
    def per_column(self):
        """Whether the model has per-column Grams (not laying ``H`` out)."""
        return self._H is not None or self._column_grams is not None

    @property
    def n_features(self):
        return self.C.shape[0]

    def hessian_product(self, W):
        """``(H_t w_t)_t`` as an (s, n_columns) array."""
        if self.shared:
            return (self.gram @ W) * self.scale
        # H laid out (s, s, T) if it was not: the same arithmetic as before
        # the (T, s, s) layout (solvers' certificates compare its rounding);
        # the stacked ADMM's batched product reads the (T, s, s) Grams
        return column_products(self.H, W)

    def diagonal(self):
        """``H_t[j, j]`` as an (s, n_columns) array."""
        if self.shared:
            return np.outer(np.diag(self.gram), self.scale)
        if self._H is None:
            return np.einsum("tjj->jt", self._column_grams).copy()
        return np.einsum("jjt->jt", self.H).copy()

    def column_update(self, j, delta):
        """Change of ``H W`` when row ``j`` of ``W`` changes by ``delta``."""
        if self.shared:
            return np.outer(self.gram[:, j], delta * self.scale)
        return self.H[:, j, :] * delta

    def gradient(self, W, HW):
        """Gradient of the loss: ``H W - C``."""
        return HW - self.C

    def moments(self, W, HW):
        """``(data value, sum w r y, sum w r^2)`` at ``W`` (centred ``y``)."""
        k = float(np.sum(self.k))
        cw = float(np.vdot(W, self.C))
        rr = max(k - 2.0 * cw + float(np.vdot(W, HW)), 0.0)
        return 0.5 * rr, k - cw, rr

    def intercept(self, W):
        if self.x_mean is None:
            return self.y_mean.copy()
        return self.y_mean - np.einsum("jt,jt->t", self.x_mean, W)

    def restrict(self, positions):
        """The model on ``features[positions]`` (a copy of the needed blocks;
        the model itself when ``positions`` is every feature in order: the
        working set of all features copies nothing, which for per-column
        Grams of 10,000 tasks is 200 MB)."""
        positions = np.asarray(positions)
        if (positions.size == self.n_features
                and np.array_equal(positions, np.arange(self.n_features))):
            return self
        index = np.ix_(positions, positions)
        x_mean = None if self.x_mean is None else self.x_mean[positions]
        H = grams = None
        if self._H is not None:
            H = self._H[index]
        elif self._column_grams is not None:
            grams = self._column_grams[:, positions[:, None], positions[None, :]]
        return GramModel(
            self.features[positions],
            self.C[positions],
            self.k,
            self.y_mean,
            x_mean,
            gram=None if self.gram is None else self.gram[index],
            scale=self.scale,
            H=H,
            grams=grams,
        )

    def column_grams(self):
        """The per-column Grams laid out (T, s, s), contiguous float64, made
        once (the batched products and the compiled ADMM share them)."""
        if self._column_grams is None:
            grams = scratch((self._H.shape[2],) + self._H.shape[:2], zero=False)
            grams[...] = np.moveaxis(self._H, 2, 0)
            self._column_grams = grams
        return self._column_grams

    def eigen(self):
        """Eigendecompositions of the Grams, computed once: ``(values, vectors)``.

        Shared: ``values`` (s,), ``vectors`` (s, s). Per column: ``values``
        (n_columns, s) and ``vectors`` (n_columns, s, s).
        """
        if getattr(self, "_eigen", None) is None:
            if self.shared:
                values, vectors = np.linalg.eigh(self.gram)
            else:
                values, vectors = np.linalg.eigh(self.column_grams())
            self._eigen = np.maximum(values, 0.0), vectors
        return self._eigen


def _column_products(H, W, out):
    """``out[:, t] = H[:, :, t] @ W[:, t]``, reading ``H`` (s, s, T) in
    memory order (one contiguous ``(s, T)`` block per output row)."""
    s, _, T = H.shape
    acc = np.empty(T)
    for i in range(s):
        for t in range(T):
            acc[t] = 0.0
        for j in range(s):
            for t in range(T):
                acc[t] += H[i, j, t] * W[j, t]
        for t in range(T):
            out[i, t] = acc[t]


_COMPILED_ENTRIES = 2**14  # Grams from which the compiled product is used
_compiled_products = []


def column_products(H, W):
    """``(H[:, :, t] @ W[:, t])_t`` (s, T): compiled (numba, ``cache=True``)
    for large float64 Grams (the einsum's strided reduction is 1.5-5x slower,
    measured), else by ``np.einsum``."""
    if (H.size >= _COMPILED_ENTRIES and H.dtype == np.float64
            and H.flags.c_contiguous):
        if not _compiled_products:
            from ._kernels import AVAILABLE

            if AVAILABLE:
                import numba

                _compiled_products.append(
                    numba.njit(cache=True, nogil=True)(_column_products))
            else:
                _compiled_products.append(None)
        kernel = _compiled_products[0]
        if kernel is not None:
            W = np.ascontiguousarray(W, dtype=np.float64)
            out = np.empty(W.shape)
            kernel(H, W, out)
            return out
    return np.einsum("ijt,jt->it", H, W)


class FactorModel(GramModel):
    r"""The shared-design model kept as its factor: ``G = F^T F``.

    ``F`` (m, s) holds the centred rows of ``X[:, features]`` times the
    square roots of the row weights. For a working set with more features
    than rows, keeping ``F`` costs less than forming ``G`` (``m s`` against
    ``m s^2``) and a coordinate step costs ``O(m T)`` (through ``Z = F W``)
    instead of ``O(s T)``.
    """

    def __init__(self, features, C, k, y_mean, x_mean, *, factor, scale):
        super().__init__(features, C, k, y_mean, x_mean, gram=None, scale=scale)
        self.shared = True
        self.factor = factor
        self.product = None  # (W, F W) left by the compiled solve (_factor_descent)

    def hessian_product(self, W):
        return (self.factor.T @ (self.factor @ W)) * self.scale

    def diagonal(self):
        return np.outer(np.einsum("ij,ij->j", self.factor, self.factor), self.scale)

    def column_update(self, j, delta):
        column = self.factor.T @ self.factor[:, j]
        return np.outer(column, delta * self.scale)

    def restrict(self, positions):
        x_mean = None if self.x_mean is None else self.x_mean[positions]
        return FactorModel(
            self.features[positions], self.C[positions], self.k, self.y_mean, x_mean,
            factor=self.factor[:, positions], scale=self.scale,
        )

    def eigen(self):
        raise NotImplementedError("FactorModel serves coordinate descent only")


def factor_model(problem, features):
    """:class:`FactorModel` of a shared-design problem on ``features``."""
    features = np.asarray(features, dtype=np.intp)
    rows, row_weight, scale = problem.task_scale
    Y = problem.datafit.dense_targets(rows.size)
    center = problem.fit_intercept
    F = _float_columns(problem.X, rows, features)
    total = float(row_weight.sum())
    x_mean, y_mean = np.zeros(features.size), np.zeros(Y.shape[1])
    if center and total > 0:
        x_mean = (row_weight @ F) / total
        y_mean = (row_weight @ Y) / total
        F -= x_mean
    root = np.sqrt(row_weight)
    F *= root[:, None]
    Yc = (Y - y_mean) * root[:, None]
    C = F.T @ Yc
    k = np.einsum("ij,ij->j", Yc, Yc)
    x_means = np.outer(x_mean, np.ones(Y.shape[1])) if center else None
    return FactorModel(
        features, C * scale, k * scale, y_mean, x_means,
        factor=np.asfortranarray(F), scale=scale,
    )


def gram_entries(n_grams, n_features):
    """Number of stored Gram entries for ``n_grams`` Grams of a feature set."""
    return n_grams * n_features * n_features


def _float_columns(X, rows, features):
    """``X[rows][:, features]`` as float64 (dense)."""
    if sparse.issparse(X):
        return np.asarray(X[rows][:, features].toarray(), dtype=np.float64)
    # a range of features (all of them, or one block of a stacked design
    # [X, X]): a slice, whose row gather is 3-5x faster than the (m, s) one
    columns = _as_slice(features)
    if (rows.size == X.shape[0] and rows.size and rows[0] == 0
            and rows[-1] == rows.size - 1 and np.all(np.diff(rows) == 1)):
        # every row in order (a shared design): a column gather, contiguous
        # for a column-major X, and no (m, s) index arrays (a copy: callers
        # modify the result in place)
        if columns is not None:
            return np.array(X[:, columns], dtype=np.float64)
        return np.asarray(X[:, features], dtype=np.float64)
    if columns is not None:
        return np.asarray(X[rows, columns], dtype=np.float64)
    # one gather of the needed entries (X[rows] first would copy whole rows)
    return np.asarray(X[np.ix_(rows, features)], dtype=np.float64)


def _gathered_rows(X, rows, features, feature_range):
    """``X[rows][:, features]`` as float64 (dense), into a kept buffer when
    the features are a range of a dense float64 ``X`` (see :func:`scratch`)."""
    if (feature_range is None or sparse.issparse(X)
            or not isinstance(X, np.ndarray) or X.dtype != np.float64):
        return _float_columns(X, rows, features)
    out = scratch((rows.size, features.size), zero=False)
    # mode="clip": an unbuffered take (the rows are valid by construction)
    np.take(X[:, feature_range], rows, axis=0, out=out, mode="clip")
    return out


def _as_slice(features):
    """``features`` as a slice when they are consecutive, else None."""
    if features.size == 0 or features[-1] - features[0] != features.size - 1:
        return None
    if not np.all(np.diff(features) == 1):
        return None
    return slice(int(features[0]), int(features[-1]) + 1)


def _centred_moments(X, rows, features, Y, w, center):
    """Weighted centred moments of ``X[rows][:, features]`` and ``Y`` (m, q).

    Returns ``H, C, k, x_mean, y_mean`` with ``H`` (s, s), ``C`` (s, q),
    ``k`` (q,). The only centring code of the package: means first, then the
    centred products accumulated over row chunks, so a float32 ``X`` is
    never converted to float64 as a whole and large offsets cancel exactly.
    """
    s, total = len(features), float(w.sum())
    step = max(1, _CHUNK_ENTRIES // max(s, 1))
    chunks = [slice(a, min(a + step, rows.size)) for a in range(0, rows.size, step)]
    x_mean, y_mean = np.zeros(s), np.zeros(Y.shape[1])
    if center and total > 0:
        for part in chunks:
            x_mean += w[part] @ _float_columns(X, rows[part], features)
        x_mean /= total
        y_mean = (w @ Y) / total
    H, C = np.zeros((s, s)), np.zeros((s, Y.shape[1]))
    for part in chunks:
        Xc = _float_columns(X, rows[part], features) - x_mean
        Xw = Xc * w[part, None]
        H += Xw.T @ Xc
        C += Xw.T @ (Y[part] - y_mean)
    Yc = Y - y_mean
    k = w @ (Yc * Yc)
    return H, C, k, x_mean, y_mean


def _shared_model(problem, features, center):
    rows, row_weight, scale = problem.task_scale
    Y = problem.datafit.dense_targets(rows.size)
    gram, C, k, x_mean, y_mean = _centred_moments(
        problem.X, rows, features, Y, row_weight, center
    )
    x_means = np.outer(x_mean, np.ones(Y.shape[1])) if center else None
    return GramModel(
        features, C * scale, k * scale, y_mean, x_means, gram=gram, scale=scale
    )


def gram_model(problem, features):
    """The quadratic model of ``problem`` (squared loss) on ``features``."""
    features = np.asarray(features, dtype=np.intp)
    center = problem.fit_intercept
    if problem.task_scale is not None:
        return _shared_model(problem, features, center)
    datafit = problem.datafit
    rows, cols = datafit.entries()
    y, w = datafit.entry_targets, datafit.entry_weights
    T, s = problem.n_columns, len(features)
    # the Grams laid out (T, s, s): each column's Gram one contiguous block
    grams, C = scratch((T, s, s)), np.zeros((s, T))
    k, y_mean = np.zeros(T), np.zeros(T)
    x_mean = np.zeros((s, T)) if center else None
    budget = max(1, _CHUNK_ENTRIES // max(s, 1))
    segments = getattr(problem, "segments", None)
    if segments is not None and all(hi - lo <= budget for _, _, lo, hi in segments):
        # each column on a slice of X (no gather of the entries' rows)
        X = problem.X if s == problem.n_features else problem.X[:, features]
        for t, start, lo, hi in segments:
            Xt = X[start:start + hi - lo]
            wt, yt = w[lo:hi], y[lo:hi]
            total = float(wt.sum())
            if center and total > 0:
                xm = (wt @ Xt) / total
                y_mean[t] = (wt @ yt) / total
                x_mean[:, t] = xm
                Xt = Xt - xm
            yc = yt - y_mean[t]
            Xw = Xt * wt[:, None]
            grams[t] = Xw.T @ Xt
            C[:, t] = yc @ Xw
            k[t] = wt @ (yc * yc)
        return GramModel(features, C, k, y_mean, x_mean, grams=grams)
    bounds = np.searchsorted(cols, np.arange(T + 1))
    counts = np.diff(bounds)
    direct = np.arange(T)
    plan = _subtraction_plan(problem, rows, cols, w, counts)
    if plan is not None:
        by_subtraction, direct = plan
        _subtracted_moments(problem, features, by_subtraction, center,
                            grams, C, k, y_mean, x_mean)
    for first, last, m in _direct_groups(direct, counts, s):
        if m > budget:  # one large column: its rows in chunks (bounded memory)
            part = slice(bounds[first], bounds[first + 1])
            Ht, Ct, kt, xm, ym = _centred_moments(
                problem.X, rows[part], features, y[part, None], w[part], center
            )
            grams[first], C[:, first] = Ht, Ct[:, 0]
            k[first], y_mean[first] = kt[0], ym[0]
            if center:
                x_mean[:, first] = xm
            continue
        # the group's entries gathered once (float64), padded to m rows per
        # column with zero weight, and all its moments by batched products
        g = last - first
        index = np.zeros((g, m), dtype=np.intp)
        weight = np.zeros((g, m))
        target = np.zeros((g, m))
        part = slice(bounds[first], bounds[last])
        column = cols[part] - first
        position = np.arange(part.start, part.stop) - bounds[cols[part]]
        index[column, position] = rows[part]
        weight[column, position] = w[part]
        target[column, position] = y[part]
        block = _float_columns(problem.X, index.ravel(), features).reshape(g, m, s)
        Hg, Cg, kg, xm, ym = _batched_moments(block, target, weight, center)
        grams[first:last] = Hg
        C[:, first:last], k[first:last], y_mean[first:last] = Cg.T, kg, ym
        if center:
            x_mean[:, first:last] = xm.T
    return GramModel(features, C, k, y_mean, x_mean, grams=grams)


def _direct_groups(columns, counts, n_features):
    """:func:`_column_groups` over the runs of consecutive ``columns``."""
    if columns.size == 0:
        return
    breaks = np.flatnonzero(np.diff(columns) != 1) + 1
    for run in np.split(columns, breaks):
        for first, last, m in _column_groups(counts[run[0]:run[-1] + 1], n_features):
            yield first + run[0], last + run[0], m


# subtraction route: a column whose rows are all but a few of the rows of X
# (missing targets) gets its Gram as the shared Gram minus the outer products
# of the rows it lacks; used when it costs at most this fraction of the
# direct route's flops, and for columns lacking at most this fraction of
# the rows (the cancellation then loses at most a factor 2 of precision)
_SUBTRACT_COST = 0.8
_SUBTRACT_LACKING = 0.5


def _subtraction_plan(problem, rows, cols, w, counts):
    """``(columns by subtraction, columns direct)`` or None.

    Column ``t`` weighs row ``i`` by ``g_t`` (its first entry's weight)
    except at a set ``D_t`` of rows (missing targets: weight 0; other
    sample weights): ``S_t = g_t X^T X - sum_{i in D_t} (g_t - w_it) x_i x_i^T``.
    """
    X = problem.X
    n, T = X.shape[0], counts.size
    if sparse.issparse(X) or n == 0 or T == 0 or rows.size < 0.5 * n * T:
        return None  # dense (n, T) weights would cost more than the entries
    dense = np.zeros((n, T))
    dense[rows, cols] = w  # one entry per (row, column): no (N,) index array
    reference = np.zeros(T)
    observed = counts > 0
    reference[observed] = w[np.searchsorted(cols, np.flatnonzero(observed))]
    lacking = np.count_nonzero(dense != reference, axis=0)
    good = observed & (lacking <= _SUBTRACT_LACKING * n)
    direct_cost = float(counts[good].sum())
    if direct_cost == 0 or n + lacking[good].sum() > _SUBTRACT_COST * direct_cost:
        return None
    return (np.flatnonzero(good), (dense, reference)), np.flatnonzero(~good)


def _stacked_source(problem, features):
    """The design's one block when it is ``[B, ..., B]`` (declared) and the
    features lie in the first block: rows gathered from ``B`` are
    contiguous, those of the first columns of ``[B, B]`` strided (3.5 against
    1.4 ms for 20,000 rows of 100 features, measured)."""
    block = getattr(problem, "_block_X", None)
    if (isinstance(block, np.ndarray) and features.size
            and 0 <= features.min() and features.max() < block.shape[1]):
        return block
    return problem.X


def _subtracted_moments(problem, features, plan, center, grams, C, k, y_mean,
                        x_mean):
    """Moments of the planned columns by subtraction, written into the
    (T, s, s) ``grams`` and the other outputs (see :func:`_centred_moments`:
    the rows are shifted by the mean row of ``X``, then every column's own
    mean is corrected for exactly, so large offsets still cancel)."""
    columns, (dense, reference) = plan
    X, datafit = _stacked_source(problem, features), problem.datafit
    rows, cols = datafit.entries()
    y, w = datafit.entry_targets, datafit.entry_weights
    n, T, s = X.shape[0], dense.shape[1], features.size
    every = columns.size == T  # every column (in order): no copies
    if not every:
        dense = dense[:, columns]
    g = reference[columns]
    totals = dense.sum(axis=0)
    q = columns.size
    bounds_of = np.searchsorted(cols, np.arange(T + 1))
    starts, stops = bounds_of[columns], bounds_of[columns + 1]
    ym, kq = np.zeros(q), np.zeros(q)
    for c in range(q):  # each column's entries are a slice of them
        part = slice(starts[c], stops[c])
        wc, yc = w[part], y[part]
        if center and totals[c] > 0:
            first = float(np.dot(wc, yc)) / totals[c]
            # a second pass on the residuals: a column of equal targets gets
            # exactly their value (y - ym = 0 exactly, so C = 0 and W = 0, as
            # the direct route gives), whatever the rounding of the first pass
            ym[c] = first + float(np.dot(wc, yc - first)) / totals[c]
        residual = yc - ym[c]
        kq[c] = float(np.dot(wc * residual, residual))
    # centred targets times weights, w (y - ym), by chunks of rows: each
    # column's entries of a chunk of rows are a slice of its entries (rows
    # ascending within a column), so no (n, q) array of them is made (the fit
    # of a design of 10^6 rows keeps its memory below 1.5 X)
    # rows ascending within each column (entries sorted by column)
    ascending = bool(np.all((np.diff(rows) > 0) | (np.diff(cols) != 0)))
    if not ascending:  # not expected (entries are kept in memory order)
        order = np.lexsort((rows, cols))
        rows, y, w = rows[order], y[order], w[order]

    def weighted_rows(a, b):  # (b - a, q): w (y - ym) of the rows a..b-1
        out = np.zeros((b - a, q))
        for c in range(q):
            lo, hi = starts[c] + np.searchsorted(rows[starts[c]:stops[c]], [a, b])
            out[rows[lo:hi] - a, c] = w[lo:hi] * (y[lo:hi] - ym[c])
        return out

    step = max(1, _CHUNK_ENTRIES // max(s, 1))
    shift = np.zeros(s)
    feature_range = _as_slice(features)

    def rows_of(part):  # a float64 copy of X[part][:, features]
        if feature_range is not None:
            return np.array(X[part, feature_range], dtype=np.float64)
        return np.array(X[part][:, features], dtype=np.float64)

    whole = None  # X[:, features] shifted, float64, when it is small enough
    if n * s <= _WHOLE_ENTRIES:
        if feature_range is not None and not sparse.issparse(X):
            # one pass: the shifted float64 copy made by the subtraction
            source = X[:, feature_range]
            if center:  # (a product with ones: BLAS, 3x a float64 sum's speed)
                shift = (np.ones(n) @ source) / n
            whole = np.subtract(source, shift, out=scratch((n, s), zero=False),
                                dtype=np.float64)
        else:
            whole = rows_of(slice(0, n))
            if center:
                shift = whole.sum(axis=0) / n
                whole -= shift
        gram = _upper_gram(whole)
        Cq = whole.T @ weighted_rows(0, n)
        # u_t = sum_i w_it x_i = g_t sum_i x_i - sum_i (g_t - w_it) x_i: from
        # the lacking rows, once they are gathered (below)
        U, row_sums = None, np.ones(n) @ whole
    else:
        if center:
            for a in range(0, n, step):
                shift += rows_of(slice(a, a + step)).sum(axis=0)
            shift /= n
        gram, U, Cq = np.zeros((s, s)), np.zeros((s, q)), np.zeros((s, q))
        for a in range(0, n, step):
            part = slice(a, min(a + step, n))
            Xs = rows_of(part)
            if center:
                Xs -= shift
            gram += Xs.T @ Xs
            U += Xs.T @ dense[part]
            Cq += Xs.T @ weighted_rows(part.start, part.stop)
    # (n, q), in place of the weights: non-zero at the rows each column lacks
    deviation = np.subtract(g, dense, out=dense)
    counts = np.count_nonzero(deviation, axis=0)
    inverse = np.zeros(q)
    positive = totals > 0
    if center:
        inverse = np.where(positive, 1.0 / np.where(positive, totals, 1.0), 0.0)

    def shifted_rows(index, spare=0):  # rows of X[:, features] at index, shifted
        if whole is not None:  # (and `spare` rows more, uninitialised)
            out = scratch((index.size + spare, s), zero=False)
            np.take(whole, index, axis=0, out=out[:index.size], mode="clip")
            return out
        out = _gathered_rows(X, index, features, feature_range)
        if center:
            out -= shift
        return out

    extra = 1 if center else 0
    alone = np.zeros(q, dtype=bool)
    if whole is not None:  # columns lacking many rows: one SYRK each
        alone = counts + extra >= _SYRK_ROWS * s
        if not alone.all():
            U = g * row_sums[:, None] - whole.T @ deviation
        else:
            U = np.empty((s, q))
        lower = np.tri(s, dtype=bool)
        by_column = np.ascontiguousarray(deviation.T)  # (q, n): rows contiguous
        for c in np.flatnonzero(alone):
            index = np.flatnonzero(by_column[c])
            rows_c, coef = shifted_rows(index, extra), by_column[c, index]
            U[:, c] = g[c] * row_sums - coef @ rows_c[:index.size]
            out = grams[columns[c]]
            _lacking_update(out, gram, g[c], rows_c, coef,
                            U[:, c] if center else None, inverse[c])
            np.copyto(out, out.T, where=~lower)  # the upper triangle mirrored
    if center:
        x_mean[:, columns] = np.where(positive, shift[:, None] + U * inverse, 0.0)
    # per group of columns, one padded block: each column's lacking rows
    # (shifted), then, when centring, the row u_t = sum_i w_it x_i with
    # coefficient 1 / W_t, so that H_t = g_t G - sum_i D_it x_i x_i^T -
    # u_t u_t^T / W_t is one batched product (blocks of about one chunk)
    rest = np.flatnonzero(~alone)
    if rest.size:
        col_of, row_of = np.nonzero(deviation.T)  # by column, rows ascending
        bounds = np.concatenate(([0], np.cumsum(counts)))
    for first, last, m in _direct_groups(rest, counts + extra, s):
        if m * s > _CHUNK_ENTRIES:  # one column lacking many rows: in chunks
            lacking = np.zeros((s, s))
            for lo in range(bounds[first], bounds[first + 1], step):
                index = row_of[lo:min(lo + step, bounds[first + 1])]
                Xl = shifted_rows(index)
                lacking += Xl.T @ (Xl * deviation[index, first, None])
            if center:
                lacking += np.outer(U[:, first], U[:, first] * inverse[first])
            grams[columns[first]] = g[first] * gram - lacking
            continue
        size = last - first
        part = slice(bounds[first], bounds[last])
        column = col_of[part] - first
        slot = np.arange(part.start, part.stop) - bounds[col_of[part]]
        index = np.zeros((size, m), dtype=np.intp)
        coef = np.zeros((size, m))
        index[column, slot] = row_of[part]
        coef[column, slot] = deviation[row_of[part], col_of[part]]
        block = shifted_rows(index.ravel()).reshape(size, m, s)
        if center:
            block[:, -1, :] = U[:, first:last].T
            coef[:, -1] = inverse[first:last]
        target, scales = columns[first:last], g[first:last]
        if m >= _SYRK_ROWS * s:
            values = _symmetric_update(gram, scales, block, coef)
        else:
            values = scratch((size, s, s), zero=False)
            lacking = scratch((size, s, s), zero=False)
            weighted = scratch(block.shape, zero=False)
            np.multiply(scales[:, None, None], gram, out=values)
            np.multiply(block, coef[:, :, None], out=weighted)
            np.matmul(block.transpose(0, 2, 1), weighted, out=lacking)
            values -= lacking
            del lacking, weighted
        if target[-1] - target[0] == size - 1:  # consecutive: a slice store
            grams[target[0]:target[-1] + 1] = values
        else:
            grams[target] = values
    C[:, columns], k[columns], y_mean[columns] = Cq, kq, ym


_SYRK_ROWS = 4.0  # lacking rows per feature from which SYRK beats a batched GEMM
# X[:, features] kept as one shifted float64 copy up to this many entries (its
# lacking rows then gathered from it, already shifted, one SYRK per column)
_WHOLE_ENTRIES = 2**22


def _upper_gram(A):
    """``A^T A`` of a C-ordered float64 ``A`` by BLAS SYRK (half the flops of
    the product), the lower triangle mirrored from the upper."""
    from scipy.linalg import blas

    upper = np.triu(blas.dsyrk(1.0, A.T, trans=0, lower=0))
    upper += np.triu(upper, 1).T
    return upper


def _lacking_update(out, gram, scale, rows, coef, u, inverse):
    """Into the lower triangle of ``out`` (C-ordered (s, s)): ``scale G -
    R^T diag(coef) R - u u^T inverse`` by SYRK on the rows ``R`` (m, s;
    with ``u``, ``rows`` has one more row, for it: its buffer is modified).
    Without weighting copies when ``coef`` is one positive value (missing
    targets): ``u`` then joins ``R`` as that row, scaled by
    ``sqrt(inverse / coef)``."""
    from scipy.linalg import blas

    m = coef.size
    out[...] = gram
    target = out.T  # Fortran-ordered: SYRK writes into it, its upper triangle
    if u is not None:
        rows[m] = u
        coef = np.append(coef, inverse)
    if rows.shape[0] == 0:
        out *= scale
        return
    value = coef[0]
    if value > 0 and np.all(coef[:m] == value):
        if u is not None:
            rows[m] *= np.sqrt(inverse / value)
        updates = [(-value, rows)]
    else:
        updates = [(-1.0, rows * np.sqrt(np.maximum(coef, 0.0))[:, None])]
        if np.any(coef < 0):
            updates.append((1.0, rows * np.sqrt(np.maximum(-coef, 0.0))[:, None]))
    beta = float(scale)
    for alpha, R in updates:
        result = blas.dsyrk(float(alpha), R.T, beta=beta, c=target, trans=0,
                            lower=0, overwrite_c=1)
        if not np.may_share_memory(result, out):
            target[...] = result
        beta = 1.0


def _symmetric_update(gram, scales, block, coef):
    """``(g_t G - B_t^T diag(coef_t) B_t)_t`` (size, s, s) by symmetric
    rank-k updates (BLAS SYRK: half the flops of the batched product, which
    is faster only for few rows per column, measured), one triangle mirrored."""
    from scipy.linalg import blas

    size, _, s = block.shape
    syrk = blas.dsyrk
    positive = np.sqrt(np.maximum(coef, 0.0))[:, :, None]
    negative = np.sqrt(np.maximum(-coef, 0.0))[:, :, None]
    mixed = bool(np.any(coef < 0))
    out = np.empty((size, s, s))
    for c in range(size):
        # a (m, s) C-ordered block transposed is the Fortran (s, m) SYRK wants
        U = syrk(-1.0, (block[c] * positive[c]).T, beta=float(scales[c]), c=gram,
                 trans=0, lower=0)
        if mixed:
            U = syrk(1.0, (block[c] * negative[c]).T, beta=1.0, c=U, trans=0,
                     lower=0, overwrite_c=1)
        out[c] = U
    below = np.tril_indices(s, -1)
    out[:, below[0], below[1]] = out[:, below[1], below[0]]
    return out


def _column_groups(counts, n_features):
    """``(first, last, m)``: consecutive columns whose entries, padded to the
    largest count ``m`` of the group, fill about one chunk."""
    budget = max(1, _CHUNK_ENTRIES // max(n_features, 1))
    first, T = 0, counts.size
    while first < T:
        m = max(int(counts[first]), 1)
        last = first + 1
        while last < T:
            wider = max(m, int(counts[last]))
            if wider * (last + 1 - first) > budget:
                break
            m, last = wider, last + 1
        yield first, last, m
        first = last


def _batched_moments(Xg, Yg, Wg, center):
    """Centred moments of ``g`` columns at once: ``Xg`` (g, m, s), ``Yg`` and
    ``Wg`` (g, m) (zero weight on padding rows)."""
    totals = Wg.sum(axis=1)
    safe = np.where(totals > 0, totals, 1.0)
    xm = np.zeros((Xg.shape[0], Xg.shape[2]))
    ym = np.zeros(Xg.shape[0])
    if center:
        xm = np.einsum("gm,gms->gs", Wg, Xg) / safe[:, None]
        ym = np.einsum("gm,gm->g", Wg, Yg) / safe
        xm[totals <= 0], ym[totals <= 0] = 0.0, 0.0
        Xg = Xg - xm[:, None, :]
    Yc = Yg - ym[:, None]
    Xw = Xg * Wg[:, :, None]
    H = np.matmul(Xw.transpose(0, 2, 1), Xg)
    C = np.einsum("gms,gm->gs", Xw, Yc)
    k = np.einsum("gm,gm->g", Wg, Yc * Yc)
    return H, C, k, xm, ym
