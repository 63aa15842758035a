r"""Coordinate descent with exact row blocks for column-coupled problems.

The task-graph models (``TaskGraphRegressor`` with ``l1`` or ``l21``) add
:math:`\frac12 \mathrm{tr}(W C W^\top)` to a squared loss, so the Hessian of
the smooth part in one row ``w_j`` of ``W`` is the ``T x T`` matrix

.. math:: M_j = \mathrm{diag}(H_{1,jj}, \dots, H_{T,jj}) + \rho I + C,

not diagonal. :func:`._inner.coordinate_descent` majorises ``C`` by its
largest eigenvalue, which for a strong coupling doubles or triples the
curvature of every row step and the number of epochs; its sweep is compiled
only for the L2,1, L1 and no penalty. Here each row step minimises the
row's exact quadratic model plus the penalty,

.. math::

    \min_u \; g_j^\top (u - w_j) + \tfrac12 (u - w_j)^\top M_j (u - w_j)
        + \Omega_j(u),

by a few proximal-gradient steps in the diagonal metric
``D = diag(M_j) - diag(C) + lambda_max(C)`` (each one is the majorised step
of the plain sweep, the first from ``w_j`` exactly that step), stopped when
the row moves by less than ``_INNER_TOL`` relative to its size. The row
minimisers (L2,1, L1, L2,1 + L1, none) and both Gram layouts are compiled
(numba, ``cache=True``). The rest, Anderson extrapolation, stall detection
and the Newton polish on the support, is :mod:`._inner`'s.
"""

import numpy as np

from ..penalties import L1, L21, NoPenalty
from ..penalties._sparse_group import SparseGroupL21
from ._gram import FactorModel
from ._inner import (
    _ANDERSON,
    _STALL,
    _Progress,
    newton_on_support,
)
from ._kernels import AVAILABLE, compiled_group_shrink
from ._kernels import _group_shrink as group_shrink  # compiled by _kernels()

_L21, _L1, _NONE, _SGL = 0, 1, 2, 3
_INNER_MAX = 3  # proximal-gradient steps per row, at most (measured: 3 beats 1, 5, 30)
_INNER_TOL = 1e-6  # relative move of the row that ends its steps
# Newton polish up to this many unknowns (on dense supports the Cholesky of
# the support's Hessian costs more than coordinate descent: measured)
NEWTON_UNKNOWNS = 300
_CHECK_EVERY = _ANDERSON  # epochs between certificates

_compiled = {}


def penalty_code(penalty):
    """``(code, l21, l1)`` of a penalty with a compiled row minimiser, else None."""
    kind = type(penalty)
    if kind is L21:
        return _L21, penalty.alpha, 0.0
    if kind is L1:
        return _L1, 0.0, penalty.alpha
    if kind is SparseGroupL21:
        return _SGL, penalty.l21, penalty.l1
    if kind is NoPenalty:
        return _NONE, 0.0, 0.0
    return None


def applies(problem):
    """Whether :func:`coupled_descent` serves this problem: a coupling, a
    penalty it knows and numba."""
    return (AVAILABLE and problem.coupling is not None
            and penalty_code(problem.penalty) is not None)


def _row_minimizer(kind, l21, l1, a, h, u):
    """Into ``u``: argmin ``1/2 sum h u^2 - a.u + l21 ||u|| + l1 |u|_1``
    (``h > 0``): soft thresholding by ``l1``, then the L2,1 minimiser
    (:func:`._kernels._group_shrink`)."""
    T = a.shape[0]
    if kind == _L1 or kind == _SGL:
        for t in range(T):
            m = abs(a[t]) - l1
            a[t] = np.sign(a[t]) * m if m > 0 else 0.0
    for t in range(T):
        if h[t] <= 0:  # no curvature (and no coupling): the entry stays at 0
            a[t] = 0.0
    if kind == _NONE or kind == _L1:
        for t in range(T):
            u[t] = a[t] / h[t] if h[t] > 0 else 0.0
        return
    group_shrink(l21, a, h, u)  # the L2,1 minimiser of ._kernels


