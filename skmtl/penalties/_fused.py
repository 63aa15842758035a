r"""Fused group lasso over ordered tasks (MALSAR ``Least_CFGLasso``).

.. math::

    \Omega(W) = \sum_j \Big( \alpha \lVert W_{j,:}\rVert_2
        + \lambda_1 \sum_t |W_{jt}|
        + \lambda_F \sum_{t=1}^{T-1} |W_{j,t+1} - W_{jt}| \Big)

The prox acts on each row ``w``: the 1-D total-variation prox (exact, by
the taut string, :func:`tv_prox`), then soft thresholding, then group
shrinkage. The composition is exact: soft thresholding of a TV-prox output
is the prox of TV + L1 (Friedman et al., 2007), and because TV + L1 is
positively homogeneous its subdifferential at ``u`` equals the one at
``c u`` for ``c > 0`` (and is contained in the one at 0), which is the
condition for the group shrinkage to compose (Yu, 2013).

All three terms are positively homogeneous, so ``Omega`` is the support
function of :math:`C = \partial\Omega(0)` and by Moreau's identity the
distance of ``v`` to ``C`` is ``||prox_Omega(v)||``; conjugates and the
dual rescaling follow from that.
"""

import importlib.util
import os

import numpy as np


def tv_prox(y, lam):
    r"""``argmin_x 1/2 ||x - y||^2 + lam sum_t |x_{t+1} - x_t|`` (exact).

    Taut string: the cumulative sums of ``x`` form the shortest path from
    ``(0, 0)`` to ``(T, sum y)`` within ``lam`` of the cumulative sums of
    ``y``. It is built segment by segment: a segment is extended while some
    slope keeps it in the tube; when none does, the string bends at the
    tube boundary that limited the slope. ``x`` is constant on each segment
    (set exactly, so equal neighbours are equal in floating point).
    """
    y = np.asarray(y, dtype=float)
    T = y.size
    if T <= 1 or lam <= 0:
        return y.copy()
    Y = np.concatenate([[0.0], np.cumsum(y)])
    lower, upper = Y - lam, Y + lam
    lower[0] = upper[0] = 0.0
    lower[T] = upper[T] = Y[T]
    x = np.empty(T)
    t0, x0 = 0, 0.0
    while t0 < T:
        lo, hi, s_lo, s_hi = -np.inf, np.inf, t0 + 1, t0 + 1
        t, bend = t0 + 1, None
        while t <= T:
            a = (lower[t] - x0) / (t - t0)
            b = (upper[t] - x0) / (t - t0)
            if a > hi:  # every slope through t exceeds hi: bend down at s_hi
                bend = "upper"
                break
            if b < lo:  # bend up at s_lo
                bend = "lower"
                break
            if a >= lo:
                lo, s_lo = a, t
            if b <= hi:
                hi, s_hi = b, t
            t += 1
        if bend is None:  # reached the end, whose tube has width 0
            x[t0:] = lo
            break
        if bend == "upper":
            x[t0:s_hi] = hi
            t0, x0 = s_hi, upper[s_hi]
        else:
            x[t0:s_lo] = lo
            t0, x0 = s_lo, lower[s_lo]
    return x


def _taut_string_rows(V, lam, out):
    """:func:`tv_prox` of every row of ``V`` into ``out`` (the same algorithm,
    written for numba: no Python objects, the rows in one compiled loop)."""
    n, T = V.shape
    Y = np.empty(T + 1)
    lower, upper = np.empty(T + 1), np.empty(T + 1)
    for row in range(n):
        Y[0] = 0.0
        for t in range(T):
            Y[t + 1] = Y[t] + V[row, t]
        for t in range(T + 1):
            lower[t], upper[t] = Y[t] - lam, Y[t] + lam
        lower[0] = upper[0] = 0.0
        lower[T] = upper[T] = Y[T]
        t0, x0 = 0, 0.0
        while t0 < T:
            lo, hi, s_lo, s_hi = -np.inf, np.inf, t0 + 1, t0 + 1
            t, bend = t0 + 1, 0  # 1: bend down at s_hi, -1: bend up at s_lo
            while t <= T:
                a = (lower[t] - x0) / (t - t0)
                b = (upper[t] - x0) / (t - t0)
                if a > hi:
                    bend = 1
                    break
                if b < lo:
                    bend = -1
                    break
                if a >= lo:
                    lo, s_lo = a, t
                if b <= hi:
                    hi, s_hi = b, t
                t += 1
            if bend == 0:
                for k in range(t0, T):
                    out[row, k] = lo
                break
            if bend == 1:
                for k in range(t0, s_hi):
                    out[row, k] = hi
                t0, x0 = s_hi, upper[s_hi]
            else:
                for k in range(t0, s_lo):
                    out[row, k] = lo
                t0, x0 = s_lo, lower[s_lo]


