r"""Clustered-task / shared-subspace penalty (convex relaxations of cMTL and ASO).

.. math::

    \Omega(W) = c \min_{M:\; 0 \preceq M \preceq I,\; \mathrm{tr} M = k}
        \mathrm{tr}\big(W (\eta I + M)^{-1} W^\top\big),
    \qquad c = \alpha\,\eta\,(1 + \eta),

with ``M`` over the columns of ``W`` (tasks: clustered multi-task learning,
Zhou, Chen & Ye 2011) or, with ``tr(W^T (eta I + M)^{-1} W)``, over its rows
(features: convex alternating structure optimisation, Chen, Zhou & Ye 2009).
Both minima are the same function of the singular values
:math:`\sigma_i` of ``W``: the optimal ``M`` shares the singular vectors of
``W`` and its eigenvalues solve

.. math::

    \min_{\gamma} \sum_i \frac{\sigma_i^2}{\eta + \gamma_i}, \qquad
    0 \le \gamma_i \le 1, \quad \sum_i \gamma_i = k,

whose solution is :math:`\gamma_i = \mathrm{clip}(\theta\sigma_i - \eta, 0, 1)`
with :math:`\theta` set by the trace (:func:`capped_allocation`, exact). So
:math:`\Omega` is a spectral function, convex, with a gradient
:math:`2c\,W(\eta I + M)^{-1}` that is :math:`2c/\eta`-Lipschitz. Its prox
is the same allocation problem with :math:`\eta` replaced by
:math:`\eta + 2 c\,\mathrm{step}` (minimise over ``W`` first, in closed form,
then over :math:`\gamma`); its conjugate picks the ``k`` largest singular
values (:meth:`ClusterPenalty.conjugate`). The only role of the size of
``M`` is that ``k`` may not exceed it; the estimators check that.
"""

import numpy as np
from scipy import linalg


def capped_allocation(a, offset, k):
    r"""``g_i = clip(theta * a_i - offset, 0, 1)`` with ``sum g = k`` (``a >= 0``).

    ``sum_i g_i`` is piecewise linear and non-decreasing in ``theta``; the
    ``theta`` meeting ``k`` is found exactly from its breakpoints. When fewer
    than ``k`` entries of ``a`` are positive they get 1 and the rest of the
    trace is spread evenly over the others (any split is optimal, as their
    ``a_i`` is zero). Requires ``k <= a.size``.
    """
    a = np.asarray(a, dtype=float)
    m = a.size
    positive = a > 0
    r = int(positive.sum())
    g = np.zeros(m)
    if r <= k:
        g[positive] = 1.0
        if m > r:
            g[~positive] = (k - r) / (m - r)
        return g
    ap = a[positive]
    # events in theta: entering the linear part at offset / a, saturating at
    # (offset + 1) / a; g(theta) = slope * theta + const between events
    starts, ends = offset / ap, (offset + 1.0) / ap
    thetas = np.concatenate([starts, ends])
    d_slope = np.concatenate([ap, -ap])
    d_const = np.concatenate([np.full(r, -offset), np.full(r, offset + 1.0)])
    order = np.argsort(thetas, kind="stable")
    thetas = thetas[order]
    slope, const = np.cumsum(d_slope[order]), np.cumsum(d_const[order])
    at = slope * thetas + const  # sum g at each event, after it
    j = int(np.searchsorted(at, k - 1e-12 * max(k, 1)))  # first event reaching k
    j = min(j, thetas.size - 1)
    if j == 0 or slope[j - 1] <= 0:
        theta = thetas[j]
    else:
        theta = (k - const[j - 1]) / slope[j - 1]
    g[positive] = np.clip(theta * ap - offset, 0.0, 1.0)
    return g


def cluster_weights(s, eta, k):
    """Eigenvalues ``gamma`` of the optimal ``M`` for singular values ``s``."""
    return capped_allocation(np.abs(s), eta, k)


def _svd(W):
    # numpy's gesdd: the same LAPACK driver as scipy's default, without the
    # finiteness check and wrappers (10-20 us of a 20-40 us call on these
    # small matrices, called several times per certificate)
    return np.linalg.svd(W, full_matrices=False)


