"""Property-based tests (hypothesis) of every public linear estimator.

Nothing here imports skmtl's datafits, penalties or solvers: the objective of
each model (its docstring's formula), the gradient of the data term with the
per-task averaging and the weights, the prox / subdifferential of every
penalty and a plain accelerated proximal gradient solver are written again
below. The estimators are only fitted and read.

Objective (every model, from the docstrings)::

    sum_t sum_{i in O_t} w_it * loss(y_it, x_i W[:, C_t] + b[C_t])
        + ridge/2 ||W||_F^2 + 1/2 tr(W C W^T) + Omega(W)

with ``w_it = c_t s_it / sum_{i in O_t} s_it`` (``c`` the task weights,
``s`` the sample weights, normalised by their total within task ``t``), the
squared loss ``1/2 (y - z)^2`` or the logistic / multinomial loss, ``C`` the
graph / mean coupling and ``Omega`` the non-smooth penalty.

How to add a model: append a :class:`Model` to ``MODELS`` with the estimator,
a ``params`` function drawing its strengths (it receives the hypothesis
``draw`` and the drawn :class:`Data`), a ``penalty`` function returning the
non-smooth term as a :class:`Penalty` (value, prox and, when it has a closed
form, the distance to its subdifferential), a ``coupling`` function returning
the smooth ``T x T`` task coupling (or None), the names of the strengths that
multiply the penalty terms (``strengths``: divided by ``c`` when all task
weights are multiplied by ``c``) and the fitted ``T x T`` task matrices
(``task_matrices``). Every property then runs on it. A model with a smooth
structure penalty (clustered tasks, shared subspace) gives it as ``extra``
(value, gradient, Lipschitz constant); a decomposed model ``W = P + Q`` names
the attributes of its two parts (``blocks``) and is checked in the stacked
variable ``[P; Q]`` with the design ``[X, X]`` and a separable penalty, so
its KKT is that of each block given the other; ``task_order="reverse"``
marks a model whose penalty depends on the order of the tasks (fused).
"""

import itertools
import pickle
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.special import expit, logsumexp, softmax
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skmtl import (
    ClusteredClassifier,
    ClusteredRegressor,
    DirtyClassifier,
    DirtyRegressor,
    FusedTaskClassifier,
    FusedTaskRegressor,
    L21Classifier,
    L21Regressor,
    MeanRegularizedClassifier,
    MeanRegularizedRegressor,
    MultiTaskKernelRidge,
    RobustFeatureClassifier,
    RobustFeatureRegressor,
    RobustLowRankClassifier,
    RobustLowRankRegressor,
    SharedSubspaceClassifier,
    SharedSubspaceRegressor,
    SparseLowRankClassifier,
    SparseLowRankRegressor,
    TaskGraphClassifier,
    TaskGraphRegressor,
    TaskRelationClassifier,
    TaskRelationRegressor,
    TraceNormClassifier,
    TraceNormRegressor,
)

TOL = 1e-8  # the estimators' tol in the optimality test
TOL_INVARIANCE = 1e-6  # in the invariance tests (their bounds scale with it)
MAX_ITER = 20000
F32 = 2.0**-24  # unit roundoff of float32


# =============================================================================
# 1. The objective, written again from the docstrings
# =============================================================================
@dataclass
class Data:
    """One drawn problem: what is passed to ``fit`` and its float64 view."""

    kind: str  # "regression" or "classification"
    X_fit: object  # dense or sparse, float32 or float64
    Y_fit: object  # dense with NaN or scipy.sparse (stored = observed)
    X: np.ndarray  # float64 dense copy of X_fit's values
    mask: np.ndarray  # (n, T) observed entries
    values: np.ndarray  # regression targets / class codes (0 where missing)
    classes: list  # sorted labels per task (classification)
    sample_weight: object
    task_weights: object
    fit_intercept: bool

    @property
    def n_tasks(self):
        return self.mask.shape[1]

    @property
    def widths(self):
        if self.kind == "regression":
            return [1] * self.n_tasks
        return [1 if len(c) == 2 else len(c) for c in self.classes]

    @property
    def starts(self):
        return np.concatenate([[0], np.cumsum(self.widths)]).astype(int)

    def columns(self, t):
        return slice(int(self.starts[t]), int(self.starts[t + 1]))

    @property
    def n_columns(self):
        return int(self.starts[-1])

    def weights(self):
        """``c_t s_it / sum_{i in O_t} s_it`` on observed entries, else 0."""
        n, T = self.mask.shape
        s = np.ones((n, T))
        if self.sample_weight is not None:
            sw = np.asarray(self.sample_weight, float)
            s = np.broadcast_to(sw.reshape(n, -1), (n, T))
        c = np.ones(T) if self.task_weights is None else np.asarray(
            self.task_weights, float) * np.ones(T)
        raw = np.where(self.mask, s, 0.0)
        return raw * (c / raw.sum(axis=0))


def data_term(data, W, b):
    """Value of the data term and its gradients in ``W`` (d, m) and ``b`` (m,)."""
    omega = data.weights()
    Z = data.X @ W + b
    D = np.zeros_like(Z)  # derivative of the data term in Z
    value = 0.0
    for t in range(data.n_tasks):
        rows = data.mask[:, t]
        w, cols = omega[rows, t], data.columns(t)
        if data.kind == "regression":
            r = Z[rows, t] - data.values[rows, t]
            value += 0.5 * np.sum(w * r * r)
            D[rows, t] = w * r
        elif data.widths[t] == 1:
            z, y = Z[rows, cols.start], (data.values[rows, t] == 1).astype(float)
            value += np.sum(w * (np.logaddexp(0.0, z) - y * z))
            D[rows, cols.start] = w * (expit(z) - y)
        else:
            Zt, code = Z[rows][:, cols], data.values[rows, t].astype(int)
            picked = Zt[np.arange(code.size), code]
            value += np.sum(w * (logsumexp(Zt, axis=1) - picked))
            P = softmax(Zt, axis=1)
            P[np.arange(code.size), code] -= 1.0
            D[np.ix_(rows, np.arange(cols.start, cols.stop))] = w[:, None] * P
    gb = D.sum(axis=0) if data.fit_intercept else np.zeros(W.shape[1])
    return float(value), data.X.T @ D, gb


def lipschitz(data, terms):
    """Upper bound of the curvature of the smooth part in ``(W, b)``."""
    omega = data.weights()
    X1 = np.column_stack([data.X, np.ones(len(data.X))]) if data.fit_intercept \
        else data.X
    top = 0.0
    for t in range(data.n_tasks):
        curvature = 1.0 if data.kind == "regression" else (
            0.25 if data.widths[t] == 1 else 0.5)
        M = X1.T @ (omega[:, t, None] * X1)
        top = max(top, curvature * np.linalg.eigvalsh(M)[-1])
    C = terms.coupling
    coupling = np.linalg.eigvalsh(C)[-1] if C is not None and C.size else 0.0
    extra = 0.0 if terms.extra is None else terms.extra.lipschitz
    return top + terms.ridge + max(coupling, 0.0) + extra


@dataclass
class Terms:
    """Regularisation of one fit: ridge, column coupling ``C`` and penalty."""

    ridge: float
    coupling: object  # (m, m) or None
    penalty: object  # Penalty
    extra: object = None  # a smooth penalty (value, gradient, lipschitz) or None

    def smooth(self, data, W, b):
        value, GW, gb = data_term(data, W, b)
        value += 0.5 * self.ridge * np.sum(W * W)
        GW = GW + self.ridge * W
        if self.coupling is not None:
            value += 0.5 * np.sum(W * (W @ self.coupling))
            GW = GW + W @ self.coupling
        if self.extra is not None:
            value += self.extra.value(W)
            GW = GW + self.extra.gradient(W)
        return value, GW, gb

    def objective(self, data, W, b):
        return self.smooth(data, W, b)[0] + self.penalty.value(W)