def _free_distances(W, target, l1, fused, out):
    """Into ``out[i]``: :meth:`FusedGroupLasso._free_distance` of row ``i``,
    squared (the same runs and formulas, compiled)."""
    n, T = W.shape
    work = np.empty((1, T))
    for i in range(n):
        total, start = 0.0, 0
        while start < T:
            stop = start + 1
            if fused > 0:
                while stop < T and W[i, stop] == W[i, start]:
                    stop += 1
            size = stop - start
            if size > 1:
                # the run copied into contiguous (1, size) arrays: the taut
                # string is then the specialisation that the compiled ADMM
                # prox uses (views of two slices would compile another one)
                run, work = np.empty((1, size)), np.empty((1, size))
                for k in range(size):
                    run[0, k] = target[i, start + k]
                taut_string(run, fused, work)
            else:
                work[0, 0] = target[i, start]
            for k in range(size):
                r = work[0, k]
                if W[i, start] == 0 and l1 > 0:
                    m = abs(r) - l1
                    r = np.sign(r) * m if m > 0 else 0.0
                total += r * r
            start = stop
        out[i] = total


taut_string = _taut_string_rows  # the compiled one once _kernels() has run
_compiled = {}


def _kernels():
    if not _compiled:
        import numba

        jit = numba.njit(cache=True, nogil=True)
        _compiled["rows"] = jit(_taut_string_rows)
        globals()["taut_string"] = _compiled["rows"]
        _compiled["free"] = jit(_free_distances)
    return _compiled


def _numba_available():
    if os.environ.get("SKMTL_NO_NUMBA", "") not in ("", "0"):
        return False
    return importlib.util.find_spec("numba") is not None


def tv_prox_rows(V, lam):
    """:func:`tv_prox` of every row of ``V`` (compiled with numba when it is
    available, ``cache=True``; else row by row in Python)."""
    V = np.ascontiguousarray(V, dtype=np.float64)
    if V.ndim != 2 or V.shape[1] <= 1 or lam <= 0 or V.shape[0] == 0:
        return V.copy()
    if not _numba_available():
        return np.array([tv_prox(v, lam) for v in V]).reshape(V.shape)
    out = np.empty_like(V)
    _kernels()["rows"](V, float(lam), out)
    return out


def _soft(v, threshold):
    return np.sign(v) * np.maximum(np.abs(v) - threshold, 0.0)


def _tv(W):
    return float(np.sum(np.abs(np.diff(W, axis=1)))) if W.shape[1] > 1 else 0.0


