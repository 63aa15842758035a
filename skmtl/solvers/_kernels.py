r"""Compiled coordinate-descent sweep (numba), with the numpy sweep as fallback.

One epoch of :func:`._inner.coordinate_descent` visits the rows ``j`` of
``W`` in order and replaces row ``j`` by the exact minimiser of the
objective in that row, majorised by the row curvatures ``D_j``:

.. math::

    u = \arg\min_u \tfrac{1}{2}\sum_t D_{jt} u_t^2 - a^\top u + \Omega_j(u),
    \qquad a = D_j \circ w_j - g_j,

with ``g_j = (H W)_j - C_j + \rho w_j + (w_j Q)`` the gradient of the smooth
part in row ``j``; then ``H W`` is updated by the change of row ``j`` (one
column of the shared Gram times the per-column scales, or the slice
``H[:, j, :]`` of the per-column Grams).

In Python that loop costs about 60 µs per row, whatever its size; compiled
it costs what its arithmetic costs. The compiled sweep is used when numba
imports and the penalty is one whose row minimiser is written here
(:data:`COMPILED_PENALTIES`: L2,1, L1, none); anything else (a new
row-separable penalty) runs the numpy sweep, which calls the penalty's own
``row_minimizer``. Both sweeps do the same arithmetic in the same order
(``tests/test_solvers.py`` checks they agree to 1e-10). Setting the
environment variable ``SKMTL_NO_NUMBA=1`` before importing skmtl disables
the compiled sweep (the benchmarks measure both).

The functions are compiled on first use and cached on disk
(``cache=True``): the first fit in a fresh environment pays the compilation
(``benchmarks/bench_peers.py`` reports it), later processes load it.
"""

import importlib.util
import os

import numpy as np

from ..penalties import L1, L21, NoPenalty
from ._gram import FactorModel

_L21, _L1, _NONE = 0, 1, 2
#: penalty classes with a compiled row minimiser, and their codes
COMPILED_PENALTIES = {L21: _L21, L1: _L1, NoPenalty: _NONE}

_NEWTON_KINDS = {_L21: "l21", _L1: "l1", _NONE: "none"}


def newton_kind(penalty):
    """``"l21"``, ``"l1"`` or ``"none"`` for the penalties whose Hessian on
    the support the Newton step of :func:`._inner.support_newton` knows."""
    kind = COMPILED_PENALTIES.get(type(penalty))
    return None if kind is None else _NEWTON_KINDS[kind]


def _numba_available():
    if os.environ.get("SKMTL_NO_NUMBA", "") not in ("", "0"):
        return False
    return importlib.util.find_spec("numba") is not None


AVAILABLE = _numba_available()
_compiled = {}
_globals = globals()


def _kernels():
    """The compiled functions, built (or loaded from the cache) on first use:
    numba is imported only by the first fit that needs it."""
    if "shared" not in _compiled:  # (the group shrinkage may be compiled alone)
        import numba

        jit = numba.njit(cache=True, nogil=True)
        compiled_group_shrink()
        minimizer = jit(_row_minimizer)
        _compiled["row_minimizer"] = minimizer
        _globals["row_minimizer"] = minimizer
        step = jit(_row_step)
        _compiled["row_step"] = step
        _globals["row_step"] = step
        _compiled["shared"] = jit(_sweep_shared)
        _compiled["columns"] = jit(_sweep_columns)
        _compiled["factor"] = numba.njit(
            cache=True, nogil=True, fastmath={"reassoc", "contract"}
        )(_sweep_factor)
    return _compiled


def _row_minimizer(kind, alpha, a, h, u):
    """Into ``u``: the row minimiser of ``penalties._l21`` (same formulas)."""
    T = a.shape[0]
    if kind == _NONE:
        for t in range(T):
            u[t] = a[t] / h[t] if h[t] > 0 else 0.0
        return
    if kind == _L1:
        for t in range(T):
            if h[t] > 0:
                m = abs(a[t]) - alpha
                u[t] = (np.sign(a[t]) * m) / h[t] if m > 0 else 0.0
            else:
                u[t] = 0.0
        return
    group_shrink(alpha, a, h, u)


