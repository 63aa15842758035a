r"""Penalties of the decomposed models ``W = P + Q`` (dirty, robust, sparse +
low rank).

* :class:`LInf1`: :math:`\alpha \sum_j \max_t |W_{jt}|`, the row-wise
  maximum (Jalali et al.'s block-sparse part of the dirty model);
* :class:`TaskGroupNorm`: :math:`\alpha \sum_t \lVert W_{:, C_t}\rVert_F`,
  one group per task (its columns ``C_t``), which zeroes whole tasks (the
  outlier part of the robust models);
* :class:`BlockPenalty`: a separable sum of penalties on the row blocks of
  the stacked variable ``[P; Q]``.
"""

import numpy as np


def _project_l1_ball(V, radius):
    """Euclidean projection of every row of ``V`` on the L1 ball of ``radius``."""
    A = np.abs(V)
    inside = A.sum(axis=1) <= radius
    out = V.copy()
    rows = np.flatnonzero(~inside)
    if rows.size:
        S = -np.sort(-A[rows], axis=1)
        cumsum = np.cumsum(S, axis=1) - radius
        k = np.arange(1, S.shape[1] + 1)
        active = S - cumsum / k > 0
        n_active = active.shape[1] - np.argmax(active[:, ::-1], axis=1)
        theta = cumsum[np.arange(rows.size), n_active - 1] / n_active
        out[rows] = np.sign(V[rows]) * np.maximum(A[rows] - theta[:, None], 0.0)
    return out


def _project_simplex_rows(C, active, radius):
    """Row-wise projection of ``C[i, active[i]]`` on the simplex ``{u >= 0,
    sum u = radius}``; zero off ``active``."""
    S = np.where(active, C, -np.inf)
    S = -np.sort(-S, axis=1)
    live = np.isfinite(S)
    cumsum = np.cumsum(np.where(live, S, 0.0), axis=1) - radius
    k = np.arange(1, C.shape[1] + 1)
    ok = live & (S - cumsum / k > 0)
    count = C.shape[1] - np.argmax(ok[:, ::-1], axis=1)
    theta = cumsum[np.arange(C.shape[0]), count - 1] / count
    return np.where(active, np.maximum(C - theta[:, None], 0.0), 0.0)


class LInf1:
    r"""Sum over the rows of their largest magnitude.

    .. math:: \Omega(W) = \alpha \sum_j \max_t |W_{jt}|

    A feature is used by all tasks or none, and the tasks that use it share
    its largest weight (the block part of the dirty model).
    """

    row_separable = True
    induces_sparsity = True
    class_centring_safe = False  # a row's max |w| can grow
    conjugate_is_indicator = True

    def __init__(self, alpha):
        self.alpha = float(alpha)

    def value(self, W):
        return self.alpha * float(np.sum(np.max(np.abs(W), axis=1))) if W.size else 0.0

    def prox(self, W, step):
        """Moreau: ``W - projection on the L1 ball of radius step * alpha``."""
        return W - _project_l1_ball(W, step * self.alpha)

    def prox_value(self, W, step):
        P = self.prox(W, step)
        return P, self.value(P)

    def row_minimizer(self, a, h):
        r"""Minimiser of :math:`\frac{1}{2}\sum_t h_t u_t^2 - a^\top u +
        \alpha \max_t |u_t|` (``h >= 0``; ``a_t = 0`` where ``h_t = 0``).

        ``u_t = sign(a_t) min(|a_t| / h_t, tau)`` where the level ``tau``
        solves :math:`\sum_t (|a_t| - h_t \tau)_+ = \alpha` (``u = 0`` when
        :math:`\lVert a\rVert_1 \le \alpha`).
        """
        a = np.where(h > 0, a, 0.0)
        magnitude = np.abs(a)
        if magnitude.sum() <= self.alpha:
            return np.zeros_like(a)
        live = np.flatnonzero(h > 0)
        order = live[np.argsort(-(magnitude[live] / h[live]))]
        breaks = magnitude[order] / h[order]
        sum_a = np.cumsum(magnitude[order])
        sum_h = np.cumsum(h[order])
        levels = (sum_a - self.alpha) / sum_h  # tau if the k largest are clipped
        nxt = np.append(breaks[1:], 0.0)
        k = int(np.flatnonzero((levels >= nxt) & (levels <= breaks))[0])
        tau = max(levels[k], 0.0)
        ratio = np.divide(magnitude, h, out=np.zeros_like(a), where=h > 0)
        return np.sign(a) * np.minimum(ratio, tau)

    def row_violations(self, W, G):
        """Distance of ``-G_j`` to ``alpha * subdifferential of max|.|`` at ``W_j``.

        At a zero row the subdifferential is the L1 ball of radius
        ``alpha``; elsewhere ``alpha`` times the simplex on the entries of
        largest magnitude (signed like them), zero on the others.
        """
        A = -np.asarray(G, dtype=float)
        out = np.zeros(W.shape[0])
        if not W.size:
            return out
        magnitude = np.abs(W)
        top = magnitude.max(axis=1)
        zero = top == 0
        if np.any(zero):
            Az = A[zero]
            excess = Az - _project_l1_ball(Az, self.alpha)
            out[zero] = np.sqrt(np.sum(excess**2, axis=1))
        rows = np.flatnonzero(~zero)
        if rows.size:
            on = magnitude[rows] >= top[rows, None] * (1 - 1e-10)
            C = A[rows] * np.sign(W[rows])
            U = _project_simplex_rows(C, on, self.alpha)
            out[rows] = np.sqrt(np.sum(np.where(on, C - U, A[rows]) ** 2, axis=1))
        return out

    def dual_norm(self, V):
        """``max_j ||V_j||_1`` (the dual of the sum of row maxima)."""
        return float(np.max(np.sum(np.abs(V), axis=1))) if V.size else 0.0

    def conjugate(self, V, ridge):
        """Of the penalty plus ``ridge / 2 ||.||^2``: squared distance to the
        dual ball over ``2 ridge``."""
        excess = V - _project_l1_ball(V, self.alpha)
        return float(np.sum(excess * excess)) / (2.0 * ridge)