class FusedGroupLasso:
    r"""``alpha ||W||_2,1 + l1 ||W||_1 + fused sum_j sum_t |W_j,t+1 - W_jt|``.

    ``alpha`` must be positive (the estimator maps ``alpha = 0`` to
    :class:`FusedLasso`, whose dual rescaling is on ``l1``).
    ``dual_norm(V)`` is the smallest ``alpha`` for which ``W = 0`` is optimal
    when the gradient is ``-V``, at these ``l1`` and ``fused``:
    :math:`\max_j \lVert \mathrm{soft}(\mathrm{tv}(v_j, \lambda_F),
    \lambda_1)\rVert_2`. Scaling ``V`` by ``alpha / dual_norm(V) <= 1``
    makes it dual feasible (the distance to ``C / s`` is at most the one to
    ``C`` for ``s <= 1``).
    """

    row_separable = False  # solved with its prox (ADMM / proximal gradient)
    induces_sparsity = True
    class_centring_safe = False  # differences can grow
    conjugate_is_indicator = True

    def __init__(self, alpha, l1, fused):
        self.alpha, self.l1, self.fused = float(alpha), float(l1), float(fused)
        self.group = self.alpha  # the L2,1 strength (``alpha`` is what solvers read)

    def value(self, W):
        return (
            self.group * float(np.sum(np.linalg.norm(W, axis=1)))
            + self.l1 * float(np.sum(np.abs(W)))
            + self.fused * _tv(W)
        )

    def _tv_rows(self, V, lam):
        if lam <= 0 or V.shape[1] <= 1:
            return V
        return tv_prox_rows(V, lam)

    def _prox_rows(self, V, step, with_group=True):
        """The row prox on every row of ``V`` (the TV part row by row).

        The TV prox and soft thresholding are non-expansive and fix 0, so a
        row with ``||v|| <= step * alpha`` is zeroed by the group shrinkage
        whatever they do: its TV prox is skipped.
        """
        if with_group and self.group > 0:
            alive = np.sqrt(np.einsum("ij,ij->i", V, V)) > step * self.group
            U = np.zeros_like(V, dtype=float)
            U[alive] = _soft(self._tv_rows(V[alive], step * self.fused), step * self.l1)
        else:
            U = _soft(self._tv_rows(V, step * self.fused), step * self.l1)
        if with_group and self.group > 0:
            norms = np.sqrt(np.einsum("ij,ij->i", U, U))
            scale = np.maximum(norms - step * self.group, 0.0)
            U = U * (scale / np.maximum(norms, np.finfo(float).tiny))[:, None]
        return U

    def _row_prox(self, v, step, with_group=True):
        return self._prox_rows(v[None], step, with_group)[0]

    def prox(self, W, step):
        return self._prox_rows(W, step)

    def prox_value(self, W, step):
        out = self.prox(W, step)
        return out, self.value(out)

    def dual_norm(self, V):
        if V.size == 0:
            return 0.0
        U = self._prox_rows(V, 1.0, False)
        return float(np.sqrt(np.max(np.einsum("ij,ij->i", U, U))))

    def conjugate(self, V, ridge):
        U = self._prox_rows(V, 1.0)
        return float(np.sum(U * U)) / (2.0 * ridge)

    def violation(self, W, G):
        """Distance of ``-G`` to the subdifferential at ``W`` (exact).

        Zero rows: :math:`(\\lVert\\mathrm{soft}(\\mathrm{tv}(-g), l_1)\\rVert -
        \\alpha)_+`; other rows: a bounded least-squares problem over the free
        subgradients of the zero entries and zero differences.
        """
        zero = ~np.any(W != 0, axis=1)
        total = 0.0
        if np.any(zero):
            U = self._prox_rows(-G[zero], 1.0, False)
            excess = np.maximum(np.sqrt(np.einsum("ij,ij->i", U, U)) - self.group, 0.0)
            total += float(excess @ excess)
        Wn, Vn = W[~zero], -G[~zero]
        if Wn.shape[0] == 0:
            return float(np.sqrt(total))
        # the fixed part of the subgradient, for every non-zero row at once
        norms = np.sqrt(np.einsum("ij,ij->i", Wn, Wn))
        signs = np.sign(np.diff(Wn, axis=1))
        DT_signs = np.zeros_like(Wn)  # D^T sign(D w): z_{t-1} - z_t
        DT_signs[:, 1:] += signs
        DT_signs[:, :-1] -= signs
        target = Vn - self.group * Wn / norms[:, None] - self.l1 * np.sign(Wn)
        target -= self.fused * DT_signs
        free = ((Wn == 0) & (self.l1 > 0)).any(axis=1)
        if self.fused > 0 and Wn.shape[1] > 1:
            free |= (np.diff(Wn, axis=1) == 0).any(axis=1)
        fixed = target[~free]  # no free subgradient: the distance is the norm
        total += float(np.sum(fixed * fixed))
        if np.any(free) and _numba_available():  # the same runs, compiled
            out = np.empty(int(free.sum()))
            _kernels()["free"](np.ascontiguousarray(Wn[free]),
                               np.ascontiguousarray(target[free]),
                               self.l1, self.fused, out)
            return float(np.sqrt(total + out.sum()))
        for w, r in zip(Wn[free], target[free], strict=True):
            total += self._free_distance(w, r) ** 2
        return float(np.sqrt(total))

    def _free_distance(self, w, target):
        r"""Distance of ``target`` to the free subgradients at ``w`` (exact).

        The free subgradients are ``D^T z + v`` with ``|z_t| <= fused`` on
        the zero differences and ``|v_t| <= l1`` on the zero entries. They
        decouple over the runs of equal consecutive entries of ``w`` (the
        differences between runs are fixed): on a run with value ``c`` the
        set is :math:`\partial g(0)` for ``g = fused TV + [c = 0] l1 L1`` on
        the run, and the distance of ``r`` to it is ``||prox_g(r)||``
        (Moreau, ``g`` positively homogeneous), with ``prox_g = soft(tv(., fused),
        l1)`` (Friedman et al., 2007).
        """
        if self.fused > 0 and w.size > 1:
            bounds = np.flatnonzero(np.diff(w) != 0) + 1
        else:
            bounds = np.arange(1, w.size)
        total = 0.0
        for run in np.split(np.arange(w.size), bounds):
            r = target[run]
            if run.size > 1:
                r = tv_prox(r, self.fused)
            if w[run[0]] == 0 and self.l1 > 0:
                r = _soft(r, self.l1)
            total += float(r @ r)
        return float(np.sqrt(total))


class FusedLasso(FusedGroupLasso):
    r"""The ``alpha = 0`` case: ``l1 ||W||_1 + fused * TV``; requires ``l1 > 0``.

    ``alpha`` (the attribute the solvers read) is ``l1`` here and
    ``dual_norm(V)`` the smallest ``l1`` making ``W = 0`` optimal at this
    ``fused``, :math:`\max_{j,t} |\mathrm{tv}(v_j, \lambda_F)_t|`; the
    rescaled point is feasible because the TV prox's largest magnitude does
    not grow with its strength.
    """

    def __init__(self, l1, fused):
        super().__init__(0.0, l1, fused)
        self.alpha = self.l1

    def _prox_rows(self, V, step, with_group=True):
        return _soft(self._tv_rows(V, step * self.fused), step * self.l1)

    def dual_norm(self, V):
        if V.size == 0:
            return 0.0
        return float(np.max(np.abs(self._tv_rows(V, self.fused))))