# -- non-smooth penalties -------------------------------------------------------
class Penalty:
    """``value``, ``prox(V, step)`` and (if closed form) ``distance(W, G)``:
    the distance from ``-G`` to the subdifferential at ``W``."""

    distance = None
    rank_sensitive = False

    def __init__(self, alpha):
        self.alpha = float(alpha)


class NoPenalty(Penalty):
    def __init__(self):
        super().__init__(0.0)

    def value(self, W):
        return 0.0

    def prox(self, V, step):
        return V

    def distance(self, W, G):
        return float(np.linalg.norm(G))


class GroupL21(Penalty):
    """``alpha sum_j ||W_j,:||_2`` over rows (features), all columns."""

    def value(self, W):
        return self.alpha * float(np.sum(np.linalg.norm(W, axis=1)))

    def prox(self, V, step):
        norms = np.linalg.norm(V, axis=1, keepdims=True)
        return V * np.maximum(1.0 - step * self.alpha / np.maximum(norms, 1e-300), 0)

    def distance(self, W, G):
        norms = np.linalg.norm(W, axis=1)
        d = np.maximum(np.linalg.norm(G, axis=1) - self.alpha, 0.0)
        nz = norms > 0
        d[nz] = np.linalg.norm(G[nz] + self.alpha * W[nz] / norms[nz, None], axis=1)
        return float(np.linalg.norm(d))


class Lasso(Penalty):
    """``alpha sum_jt |W_jt|``."""

    def value(self, W):
        return self.alpha * float(np.abs(W).sum())

    def prox(self, V, step):
        return np.sign(V) * np.maximum(np.abs(V) - step * self.alpha, 0.0)

    def distance(self, W, G):
        d = np.where(W != 0, G + self.alpha * np.sign(W),
                     np.maximum(np.abs(G) - self.alpha, 0.0))
        return float(np.linalg.norm(d))


def _svd(V):
    return np.linalg.svd(V, full_matrices=False)


def nuclear_distance(W, A, radius):
    """Distance from ``A`` to ``radius`` times the subdifferential of the trace
    norm at ``W``: ``{U V^T + M : U^T M = 0, M V = 0, ||M||_2 <= 1}`` with
    ``U, V`` the singular vectors of the singular values above ``1e-10``
    times the largest (the rank rule of the docstrings)."""
    U, s, Vt = _svd(W)
    r = int(np.sum(s > 1e-10 * s[0])) if s.size and s[0] > 0 else 0
    U, V = U[:, :r], Vt[:r].T
    PU, PV = np.eye(W.shape[0]) - U @ U.T, np.eye(W.shape[1]) - V @ V.T
    rest = PU @ A @ PV  # the part that may lie in the ball of M
    d2 = np.sum((A - rest - radius * U @ V.T) ** 2)
    d2 += np.sum(np.maximum(np.linalg.svd(rest, compute_uv=False) - radius, 0) ** 2)
    return float(np.sqrt(d2))


class Nuclear(Penalty):
    """``alpha sum_k sigma_k(W)``."""

    rank_sensitive = True  # its distance depends on a rank decision

    def distance(self, W, G):
        return nuclear_distance(W, -G, self.alpha)

    def value(self, W):
        return self.alpha * float(np.linalg.svd(W, compute_uv=False).sum())

    def prox(self, V, step):
        U, s, Vt = _svd(V)
        return (U * np.maximum(s - step * self.alpha, 0.0)) @ Vt


class HalfSquaredNuclear(Penalty):
    """``alpha/2 (sum_k sigma_k(V))^2`` of the task matrix ``V`` (d*K, T) whose
    column ``t`` stacks task ``t``'s class weights: ``V[j*K + k, t] =
    W[j, t*K + k]``."""

    rank_sensitive = True

    def __init__(self, alpha, n_tasks, n_classes):
        super().__init__(alpha)
        self.T, self.K = n_tasks, n_classes

    def distance(self, W, G):
        V = self.to_tasks(W)
        radius = self.alpha * float(np.linalg.svd(V, compute_uv=False).sum())
        if radius == 0:
            return float(np.linalg.norm(G))
        return nuclear_distance(V, -self.to_tasks(G), radius)

    def to_tasks(self, W):
        d = W.shape[0]
        return W.reshape(d, self.T, self.K).transpose(0, 2, 1).reshape(-1, self.T)

    def from_tasks(self, V):
        d = V.shape[0] // self.K
        return V.reshape(d, self.K, self.T).transpose(0, 2, 1).reshape(d, -1)

    def value(self, W):
        s = np.linalg.svd(self.to_tasks(W), compute_uv=False)
        return 0.5 * self.alpha * float(s.sum()) ** 2

    def prox(self, V, step):
        # min_sigma 1/2 ||sigma - s||^2 + a/2 (sum sigma)^2: sigma = (s - a S)_+,
        # S = sum of the k largest s / (1 + k a) for the largest consistent k
        U, s, Vt = _svd(self.to_tasks(V))
        a = step * self.alpha
        sigma = np.zeros_like(s)
        for k in range(len(s), 0, -1):
            S = s[:k].sum() / (1.0 + k * a)
            if s[k - 1] - a * S > 0:
                sigma[:k] = s[:k] - a * S
                break
        return self.from_tasks((U * sigma) @ Vt)


def to_tasks(W, n_tasks, n_classes):
    """The task matrix (d*K, T): column ``t`` stacks task ``t``'s class weights."""
    d = W.shape[0]
    return W.reshape(d, n_tasks, n_classes).transpose(0, 2, 1).reshape(-1, n_tasks)


def from_tasks(V, n_tasks, n_classes):
    d = V.shape[0] // n_classes
    return V.reshape(d, n_classes, n_tasks).transpose(0, 2, 1).reshape(d, -1)


class SparseGroup(Penalty):
    """``l1 sum_jt |W_jt| + alpha sum_j ||W_j,:||_2``; prox: group shrinkage of
    the soft threshold (exact for this sum)."""

    def __init__(self, l1, alpha):
        super().__init__(alpha)
        self.lasso, self.group = Lasso(l1), GroupL21(alpha)

    def value(self, W):
        return self.lasso.value(W) + self.group.value(W)

    def prox(self, V, step):
        return self.group.prox(self.lasso.prox(V, step), step)

    def distance(self, W, G):
        l1, a = self.lasso.alpha, self.alpha
        norms = np.linalg.norm(W, axis=1)
        nz = norms > 0
        # rows at zero: distance from -G_j to l1 * box + a * ball
        d = np.maximum(np.linalg.norm(np.sign(G) * np.maximum(
            np.abs(G) - l1, 0), axis=1) - a, 0.0)
        R = G[nz] + a * W[nz] / norms[nz, None]  # the group part is fixed
        R = np.where(W[nz] != 0, R + l1 * np.sign(W[nz]),
                     np.maximum(np.abs(R) - l1, 0.0))
        d[nz] = np.linalg.norm(R, axis=1)
        return float(np.linalg.norm(d))


def tv_prox(V, lam):
    """Prox of ``lam sum_t |V[:, t+1] - V[:, t]|`` row by row, exactly: the dual
    ``min_{|u| <= lam} 1/2 ||v - D^T u||^2`` solved on every active set."""
    n, T = V.shape
    if T == 1 or lam == 0:
        return V.copy()
    D = np.diff(np.eye(T), axis=0)  # (D x)_t = x_{t+1} - x_t
    DDt = D @ D.T
    best, U = np.full(n, np.inf), np.zeros((n, T - 1))
    for pattern in itertools.product((-1.0, 0.0, 1.0), repeat=T - 1):
        p = np.array(pattern)
        F = p == 0  # free duals; the others at -lam or +lam
        u = np.tile(lam * p, (n, 1))
        if F.any():
            rhs = (V - u @ D) @ D[F].T
            u[:, F] = np.linalg.solve(DDt[np.ix_(F, F)], rhs.T).T
        g = -(V - u @ D) @ D.T  # gradient of the dual
        violation = np.maximum(np.abs(u[:, F]) - lam, 0).sum(1) + np.maximum(
            p[~F] * g[:, ~F], 0).sum(1)
        better = violation < best
        best[better], U[better] = violation[better], u[better]
    return V - U @ D


