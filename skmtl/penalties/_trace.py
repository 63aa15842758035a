"""Spectral penalties: trace (nuclear) norm and its square."""

import numpy as np
from scipy import linalg


def _svd(W):
    return linalg.svd(W, full_matrices=False, lapack_driver="gesdd")


def _rank(s):
    if s.size == 0 or s[0] <= 0:
        return 0
    return int(np.sum(s > 1e-10 * s[0]))


def _shrink_sum(v, a, r=1.0):
    r"""Solve :math:`\sigma_i = (v_i - a S)_+ / r` with :math:`S = \sum_i \sigma_i`.

    ``v`` is non-negative and sorted in decreasing order. This is the prox of
    :math:`\frac{a}{2}\lVert\sigma\rVert_1^2` (``r = 1``) and the maximiser in
    the conjugate of :math:`\frac{a}{2}\lVert\sigma\rVert_1^2 +
    \frac{r}{2}\lVert\sigma\rVert_2^2`.
    """
    if v.size == 0:
        return v.copy()
    k = np.arange(1, v.size + 1)
    sums = np.cumsum(v) / (r + k * a)  # S if the k largest are active
    active = v - a * sums > 0
    n_active = int(np.max(np.flatnonzero(active)) + 1) if np.any(active) else 0
    if n_active == 0:
        return np.zeros_like(v)
    return np.maximum(v - a * sums[n_active - 1], 0.0) / r


def nuclear_subdifferential_distance(W, A, radius):
    r"""Distance from ``A`` to :math:`\text{radius} \cdot \partial \lVert W\rVert_*`."""
    U, s, Vt = _svd(W)
    r = _rank(s)
    U, V = U[:, :r], Vt[:r].T
    UA = U.T @ A
    AV = A @ V
    UAV = UA @ V
    rest = A - U @ UA - AV @ V.T + U @ UAV @ V.T
    d2 = np.sum((UAV - radius * np.eye(r)) ** 2)
    d2 += np.sum((UA - UAV @ V.T) ** 2) + np.sum((AV - U @ UAV) ** 2)
    sigma = linalg.svdvals(rest) if rest.size else np.zeros(0)
    d2 += np.sum(np.maximum(sigma - radius, 0.0) ** 2)
    return float(np.sqrt(d2))


class TraceNorm:
    r"""Trace (nuclear) norm: :math:`\Omega(W) = \alpha \sum_k \sigma_k(W)`.

    Its minimisers have low rank: the tasks share a low-dimensional set of
    feature directions.
    """

    row_separable = False
    conjugate_is_indicator = True

    def __init__(self, alpha):
        self.alpha = float(alpha)

    def value(self, W):
        return self.alpha * float(np.sum(linalg.svdvals(W)))

    def prox(self, W, step):
        return self.prox_value(W, step)[0]

    def prox_value(self, W, step):
        U, s, Vt = _svd(W)
        s = np.maximum(s - step * self.alpha, 0.0)
        r = int(np.sum(s > 0))
        return (U[:, :r] * s[:r]) @ Vt[:r], self.alpha * float(np.sum(s))

    def violation(self, W, G):
        return nuclear_subdifferential_distance(W, -G, self.alpha)

    def dual_norm(self, V):
        return float(linalg.svdvals(V)[0]) if V.size else 0.0

    def conjugate(self, V, ridge):
        excess = np.maximum(linalg.svdvals(V) - self.alpha, 0.0)
        return float(np.sum(excess * excess)) / (2.0 * ridge)


class SquaredTraceNorm:
    r"""Half the squared trace norm, :math:`\frac{\alpha}{2}\lVert W\rVert_*^2`.

    It equals :math:`\frac{\alpha}{2}\min_{\Omega \succeq 0, \mathrm{tr}\,\Omega = 1}
    \mathrm{tr}(W \Omega^{-1} W^\top)`, attained at
    :math:`\Omega = (W^\top W)^{1/2} / \mathrm{tr}(W^\top W)^{1/2}`: the
    task-relationship penalty with the task covariance minimised out.
    """

    row_separable = False

    def __init__(self, alpha):
        self.alpha = float(alpha)

    def value(self, W):
        return 0.5 * self.alpha * float(np.sum(linalg.svdvals(W))) ** 2

    def prox(self, W, step):
        return self.prox_value(W, step)[0]

    def prox_value(self, W, step):
        U, s, Vt = _svd(W)
        s = _shrink_sum(s, step * self.alpha)
        r = int(np.sum(s > 0))
        W_new = (U[:, :r] * s[:r]) @ Vt[:r]
        return W_new, 0.5 * self.alpha * float(np.sum(s)) ** 2

    def violation(self, W, G):
        radius = self.alpha * float(np.sum(linalg.svdvals(W)))
        if radius == 0.0:
            return float(np.linalg.norm(G))
        return nuclear_subdifferential_distance(W, -G, radius)

    #: its conjugate is finite everywhere: a dual point needs no rescaling
    conjugate_is_indicator = False

    def dual_norm(self, V):
        return float(linalg.svdvals(V)[0]) if V.size else 0.0

    def conjugate(self, V, ridge):
        v = linalg.svdvals(V) if V.size else np.zeros(0)
        if ridge == 0.0:
            return float(v[0] ** 2) / (2.0 * self.alpha) if v.size else 0.0
        sigma = _shrink_sum(v, self.alpha, ridge)
        total = float(np.sum(sigma))
        return float(
            sigma @ v - 0.5 * self.alpha * total**2 - 0.5 * ridge * sigma @ sigma
        )