def _group_shrink(alpha, a, h, u):
    """Into ``u``: ``argmin 1/2 sum h u^2 - a.u + alpha ||u||`` (``h >= 0``),
    the L2,1 row minimiser of ``penalties._l21`` (same formulas): ``u = a /
    (h + alpha / r)``, ``r`` the root of ``||a / (h r + alpha)|| = 1`` by
    Newton's method on ``1 / psi(r) = 1``. Entries without curvature stay at
    0 (``a`` is zeroed there). Shared by every compiled row minimiser that
    has an L2,1 part (:mod:`._coupled` after its L1 soft threshold)."""
    T = a.shape[0]
    norm2, hmax, hmin = 0.0, 0.0, np.inf
    for t in range(T):
        if h[t] <= 0:
            a[t] = 0.0
        norm2 += a[t] * a[t]
        hmax = max(hmax, h[t])
        hmin = min(hmin, h[t])
    norm = np.sqrt(norm2)
    if norm <= alpha:
        for t in range(T):
            u[t] = 0.0
        return
    if hmin == hmax:  # equal curvatures (a shared design): the root in closed
        # form, r = (||a|| - alpha) / h, and u = a r / (h r + alpha)
        c = (norm - alpha) / (norm * hmax)
        for t in range(T):
            u[t] = a[t] * c
        return
    r = (norm - alpha) / hmax
    for _ in range(30):
        psi2, slope = 0.0, 0.0
        for t in range(T):
            q = 1.0 / (h[t] * r + alpha)
            aq = a[t] * q
            psi2 += aq * aq
            slope += aq * aq * h[t] * q
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
        u[t] = a[t] / (h[t] + alpha / r) if h[t] > 0 else 0.0


def _row_step(j, W, g, D, ridge, coupling, kind, alpha, a, u, delta):
    """Row ``j``'s exact majorised update, shared by the three sweeps.

    ``g`` holds the gradient of the loss in row ``j`` on entry; the ridge and
    coupling terms are added here, the row minimiser writes ``u`` and
    ``delta = u - w_j``, and ``W[j]`` takes ``u``. Returns whether it moved.
    """
    T = W.shape[1]
    for t in range(T):
        g[t] += ridge * W[j, t]
    if coupling.shape[0] > 0:
        for t in range(T):
            acc = 0.0
            for k in range(T):
                acc += W[j, k] * coupling[k, t]
            g[t] += acc
    for t in range(T):
        a[t] = D[j, t] * W[j, t] - g[t]
    row_minimizer(kind, alpha, a, D[j], u)
    moved = False
    for t in range(T):
        delta[t] = u[t] - W[j, t]
        moved = moved or u[t] != W[j, t]
        W[j, t] = u[t]
    return moved


def _sweep_shared(W, HW, gram, scale, C, D, ridge, coupling, order, kind, alpha):
    """One epoch with a shared Gram: ``H_t = scale_t gram``.

    ``H W`` is updated in a transposed copy, so that the update after a row
    moves runs along contiguous rows of the Gram and of the copy (a loop
    the compiler vectorises; four times faster at 300 features and 10
    tasks). Every entry receives the same additions in the same order.
    """
    s, T = W.shape
    a, u, g, delta = np.empty(T), np.empty(T), np.empty(T), np.empty(T)
    # the transposed copy and its copy back by loops: numba compiles an
    # array assignment (``HW[:] = HWT.T``) in seconds, loops in a fraction
    HWT = np.empty((T, s))
    for i in range(s):
        for t in range(T):
            HWT[t, i] = HW[i, t]
    for j in order:
        for t in range(T):
            g[t] = HWT[t, j] - C[j, t]
        if row_step(j, W, g, D, ridge, coupling, kind, alpha, a, u, delta):
            row = gram[j]  # symmetric: row j is column j
            for t in range(T):
                step, column = delta[t] * scale[t], HWT[t]
                for i in range(s):
                    column[i] += step * row[i]
    for i in range(s):
        for t in range(T):
            HW[i, t] = HWT[t, i]