class TaskGroupNorm:
    r"""Sum over the tasks of the Frobenius norm of their columns.

    .. math:: \Omega(W) = \alpha \sum_t \lVert W_{:, C_t} \rVert_F

    with ``C_t`` the columns of task ``t`` (one for a regression or binary
    task, ``K`` for a task with ``K`` classes); ``starts`` as in
    :class:`~skmtl._data.ColumnLayout`. Whole tasks are zero at its
    minimisers: the outlier tasks of the robust models are the others.
    """

    row_separable = False
    induces_sparsity = False
    class_centring_safe = False  # not shown safe
    conjugate_is_indicator = True

    def __init__(self, alpha, starts):
        self.alpha = float(alpha)
        self.starts = np.asarray(starts, dtype=np.intp)
        self._task = np.repeat(np.arange(self.starts.size - 1), np.diff(self.starts))

    def norms(self, W):
        """Frobenius norm of every task's columns."""
        column_sq = np.einsum("ij,ij->j", W, W)
        n_tasks = self.starts.size - 1
        return np.sqrt(np.bincount(self._task, column_sq, minlength=n_tasks))

    def value(self, W):
        return self.alpha * float(np.sum(self.norms(W)))

    def prox(self, W, step):
        return self.prox_value(W, step)[0]

    def prox_value(self, W, step):
        norms = self.norms(W)
        shrunk = np.maximum(norms - step * self.alpha, 0.0)
        scale = shrunk / np.maximum(norms, np.finfo(float).tiny)
        return W * scale[self._task], self.alpha * float(shrunk.sum())

    def violation(self, W, G):
        norms = self.norms(W)
        A = -np.asarray(G, dtype=float)
        direction = W / np.maximum(norms, np.finfo(float).tiny)[self._task]
        inside = np.maximum(self.norms(A) - self.alpha, 0.0)
        at_support = self.norms(A - self.alpha * direction)
        return float(np.sqrt(np.sum(np.where(norms > 0, at_support, inside) ** 2)))

    def dual_norm(self, V):
        return float(np.max(self.norms(V))) if V.size else 0.0

    def conjugate(self, V, ridge):
        excess = np.maximum(self.norms(V) - self.alpha, 0.0)
        return float(np.sum(excess * excess)) / (2.0 * ridge)


def _distance(penalty, W, G):
    if penalty.row_separable:
        return float(np.sqrt(np.sum(penalty.row_violations(W, G) ** 2)))
    return float(penalty.violation(W, G))


class BlockPenalty:
    r"""Separable sum over the row blocks of the stacked ``[W_1; ...; W_B]``.

    .. math:: \Omega(W) = \sum_b \Omega_b(W_b)

    Every block has the same number of rows (the features). With norms
    :math:`\Omega_b = \alpha_b N_b`, the sum is a norm whose dual is
    :math:`\max_b N_b^*(V_b) / \alpha_b`: :meth:`dual_norm` returns it and
    ``alpha`` is 1, so the dual point of a squared loss is rescaled as for
    one norm (``Problem.dual_value``). Every strength must be positive.
    It is not row-separable (the solvers' row updates do not know a row's
    block), so :func:`~skmtl.solvers.minimize` uses its spectral route (ADMM
    on the quadratic model) for it.
    """

    row_separable = False
    induces_sparsity = False
    class_centring_safe = False  # blocks of a sum: not shown safe
    alpha = 1.0

    def __init__(self, penalties):
        self.penalties = tuple(penalties)
        for penalty in self.penalties:
            if not penalty.alpha > 0:
                raise ValueError(
                    f"every block's strength must be positive; "
                    f"{type(penalty).__name__} has {penalty.alpha}."
                )
        self.conjugate_is_indicator = all(
            p.conjugate_is_indicator for p in self.penalties
        )

    def _split(self, W):
        d = W.shape[0] // len(self.penalties)
        return [W[b * d : (b + 1) * d] for b in range(len(self.penalties))]

    def value(self, W):
        pairs = zip(self.penalties, self._split(W), strict=True)
        return float(sum(p.value(B) for p, B in pairs))

    def prox(self, W, step):
        return self.prox_value(W, step)[0]

    def prox_value(self, W, step):
        pairs = zip(self.penalties, self._split(W), strict=True)
        parts = [p.prox_value(B, step) for p, B in pairs]
        value = float(sum(part[1] for part in parts))
        return np.vstack([part[0] for part in parts]), value

    def violation(self, W, G):
        pairs = zip(self.penalties, self._split(W), self._split(G), strict=True)
        return float(np.sqrt(sum(_distance(p, B, GB) ** 2 for p, B, GB in pairs)))

    def block_violations(self, W, G):
        """KKT distance of every block."""
        pairs = zip(self.penalties, self._split(W), self._split(G), strict=True)
        return [_distance(p, B, GB) for p, B, GB in pairs]

    def dual_norm(self, V):
        pairs = zip(self.penalties, self._split(V), strict=True)
        return float(max(p.dual_norm(B) / p.alpha for p, B in pairs))

    def conjugate(self, V, ridge):
        pairs = zip(self.penalties, self._split(V), strict=True)
        return float(sum(p.conjugate(B, ridge) for p, B in pairs))
