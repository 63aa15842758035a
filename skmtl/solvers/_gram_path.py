r"""The L2,1 path of a squared-loss fold solved in Gram space, compiled.

A cross-validated L2,1 model solves, on each training fold, the problem of
:class:`~skmtl.L21Regressor`

.. math::

    \min_W \frac{1}{2}\sum_t \left(w_t^\top H_t w_t - 2 c_t^\top w_t
        + k_t\right) + \alpha \sum_j \lVert W_{j,:}\rVert_2
        + \frac{\rho}{2}\lVert W\rVert_F^2

(its quadratic model, :mod:`skmtl.solvers._gram`: intercepts profiled out,
``H_t = scale_t G`` for a shared design, per-column Grams otherwise) for a
descending grid of ``alpha``. Here the whole grid runs in one compiled call
that keeps nothing but ``W`` and ``H W``:

* one epoch visits every row ``j`` and replaces it by the exact minimiser of
  the objective in that row, majorised by the row's curvatures
  ``D_jt = H_t[j, j] + rho`` (the L2,1 row minimiser of
  :mod:`skmtl.solvers._kernels`); a row that is zero and stays zero costs
  ``O(T)``; the rows that move update ``H W`` block by block, in one BLAS
  product per block of ``_BLOCK`` rows (no residuals);
* after every epoch the duality gap is computed from the moments
  (``O(d T)``): ``r^T r = sum_t k_t - 2 c_t^T w_t + w_t^T H_t w_t``,
  ``y^T r = sum_t k_t - c_t^T w_t``, the gradient ``G = H W - C + rho W``
  and the dual point ``s r`` with ``s = min(1, alpha / max_j ||G_j||)``
  (without ridge; with it the conjugate of the ridge-augmented penalty), the
  best dual value of the strength kept;
* every ``_ANDERSON`` epochs the last iterates are extrapolated (Anderson);
  the extrapolated point offers a second dual point and replaces the iterate
  when its objective is lower, as in :func:`skmtl.solvers._inner.coordinate_descent`;
* a strength stops when the gap meets the estimator's criterion,
  ``gap <= tol * max(P, 10^-3 * 2 F(0))`` with ``2 F(0) = sum_t k_t``
  (:func:`skmtl.solvers._minimize.gap_measure`); the next one starts from
  its solution or, when its objective there is lower, from the secant
  predictor ``W_k + (W_k - W_{k-1})`` (steps in ``log alpha`` rescaled);
* a strength on which the epochs will not converge within ``max_iter``
  (judged from the rate over the last ``_CRAWL`` epochs: a badly
  conditioned support, where coordinate descent crawls) is handed to the
  estimator's own solver from the last point (its Newton steps on the
  support converge there), through ``fallback``.

This is the estimator's own problem, stated once by the estimator
(``_prepare`` / ``_build_problem``), so each point is the estimator's fit at
that strength up to ``tol``; only the algorithm differs (the estimator's
working sets pay Python overheads per strength that a 100-strength path on
five folds multiplies by 500). Compiled by numba (``cache=True``) on first
use; without numba the paths use the general solver.
"""

import numpy as np

from ..penalties import L21
from . import _kernels

__all__ = ["GramL21Path", "applies"]

_ANDERSON = 5  # iterates per extrapolation, as solvers._inner
_BLOCK = 32  # rows per block of an epoch
_CRAWL = 100  # epochs between the checks of the rate of convergence
_STALL = 20  # epochs without a lower objective (double precision) or measure
_RELATIVE_FLOOR = 1e-3  # as solvers._minimize._RELATIVE_FLOOR
_CHUNK_ENTRIES = 2**22  # entries of W kept per chunk of the path (32 MB)

_compiled = {}


def available():
    """Whether the compiled path can run (numba importable, not disabled)."""
    return _kernels.AVAILABLE


def applies(problem):
    """Whether ``problem`` is an L2,1 squared-loss problem whose quadratic
    model of all features is affordable, with no column coupling."""
    return (
        available()
        and problem.datafit.profiled_intercept
        and type(problem.penalty) is L21
        and problem.coupling is None
        and problem.gram_affordable(problem.n_features)
    )