def _row_step(w, g, h, diag, ptr, idx, val, top, kind, l21, l1, inner_max,
              inner_tol, u, v, a, D, move):
    """Into ``u``: the row minimiser of the exact quadratic model (see module);
    the coupling ``C`` by its diagonal ``diag`` and its rows in CSR form
    (``ptr, idx, val``: a chain graph's coupling has 3 entries a row, not
    ``T``)."""
    T = w.shape[0]
    for t in range(T):
        u[t] = w[t]
        move[t] = 0.0
        D[t] = h[t] - diag[t] + top
    for _ in range(inner_max):
        for t in range(T):  # gradient at u: g + (diag(h) - diag(C)) move + C move
            acc = g[t] + (h[t] - diag[t]) * move[t]
            for p in range(ptr[t], ptr[t + 1]):
                acc += val[p] * move[idx[p]]
            a[t] = D[t] * u[t] - acc
        row_minimizer(kind, l21, l1, a, D, v)
        change, size = 0.0, 0.0
        for t in range(T):
            change = max(change, abs(v[t] - u[t]))
            size = max(size, abs(v[t]))
            u[t] = v[t]
            move[t] = v[t] - w[t]
        if change <= inner_tol * size:
            break


def _sweep(W, HW, gram, scale, H, C, hdiag, ridge, coupling, top, order, kind,
           l21, l1, inner_max, inner_tol):
    """One epoch; ``gram`` (shared design, with ``scale``) or ``H`` (per column);
    ``coupling = (diag, ptr, idx, val, ptr_t, idx_t, val_t)``: its diagonal,
    its rows and its columns in CSR form."""
    s, T = W.shape
    shared = gram.shape[0] > 0
    diag, ptr, idx, val, ptr_t, idx_t, val_t = coupling
    g, h = np.empty(T), np.empty(T)
    u, v, a, D, move = np.empty(T), np.empty(T), np.empty(T), np.empty(T), np.empty(T)
    for j in order:
        for t in range(T):  # g = (H W - C + ridge W + W coupling)_j
            acc = HW[j, t] - C[j, t] + ridge * W[j, t]
            for p in range(ptr_t[t], ptr_t[t + 1]):
                acc += W[j, idx_t[p]] * val_t[p]
            g[t] = acc
            h[t] = hdiag[j, t] + ridge + diag[t]
        row_step(W[j], g, h, diag, ptr, idx, val, top, kind, l21, l1, inner_max,
                 inner_tol, u, v, a, D, move)
        moved = False
        for t in range(T):
            move[t] = u[t] - W[j, t]
            moved = moved or move[t] != 0.0
            W[j, t] = u[t]
        if not moved:
            continue
        if shared:
            for t in range(T):
                move[t] *= scale[t]
            for i in range(s):
                gij = gram[j, i]
                for t in range(T):
                    HW[i, t] += gij * move[t]
        else:  # H[j, i, :] = H[i, j, :] (symmetric): one contiguous block of H
            for i in range(s):
                for t in range(T):
                    HW[i, t] += H[j, i, t] * move[t]


# the compiled ones once _kernels() has run
row_minimizer, row_step = _row_minimizer, _row_step
_globals = globals()


def _kernels():
    if not _compiled:
        import numba

        jit = numba.njit(cache=True, nogil=True)
        _globals["group_shrink"] = compiled_group_shrink()
        _globals["row_minimizer"] = jit(_row_minimizer)
        _globals["row_step"] = jit(_row_step)
        _compiled["sweep"] = jit(_sweep)
    return _compiled


_last_coupling = []  # (coupling, parts, top) of the last call


def _coupling_parts(coupling):
    """The coupling as the sweep takes it (diagonal, rows and columns in CSR
    form) and ``top`` (its largest eigenvalue, at least its largest diagonal
    entry); kept for the next call with an equal coupling (the working sets
    of one fit call this once per set)."""
    dense = np.ascontiguousarray(coupling, dtype=np.float64)
    if _last_coupling:
        known, parts, top = _last_coupling[0]
        if known.shape == dense.shape and np.array_equal(known, dense):
            return parts, top
    top = float(np.linalg.eigvalsh(dense)[-1]) if dense.size else 0.0
    top = max(top, float(np.max(np.diag(dense), initial=0.0)))
    parts = (np.ascontiguousarray(np.diag(dense)),) + _csr(dense) + _csr(dense.T)
    _last_coupling[:] = [(dense.copy(), parts, top)]
    return parts, top


def _csr(M):
    """``(ptr, idx, val)`` of the non-zero entries of ``M``, row by row."""
    rows, cols = np.nonzero(M)
    ptr = np.zeros(M.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=M.shape[0]), out=ptr[1:])
    return (ptr, np.ascontiguousarray(cols, dtype=np.int64),
            np.ascontiguousarray(M[rows, cols], dtype=np.float64))


_EMPTY2, _EMPTY3, _EMPTY1 = np.zeros((0, 0)), np.zeros((0, 0, 0)), np.zeros(0)


