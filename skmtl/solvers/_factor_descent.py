r"""Coordinate descent on a factor model, the whole solve compiled (L2,1).

The working sets of a wide shared design (:class:`._gram.FactorModel`: far
more features than rows) are solved by :func:`._inner.coordinate_descent`
on ``Z = F W``. There an epoch costs ``2 m s T`` flops (about 0.2-0.3 ms at
``m = 200`` rows, ``s = 580`` features, ``T = 10`` columns), and the Python
around it (the certificate every other epoch, the Anderson steps, the stall
test, the copies of the iterates) cost about as much again. Here the same
algorithm runs in one compiled call:

* the epochs of :func:`_sweep_l21` (the arithmetic of
  :func:`._kernels._sweep_factor`, written for L2,1);
* the certificate every ``_LAZY_CHECK`` epochs and after every
  extrapolation: ``H W = (F^T Z) diag(scale)``, then primal and dual values
  from the moments (the formulas of :func:`._gram_path._certificate`: dual
  point ``s r`` with ``s = min(1, alpha / max_j ||G_j||)``, or the conjugate
  of the ridge-augmented penalty), the best dual value kept, compared with
  ``tol`` as :func:`._minimize.gap_measure` does;
* every ``_ANDERSON`` epochs ``Z = F W`` recomputed from ``W`` (the sweeps
  update it by increments, whose rounding drifts), and the Anderson
  extrapolation of the last iterates (the weights of
  :func:`._inner.anderson_weights`), kept when its objective is lower, its
  dual point offered;
* the stall test of :class:`._inner._Progress`.

The solve returns to Python (status 3) after an extrapolation that left the
support unchanged while a Newton step on it is small enough to be
considered (:func:`._inner.support_newton`), and Python re-enters after it:
the Newton steps stay in Python (they factor a dense matrix).

Used by :func:`._inner.coordinate_descent` for an L2,1 penalty without
coupling under the duality-gap criterion, when numba is available; the
Python loop remains for every other case and is the reference the tests
compare with.
"""

import numpy as np

from ..penalties import L21
from . import _gram_path, _kernels
from ._gram import FactorModel

_ANDERSON = 5  # as _inner._ANDERSON
_LAZY_CHECK = 2  # as _inner._LAZY_CHECK
_STALL = 20  # as _inner._STALL
_RELATIVE_FLOOR = 1e-3  # as _minimize._RELATIVE_FLOOR
_RESYNC = 4  # extrapolation cycles between products Z = F W from W

CONVERGED, MAX_ITER, STALLED, NEWTON = 0, 1, 2, 3

#: shared with the compiled L2,1 path (compiled by _kernel)
_cert = _gram_path._certificate
_anderson_weights, _combine = _gram_path._anderson_weights, _gram_path._combine

_compiled = {}


