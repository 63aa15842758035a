"""Spectral penalties: trace (nuclear) norm and its square."""

import numpy as np


def _svd(W):
    # numpy's gesdd: the same LAPACK driver as scipy's default, without the
    # finiteness check and wrappers (10-20 us of a 20-40 us call on these
    # small matrices, called several times per certificate)
    return np.linalg.svd(W, full_matrices=False)


def _singular_values(W):
    return np.linalg.svd(W, compute_uv=False) if W.size else np.zeros(0)


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
    sigma = _singular_values(rest) if rest.size else np.zeros(0)
    d2 += np.sum(np.maximum(sigma - radius, 0.0) ** 2)
    return float(np.sqrt(d2))


class TraceNorm:
    r"""Trace (nuclear) norm: :math:`\Omega(W) = \alpha \sum_k \sigma_k(W)`.

    Its minimisers have low rank: the tasks share a low-dimensional set of
    feature directions.
    """

    row_separable = False
    induces_sparsity = False
    class_centring_safe = True  # singular values shrink
    conjugate_is_indicator = True

    def __init__(self, alpha):
        self.alpha = float(alpha)

    def value(self, W):
        return self.alpha * float(np.sum(_singular_values(W)))

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
        return float(_singular_values(V)[0]) if V.size else 0.0

    def conjugate(self, V, ridge):
        excess = np.maximum(_singular_values(V) - self.alpha, 0.0)
        return float(np.sum(excess * excess)) / (2.0 * ridge)


class SquaredTraceNorm:
    r"""Half the squared trace norm, :math:`\frac{\alpha}{2}\lVert W\rVert_*^2`.

    It equals :math:`\frac{\alpha}{2}\min_{\Omega \succeq 0, \mathrm{tr}\,\Omega = 1}
    \mathrm{tr}(W \Omega^{-1} W^\top)`, attained at
    :math:`\Omega = (W^\top W)^{1/2} / \mathrm{tr}(W^\top W)^{1/2}`: the
    task-relationship penalty with the task covariance minimised out.
    """

    row_separable = False
    induces_sparsity = False
    class_centring_safe = True  # singular values shrink
    #: its conjugate is finite everywhere: a dual point needs no rescaling
    conjugate_is_indicator = False

    def __init__(self, alpha):
        self.alpha = float(alpha)

    def value(self, W):
        return 0.5 * self.alpha * float(np.sum(_singular_values(W))) ** 2

    def prox(self, W, step):
        return self.prox_value(W, step)[0]

    def prox_value(self, W, step):
        U, s, Vt = _svd(W)
        s = _shrink_sum(s, step * self.alpha)
        r = int(np.sum(s > 0))
        W_new = (U[:, :r] * s[:r]) @ Vt[:r]
        return W_new, 0.5 * self.alpha * float(np.sum(s)) ** 2

    def violation(self, W, G):
        radius = self.alpha * float(np.sum(_singular_values(W)))
        if radius == 0.0:
            return float(np.linalg.norm(G))
        return nuclear_subdifferential_distance(W, -G, radius)

    def dual_norm(self, V):
        return float(_singular_values(V)[0]) if V.size else 0.0

    def conjugate(self, V, ridge):
        v = _singular_values(V) if V.size else np.zeros(0)
        if ridge == 0.0:
            return float(v[0] ** 2) / (2.0 * self.alpha) if v.size else 0.0
        sigma = _shrink_sum(v, self.alpha, ridge)
        total = float(np.sum(sigma))
        return float(
            sigma @ v - 0.5 * self.alpha * total**2 - 0.5 * ridge * sigma @ sigma
        )


class TaskMatrixView:
    """A spectral penalty applied to the task matrix of a multiclass model.

    With ``K`` classes per task the coefficients ``W`` (d, T * K) hold one
    column per (task, class), task-major. The task-relationship penalty acts
    on the (d * K, T) matrix whose column ``t`` stacks all of task ``t``'s
    class weights, so that tasks (not classes) are related.
    """

    row_separable = False
    induces_sparsity = False

    def __init__(self, penalty, n_tasks, n_classes):
        self.penalty = penalty
        self.alpha = penalty.alpha
        self.conjugate_is_indicator = penalty.conjugate_is_indicator
        # centring a task's classes acts on the task matrix from the left
        self.class_centring_safe = penalty.class_centring_safe
        self.n_tasks, self.n_classes = n_tasks, n_classes

    def to_tasks(self, W):
        d = W.shape[0]
        K, T = self.n_classes, self.n_tasks
        return W.reshape(d, T, K).transpose(0, 2, 1).reshape(d * K, T)

    def from_tasks(self, V):
        K, T = self.n_classes, self.n_tasks
        d = V.shape[0] // K
        return V.reshape(d, K, T).transpose(0, 2, 1).reshape(d, T * K)

    def value(self, W):
        return self.penalty.value(self.to_tasks(W))

    def prox(self, W, step):
        return self.prox_value(W, step)[0]

    def prox_value(self, W, step):
        V, value = self.penalty.prox_value(self.to_tasks(W), step)
        return self.from_tasks(V), value

    def violation(self, W, G):
        return self.penalty.violation(self.to_tasks(W), self.to_tasks(G))

    def dual_norm(self, V):
        return self.penalty.dual_norm(self.to_tasks(V))

    def conjugate(self, V, ridge):
        return self.penalty.conjugate(self.to_tasks(V), ridge)