# --------------------------------------------------------------------------
# The compiled kernels (plain Python here; compiled by numba on first use)
# --------------------------------------------------------------------------


def _certificate(W, HW, C, ksum, ridge, alpha):
    """``(primal, dual)`` at ``W`` from the moments (see the module docstring)."""
    d, T = W.shape
    cw, whw, wsq, penalty, top, excess = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    for j in range(d):
        row2, g2, v2 = 0.0, 0.0, 0.0
        for t in range(T):
            w = W[j, t]
            hw = HW[j, t]
            cw += C[j, t] * w
            whw += w * hw
            row2 += w * w
            g = hw - C[j, t] + ridge * w
            g2 += g * g
            v = C[j, t] - hw  # ridge * w - g
            v2 += v * v
        wsq += row2
        penalty += np.sqrt(row2)
        top = max(top, g2)
        if ridge > 0:
            e = np.sqrt(v2) - alpha
            if e > 0:
                excess += e * e
    rr = max(ksum - 2.0 * cw + whw, 0.0)
    yr = ksum - cw
    primal = 0.5 * rr + alpha * penalty + 0.5 * ridge * wsq
    if ridge > 0:
        dual = yr - 0.5 * rr - excess / (2.0 * ridge)
    else:
        norm = np.sqrt(top)
        s = min(1.0, alpha / norm) if norm > 0 else 1.0
        dual = s * yr - 0.5 * s * s * rr
    return primal, dual


def _epoch(W, HW, gram, scale, Ht, C, D, ridge, alpha, a, u, g, Delta, moved,
           rows, product):
    """One pass of exact majorised row minimisations, ``H W`` kept.

    The rows are visited in blocks of ``_BLOCK``: inside a block the
    gradient of a row adds the changes of the block's earlier rows that
    moved (``O(B T)``), and after the block ``H W`` takes their changes in
    one matrix product (``O(d T)`` per moved row, as a row-by-row update,
    at the speed of a BLAS product).
    """
    if Ht.shape[0] == 0:
        _epoch_shared(W, HW, gram, scale, C, D, ridge, alpha, a, u, g, Delta,
                      moved, rows, product)
    else:
        _epoch_columns(W, HW, Ht, C, D, ridge, alpha, a, u, g, Delta, moved, rows)


def _l21_row(j, W, g, D, alpha, u):
    """Into ``u``: the minimiser of ``1/2 sum_t D_jt u_t^2 - a^T u + alpha
    ||u||``, ``a = D_j w_j - g`` (the L2,1 row minimiser of
    :mod:`skmtl.solvers._kernels`, written on scalars: no array views, whose
    reference counts cost more than the arithmetic at 10 columns)."""
    T = W.shape[1]
    norm2, hmax, hmin = 0.0, 0.0, np.inf
    for t in range(T):
        h = D[j, t]
        at = h * W[j, t] - g[t] if h > 0 else 0.0
        g[t] = at  # g now holds a
        norm2 += at * at
        hmax = max(hmax, h)
        hmin = min(hmin, h)
    norm = np.sqrt(norm2)
    if norm <= alpha:
        for t in range(T):
            u[t] = 0.0
        return
    r = (norm - alpha) / hmax
    if hmin < hmax:  # unequal curvatures: Newton on ||a / (h r + alpha)|| = 1
        for _ in range(30):
            psi2, slope = 0.0, 0.0
            for t in range(T):
                q = 1.0 / (D[j, t] * r + alpha)
                aq = g[t] * q
                psi2 += aq * aq
                slope += aq * aq * D[j, t] * q
            psi = np.sqrt(psi2)
            slope /= psi**3
            step = (1.0 / psi - 1.0) / slope
            r -= step
            if abs(step) <= 1e-13 * r:
                break
        if not r > 0:
            for t in range(T):
                u[t] = 0.0
            return
    for t in range(T):
        h = D[j, t]
        u[t] = g[t] / (h + alpha / r) if h > 0 else 0.0