def _sweep_l21(W, Z, F, scale, C, D, ridge, alpha, a, pending):
    """One epoch of exact majorised L2,1 row steps on ``Z = F W``.

    The arithmetic of :func:`._kernels._sweep_factor` with the L2,1 row
    minimiser of :func:`._kernels._group_shrink` written inline on scalars,
    and the dot products ``F_j^T Z_t`` two columns at a time, each fused
    with the update of ``Z`` by the last row that moved (``pending``): 2x
    faster than the general kernel at ``m = 200``, ``s = 590``, ``T = 10``
    (0.14-0.16 against 0.30 ms an epoch, measured), whose calls of the row
    step through array arguments cost as much as the dot products."""
    m = F.shape[0]
    s, T = W.shape
    p = -1
    for j in range(s):
        t = 0
        while t + 1 < T:
            a0, a1 = 0.0, 0.0
            if p >= 0 and (pending[t] != 0.0 or pending[t + 1] != 0.0):
                d0, d1 = pending[t], pending[t + 1]
                for i in range(m):
                    fp, fj = F[i, p], F[i, j]
                    z0 = Z[i, t] + fp * d0
                    z1 = Z[i, t + 1] + fp * d1
                    Z[i, t] = z0
                    Z[i, t + 1] = z1
                    a0 += fj * z0
                    a1 += fj * z1
            else:
                for i in range(m):
                    fj = F[i, j]
                    a0 += fj * Z[i, t]
                    a1 += fj * Z[i, t + 1]
            a[t], a[t + 1] = a0, a1
            t += 2
        if t < T:
            acc = 0.0
            if p >= 0 and pending[t] != 0.0:
                dt = pending[t]
                for i in range(m):
                    z = Z[i, t] + F[i, p] * dt
                    Z[i, t] = z
                    acc += F[i, j] * z
            else:
                for i in range(m):
                    acc += F[i, j] * Z[i, t]
            a[t] = acc
        # a = D_j w_j - g_j, g_j = (F^T Z)_j scale - C_j + ridge w_j
        norm2, hmax, hmin = 0.0, 0.0, np.inf
        for t in range(T):
            h = D[j, t]
            if h > 0:
                a[t] = h * W[j, t] - (a[t] * scale[t] - C[j, t] + ridge * W[j, t])
            else:
                a[t] = 0.0
            norm2 += a[t] * a[t]
            hmax = max(hmax, h)
            hmin = min(hmin, h)
        norm = np.sqrt(norm2)
        factor, r = 0.0, 0.0  # u = a * factor (equal curvatures) or a / (h + alpha / r)
        if norm > alpha:
            r = (norm - alpha) / hmax
            if hmin == hmax:
                factor = (norm - alpha) / (norm * hmax)
            else:  # Newton on 1 / psi(r) = 1, psi(r) = ||a / (h r + alpha)||
                for _ in range(30):
                    psi2, slope = 0.0, 0.0
                    for t in range(T):
                        q = 1.0 / (D[j, t] * r + alpha)
                        aq = a[t] * q
                        psi2 += aq * aq
                        slope += aq * aq * D[j, t] * q
                    psi = np.sqrt(psi2)
                    slope /= psi**3
                    step = (1.0 / psi - 1.0) / slope
                    r -= step
                    if abs(step) <= 1e-13 * r:
                        break
                if not r > 0:
                    r = 0.0
        moved = False
        for t in range(T):
            if norm <= alpha or (hmin != hmax and r == 0.0):
                u = 0.0
            elif hmin == hmax:
                u = a[t] * factor
            else:
                h = D[j, t]
                u = a[t] / (h + alpha / r) if h > 0 else 0.0
            pending[t] = u - W[j, t]
            if u != W[j, t]:
                moved = True
            W[j, t] = u
        p = j if moved else -1
    if p >= 0:
        for t in range(T):
            dt = pending[t]
            if dt != 0.0:
                for i in range(m):
                    Z[i, t] += F[i, p] * dt


def _refresh(F, Z, scale, HW, product):
    """``HW = (F^T Z) diag(scale)``, the product by BLAS into ``product``
    (0.066 against 0.116 ms by loops at (200, 590) x (200, 10), measured;
    only the form of ``np.dot`` that writes into its third argument, the
    one that compiles fast)."""
    np.dot(F.T, Z, product)
    s, T = HW.shape
    for j in range(s):
        for t in range(T):
            HW[j, t] = product[j, t] * scale[t]


def _primal(W, Z, C, scale, ksum, ridge, alpha):
    """The objective at ``W`` from ``Z = F W``: ``w_t^T H_t w_t = scale_t
    ||Z_t||^2``, no product with ``F`` needed."""
    s, T = W.shape
    cw, wsq, penalty, zz = 0.0, 0.0, 0.0, 0.0
    for j in range(s):
        row2 = 0.0
        for t in range(T):
            w = W[j, t]
            cw += C[j, t] * w
            row2 += w * w
        wsq += row2
        penalty += np.sqrt(row2)
    for t in range(T):
        acc = 0.0
        for i in range(Z.shape[0]):
            acc += Z[i, t] * Z[i, t]
        zz += scale[t] * acc
    rr = max(ksum - 2.0 * cw + zz, 0.0)
    return 0.5 * rr + alpha * penalty + 0.5 * ridge * wsq


def _gap_measure(primal, dual, gap_scale):
    gap = max(primal - dual, 0.0)
    if gap_scale > 0 and primal > 0:
        return gap * min(max(gap_scale / primal, 1.0), 1.0 / _RELATIVE_FLOOR)
    return gap


def _copy(out, W):
    d, T = W.shape
    for j in range(d):
        for t in range(T):
            out[j, t] = W[j, t]


