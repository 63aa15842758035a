r"""Sparse group penalty: the L2,1 norm of the rows of ``W`` plus the L1 norm.

.. math::

    \Omega(W) = \lambda_{21} \sum_j \lVert W_{j,:} \rVert_2
        + \lambda_1 \sum_{j,t} |W_{jt}|

Both terms are positively homogeneous and their subdifferentials at zero are
a Euclidean ball and a box, so everything reduces to soft thresholding
followed by group shrinkage:

* prox: ``group_shrink(soft(V, step * l1), step * l21)`` (exact, Friedman,
  Hastie & Tibshirani 2010);
* the distance of ``v`` to :math:`\partial\Omega(0) = \lambda_{21} B_2 +
  \lambda_1 B_\infty` is :math:`(\lVert \mathrm{soft}(v, \lambda_1)\rVert_2
  - \lambda_{21})_+`.
"""

import numpy as np

from ._l21 import L21


def _soft(V, threshold):
    return np.sign(V) * np.maximum(np.abs(V) - threshold, 0.0)


def _row_norms(W):
    return np.sqrt(np.einsum("ij,ij->i", W, W))


def l1_at_zero(v, l21):
    r"""Smallest ``l1 >= 0`` with ``||soft(v, l1)||_2 <= l21``.

    :math:`f(\tau) = \lVert\mathrm{soft}(v, \tau)\rVert_2^2` is decreasing and
    quadratic between the sorted magnitudes of ``v``; the root is found on the
    piece where ``f`` crosses :math:`l_{21}^2`.
    """
    a = np.sort(np.abs(np.asarray(v, dtype=float)))[::-1]
    if a.size == 0 or float(a @ a) <= l21 * l21:
        return 0.0
    k = np.arange(1, a.size + 1)
    sums, squares = np.cumsum(a), np.cumsum(a * a)
    below = np.append(a[1:], 0.0)  # the lower end of the piece where k are active
    f_below = squares - 2 * below * sums + k * below * below
    kk = int(np.flatnonzero(f_below > l21 * l21)[0])  # f(0) > l21^2: one exists
    n, S, Q = kk + 1, sums[kk], squares[kk]
    disc = max(S * S - n * (Q - l21 * l21), 0.0)
    return float((S - np.sqrt(disc)) / n)


class SparseGroupL21:
    r"""``l21 * sum_j ||W_j,:||_2 + l1 * sum |W_jt|`` (row separable).

    ``alpha`` is ``l1``; ``dual_norm(V)`` is the smallest ``l1`` (at this
    ``l21``) for which ``W = 0`` is optimal when ``-V`` is the gradient, so
    :func:`skmtl.alpha_max` with ``l1`` as the sparsity parameter gives that
    value, and the rescaled dual point ``(l1 / dual_norm) V`` is feasible.
    """

    row_separable = True
    induces_sparsity = True
    class_centring_safe = False  # its L1 part can grow
    conjugate_is_indicator = True

    def __init__(self, l21, l1):
        self.l21, self.l1 = float(l21), float(l1)
        self.alpha = self.l1
        self._group = L21(self.l21)

    def value(self, W):
        return self.l21 * float(np.sum(_row_norms(W))) + self.l1 * float(
            np.sum(np.abs(W))
        )

    def prox(self, W, step):
        return self.prox_value(W, step)[0]

    def prox_value(self, W, step):
        soft = _soft(W, step * self.l1)
        norms = _row_norms(soft)
        shrunk = np.maximum(norms - step * self.l21, 0.0)
        scale = shrunk / np.maximum(norms, np.finfo(float).tiny)
        out = soft * scale[:, None]
        return out, self.value(out)

    def row_minimizer(self, a, h):
        r"""Minimiser of :math:`\frac12\sum_t h_t u_t^2 - a^\top u + \Omega(u)`.

        Exact: on the signs of ``a`` the L1 term is linear, so the minimiser
        is the L2,1 one at ``soft(a, l1)`` (zero where ``|a_t| <= l1``).
        """
        return self._group.row_minimizer(_soft(a, self.l1), h)

    def row_violations(self, W, G):
        """Distance of ``-G_j`` to the subdifferential of the penalty at ``W_j``."""
        norms = _row_norms(W)
        out = np.maximum(_row_norms(_soft(G, self.l1)) - self.l21, 0.0)
        nonzero = norms > 0
        if np.any(nonzero):
            Wn, Gn = W[nonzero], G[nonzero]
            shifted = Gn + self.l21 * Wn / norms[nonzero, None]
            dist = np.where(
                Wn != 0,
                np.abs(shifted + self.l1 * np.sign(Wn)),
                np.maximum(np.abs(shifted) - self.l1, 0.0),
            )
            out[nonzero] = _row_norms(dist)
        return out

    def dual_norm(self, V):
        if V.size == 0:
            return 0.0
        return max(l1_at_zero(v, self.l21) for v in V)

    def group_dual_norm(self, V):
        """The smallest ``l21`` (at this ``l1``) for which ``W = 0`` is optimal
        when ``-V`` is the gradient: the largest ``||soft(V_j, l1)||_2``."""
        return float(np.max(_row_norms(_soft(V, self.l1)))) if V.size else 0.0

    def conjugate(self, V, ridge):
        excess = np.maximum(_row_norms(_soft(V, self.l1)) - self.l21, 0.0)
        return float(np.sum(excess * excess)) / (2.0 * ridge)


def row_sparse_penalty(l21, l1):
    """The penalty object for ``l21 * L2,1 + l1 * L1`` (the simplest exact one)."""
    from ._l21 import L1, NoPenalty

    if l21 > 0 and l1 > 0:
        return SparseGroupL21(l21, l1)
    if l21 > 0:
        return L21(l21)
    if l1 > 0:
        return L1(l1)
    return NoPenalty()