def _sweep_columns(W, HW, H, C, D, ridge, coupling, order, kind, alpha):
    """One epoch with per-column Grams ``H[:, :, t]``."""
    s, T = W.shape
    a, u, g, delta = np.empty(T), np.empty(T), np.empty(T), np.empty(T)
    for j in order:
        for t in range(T):
            g[t] = HW[j, t] - C[j, t]
        if row_step(j, W, g, D, ridge, coupling, kind, alpha, a, u, delta):
            for i in range(s):
                for t in range(T):
                    HW[i, t] += H[i, j, t] * delta[t]


def _sweep_factor(W, Z, F, scale, C, D, ridge, coupling, order, kind, alpha):
    """One epoch with a shared Gram kept as its factor ``F`` (``Z = F W``).

    ``F`` and ``Z`` are column-major, and the kernel is compiled with
    reassociation allowed (:func:`_kernels`): the dot products ``F_j^T Z_t``
    are then vectorised (5x faster than one running sum per column at
    ``m = 200``, ``T = 10``; they differ from the numpy sweep by rounding).
    The update of ``Z`` after row ``p`` moved is applied in the same pass
    over ``Z`` as the next row's dot products (one load of ``Z`` for both:
    0.57 against 0.70 ms per epoch at 580 rows, ``m = 200``, ``T = 10``).
    """
    m = F.shape[0]
    s, T = W.shape
    a, u, g, delta = np.empty(T), np.empty(T), np.empty(T), np.empty(T)
    pending = np.empty(T)  # the change of the last row that moved, not yet in Z
    p = -1
    for j in order:  # F and Z column-major: every inner loop is contiguous
        for t in range(T):
            acc = 0.0
            dt = pending[t] if p >= 0 else 0.0
            if dt != 0.0:
                for i in range(m):
                    z = Z[i, t] + F[i, p] * dt
                    Z[i, t] = z
                    acc += F[i, j] * z
            else:
                for i in range(m):
                    acc += F[i, j] * Z[i, t]
            g[t] = acc * scale[t] - C[j, t]
        p = -1
        if row_step(j, W, g, D, ridge, coupling, kind, alpha, a, u, delta):
            p = j
            for t in range(T):
                pending[t] = delta[t]
    if p >= 0:
        for t in range(T):
            dt = pending[t]
            if dt != 0.0:
                for i in range(m):
                    Z[i, t] += F[i, p] * dt


row_minimizer = _row_minimizer  # the compiled ones once _kernels() has run
row_step = _row_step
group_shrink = _group_shrink


def compiled_group_shrink():
    """The compiled :func:`_group_shrink` (compiled or loaded on first use)."""
    if "group_shrink" not in _compiled:
        import numba

        shrink = numba.njit(cache=True, nogil=True)(_group_shrink)
        _compiled["group_shrink"] = shrink
        _globals["group_shrink"] = shrink
    return _compiled["group_shrink"]

_EMPTY = np.zeros((0, 0))