def _same_support(W, support):
    """Whether the rows of ``W`` that are non-zero are ``support``; stores the
    new support into ``support`` (1 / 0 per row); returns also its size."""
    s, T = W.shape
    same, size = True, 0
    for j in range(s):
        nonzero = 0
        for t in range(T):
            if W[j, t] != 0.0:
                nonzero = 1
                break
        size += nonzero
        if nonzero != support[j]:
            same = False
            support[j] = nonzero
    return same, size


def _solve(W, Z_io, HW, F, scale, C, curvature, ksum, ridge, alpha, threshold,
           gap_scale, max_epochs, newton_rows, state, support):
    """Coordinate descent on ``Z = F W`` until the gap meets ``threshold``.

    ``W`` (s, T), ``Z = F W`` (m, T, column-major) and ``HW`` are updated in
    place; ``state`` carries between calls ``[best dual, best objective,
    best measure, checks without progress, measure at the last
    extrapolation, measure at the one before]``; ``support`` the last
    extrapolation's row support (-1 before one). Returns ``(epochs, status,
    measure)``, status as the module's constants; ``NEWTON`` after an
    extrapolation that kept the support when it has at most ``newton_rows``
    rows.
    """
    s, T = W.shape
    m = Z_io.shape[0]
    # Z in a buffer of our own, the transpose of a C-contiguous (T, m) array:
    # column-major whatever numba infers for the caller's array (an (m, 1)
    # one is also C-contiguous), and BLAS writes into its transpose
    ZT = np.empty((T, m))
    Z = ZT.T
    np.dot(W.T, F.T, ZT)  # Z = F W
    K = _ANDERSON
    a, pending, c = np.empty(T), np.zeros(T), np.empty(K)
    # the row curvatures D_jt = scale_t ||F_j||^2 + curvature (of the ridge)
    D = np.empty((s, T))
    for j in range(s):
        acc = 0.0
        for i in range(m):
            acc += F[i, j] * F[i, j]
        for t in range(T):
            D[j, t] = scale[t] * acc + curvature
    # the iterates and their Z: an extrapolation's Z is the same combination
    # of theirs (no product with F)
    history, Zs = np.empty((K + 1, s, T)), np.empty((K + 1, T, m))
    slots = np.arange(K + 1)
    W_acc, HW_acc, product = np.empty((s, T)), np.empty((s, T)), np.empty((s, T))
    ZT_acc = np.empty((T, m))
    Z_acc = ZT_acc.T  # column-major, as Z
    _copy(history[0], W)
    _copy(Zs[0], ZT)
    stale = True  # HW not computed yet
    cycles = 0
    stored = 1
    measure = np.inf
    for epoch in range(max_epochs):
        if epoch % _LAZY_CHECK == 0 or epoch % K == 0:
            if stale:
                _refresh(F, Z, scale, HW, product)
                stale = False
            primal, dual = _cert(W, HW, C, ksum, ridge, alpha)
            state[0] = max(state[0], dual)
            measure = _gap_measure(primal, state[0], gap_scale)
            if measure <= threshold:
                _copy(Z_io, Z)
                return epoch, CONVERGED, measure
            improved = (primal < state[1] - 4e-16 * abs(state[1])
                        or measure < 0.999 * state[2])
            state[1] = min(state[1], primal)
            state[2] = min(state[2], measure)
            state[3] = 0.0 if improved else state[3] + 1.0
            if state[3] >= _STALL:
                _copy(Z_io, Z)
                return epoch, STALLED, measure
        _sweep_l21(W, Z, F, scale, C, D, ridge, alpha, a, pending)
        stale = True
        slot = (epoch + 1) % (K + 1)
        _copy(history[slot], W)
        _copy(Zs[slot], ZT)
        stored = min(stored + 1, K + 1)
        if stored == K + 1 and epoch % K == K - 1:
            # every _RESYNC cycles Z = F W afresh from W: the sweeps update Z
            # by increments, whose rounding drifts over hundreds of epochs
            # until the certificate (from Z) and the iterate disagree and the
            # solve stalls (seen: 914 epochs, stalled at 400 times the
            # tolerance)
            cycles += 1
            if cycles % _RESYNC == 0:
                np.dot(W.T, F.T, ZT)
                _copy(Zs[slot], ZT)
            for i in range(K + 1):
                slots[i] = (epoch + 1 - K + i) % (K + 1)
            if _anderson_weights(history, slots, c):
                _combine(history, slots, c, W_acc)
                _combine(Zs, slots, c, ZT_acc)
                _refresh(F, Z_acc, scale, HW_acc, product)
                p_acc, d_acc = _cert(W_acc, HW_acc, C, ksum, ridge, alpha)
                state[0] = max(state[0], d_acc)
                if p_acc < _primal(W, Z, C, scale, ksum, ridge, alpha):
                    _copy(W, W_acc)
                    _copy(HW, HW_acc)
                    _copy(Z, Z_acc)
                    stale = False
            state[5] = state[4]
            state[4] = measure
            same, size = _same_support(W, support)
            if same and 0 < size <= newton_rows:
                if stale:
                    _refresh(F, Z, scale, HW, product)
                _copy(Z_io, Z)
                return epoch + 1, NEWTON, measure
    if stale:
        _refresh(F, Z, scale, HW, product)
    _copy(Z_io, Z)
    return max_epochs, MAX_ITER, measure