def _singular_values(W):
    return np.linalg.svd(W, compute_uv=False) if W.size else np.zeros(0)


class ClusterPenalty:
    r"""``c * min_M tr(W (eta I + M)^{-1} W^T)``, ``c = alpha * eta * (1 + eta)``.

    Parameters
    ----------
    alpha, eta : float
        ``alpha >= 0`` and ``eta > 0``.
    k : float
        Trace of ``M`` (the number of clusters or of shared components).
    """

    row_separable = False
    induces_sparsity = False
    class_centring_safe = True  # W^T W can only shrink
    #: finite conjugate: the dual point needs no rescaling
    conjugate_is_indicator = False

    def __init__(self, alpha, eta, k):
        self.alpha, self.eta, self.k = float(alpha), float(eta), float(k)
        self.scale = self.alpha * self.eta * (1.0 + self.eta)

    def _weights(self, s, eta=None):
        return cluster_weights(s, self.eta if eta is None else eta, self.k)

    def _spectral_value(self, s):
        if s.size == 0:
            return 0.0
        gamma = self._weights(s)
        return self.scale * float(np.sum(s * s / (self.eta + gamma)))

    def value(self, W):
        return self._spectral_value(_singular_values(W) if W.size else np.zeros(0))

    def prox(self, W, step):
        return self.prox_value(W, step)[0]

    def prox_value(self, W, step):
        if W.size == 0 or self.scale == 0:
            return W.copy(), self.value(W)
        U, s, Vt = _svd(W)
        a = step * self.scale
        gamma = self._weights(s, self.eta + 2.0 * a)
        e = self.eta + gamma
        s_new = s * e / (e + 2.0 * a)
        return (U * s_new) @ Vt, self._spectral_value(s_new)

    def gradient(self, W):
        """``2 c W (eta I + M)^{-1}`` at the optimal ``M`` (unique)."""
        if W.size == 0:
            return np.zeros_like(W)
        U, s, Vt = _svd(W)
        gamma = self._weights(s)
        return (U * (2.0 * self.scale * s / (self.eta + gamma))) @ Vt

    def violation(self, W, G):
        """``||G + grad Omega(W)||``: the penalty is differentiable."""
        return float(np.linalg.norm(G + self.gradient(W)))

    def dual_norm(self, V):
        return float(_singular_values(V)[0]) if V.size else 0.0

    def conjugate(self, V, ridge):
        r"""Conjugate of ``Omega + ridge/2 ||.||_F^2`` at ``V``.

        For singular values ``v`` of ``V`` it is
        :math:`\max_\gamma \sum_i v_i^2 (\eta+\gamma_i) / (4c + 2\rho(\eta+\gamma_i))`
        over the same constraint set as ``gamma``: the ``k`` largest ``v_i``
        when ``rho = 0``, an allocation of the same form otherwise.
        """
        v = _singular_values(V) if V.size else np.zeros(0)
        if self.scale == 0:
            return 0.0 if ridge == 0 else float(v @ v) / (2.0 * ridge)
        c, e = self.scale, self.eta
        k = min(self.k, v.size)
        if ridge == 0:
            top = np.sort(v * v)[::-1]
            whole = int(np.floor(k))
            part = k - whole
            best = float(top[:whole].sum())
            best += part * top[whole] if whole < top.size else 0.0
            return (e * float(v @ v) + best) / (4.0 * c)
        # gamma_i = clip(mu |v_i| / rho - (2c / rho + e), 0, 1)
        gamma = capped_allocation(v / ridge, 2.0 * c / ridge + e, k)
        f = e + gamma
        return float(np.sum(v * v * f / (4.0 * c + 2.0 * ridge * f)))


def optimal_structure(W, eta, k, side):
    """The optimal ``M``: over the columns (``side="columns"``) or the rows of ``W``.

    ``M = Q diag(gamma) Q^T`` with ``Q`` the right (columns) or left (rows)
    singular vectors of ``W``, completed to an orthonormal basis.
    """
    U, s, Vt = linalg.svd(W, full_matrices=True)
    Q = Vt.T if side == "columns" else U
    full = np.zeros(Q.shape[1])
    full[: s.size] = s
    gamma = cluster_weights(full, eta, k)
    return (Q * gamma) @ Q.T, Q, gamma