def _epoch_shared(W, HW, gram, scale, C, D, ridge, alpha, a, u, g, Delta, moved,
                  rows, product):
    d, T = W.shape
    for b0 in range(0, d, _BLOCK):
        n_moved = 0
        for j in range(b0, min(b0 + _BLOCK, d)):
            for t in range(T):
                g[t] = HW[j, t] - C[j, t] + ridge * W[j, t]
            for m in range(n_moved):
                c = gram[j, moved[m]]
                for t in range(T):
                    g[t] += c * Delta[m, t]
            _l21_row(j, W, g, D, alpha, u)
            changed = False
            for t in range(T):
                step = u[t] - W[j, t]
                if step != 0.0:
                    changed = True
                Delta[n_moved, t] = step * scale[t]
                W[j, t] = u[t]
            if changed:
                moved[n_moved] = j
                n_moved += 1
        b1 = min(b0 + _BLOCK, d)
        if n_moved == b1 - b0:  # every row moved: the block's rows as they are
            np.dot(gram[b0:b1].T, Delta[:n_moved], product)
        elif n_moved > 0:
            for m in range(n_moved):
                i = moved[m]
                for c in range(d):
                    rows[m, c] = gram[i, c]
            np.dot(rows[:n_moved].T, Delta[:n_moved], product)
        if n_moved > 0:
            for i in range(d):
                for t in range(T):
                    HW[i, t] += product[i, t]


def _epoch_columns(W, HW, Ht, C, D, ridge, alpha, a, u, g, Delta, moved, rows):
    d, T = W.shape
    column = np.empty(d)
    for b0 in range(0, d, _BLOCK):
        n_moved = 0
        for j in range(b0, min(b0 + _BLOCK, d)):
            for t in range(T):
                acc = HW[j, t] - C[j, t] + ridge * W[j, t]
                for m in range(n_moved):
                    acc += Ht[t, j, moved[m]] * Delta[m, t]
                g[t] = acc
            _l21_row(j, W, g, D, alpha, u)
            changed = False
            for t in range(T):
                step = u[t] - W[j, t]
                if step != 0.0:
                    changed = True
                Delta[n_moved, t] = step
                W[j, t] = u[t]
            if changed:
                moved[n_moved] = j
                n_moved += 1
        if n_moved > 0:
            for t in range(T):
                for m in range(n_moved):
                    i = moved[m]
                    for c in range(d):
                        rows[m, c] = Ht[t, i, c]
                    a[m] = Delta[m, t]
                np.dot(rows[:n_moved].T, a[:n_moved], column)
                for i in range(d):
                    HW[i, t] += column[i]


def _copy(out, W):
    """``out[:] = W`` for 2-D arrays by loops: in a fresh process numba
    took about 5 s to compile the first array assignment and 0.7 s for each
    later one of another kind, a loop 0.1 s (numba 0.68, measured)."""
    d, T = W.shape
    for j in range(d):
        for t in range(T):
            out[j, t] = W[j, t]


def _hessian_product(W, gram, scale, Ht, out):
    """``out = H W`` (n_features, n_columns), by BLAS products.

    Only the form of ``np.dot`` that writes into its third argument, and
    loops for the rest: the forms that return a new array, and array
    expressions, took 4.6 s of numba compilation here against 0.3 s
    (measured in a fresh process)."""
    d, T = W.shape
    if Ht.shape[0] == 0:
        np.dot(gram, W, out)
        for j in range(d):
            for t in range(T):
                out[j, t] *= scale[t]
    else:
        column, result = np.empty(d), np.empty(d)
        for t in range(T):
            for j in range(d):
                column[j] = W[j, t]
            np.dot(Ht[t], column, result)
            for j in range(d):
                out[j, t] = result[j]