class FusedGroup(Penalty):
    """``sum_j alpha ||V_j||_2 + l1 ||V_j||_1 + fused sum_t |V_j,t+1 - V_jt|``
    over the rows of the task matrix ``V``; prox: group shrinkage of the soft
    threshold of the total-variation prox (exact: Zhou et al. 2012)."""

    def __init__(self, alpha, l1, fused, n_tasks, n_classes):
        super().__init__(alpha)
        self.sparse_group = SparseGroup(l1, alpha)
        self.fused, self.T, self.K = float(fused), n_tasks, n_classes

    def value(self, W):
        V = to_tasks(W, self.T, self.K)
        tv = self.fused * float(np.abs(np.diff(V, axis=1)).sum())
        return self.sparse_group.value(V) + tv

    def prox(self, W, step):
        V = tv_prox(to_tasks(W, self.T, self.K), step * self.fused)
        return from_tasks(self.sparse_group.prox(V, step), self.T, self.K)


def project_l1_rows(V, radius):
    """Euclidean projection of each row on the L1 ball (sort-based)."""
    if radius <= 0:
        return np.zeros_like(V)
    A = np.abs(V)
    S = -np.sort(-A, axis=1)
    excess = np.cumsum(S, axis=1) - radius
    rho = np.maximum(np.sum(S - excess / np.arange(1, V.shape[1] + 1) > 0, axis=1), 1)
    theta = excess[np.arange(len(V)), rho - 1] / rho
    P = np.sign(V) * np.maximum(A - theta[:, None], 0.0)
    inside = A.sum(axis=1) <= radius
    P[inside] = V[inside]
    return P


class RowMax(Penalty):
    """``alpha sum_j max_t |W_jt|``; prox by Moreau: ``V - proj_{L1 ball}``."""

    def value(self, W):
        return self.alpha * float(np.abs(W).max(axis=1).sum()) if W.size else 0.0

    def prox(self, V, step):
        return V - project_l1_rows(V, step * self.alpha)


class TaskGroups(Penalty):
    """``alpha sum_t ||W[:, C_t]||_F`` (each task's columns as a group)."""

    def __init__(self, alpha, starts):
        super().__init__(alpha)
        self.groups = [slice(int(a), int(b)) for a, b in itertools.pairwise(starts)]

    def value(self, W):
        return self.alpha * sum(float(np.linalg.norm(W[:, g])) for g in self.groups)

    def prox(self, V, step):
        out = V.copy()
        for g in self.groups:
            norm = np.linalg.norm(V[:, g])
            out[:, g] *= max(1.0 - step * self.alpha / max(norm, 1e-300), 0.0)
        return out

    def distance(self, W, G):
        d2 = 0.0
        for g in self.groups:
            norm = np.linalg.norm(W[:, g])
            if norm > 0:
                d2 += np.sum((G[:, g] + self.alpha * W[:, g] / norm) ** 2)
            else:
                d2 += max(np.linalg.norm(G[:, g]) - self.alpha, 0.0) ** 2
        return float(np.sqrt(d2))


class Blocks(Penalty):
    """``top(P) + bottom(Q)`` of the stacked variable ``[P; Q]`` (2d, m): the
    decomposed models ``W = P + Q``, whose data term sees ``[X, X] [P; Q]``.
    The distance (when both parts have one) is the KKT of each block given
    the other, the two put together."""

    def __init__(self, top, bottom):
        super().__init__(0.0)
        self.top, self.bottom = top, bottom
        self.rank_sensitive = top.rank_sensitive or bottom.rank_sensitive
        if top.distance is None or bottom.distance is None:
            self.distance = None

    def _split(self, W):
        d = W.shape[0] // 2
        return W[:d], W[d:]

    def value(self, W):
        P, Q = self._split(W)
        return self.top.value(P) + self.bottom.value(Q)

    def prox(self, V, step):
        P, Q = self._split(V)
        return np.vstack([self.top.prox(P, step), self.bottom.prox(Q, step)])

    def distance(self, W, G):
        (P, Q), (GP, GQ) = self._split(W), self._split(G)
        return float(np.hypot(self.top.distance(P, GP), self.bottom.distance(Q, GQ)))


def capped_weights(s, eta, k):
    """``g_i = clip(theta s_i - eta, 0, 1)`` with ``sum g = k``, exactly: with
    ``s`` sorted, the first ``a`` at one and the next ``f`` strictly between, so
    ``theta = (k - a + f eta) / sum(free s)``; the split consistent with that
    ``theta`` is the answer (all ones on the positive ``s`` when at most ``k``)."""
    positive = s > 0
    if positive.sum() <= k:
        return positive.astype(float)
    order = np.argsort(-s, kind="stable")
    x = s[order]
    for a, end in itertools.product(range(x.size + 1), repeat=2):
        free = x[a:end]
        if end <= a or free.sum() <= 0:
            continue
        theta = (k - a + free.size * eta) / free.sum()
        g = theta * x - eta
        if (np.all(g[:a] >= 1 - 1e-12) and np.all(g[end:] <= 1e-12)
                and np.all((g[a:end] > -1e-12) & (g[a:end] < 1 + 1e-12))):
            out = np.empty_like(s)
            out[order] = np.clip(g, 0.0, 1.0)
            return out
    raise AssertionError(f"no allocation for s={s}, eta={eta}, k={k}")


class Structure:
    """``c min_{0 <= M <= I, tr M = k} tr(V (eta I + M)^{-1} V^T)``,
    ``c = alpha eta (1 + eta)``, of ``V`` = W (shared subspace: ``M`` over
    the rows) or the task matrix (clustered tasks: ``M`` over its columns);
    the same spectral function of the singular values ``s`` of ``V``:
    ``c sum s_i^2 / (eta + g_i)`` at the optimal eigenvalues ``g`` of ``M``,
    with gradient ``2 c U diag(s / (eta + g)) V^T`` (Danskin)."""

    def __init__(self, alpha, eta, k, n_tasks=None, n_classes=1):
        self.c, self.eta, self.k = alpha * eta * (1 + eta), eta, k
        self.T, self.K = n_tasks, n_classes
        self.lipschitz = 2 * self.c / eta

    def _view(self, W):
        return W if self.T is None or self.K == 1 else to_tasks(W, self.T, self.K)

    def _back(self, V):
        return V if self.T is None or self.K == 1 else from_tasks(V, self.T, self.K)

    def value(self, W):
        s = np.linalg.svd(self._view(W), compute_uv=False)
        g = capped_weights(s, self.eta, self.k)
        return self.c * float(np.sum(s * s / (self.eta + g)))

    def gradient(self, W):
        U, s, Vt = _svd(self._view(W))
        g = capped_weights(s, self.eta, self.k)
        return self._back((U * (2 * self.c * s / (self.eta + g))) @ Vt)


def gradient_mapping(terms, data, W, b, step):
    """``||(W, b) - prox(W - step G, b - step g)|| / step``: zero exactly at a
    minimiser, and at most the distance from 0 to the subdifferential."""
    _, GW, gb = terms.smooth(data, W, b)
    W_new = terms.penalty.prox(W - step * GW, step)
    return float(np.sqrt(np.sum((W - W_new) ** 2) / step**2 + np.sum(gb**2))), GW, gb