def _kernel():
    if not _compiled:
        import numba

        jit = numba.njit(cache=True, nogil=True)
        fast = numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
        namespace = globals()
        namespace["_cert"] = jit(getattr(_gram_path._certificate, "py_func",
                                         _gram_path._certificate))
        namespace["_sweep_l21"] = fast(_sweep_l21)
        namespace["_refresh"] = jit(_refresh)
        namespace["_primal"] = fast(_primal)
        for name in ("_anderson_weights", "_combine"):  # shared with the path
            function = getattr(_gram_path, name)
            namespace[name] = jit(getattr(function, "py_func", function))
        for name in ("_gap_measure", "_copy", "_same_support"):
            namespace[name] = jit(namespace[name])
        _compiled["solve"] = jit(_solve)
    return _compiled["solve"]


def applies(model, problem, criterion, rows):
    """Whether the compiled solve serves this call of coordinate descent."""
    return (
        _kernels.AVAILABLE
        and rows is None
        and isinstance(model, FactorModel)
        and type(problem.penalty) is L21
        and problem.coupling is None
        and criterion == "duality_gap"
        and problem.gap_scale is not None
    )


class FactorSolve:
    """The compiled solve of one working set, re-entered after Newton steps."""

    def __init__(self, model, problem, certificate, tol, newton_rows):
        self.F = np.asfortranarray(model.factor, dtype=np.float64)
        self.scale = np.ascontiguousarray(model.scale, dtype=np.float64)
        self.C = np.ascontiguousarray(model.C, dtype=np.float64)
        self.curvature = float(problem.quadratic_curvature)
        self.ksum = float(np.sum(model.k))
        self.ridge = float(problem.ridge)
        self.alpha = float(problem.penalty.alpha)
        self.threshold, self.gap_scale = float(tol), float(problem.gap_scale)
        self.newton_rows = int(newton_rows)
        self.certificate = certificate
        self.state = np.array([certificate.best_dual, np.inf, np.inf, 0.0, np.inf,
                               np.inf])
        self.support = np.full(self.C.shape[0], -1, dtype=np.int64)

    def run(self, W, max_epochs):
        """``(W, HW, epochs, status)`` from ``W`` (copied)."""
        W = np.array(W, dtype=np.float64, order="C")
        Z = np.empty((W.shape[1], self.F.shape[0])).T  # F W, from the solve
        HW = np.empty_like(W)
        epochs, status, _ = _kernel()(
            W, Z, HW, self.F, self.scale, self.C, self.curvature, self.ksum,
            self.ridge, self.alpha, self.threshold, self.gap_scale, int(max_epochs),
            self.newton_rows, self.state, self.support,
        )
        self.certificate.best_dual = max(self.certificate.best_dual, self.state[0])
        self.last = W, Z  # Z = F W of the point returned
        return W, HW, int(epochs), int(status)

    @property
    def cycle(self):
        """``(measure at the last extrapolation, at the one before)``: the
        rate :func:`._inner._newton_pays` extrapolates (inf before one)."""
        return float(self.state[4]), float(self.state[5])