def compiled_sweep(model, problem, order):
    """A function ``sweep(W, HW, D)`` running the compiled epoch, or None
    when numba is missing or the penalty has no compiled row minimiser."""
    kind = COMPILED_PENALTIES.get(type(problem.penalty))
    if not AVAILABLE or kind is None:
        return None
    alpha = float(problem.penalty.alpha)
    ridge = float(problem.ridge)
    coupling = _EMPTY if problem.coupling is None else np.ascontiguousarray(
        problem.coupling, dtype=np.float64
    )
    order = np.ascontiguousarray(order, dtype=np.int64)
    C = np.ascontiguousarray(model.C, dtype=np.float64)
    kernels = _kernels()
    if isinstance(model, FactorModel):
        return _factor_sweep(kernels["factor"], model, C, ridge, coupling, order,
                             kind, alpha)
    if model.shared:
        sweep_shared = kernels["shared"]
        gram = np.ascontiguousarray(model.gram, dtype=np.float64)
        scale = np.ascontiguousarray(model.scale, dtype=np.float64)

        def sweep(W, HW, D):
            sweep_shared(W, HW, gram, scale, C, D, ridge, coupling, order, kind, alpha)
    else:
        sweep_columns = kernels["columns"]
        H = np.ascontiguousarray(model.H, dtype=np.float64)

        def sweep(W, HW, D):
            sweep_columns(W, HW, H, C, D, ridge, coupling, order, kind, alpha)

    return sweep


def _factor_sweep(kernel, model, C, ridge, coupling, order, kind, alpha):
    """The epoch on a factor model: ``Z = F W`` is kept between epochs (and
    recomputed when ``W`` was replaced, by an extrapolation, unless it is the
    point last given to ``sweep.product``, whose ``Z`` is kept); ``H W = F^T
    Z`` is recomputed after the epoch, or only by ``sweep.refresh`` when the
    epoch runs with ``refresh=False`` (the certificate is not evaluated after
    every epoch: :func:`._inner.coordinate_descent`)."""
    F = np.asfortranarray(model.factor, dtype=np.float64)
    scale = np.ascontiguousarray(model.scale, dtype=np.float64)
    state = {"W": None, "Z": None, "other": (None, None)}

    def sweep(W, HW, D, refresh=True):
        if state["W"] is not W:
            _track(W)
        kernel(W, state["Z"], F, scale, C, D, ridge, coupling, order, kind, alpha)
        if refresh:
            HW[:] = (F.T @ state["Z"]) * scale

    def _track(W):
        """Make ``W`` the iterate whose ``Z`` is kept (the last other point
        whose ``Z`` was computed, an extrapolation, is kept too)."""
        last = (state["W"], state["Z"])
        if state["other"][0] is W:
            state["W"], state["Z"] = state["other"]
        else:
            state["W"], state["Z"] = W, np.asfortranarray(F @ W)
        state["other"] = last

    def refresh(W, HW):
        """``H W`` into ``HW`` (after sweeps run with ``refresh=False``)."""
        if state["W"] is not W:
            _track(W)
        HW[:] = (F.T @ state["Z"]) * scale

    def product(W):
        """``H W`` of another point (an extrapolation), its ``Z`` kept."""
        Z = np.asfortranarray(F @ W)
        state["other"] = (W, Z)
        return (F.T @ Z) * scale

    sweep.refresh, sweep.product = refresh, product
    return sweep


def warm_up():
    """Compile (or load from the cache) every kernel; returns the seconds spent."""
    import time

    if not AVAILABLE:
        return 0.0
    start = time.perf_counter()
    kernels = _kernels()
    sweep_shared, sweep_columns = kernels["shared"], kernels["columns"]
    sweep_factor = kernels["factor"]
    W, HW, C, D = np.zeros((2, 2)), np.zeros((2, 2)), np.ones((2, 2)), np.ones((2, 2))
    order = np.arange(2, dtype=np.int64)
    for kind in (_L21, _L1, _NONE):
        sweep_shared(W, HW, np.eye(2), np.ones(2), C, D, 0.0, _EMPTY, order, kind, 0.1)
        sweep_columns(W, HW, np.ones((2, 2, 2)), C, D, 0.0, _EMPTY, order, kind, 0.1)
        sweep_factor(W, np.asfortranarray(HW), np.asfortranarray(np.eye(2)),
                     np.ones(2), C, D, 0.0, _EMPTY, order, kind, 0.1)
    return time.perf_counter() - start