def _make_sweep(model, problem, order):
    code = penalty_code(problem.penalty)
    if code is None or isinstance(model, FactorModel):
        return None
    kind, l21, l1 = code
    sweep = _kernels()["sweep"]
    coupling, top = _coupling_parts(problem.coupling)
    C = np.ascontiguousarray(model.C, dtype=np.float64)
    hdiag = np.ascontiguousarray(model.diagonal(), dtype=np.float64)
    order = np.ascontiguousarray(order, dtype=np.int64)
    ridge = float(problem.ridge)
    if model.shared:
        gram = np.ascontiguousarray(model.gram, dtype=np.float64)
        scale = np.ascontiguousarray(model.scale, dtype=np.float64)
        H = _EMPTY3
    else:
        gram, scale = _EMPTY2, _EMPTY1
        H = np.ascontiguousarray(model.H, dtype=np.float64)

    def run(W, HW):
        sweep(W, HW, gram, scale, H, C, hdiag, ridge, coupling, top, order, kind,
              l21, l1, _INNER_MAX, _INNER_TOL)

    return run


def support_newton(model, problem, W, HW, certificate, order, l21, l1):
    """One Newton step on the non-zero entries (kept if it lowers the
    objective): :func:`._inner.newton_on_support`, which handles L2,1 and
    L1 at once (the sparse group penalty) and the coupling in the Hessian,
    on supports of at most :data:`NEWTON_UNKNOWNS` entries."""
    return newton_on_support(model, problem, W, HW, certificate, order, l21, l1,
                             NEWTON_UNKNOWNS)


def _extrapolate(model, certificate, W, HW, history):
    """:func:`._inner._try_extrapolation` of :func:`._inner._anderson`'s
    extrapolation (the same formulas, in fewer array operations), returning
    also the objective at the point kept: ``W, HW, value``."""
    X = np.stack(history).reshape(len(history), -1)
    U = X[1:] - X[:-1]
    M = U @ U.T
    M /= max(np.linalg.norm(M), 1e-300)
    M.flat[:: M.shape[0] + 1] += 1e-10
    value = certificate.objective(W, HW)
    try:
        z = np.linalg.solve(M, np.ones(M.shape[0]))
    except np.linalg.LinAlgError:
        return W, HW, value
    total = z.sum()
    if not np.all(np.isfinite(z)) or total == 0:
        return W, HW, value
    W_acc = ((z / total) @ X[1:]).reshape(W.shape)
    HW_acc = model.hessian_product(W_acc)
    certificate.offer(W_acc, HW_acc)
    accelerated = certificate.objective(W_acc, HW_acc)
    if accelerated < value:
        return W_acc, HW_acc, accelerated
    return W, HW, value


def coupled_descent(model, problem, W, certificate, *, tol, max_iter, rows=None):
    """:func:`._inner.coordinate_descent` with exact coupled row blocks.

    Same contract (returns ``W, HW, n_epochs, status``); falls back to it
    when the model is a factor model or the penalty has no compiled row
    minimiser here.
    """
    from ._inner import coordinate_descent

    order = np.arange(W.shape[0]) if rows is None else rows
    sweep = _make_sweep(model, problem, order)
    if sweep is None:
        return coordinate_descent(model, problem, W, certificate, tol=tol,
                                  max_iter=max_iter, rows=rows)
    _, l21, l1 = penalty_code(problem.penalty)
    W = np.array(W, dtype=np.float64)
    HW = model.hessian_product(W)
    progress, history = _Progress(), [W.copy()]
    previous_support, value = None, None  # value: the objective at W, when known
    for epoch in range(max_iter):
        # the certificate every Anderson cycle (right after an extrapolation):
        # a duality gap costs several compiled epochs
        if epoch % _CHECK_EVERY == 0:
            measure = certificate.measure(W, HW)
            if measure <= tol:
                return W, HW, epoch, "converged"
            if value is None:
                value = certificate.objective(W, HW)
            if progress.stalled(value, measure, _STALL):
                return W, HW, epoch, "stalled"
        sweep(W, HW)
        value = None
        history = (history + [W.copy()])[-(_ANDERSON + 1):]
        if len(history) == _ANDERSON + 1 and epoch % _ANDERSON == _ANDERSON - 1:
            W, HW, value = _extrapolate(model, certificate, W, HW, history)
            support = np.any(W != 0, axis=1)
            if np.array_equal(support, previous_support):
                W_new, HW = support_newton(model, problem, W, HW, certificate, order,
                                           l21, l1)
                if W_new is not W:
                    W, value = W_new, None
            previous_support = support
    if certificate.measure(W, HW) <= tol:
        return W, HW, max_iter, "converged"
    return W, HW, max_iter, "max_iter"