# -- the intercepts that minimise the objective for fixed W --------------------
def best_intercept(data, W):
    """Exact weighted means (squared loss) or Newton's method per task."""
    m = W.shape[1]
    if not data.fit_intercept:
        return np.zeros(m)
    omega, XW = data.weights(), data.X @ W
    b = np.zeros(m)
    for t in range(data.n_tasks):
        rows, cols = data.mask[:, t], data.columns(t)
        w = omega[rows, t]
        if data.kind == "regression":
            b[t] = np.sum(w * (data.values[rows, t] - XW[rows, t])) / w.sum()
            continue
        Zt, code = XW[rows][:, cols], data.values[rows, t].astype(int)
        Y1 = np.eye(max(data.widths[t], 2))[code]
        if data.widths[t] == 1:
            Y1 = Y1[:, 1:]
        b[cols] = _newton_intercept(Zt, Y1, w)
    return b


def _task_loss(Zt, Y1, w, c):
    Z = Zt + c
    if Z.shape[1] == 1:
        z, y = Z[:, 0], Y1[:, 0]
        p = expit(z)[:, None]
        return np.sum(w * (np.logaddexp(0, z) - y * z)), w[:, None] * (p - Y1), p
    P = softmax(Z, axis=1)
    return np.sum(w * (logsumexp(Z, axis=1) - np.sum(Y1 * Z, 1))), \
        w[:, None] * (P - Y1), P


def _newton_intercept(Zt, Y1, w):
    c = np.zeros(Zt.shape[1])
    value, D, P = _task_loss(Zt, Y1, w, c)
    for _ in range(100):
        g = D.sum(0)
        if np.linalg.norm(g) <= 1e-15 * w.sum():
            break
        H = (w[:, None, None] * (P[:, :, None] * np.eye(P.shape[1])
                                 - P[:, :, None] * P[:, None, :])).sum(0)
        step = np.linalg.lstsq(H + 1e-300 * np.eye(len(c)), g, rcond=None)[0]
        for _ in range(60):  # backtracking on the true loss
            new = _task_loss(Zt, Y1, w, c - step)
            if new[0] <= value:
                break
            step = step / 2
        else:  # no decrease at all: optimal to rounding
            break
        c = c - step
        if np.abs(step).max() <= 1e-15 * (1.0 + np.abs(c).max()):
            value, D, P = new
            break
        value, D, P = new
    return c


# -- the strength that makes W = 0, written from the dual norms -----------------
def null_gradient(data):
    """Gradient in W at W = 0 with the best intercepts, and the gradient norm
    including the intercepts (the scale of the KKT criterion)."""
    W0 = np.zeros((data.X.shape[1], data.n_columns))
    b0 = best_intercept(data, W0)
    value, G0, _ = data_term(data, W0, b0)
    return G0, value


def alpha_max(data, which):
    G0, _ = null_gradient(data)
    if which == "l21":
        return float(np.linalg.norm(G0, axis=1).max())
    if which == "trace":
        return float(np.linalg.norm(G0, 2))
    if which == "linf":  # dual of sum_j max_t: the largest row L1 norm
        return float(np.abs(G0).sum(axis=1).max())
    if which == "groups":  # dual of sum_t ||W[:, C_t]||_F
        return max(float(np.linalg.norm(G0[:, data.columns(t)]))
                   for t in range(data.n_tasks))
    return float(np.abs(G0).max())  # l1


# -- a plain reference solver ---------------------------------------------------
def reference_solve(data, terms, n_iter=3000):
    """FISTA with adaptive restart on ``(W, b)`` from zero, step ``1/L``."""
    d, m = data.X.shape[1], data.n_columns
    step = 1.0 / lipschitz(data, terms)
    W, b = np.zeros((d, m)), np.zeros(m)
    VW, vb, t = W.copy(), b.copy(), 1.0
    for k in range(n_iter):
        _, GW, gb = terms.smooth(data, VW, vb)
        W_new = terms.penalty.prox(VW - step * GW, step)
        b_new = vb - step * gb
        if np.sum((VW - W_new) * (W_new - W)) + np.sum((vb - b_new) * (b_new - b)) > 0:
            t = 1.0  # adaptive restart (O'Donoghue & Candes)
        t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        beta = (t - 1) / t_new
        VW, vb = W_new + beta * (W_new - W), b_new + beta * (b_new - b)
        W, b, t = W_new, b_new, t_new
        if k % 50 == 49:
            gm = gradient_mapping(terms, data, W, b, step)[0]
            if gm <= 1e-10 * (1.0 + np.linalg.norm(W)):
                break
    return W, b


# =============================================================================
# 2. The models
# =============================================================================
def _laplacian(A):
    A = 0.5 * (A + A.T)
    np.fill_diagonal(A, 0.0)
    return np.diag(A.sum(1)) - A


def _mean_laplacian(T):
    return np.eye(T) - np.full((T, T), 1.0 / T)


@dataclass(frozen=True)
class Model:
    """One row of the table: estimator, strengths, penalty formula."""

    name: str
    estimator: type
    params: object  # (draw, data) -> constructor parameters (strengths)
    penalty: object  # (params, data) -> Penalty
    coupling: object = None  # (params, data) -> (T, T) task coupling or None
    strengths: tuple = ("alpha", "ridge")
    task_matrices: tuple = ()
    same_classes: bool = False  # the model compares tasks class by class
    ridge_needed: bool = False  # classifier unbounded below without a ridge
    extra: object = None  # (params, data) -> smooth penalty (Structure) or None
    blocks: tuple = ()  # W = P + Q: the attributes holding P and Q
    task_labels: tuple = ()  # fitted labels of the tasks (up to renaming)
    feature_matrices: tuple = ()  # fitted (d, d) matrices, task-order free
    task_order: str = "any"  # "reverse": only reversing the tasks is a symmetry
    fixed: tuple = ()  # constructor parameters that are not drawn
    iterative: bool = True  # takes tol / max_iter
    small: bool = False  # slow to fit: at most 3 tasks, 4 features, 24 rows

    @property
    def kind(self):
        return "classification" if "Classifier" in self.estimator.__name__ \
            else "regression"

    def terms(self, params, data):
        C = None
        if self.coupling is not None:
            task_coupling = self.coupling(params, data)
            K = data.widths[0]
            C = np.kron(task_coupling, np.eye(K))
        extra = None if self.extra is None else self.extra(params, data)
        return Terms(params.get("ridge", 0.0), C, self.penalty(params, data), extra)

    def view(self, data):
        """The problem in the variable of the objective: ``[P; Q]`` with the
        design ``[X, X]`` for the decomposed models, else ``data`` itself."""
        return replace(data, X=np.hstack([data.X, data.X])) if self.blocks else data

    def solution(self, est):
        """``(W, b)`` as (n_variables, n_columns) float64 (``[P; Q]`` stacked;
        ``X_fit_^T dual_coef_`` for the linear kernel)."""
        if self.blocks:
            W = np.vstack([np.atleast_2d(getattr(est, name)).T for name in self.blocks])
        elif hasattr(est, "dual_coef_"):
            X = est.X_fit_
            X = X.toarray() if sparse.issparse(X) else np.asarray(X)
            W = X.astype(np.float64).T @ np.asarray(est.dual_coef_, np.float64)
            W = W.reshape(X.shape[1], -1)
        else:
            W = np.atleast_2d(est.coef_).T
        return W.astype(np.float64), np.atleast_1d(est.intercept_).astype(np.float64)

    def __repr__(self):
        return self.name


RIDGES = st.sampled_from([0.0, 0.0, 0.01, 0.1])


def _ratio_params(which, ridge=RIDGES):
    def params(draw, data):
        ratio = draw(st.sampled_from([0.05, 0.2, 0.6]))
        return {"alpha": ratio * alpha_max(data, which), "ridge": draw(ridge)}
    return params