def _anderson_weights(history, slots, c):
    """Into ``c``: the weights (summing to 1) of the Anderson extrapolation
    of the iterates ``history[slots]`` (oldest first), the formulas of
    :func:`._inner.anderson_weights`; returns False when it is ill-posed."""
    K = slots.size - 1
    s, T = history.shape[1], history.shape[2]
    M = np.zeros((K, K))
    for i in range(K):
        for k in range(i, K):
            acc = 0.0
            for j in range(s):
                for t in range(T):
                    acc += ((history[slots[i + 1], j, t] - history[slots[i], j, t])
                            * (history[slots[k + 1], j, t] - history[slots[k], j, t]))
            M[i, k] = acc
            M[k, i] = acc
    norm = 0.0
    for i in range(K):
        for k in range(K):
            norm += M[i, k] * M[i, k]
    norm = max(np.sqrt(norm), 1e-300)
    for i in range(K):
        for k in range(K):
            M[i, k] /= norm
        M[i, i] += 1e-10
    for i in range(K):
        c[i] = 1.0
    for i in range(K):  # Gaussian elimination with partial pivoting
        p = i
        for r in range(i + 1, K):
            if abs(M[r, i]) > abs(M[p, i]):
                p = r
        if M[p, i] == 0.0:
            return False
        if p != i:
            for k in range(K):
                M[i, k], M[p, k] = M[p, k], M[i, k]
            c[i], c[p] = c[p], c[i]
        for r in range(i + 1, K):
            f = M[r, i] / M[i, i]
            for k in range(i, K):
                M[r, k] -= f * M[i, k]
            c[r] -= f * c[i]
    total = 0.0
    for i in range(K - 1, -1, -1):
        acc = c[i]
        for k in range(i + 1, K):
            acc -= M[i, k] * c[k]
        c[i] = acc / M[i, i]
        if not np.isfinite(c[i]):
            return False
        total += c[i]
    if total == 0.0:
        return False
    for i in range(K):
        c[i] /= total
    return True


def _combine(stack, slots, c, out):
    """``out = sum_i c_i stack[slots[i + 1]]`` (2-D slices)."""
    for a in range(out.shape[0]):
        for b in range(out.shape[1]):
            acc = 0.0
            for i in range(c.size):
                acc += c[i] * stack[slots[i + 1], a, b]
            out[a, b] = acc


def _anderson(history, order, out):
    """Into ``out``: the extrapolation of the iterates ``history[order]``
    (oldest first), as :func:`skmtl.solvers._inner._anderson`; returns
    False when it is ill-posed."""
    c = np.empty(order.size - 1)
    if not _anderson_weights(history, order, c):
        return False
    _combine(history, order, c, out)
    return True


def _predict(W, HW, W_prev, W_new, HW_new, gram, scale, Ht, C, ksum, ridge, alpha,
             ratio):
    """Start the next strength from the secant predictor ``W + ratio (W -
    W_prev)`` of the path (``ratio``: the step in ``log alpha`` over the
    last one) when its objective is lower than at ``W``."""
    d, T = W.shape
    for j in range(d):
        for t in range(T):
            W_new[j, t] = W[j, t] + ratio * (W[j, t] - W_prev[j, t])
    _hessian_product(W_new, gram, scale, Ht, HW_new)
    p_new, _ = _certificate(W_new, HW_new, C, ksum, ridge, alpha)
    p_old, _ = _certificate(W, HW, C, ksum, ridge, alpha)
    if p_new < p_old:
        _copy(W, W_new)
        _copy(HW, HW_new)


def _measure(primal, dual, gap_scale):
    gap = max(primal - dual, 0.0)
    if primal > 0:
        return gap, gap * min(max(gap_scale / primal, 1.0), 1.0 / _RELATIVE_FLOOR)
    return gap, gap


