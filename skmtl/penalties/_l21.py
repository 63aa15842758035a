"""Row-group (L2,1) and entrywise (L1) norms of the coefficient matrix."""

import numpy as np


def _row_norms(W):
    return np.sqrt(np.einsum("ij,ij->i", W, W))


class L21:
    r"""Sum of the Euclidean norms of the rows of ``W`` (one row per feature).

    .. math:: \Omega(W) = \alpha \sum_j \lVert W_{j,:} \rVert_2

    A feature is used by all tasks or by none: joint feature selection.
    """

    row_separable = True
    induces_sparsity = True
    class_centring_safe = True  # row norms shrink under a projection
    conjugate_is_indicator = True

    def __init__(self, alpha):
        self.alpha = float(alpha)

    def value(self, W):
        return self.alpha * float(np.sum(_row_norms(W)))

    def prox(self, W, step):
        return self.prox_value(W, step)[0]

    def prox_value(self, W, step):
        """Prox and the penalty value at the result (from the same row norms)."""
        norms = _row_norms(W)
        shrunk = np.maximum(norms - step * self.alpha, 0.0)
        scale = shrunk / np.maximum(norms, np.finfo(float).tiny)
        return W * scale[:, None], self.alpha * float(shrunk.sum())

    def row_minimizer(self, a, h):
        r"""Minimiser of :math:`\frac{1}{2}\sum_t h_t u_t^2 - a^\top u +
        \alpha\lVert u\rVert_2` (``h >= 0``; ``a_t = 0`` where ``h_t = 0``).

        ``u = 0`` when :math:`\lVert a\rVert \le \alpha`; otherwise
        :math:`u_t = a_t / (h_t + \alpha / r)` with ``r = ||u||`` the root of
        :math:`1/\psi(r) = 1`, :math:`\psi(r) = \lVert a / (h r + \alpha)\rVert`.
        :math:`1/\psi` is increasing, concave and linear when all ``h_t`` are
        equal (then ``r = (||a|| - alpha) / h``, taken in closed form), so
        Newton's method reaches the root in a few steps otherwise (from the
        first step on, its iterates decrease to it).
        """
        a = np.where(h > 0, a, 0.0)  # a direction with no curvature stays at 0
        norm = float(np.sqrt(a @ a))
        alpha = self.alpha
        if norm <= alpha:
            return np.zeros_like(a)
        h_max = float(h.max())
        if float(h.min()) == h_max:  # the root in closed form (as compiled)
            return a * ((norm - alpha) / (norm * h_max))
        r = (norm - alpha) / h_max  # the root if every h_t were h_max
        for _ in range(30):
            q = 1.0 / (h * r + alpha)
            aq = a * q
            psi = float(np.sqrt(aq @ aq))
            slope = float((aq * aq) @ (h * q)) / psi**3
            step = (1.0 / psi - 1.0) / slope
            r -= step
            if abs(step) <= 1e-13 * r:
                break
        if not r > 0:  # ||a|| equals alpha to rounding: u = 0
            return np.zeros_like(a)
        return a / (h + alpha / r)

    def row_violations(self, W, G):
        """Distance of ``-G_j`` to the subdifferential of the penalty at ``W_j``."""
        norms = _row_norms(W)
        out = np.maximum(_row_norms(G) - self.alpha, 0.0)
        nonzero = np.flatnonzero(norms)  # indices: 2x faster than a mask here
        if nonzero.size:
            scale = self.alpha / norms[nonzero]
            out[nonzero] = _row_norms(G[nonzero] + scale[:, None] * W[nonzero])
        return out

    def dual_norm(self, V):
        """The norm whose ball of radius ``alpha`` is the dual feasible set."""
        return float(np.sqrt(np.max(np.einsum("ij,ij->i", V, V)))) if V.size else 0.0

    #: the dual norm of the row-group part (all of it here)
    group_dual_norm = dual_norm

    def conjugate(self, V, ridge):
        r"""Conjugate of the penalty plus :math:`\frac{\rho}{2}\lVert\cdot\rVert_F^2`.

        Used for duality gaps with a ridge term (``rho > 0``).
        """
        excess = np.maximum(_row_norms(V) - self.alpha, 0.0)
        return float(np.sum(excess * excess)) / (2.0 * ridge)


class L1:
    r"""Entrywise absolute value: :math:`\Omega(W) = \alpha \sum_{j,t} |W_{jt}|`."""

    row_separable = True
    induces_sparsity = True
    class_centring_safe = False  # centring can raise an entry's |w|
    conjugate_is_indicator = True

    def __init__(self, alpha):
        self.alpha = float(alpha)

    def value(self, W):
        return self.alpha * float(np.sum(np.abs(W)))

    def prox(self, W, step):
        return np.sign(W) * np.maximum(np.abs(W) - step * self.alpha, 0.0)

    def prox_value(self, W, step):
        magnitude = np.maximum(np.abs(W) - step * self.alpha, 0.0)
        return np.sign(W) * magnitude, self.alpha * float(np.sum(magnitude))

    def row_minimizer(self, a, h):
        """Minimiser of ``1/2 sum h u^2 - a.u + alpha ||u||_1`` (``h >= 0``)."""
        shrunk = np.sign(a) * np.maximum(np.abs(a) - self.alpha, 0.0)
        return np.divide(shrunk, h, out=np.zeros_like(a), where=h > 0)

    def row_violations(self, W, G):
        dist = np.where(
            W != 0,
            np.abs(G + self.alpha * np.sign(W)),
            np.maximum(np.abs(G) - self.alpha, 0.0),
        )
        return _row_norms(dist)

    def dual_norm(self, V):
        return float(np.max(np.abs(V))) if V.size else 0.0

    def conjugate(self, V, ridge):
        excess = np.maximum(np.abs(V) - self.alpha, 0.0)
        return float(np.sum(excess * excess)) / (2.0 * ridge)


class NoPenalty:
    """The zero function (used when only smooth terms regularise)."""

    row_separable = True
    induces_sparsity = False
    class_centring_safe = True  # nothing to increase
    conjugate_is_indicator = True
    alpha = 0.0

    def value(self, W):
        return 0.0

    def prox(self, W, step):
        return W

    def prox_value(self, W, step):
        return W, 0.0

    def row_minimizer(self, a, h):
        """Minimiser of ``1/2 sum h u^2 - a.u`` (0 where ``h = 0``)."""
        return np.divide(a, h, out=np.zeros_like(a), where=h > 0)

    def row_violations(self, W, G):
        return _row_norms(G)

    def dual_norm(self, V):
        return float(np.max(_row_norms(V))) if V.size else 0.0

    def conjugate(self, V, ridge):
        return float(np.sum(V * V)) / (2.0 * ridge)