def _mean_params(draw, data):
    return {"alpha": draw(st.sampled_from([0.1, 1.0, 10.0])), "ridge": draw(RIDGES)}


def _graph(draw, T):
    choice = draw(st.sampled_from(["none", "dense", "sparse"]))
    if choice == "none":
        return None
    seed = draw(st.integers(0, 2**16))
    A = np.random.default_rng(seed).uniform(0, 1, (T, T))
    A = np.triu(A * (A > 0.3), 1)
    A = A + A.T
    return sparse.csr_matrix(A) if choice == "sparse" else A


def _graph_params(l1):
    def params(draw, data):
        out = {"graph": _graph(draw, data.n_tasks),
               "alpha": draw(st.sampled_from([0.1, 1.0])),
               "ridge": draw(RIDGES), "l1": 0.0}
        if l1:
            out["l1"] = draw(st.sampled_from([0.05, 0.3])) * alpha_max(data, "l1")
        return out
    return params


def _graph_coupling(params, data):
    g = params["graph"]
    T = data.n_tasks
    L = _mean_laplacian(T) if g is None else _laplacian(
        g.toarray() if sparse.issparse(g) else np.array(g, float))
    return params["alpha"] * L


def _relation_params(draw, data):
    return {"alpha": draw(st.sampled_from([0.01, 0.1, 1.0])), "ridge": draw(RIDGES)}


def _relation_penalty(params, data):
    if params["alpha"] == 0:
        return NoPenalty()
    K = data.widths[0]
    return HalfSquaredNuclear(params["alpha"], data.n_tasks, K)


_L21 = dict(params=_ratio_params("l21"),
            penalty=lambda p, d: GroupL21(p["alpha"]))
_TRACE = dict(params=_ratio_params("trace"),
              penalty=lambda p, d: Nuclear(p["alpha"]))
_MEAN = dict(params=_mean_params, penalty=lambda p, d: NoPenalty(),
             coupling=lambda p, d: p["alpha"] * _mean_laplacian(d.n_tasks))
_GRAPH_PENALTY = {"penalty": lambda p, d: Lasso(p["l1"]) if p["l1"] else NoPenalty(),
                  "coupling": _graph_coupling,
                  "strengths": ("alpha", "ridge", "l1")}
_RELATION = dict(params=_relation_params, penalty=_relation_penalty,
                 task_matrices=("task_covariance_", "task_correlation_"))

MODELS = [
    Model("L21Regressor", L21Regressor, **_L21),
    Model("L21Classifier", L21Classifier, **_L21),
    Model("TraceNormRegressor", TraceNormRegressor, **_TRACE),
    Model("TraceNormClassifier", TraceNormClassifier, **_TRACE),
    Model("MeanRegularizedRegressor", MeanRegularizedRegressor, **_MEAN),
    Model("MeanRegularizedClassifier", MeanRegularizedClassifier, **_MEAN,
          same_classes=True, ridge_needed=True),
    Model("TaskGraphRegressor", TaskGraphRegressor, params=_graph_params(False),
          **_GRAPH_PENALTY),
    Model("TaskGraphRegressor-l1", TaskGraphRegressor, params=_graph_params(True),
          **_GRAPH_PENALTY),
    Model("TaskGraphClassifier", TaskGraphClassifier, params=_graph_params(False),
          **_GRAPH_PENALTY, same_classes=True, ridge_needed=True),
    Model("TaskGraphClassifier-l1", TaskGraphClassifier, params=_graph_params(True),
          **_GRAPH_PENALTY, same_classes=True),
    Model("TaskRelationRegressor", TaskRelationRegressor, **_RELATION),
    Model("TaskRelationClassifier", TaskRelationClassifier, **_RELATION,
          same_classes=True),
]


# -- the models of issue 9 ------------------------------------------------------
RATIOS = st.sampled_from([0.05, 0.2, 0.6])


def _pair_params(first, second, names):
    """Two strengths, each a drawn fraction of its own ``alpha_max``."""
    def params(draw, data):
        return {names[0]: draw(RATIOS) * alpha_max(data, first),
                names[1]: draw(RATIOS) * alpha_max(data, second),
                "ridge": draw(RIDGES)}
    return params


def _blocks(top, bottom):
    return lambda p, d: Blocks(top(p, d), bottom(p, d))


_DIRTY = dict(params=_pair_params("linf", "l1", ("alpha", "l1")),
              penalty=_blocks(lambda p, d: RowMax(p["alpha"]),
                              lambda p, d: Lasso(p["l1"])),
              blocks=("shared_coef_", "specific_coef_"),
              strengths=("alpha", "l1", "ridge"))
_ROBUST_FEATURE = dict(params=_pair_params("l21", "groups", ("alpha", "beta")),
                       penalty=_blocks(lambda p, d: GroupL21(p["alpha"]),
                                       lambda p, d: TaskGroups(p["beta"], d.starts)),
                       blocks=("shared_coef_", "outlier_coef_"),
                       strengths=("alpha", "beta", "ridge"))
_ROBUST_LOW_RANK = dict(params=_pair_params("trace", "groups", ("alpha", "beta")),
                        penalty=_blocks(lambda p, d: Nuclear(p["alpha"]),
                                        lambda p, d: TaskGroups(p["beta"], d.starts)),
                        blocks=("low_rank_coef_", "outlier_coef_"),
                        strengths=("alpha", "beta", "ridge"))
_SPARSE_LOW_RANK = dict(params=_pair_params("trace", "l1", ("alpha", "l1")),
                        penalty=_blocks(lambda p, d: Nuclear(p["alpha"]),
                                        lambda p, d: Lasso(p["l1"])),
                        blocks=("low_rank_coef_", "sparse_coef_"),
                        strengths=("alpha", "l1", "ridge"))


def _fused_params(draw, data):
    return {"alpha": draw(RATIOS) * alpha_max(data, "l21"),
            "l1": draw(st.sampled_from([0.0, 0.1])) * alpha_max(data, "l1"),
            "fused": draw(st.sampled_from([0.02, 0.2])) * alpha_max(data, "l1"),
            "ridge": draw(RIDGES)}


_FUSED = dict(params=_fused_params, task_order="reverse",
              penalty=lambda p, d: FusedGroup(p["alpha"], p["l1"], p["fused"],
                                              d.n_tasks, d.widths[0]),
              strengths=("alpha", "l1", "fused", "ridge"), same_classes=True)


def _graph_l21_params(draw, data):
    out = _graph_params(False)(draw, data)
    out["l21"] = draw(RATIOS) * alpha_max(data, "l21")
    out["l1"] = draw(st.sampled_from([0.0, 0.1])) * alpha_max(data, "l1")
    return out


_GRAPH_L21 = dict(params=_graph_l21_params, coupling=_graph_coupling,
                  penalty=lambda p, d: SparseGroup(p["l1"], p["l21"]),
                  strengths=("alpha", "ridge", "l1", "l21"))


def _structure_params(count):
    def params(draw, data):
        top = data.n_tasks if count == "n_clusters" else data.X.shape[1]
        return {"alpha": draw(st.sampled_from([0.03, 0.3, 3.0])),
                "eta": draw(st.sampled_from([0.1, 1.0])),
                count: draw(st.integers(1, top)), "ridge": draw(RIDGES)}
    return params


_CLUSTERED = dict(params=_structure_params("n_clusters"),
                  penalty=lambda p, d: NoPenalty(),
                  extra=lambda p, d: Structure(p["alpha"], p["eta"], p["n_clusters"],
                                               d.n_tasks, d.widths[0]),
                  task_matrices=("task_similarity_",), task_labels=("task_clusters_",),
                  same_classes=True)
_SUBSPACE = dict(params=_structure_params("n_components"),
                 penalty=lambda p, d: NoPenalty(),
                 extra=lambda p, d: Structure(p["alpha"], p["eta"], p["n_components"]),
                 feature_matrices=("feature_similarity_",))