def _path(alphas, W, HW, gram, scale, Ht, C, D, ksum, ridge, threshold,
          gap_scale, max_epochs, Ws, epochs, gaps, status):
    """Solve the strengths ``alphas`` in order from ``W`` (``HW`` its
    ``H W``); into ``Ws[k]``, ``epochs[k]``, ``gaps[k]`` and ``status[k]``
    (0 converged, 1 max_iter, 2 stalled). Returns the number of strengths
    done: all of them, or up to the first that did not converge.

    Every ``_ANDERSON`` epochs the last iterates are extrapolated; the
    extrapolated point gives a second dual point and replaces the iterate
    when its objective is lower (as :func:`skmtl.solvers._inner.coordinate_descent`).
    """
    d, T = W.shape
    K = _ANDERSON
    a, u, g = np.empty(max(T, _BLOCK)), np.empty(T), np.empty(T)
    history = np.empty((K + 1, d, T))
    order = np.arange(K + 1)
    W_acc, HW_acc = np.empty((d, T)), np.empty((d, T))
    step_before = 1.0
    Delta, moved = np.empty((_BLOCK, T)), np.empty(_BLOCK, dtype=np.int64)
    rows, product = np.empty((_BLOCK, d)), np.empty((d, T))
    W_prev = np.zeros((d, T))
    for k in range(alphas.size):
        alpha = alphas[k]
        if k >= 1 and alphas[k - 1] > alpha:  # a first-order predictor
            _predict(W, HW, W_prev, W_acc, HW_acc, gram, scale, Ht, C, ksum, ridge,
                     alpha, np.log(alphas[k - 1] / alpha) / step_before)
        if k >= 1:
            step_before = np.log(alphas[k - 1] / alpha)
        _copy(W_prev, W)
        best_dual, best_primal, best_measure, quiet = -np.inf, np.inf, np.inf, 0
        state, epoch, gap, cycle_measure = 1, 0, np.inf, np.inf
        _copy(history[0], W)
        stored = 1
        while True:
            primal, dual = _certificate(W, HW, C, ksum, ridge, alpha)
            best_dual = max(best_dual, dual)
            if stored == K + 1 and epoch % K == 0:
                for i in range(K + 1):
                    order[i] = (epoch - K + i) % (K + 1)
                if _anderson(history, order, W_acc):
                    _hessian_product(W_acc, gram, scale, Ht, HW_acc)
                    p_acc, d_acc = _certificate(W_acc, HW_acc, C, ksum, ridge,
                                                alpha)
                    best_dual = max(best_dual, d_acc)
                    if p_acc < primal:
                        _copy(W, W_acc)
                        _copy(HW, HW_acc)
                        primal = p_acc
            gap, measure = _measure(primal, best_dual, gap_scale)
            if measure <= threshold:
                state = 0
                break
            if epoch >= max_epochs:
                break
            if epoch % _CRAWL == 0:
                # past _CRAWL epochs, the rate since the last check says that
                # max_epochs will not do: hand over now (the caller's solver
                # takes Newton steps on the support)
                if epoch >= _CRAWL and measure < cycle_measure:
                    left = _CRAWL * np.log(measure / threshold) / np.log(
                        cycle_measure / measure)
                    if epoch + left > max_epochs:
                        break
                cycle_measure = measure
            improved = (primal < best_primal - 4e-16 * abs(best_primal)
                        or measure < 0.999 * best_measure)
            best_primal = min(best_primal, primal)
            best_measure = min(best_measure, measure)
            quiet = 0 if improved else quiet + 1
            if quiet >= _STALL:
                state = 2
                break
            _epoch(W, HW, gram, scale, Ht, C, D, ridge, alpha, a, u, g, Delta, moved,
                   rows, product)
            epoch += 1
            _copy(history[epoch % (K + 1)], W)
            stored = min(stored + 1, K + 1)
        _copy(Ws[k], W)
        epochs[k], gaps[k], status[k] = epoch, gap, state
        if state != 0:
            return k + 1  # the caller may take over this strength
    return alphas.size


def _kernel():
    if not _compiled:
        import numba

        jit = numba.njit(cache=True, nogil=True)
        globals()["_certificate"] = jit(_certificate)
        for name in ("_l21_row", "_epoch_shared", "_epoch_columns", "_epoch"):
            globals()[name] = jit(globals()[name])
        globals()["_hessian_product"] = jit(_hessian_product)
        globals()["_copy"] = jit(_copy)
        globals()["_anderson_weights"] = jit(_anderson_weights)
        globals()["_combine"] = jit(_combine)
        globals()["_anderson"] = jit(_anderson)
        globals()["_measure"] = jit(_measure)
        globals()["_predict"] = jit(_predict)
        _compiled["path"] = jit(_path)
    return _compiled["path"]


# --------------------------------------------------------------------------
# The path of one fold
# --------------------------------------------------------------------------