def _kernel_params(draw, data):
    return {"graph": _graph(draw, data.n_tasks),
            "alpha": draw(st.sampled_from([0.1, 1.0])),
            "ridge": draw(st.sampled_from([0.01, 0.1]))}


_KERNEL = dict(params=_kernel_params, penalty=lambda p, d: NoPenalty(),
               coupling=_graph_coupling, fixed=(("kernel", "linear"),),
               iterative=False)

_SLOW = dict(small=True)  # multinomial tasks take many proximal Newton steps

MODELS += [
    Model("TaskGraphRegressor-l21", TaskGraphRegressor, **_GRAPH_L21),
    Model("TaskGraphClassifier-l21", TaskGraphClassifier, **_GRAPH_L21,
          same_classes=True),
    Model("FusedTaskRegressor", FusedTaskRegressor, **_FUSED),
    Model("FusedTaskClassifier", FusedTaskClassifier, **_FUSED, **_SLOW),
    Model("ClusteredRegressor", ClusteredRegressor, **_CLUSTERED),
    Model("ClusteredClassifier", ClusteredClassifier, **_CLUSTERED),
    Model("SharedSubspaceRegressor", SharedSubspaceRegressor, **_SUBSPACE),
    Model("SharedSubspaceClassifier", SharedSubspaceClassifier, **_SUBSPACE, **_SLOW),
    Model("MultiTaskKernelRidge", MultiTaskKernelRidge, **_KERNEL),
    Model("DirtyRegressor", DirtyRegressor, **_DIRTY),
    Model("DirtyClassifier", DirtyClassifier, **_DIRTY, **_SLOW),
    Model("RobustFeatureRegressor", RobustFeatureRegressor, **_ROBUST_FEATURE),
    Model("RobustFeatureClassifier", RobustFeatureClassifier, **_ROBUST_FEATURE,
          **_SLOW),
    Model("RobustLowRankRegressor", RobustLowRankRegressor, **_ROBUST_LOW_RANK),
    Model("RobustLowRankClassifier", RobustLowRankClassifier, **_ROBUST_LOW_RANK,
          **_SLOW),
    Model("SparseLowRankRegressor", SparseLowRankRegressor, **_SPARSE_LOW_RANK),
    Model("SparseLowRankClassifier", SparseLowRankClassifier, **_SPARSE_LOW_RANK,
          **_SLOW),
]


# =============================================================================
# 3. Strategies
# =============================================================================
@st.composite
def datasets(draw, model, *, sparse_ok=True):
    """X, Y, weights and options for ``model``'s kind."""
    classification = model.kind == "classification"
    T = draw(st.integers(1, 3 if model.small else 4))
    d = draw(st.integers(1, 4 if model.small else 6))
    n = draw(st.integers(12 if classification else 8, 24 if model.small else 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    missing = draw(st.sampled_from([0.0, 0.3, 0.6]))
    min_rows = 6 if classification else 3
    mask = rng.random((n, T)) >= missing
    for t in range(T):  # every task keeps enough rows
        if mask[:, t].sum() < min_rows:
            mask[rng.choice(n, min_rows, replace=False), t] = True
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 2.0, d) + rng.normal(0, 1, d)
    degenerate = draw(st.sampled_from(["none", "none", "constant", "duplicate"]))
    if degenerate == "constant":  # collinear with the intercept
        X[:, -1] = 1.5
    elif degenerate == "duplicate" and d > 1:
        X[:, -1] = X[:, 0]
    x_format = draw(st.sampled_from(["dense", "csr", "csc"])) if sparse_ok else "dense"
    if x_format != "dense":
        X[rng.random((n, d)) < 0.4] = 0.0
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    X = X.astype(dtype)
    X_fit = X if x_format == "dense" else sparse.csr_matrix(X).asformat(x_format)

    values, classes = np.zeros((n, T)), []
    if classification:
        n_classes = draw(st.sampled_from([2, 3]))
        for t in range(T):
            K = n_classes if model.same_classes or t == 0 else draw(
                st.sampled_from([2, 3]))
            offset = 0 if model.same_classes else draw(st.sampled_from([0, 1, 5]))
            scores = X.astype(float) @ rng.standard_normal((d, K)) \
                + rng.gumbel(size=(n, K)) * draw(st.sampled_from([0.5, 2.0]))
            code = scores.argmax(1)
            observed = np.flatnonzero(mask[:, t])
            for k in range(K):  # every class present (at least 2 rows each)
                code[observed[2 * k: 2 * k + 2]] = k
            values[:, t] = np.where(mask[:, t], code, 0)
            classes.append(np.arange(K, dtype=float) + offset)
        labels = np.array([[classes[t][int(values[i, t])] for t in range(T)]
                           for i in range(n)])
    else:
        labels = X.astype(float) @ rng.standard_normal((d, T)) \
            + rng.normal(0, 1, T) + rng.standard_normal((n, T))
        values = np.where(mask, labels, 0.0)
    y_format = draw(st.sampled_from(["dense", "csr", "csc"])) if sparse_ok \
        else "dense"
    if y_format == "dense":
        Y_fit = np.where(mask, labels, np.nan)
    else:
        rows, cols = np.nonzero(mask)
        Y_fit = sparse.coo_matrix((labels[rows, cols], (rows, cols)),
                                  shape=(n, T)).asformat(y_format)
        assert Y_fit.nnz == mask.sum()  # explicit zeros kept: they are observed

    sw_kind = draw(st.sampled_from(["none", "1d", "2d", "zeros"]))
    sample_weight = None if sw_kind == "none" else rng.uniform(
        0.2, 3.0, n if sw_kind in ("1d", "zeros") else (n, T))
    if sw_kind == "zeros":  # some rows without weight; kept rows keep weight
        keep = np.zeros(n, bool)
        for t in range(T):
            keep[np.flatnonzero(mask[:, t])[:min_rows]] = True
        sample_weight[(rng.random(n) < 0.3) & ~keep] = 0.0
    task_weights = None if not draw(st.booleans()) else rng.uniform(0.3, 3.0, T)
    return Data(model.kind, X_fit, Y_fit, X.astype(np.float64), mask, values,
                classes, sample_weight, task_weights, draw(st.booleans()))


@st.composite
def cases(draw, model, *, ridge_positive=False, sparse_ok=True):
    data = draw(datasets(model, sparse_ok=sparse_ok))
    params = model.params(draw, data)
    if ridge_positive or model.ridge_needed:
        if params.get("ridge", 0.0) == 0.0:
            params["ridge"] = draw(st.sampled_from([0.02, 0.2]))
    return data, params


def make(model, data, params, **extra):
    options = dict(fit_intercept=data.fit_intercept, task_weights=data.task_weights,
                   tol=TOL_INVARIANCE, max_iter=MAX_ITER)
    options.update(extra)
    if not model.iterative:
        options = {k: v for k, v in options.items() if k not in ("tol", "max_iter")}
    return model.estimator(**params, **dict(model.fixed), **options)


def fit(est, data, X=None, Y=None, sample_weight="same"):
    """Fit; return the estimator and the convergence warnings it gave."""
    X = data.X_fit if X is None else X
    Y = data.Y_fit if Y is None else Y
    sw = data.sample_weight if isinstance(sample_weight, str) else sample_weight
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        est.fit(X, Y, sample_weight=sw)
    return est, [str(w.message) for w in caught
                 if issubclass(w.category, ConvergenceWarning)]


def describe(model, data, params):
    note(f"{model.name} params={params} fit_intercept={data.fit_intercept} "
         f"X={type(data.X_fit).__name__}{getattr(data.X_fit, 'format', '')} "
         f"{data.X_fit.dtype} {data.X_fit.shape} Y={type(data.Y_fit).__name__} "
         f"missing={(~data.mask).sum()} widths={data.widths} "
         f"sw={None if data.sample_weight is None else np.shape(data.sample_weight)} "
         f"tw={data.task_weights}")


def rounding_slack(data, W, b, L):
    """Effect on a gradient of storing ``coef_`` in X's dtype."""
    unit = F32 if data.X_fit.dtype == np.float32 else 2.0**-50
    return 4 * unit * L * (np.linalg.norm(W) + np.linalg.norm(b) + 1.0) * np.sqrt(
        W.size + b.size)


def coefficient_radius(model, data, params, est):
    """Certified bound on ``||W - W*||_F`` from the fitted point, recomputed here.

    ``phi(W) = min_b P(W, b)`` is ``ridge``-strongly convex; with ``G`` its
    gradient mapping at ``W`` for step ``eta <= 1/L`` (at the best intercepts,
    computed here), ``||W - W*|| <= (eta + 2 / ridge) ||G||``.
    """
    terms = model.terms(params, data)
    data = model.view(data)
    W, _ = model.solution(est)
    b = best_intercept(data, W)
    step = 1.0 / lipschitz(data, terms)
    gm = gradient_mapping(terms, data, W, b, step)[0]
    return (step + 2.0 / params["ridge"]) * gm + 1e-12 * (1 + np.linalg.norm(W))


# =============================================================================
# 4. Properties
# =============================================================================
MODEL_PARAMS = [pytest.param(m, id=m.name) for m in MODELS]


def per_model(**strategies):
    """``@given(data=st.data(), **strategies)`` per model, with the profile's
    number of examples, three quarters of it (at least 3) for the models
    marked ``small`` (slow to fit), so that the CI profile stays within its
    time budget."""

    def decorate(test):
        def run(model):
            examples = settings().max_examples
            if model.small:
                examples = max(3, 3 * examples // 4)

            def inner(data, **drawn):
                test(model, data, **drawn)

            # a name of its own: derandomized seeds differ between the tests
            inner.__name__ = inner.__qualname__ = test.__name__
            settings(max_examples=examples)(given(data=st.data(), **strategies)(
                inner))()

        run.__name__, run.__doc__ = test.__name__, test.__doc__
        return run

    return decorate


@pytest.mark.parametrize("model", MODEL_PARAMS)
@per_model()
def test_optimality_and_certificates(model, data):
    """KKT at the returned point, honest certificates, objective <= reference."""
    problem, params = data.draw(cases(model))
    describe(model, problem, params)
    est, warned = fit(make(model, problem, params, tol=TOL), problem)
    terms = model.terms(params, problem)
    view = model.view(problem)  # [X, X] and [P; Q] for W = P + Q
    W, b = model.solution(est)
    L = lipschitz(view, terms)
    slack = rounding_slack(problem, W, b, L)
    gm, GW, gb = gradient_mapping(terms, view, W, b, 1.0 / L)
    G0, F0 = null_gradient(view)
    assert np.all(np.isfinite(W)) and np.all(np.isfinite(b))
    if not hasattr(est, "kkt_violation_"):  # a direct solve: optimal to rounding
        if problem.X_fit.dtype == np.float32:
            # the kernel is formed in float32: its rounding reaches the
            # gradient through the dual coefficients, which grow like 1/ridge
            # where the kernel is singular, not only through W
            dual = np.linalg.norm(est.dual_coef_) * np.linalg.norm(problem.X, 2)
            slack *= max(1.0, dual / (np.linalg.norm(W) + np.linalg.norm(b) + 1.0))
        note(f"gradient={gm:.3e} at zero={np.linalg.norm(G0):.3e} slack={slack:.3e}")
        assert gm <= 1e-9 * np.linalg.norm(G0) + slack
        return
    kkt = est.kkt_violation_
    note(f"warnings={warned} solver={est.solver_} kkt_={kkt:.3e} mine={gm:.3e}")

    # honest KKT: the gradient mapping is at most the subdifferential distance
    assert gm <= kkt * (1 + 1e-6) + slack
    intercept_gradient = gb if problem.kind == "classification" else 0 * gb
    exact = not (terms.penalty.rank_sensitive and problem.X_fit.dtype == np.float32)
    if terms.penalty.distance is not None and exact:  # closed form: the same number
        mine = np.sqrt(terms.penalty.distance(W, GW) ** 2
                       + np.sum(intercept_gradient**2))
        note(f"distance={mine:.3e}")
        assert abs(mine - kkt) <= 1e-6 * kkt + slack

    # the objective is not above the reference solver's
    W_ref, b_ref = reference_solve(view, terms)
    P = terms.objective(view, W, b)
    P_ref = terms.objective(view, W_ref, b_ref)
    scale = 2 * F0 + abs(P_ref)
    obj_slack = slack * (np.linalg.norm(W) + np.linalg.norm(b) + 1) + 1e-13 * scale
    note(f"P={P!r} P_ref={P_ref!r} 2F(0)={2 * F0:.3e}")
    assert P <= P_ref + 10 * TOL * scale + obj_slack

    if hasattr(est, "dual_gap_"):  # honest gap: P - gap <= P* <= P_ref
        note(f"dual_gap_={est.dual_gap_:.3e}")
        assert est.dual_gap_ >= 0
        assert P - est.dual_gap_ <= P_ref + obj_slack
        if not warned:
            assert est.dual_gap_ <= TOL * 2 * F0 * (1 + 1e-6) + obj_slack
    elif not warned:  # converged on the KKT criterion, relative to W = 0
        kkt0 = np.linalg.norm(G0)
        assert gm <= TOL * kkt0 * (1 + 1e-6) + slack


def _task_permutation(data, perm):
    """The same problem with the tasks (columns of Y) in the order ``perm``."""
    Y = data.Y_fit[:, perm] if not sparse.issparse(data.Y_fit) else \
        sparse.csc_matrix(data.Y_fit)[:, perm].asformat(data.Y_fit.format)
    sw = data.sample_weight
    if sw is not None and np.ndim(sw) == 2:
        sw = sw[:, perm]
    tw = None if data.task_weights is None else data.task_weights[perm]
    return Y, sw, tw


def _column_perm(data, perm):
    """Columns of W in the permuted problem, as indices of the original."""
    return np.concatenate([np.arange(data.columns(t).start, data.columns(t).stop)
                           for t in perm])


@pytest.mark.parametrize("model", MODEL_PARAMS)
@per_model()
def test_permuting_rows(model, data):
    """Reordering the rows (X, Y, sample weights together) leaves W unchanged."""
    problem, params = data.draw(cases(model, ridge_positive=True))
    describe(model, problem, params)
    perm = np.random.default_rng(0).permutation(problem.X.shape[0])
    sw = problem.sample_weight
    est1, _ = fit(make(model, problem, params), problem)
    est2, _ = fit(make(model, problem, params), problem, X=problem.X_fit[perm],
                  Y=problem.Y_fit[perm], sample_weight=None if sw is None else sw[perm])
    radius = coefficient_radius(model, problem, params, est1) + coefficient_radius(
        model, problem, params, est2)
    gap = np.linalg.norm(model.solution(est1)[0] - model.solution(est2)[0])
    note(f"||W1 - W2|| = {gap:.3e} <= {radius:.3e}")
    assert gap <= radius


@pytest.mark.parametrize("model", MODEL_PARAMS)
@per_model()
def test_permuting_tasks(model, data):
    """Permuting the tasks permutes coef_ rows and every task matrix."""
    problem, params = data.draw(cases(model, ridge_positive=True))
    T = problem.n_tasks
    perm = np.random.default_rng(1).permutation(T) if model.task_order == "any" \
        else np.arange(T)[::-1]  # the order of the tasks matters: reverse it
    describe(model, problem, params)
    note(f"perm={perm}")
    params2 = dict(params)
    if params.get("graph") is not None:
        g = params["graph"]
        params2["graph"] = g[perm][:, perm]
    Y, sw, tw = _task_permutation(problem, perm)
    est1, _ = fit(make(model, problem, params), problem)
    est2, _ = fit(make(model, problem, params2, task_weights=tw), problem, Y=Y,
                  sample_weight=sw)
    W1, W2 = model.solution(est1)[0], model.solution(est2)[0]
    columns = _column_perm(problem, perm)
    radius = coefficient_radius(model, problem, params, est1)
    permuted = Data(problem.kind, problem.X_fit, Y, problem.X, problem.mask[:, perm],
                    problem.values[:, perm], [problem.classes[t] for t in perm]
                    if problem.classes else [], sw, tw, problem.fit_intercept)
    radius += coefficient_radius(model, permuted, params2, est2)
    gap = np.linalg.norm(W1[:, columns] - W2)
    note(f"||W1[perm] - W2|| = {gap:.3e} <= {radius:.3e}")
    assert gap <= radius
    if problem.kind == "classification":
        for t2, t in enumerate(perm):
            np.testing.assert_array_equal(est2.classes_[t2], est1.classes_[t])
    for name in model.task_matrices:
        M1, M2 = getattr(est1, name), getattr(est2, name)
        assert M1.shape == M2.shape == (T, T)
        # Omega = (V^T V)^{1/2} / tr: Lipschitz-ish in V; compare loosely by the
        # certified radius relative to ||V||
        scale = np.linalg.norm(W1) + 1e-300
        tol = 10 * radius / scale + 1e-6
        np.testing.assert_allclose(M1[np.ix_(perm, perm)], M2, atol=tol)
    for name in model.feature_matrices:  # W W^T does not see the task order
        M1, M2 = getattr(est1, name), getattr(est2, name)
        tol = 10 * radius / (np.linalg.norm(W1) + 1e-300) + 1e-6
        np.testing.assert_allclose(M1, M2, atol=tol, err_msg=name)
    for name in model.task_labels:  # the same partition, labels renamed
        labels1, labels2 = getattr(est1, name)[perm], getattr(est2, name)
        pairs = set(zip(labels1.tolist(), labels2.tolist(), strict=True))
        assert len(pairs) == len(set(labels1.tolist())) == len(set(labels2.tolist())), (
            f"{name}: {labels1} (permuted) against {labels2}")


@pytest.mark.parametrize("model", MODEL_PARAMS)
@per_model()
def test_duplicated_row_equals_weight_two(model, data):
    """Weights are normalised by their total within each task, so a row given
    twice (with its sample weight) is the row given once with twice its sample
    weight: the two objectives are identical, with missing entries too."""
    problem, params = data.draw(cases(model, ridge_positive=True, sparse_ok=False))
    describe(model, problem, params)
    n, T = problem.mask.shape
    i = int(np.flatnonzero(problem.mask.all(axis=1))[0]) if problem.mask.all(
        axis=1).any() else 0
    sw = problem.sample_weight
    base = np.ones(n) if sw is None else np.asarray(sw, float)
    doubled = base.copy()
    doubled[i] = 2 * base[i]
    rows = np.r_[np.arange(n), i]
    est1, _ = fit(make(model, problem, params), problem, sample_weight=doubled)
    est2, _ = fit(make(model, problem, params), problem, X=problem.X_fit[rows],
                  Y=problem.Y_fit[rows], sample_weight=base[rows])
    weighted = Data(problem.kind, problem.X_fit, problem.Y_fit, problem.X,
                    problem.mask, problem.values, problem.classes, doubled,
                    problem.task_weights, problem.fit_intercept)
    radius = 2 * coefficient_radius(model, weighted, params, est1)
    radius += 2 * coefficient_radius(model, weighted, params, est2)
    gap = np.linalg.norm(model.solution(est1)[0] - model.solution(est2)[0])
    note(f"row {i}: ||W1 - W2|| = {gap:.3e} <= {radius:.3e}")
    assert gap <= radius


@pytest.mark.parametrize("model", MODEL_PARAMS)
@per_model(c=st.sampled_from([0.25, 3.0]))
def test_task_weight_scaling(model, data, c):
    """``task_weights * c`` multiplies the data term by ``c``; every penalty
    term is linear in its strength, so the objective with task weights ``c *
    tw`` and strengths ``s`` is ``c`` times the one with ``tw`` and ``s / c``:
    the same minimiser."""
    problem, params = data.draw(cases(model, ridge_positive=True))
    describe(model, problem, params)
    tw = np.ones(problem.n_tasks) if problem.task_weights is None \
        else problem.task_weights
    scaled = {k: (v / c if k in model.strengths else v) for k, v in params.items()}
    est1, _ = fit(make(model, problem, params, task_weights=c * tw), problem)
    est2, _ = fit(make(model, problem, scaled, task_weights=tw), problem)
    heavier = Data(problem.kind, problem.X_fit, problem.Y_fit, problem.X,
                   problem.mask, problem.values, problem.classes,
                   problem.sample_weight, c * tw, problem.fit_intercept)
    lighter = Data(problem.kind, problem.X_fit, problem.Y_fit, problem.X,
                   problem.mask, problem.values, problem.classes,
                   problem.sample_weight, tw, problem.fit_intercept)
    radius = coefficient_radius(model, heavier, params, est1)
    radius += coefficient_radius(model, lighter, scaled, est2)
    gap = np.linalg.norm(model.solution(est1)[0] - model.solution(est2)[0])
    note(f"c={c}: ||W1 - W2|| = {gap:.3e} <= {radius:.3e}")
    assert gap <= radius


def _fitted_state(est):
    return {k: v for k, v in vars(est).items() if k.endswith("_")}


def _assert_identical(a, b):
    sa, sb = _fitted_state(a), _fitted_state(b)
    assert sa.keys() == sb.keys()
    for key, value in sa.items():
        other = sb[key]
        if sparse.issparse(value):
            assert sparse.issparse(other) and value.format == other.format, key
            np.testing.assert_array_equal(value.toarray(), other.toarray(),
                                          err_msg=key, strict=True)
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, other, err_msg=key, strict=True)
        elif isinstance(value, list):
            assert len(value) == len(other), key
            for u, v in zip(value, other, strict=True):
                np.testing.assert_array_equal(np.asarray(u), np.asarray(v),
                                              err_msg=key)
        else:
            assert value == other or (value != value and other != other), key


@pytest.mark.parametrize("model", MODEL_PARAMS)
@per_model()
def test_determinism(model, data):
    """Refit, clone + refit and a pickle round trip are bit-identical."""
    problem, params = data.draw(cases(model))
    describe(model, problem, params)
    # bit-identity needs no accuracy: a loose tol keeps this test cheap
    est = make(model, problem, params, tol=1e-3, max_iter=300)
    fit(est, problem)
    first = pickle.loads(pickle.dumps(est))
    fit(est, problem)
    _assert_identical(first, est)
    other, _ = fit(clone(est), problem)
    _assert_identical(first, other)
    # a copy: predicting on the very array a kernel model stores lets numpy
    # take X X^T as a symmetric product (syrk), rounded unlike X Y^T
    X = problem.X_fit.copy()
    np.testing.assert_array_equal(first.predict(X), est.predict(X))
    if problem.kind == "classification":
        for p, q in zip(first.predict_proba(X), est.predict_proba(X), strict=True):
            np.testing.assert_array_equal(p, q)


def test_every_public_linear_estimator_is_covered():
    """A model registered in skmtl._registry needs a row in MODELS."""
    from skmtl._registry import FAMILIES

    covered = {m.estimator for m in MODELS}
    registered = {f.regressor for f in FAMILIES} | {f.classifier for f in FAMILIES}
    missing = sorted(c.__name__ for c in registered - covered - {None})
    assert not missing, f"add these estimators to MODELS: {missing}"