class GramL21Path:
    """Solutions of an L2,1 problem for descending strengths (see the module
    docstring), in chunks of the grid.

    ``problem`` is the estimator's problem at any strength (only its
    datafit, design, ridge and quadratic model are used); ``tol`` and
    ``max_iter`` are the estimator's (``max_iter`` epochs per strength).
    ``fallback(alpha, W)``, when given, solves a strength that the compiled
    epochs did not (a badly conditioned support, where coordinate descent
    crawls and the general solver's Newton steps on the support converge)
    from their last point, and returns a :class:`skmtl.solvers.Result`.
    """

    def __init__(self, problem, tol, max_iter, fallback=None):
        self.problem, self.tol, self.max_iter = problem, float(tol), int(max_iter)
        self.fallback = fallback
        model = problem.gram(np.arange(problem.n_features))
        self.model = model
        d, T = model.C.shape
        ridge = float(problem.ridge)
        if model.shared:
            self.gram = np.ascontiguousarray(model.gram, dtype=np.float64)
            self.scale = np.ascontiguousarray(model.scale, dtype=np.float64)
            self.Ht = np.zeros((0, 0, 0))
            diagonal = np.outer(np.diag(self.gram), self.scale)
        else:
            self.gram, self.scale = np.zeros((0, 0)), np.ones(T)
            # Ht[t, j] = H[:, j, t] = H[j, :, t] (symmetric): contiguous rows
            self.Ht = np.ascontiguousarray(np.moveaxis(model.H, 2, 0),
                                           dtype=np.float64)
            diagonal = np.einsum("jjt->jt", model.H)
        self.D = np.ascontiguousarray(diagonal + ridge, dtype=np.float64)
        self.C = np.ascontiguousarray(model.C, dtype=np.float64)
        self.ridge = ridge
        self.ksum = float(np.sum(model.k))
        self.gap_scale = self.ksum if self.ksum > 0 else 1.0
        self.shape = (d, T)

    _STATUS = np.array(["converged", "max_iter", "stalled"])

    def solve(self, alphas, W0=None):
        """Yield the solutions for ``alphas`` (positive, in the given order),
        each warm-started from the previous one (the first from ``W0``,
        default zero), in chunks of about ``_CHUNK_ENTRIES`` coefficients:
        ``(start, Ws, bs, n_iter, gaps, status)`` with ``Ws[i]``
        (n_features, n_columns) and ``bs[i]`` the profiled intercepts at
        ``alphas[start + i]``, ``n_iter[i]`` the epochs (plus the fallback's
        iterations), ``status[i]`` one of "converged", "max_iter",
        "stalled"."""
        alphas = np.ascontiguousarray(alphas, dtype=np.float64)
        d, T = self.shape
        W = np.zeros(self.shape) if W0 is None else np.array(W0, dtype=np.float64)
        HW = np.ascontiguousarray(self.model.hessian_product(W))
        per_chunk = max(1, _CHUNK_ENTRIES // max(d * T, 1))
        for start in range(0, alphas.size, per_chunk):
            chunk = alphas[start:start + per_chunk]
            n = chunk.size
            Ws = np.empty((n, d, T))
            epochs, gaps = np.zeros(n, dtype=np.int64), np.zeros(n)
            status = np.zeros(n, dtype=np.int64)
            done = 0
            while done < n:
                done += _kernel()(
                    chunk[done:], W, HW, self.gram, self.scale, self.Ht, self.C,
                    self.D, self.ksum, self.ridge, self.tol * self.gap_scale,
                    self.gap_scale, self.max_iter, Ws[done:], epochs[done:],
                    gaps[done:], status[done:])
                if status[done - 1] != 0 and self.fallback is not None:
                    self._take_over(chunk[done - 1], W, HW, done - 1, Ws, epochs,
                                    gaps, status)
            yield start, Ws, self.intercepts(Ws), epochs, gaps, self._STATUS[status]

    def _take_over(self, alpha, W, HW, i, Ws, epochs, gaps, status):
        """The fallback's solution of ``alpha`` from ``W``, into row ``i``."""
        result = self.fallback(float(alpha), W.copy())
        W[:] = result.W
        HW[:] = self.model.hessian_product(W)
        Ws[i] = W
        epochs[i] += int(result.n_iter)
        gaps[i] = np.nan if result.gap is None else result.gap
        status[i] = int(np.flatnonzero(self._STATUS == result.status)[0])

    def intercepts(self, Ws):
        """The profiled intercepts of the solutions ``Ws`` (n, d, T)."""
        model = self.model
        if model.x_mean is None:
            return np.tile(model.y_mean, (Ws.shape[0], 1))
        return model.y_mean - np.einsum("jt,kjt->kt", model.x_mean, Ws)
