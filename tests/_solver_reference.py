"""Independent formulas and a plain FISTA for the solver tests.

Nothing here imports skmtl. Every quantity is written again from the
definition of the multi-task objective

    sum_t c_t / (2 S_t) sum_{i in O_t} s_it (y_it - x_i w_t - b_t)^2
        + Omega(W) + ridge / 2 ||W||_F^2 + 1/2 tr(W C W^T),

with ``S_t = sum_{i in O_t} s_it`` (so ``s / S_t`` is ``s`` normalised to mean
one, divided by ``n_t``), and minimised by accelerated proximal gradient with
a fixed step ``1/L``, adaptive restarts and many iterations.
"""

import numpy as np
from scipy.special import expit, logsumexp, softmax


def dense(X):
    """Any design as a float64 ndarray."""
    return np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float64)


def weights_of(Y, sample_weight=None, task_weights=None):
    """Entry weights ``c_t s_it / sum_{i observed in t} s_it`` (0 if missing)."""
    observed = ~np.isnan(Y)
    n, T = Y.shape
    if sample_weight is None:
        s = np.ones((n, T))
    else:
        s = np.asarray(sample_weight, float)
        s = np.repeat(s[:, None], T, axis=1) if s.ndim == 1 else s
    c = np.ones(T) if task_weights is None else np.asarray(task_weights, float)
    raw = np.where(observed, s, 0.0)
    return raw * (c / raw.sum(axis=0))


def best_intercept(X, Y, W, weights, fit_intercept=True):
    """Weighted mean of ``y_it - x_i w_t`` over the observed rows of each task."""
    if not fit_intercept:
        return np.zeros(Y.shape[1])
    R = np.where(np.isnan(Y), 0.0, Y - dense(X) @ W)
    return (weights * R).sum(axis=0) / weights.sum(axis=0)


def squared_data(X, Y, W, b, weights):
    R = np.where(np.isnan(Y), 0.0, Y - dense(X) @ W - b)
    return 0.5 * float(np.sum(weights * R * R))


def squared_gradient(X, Y, W, b, weights):
    """``(dF/dW, dF/db)`` of the squared data term."""
    Xd = dense(X)
    E = np.where(np.isnan(Y), 0.0, Xd @ W + b - Y) * weights
    return Xd.T @ E, E.sum(axis=0)


def l21(W):
    return float(np.sum(np.sqrt(np.sum(W * W, axis=1))))


def l1(W):
    return float(np.sum(np.abs(W)))


def nuclear(W):
    return float(np.sum(np.linalg.svd(W, compute_uv=False)))


PENALTIES = {
    "l21": lambda W, a: a * l21(W),
    "l1": lambda W, a: a * l1(W),
    "none": lambda W, a: 0.0,
    "trace": lambda W, a: a * nuclear(W),
    "squared_trace": lambda W, a: 0.5 * a * nuclear(W) ** 2,
}


def _shrink_with_sum(v, a):
    """``sigma_i = (v_i - a sum(sigma))_+`` by trying every active set size."""
    for k in range(v.size, 0, -1):
        S = v[:k].sum() / (1.0 + k * a)
        if v[k - 1] - a * S > 0:
            return np.maximum(v - a * S, 0.0)
    return np.zeros_like(v)


def prox(name, W, t):
    """Prox of ``t * Omega`` (Omega with its strength already folded into t)."""
    if name == "none":
        return W
    if name == "l1":
        return np.sign(W) * np.maximum(np.abs(W) - t, 0.0)
    if name == "l21":
        norms = np.sqrt(np.sum(W * W, axis=1, keepdims=True))
        return W * np.maximum(1.0 - t / np.maximum(norms, 1e-300), 0.0)
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    if name == "trace":
        s = np.maximum(s - t, 0.0)
    else:  # squared trace: prox of t/2 ||.||_*^2
        s = _shrink_with_sum(s, t)
    return (U * s) @ Vt


def fista(value, grad, prox_step, x0, lipschitz, n_iter, rtol=1e-15):
    """FISTA with gradient-based adaptive restart, fixed step ``1/lipschitz``."""
    x, z, t = x0.copy(), x0.copy(), 1.0
    f_old = np.inf
    for k in range(n_iter):
        x_new = prox_step(z - grad(z) / lipschitz, 1.0 / lipschitz)
        if np.vdot(z - x_new, x_new - x) > 0:  # restart (O'Donoghue & Candes)
            t = 1.0
            z = x
            x_new = prox_step(z - grad(z) / lipschitz, 1.0 / lipschitz)
        t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
        z = x_new + (t - 1) / t_new * (x_new - x)
        x, t = x_new, t_new
        if k % 200 == 199:
            f = value(x)
            if abs(f_old - f) <= rtol * max(abs(f), 1e-300):
                break
            f_old = f
    return x


def squared_objective(X, Y, W, b, weights, penalty, alpha, ridge=0.0, coupling=None):
    value = squared_data(X, Y, W, b, weights) + PENALTIES[penalty](W, alpha)
    value += 0.5 * ridge * float(np.sum(W * W))
    if coupling is not None:
        value += 0.5 * float(np.sum(W * (W @ coupling)))
    return value


def squared_reference(X, Y, weights, penalty, alpha, *, ridge=0.0, coupling=None,
                      fit_intercept=True, n_iter=30000):
    """Minimiser ``(W, b)`` of the squared-loss objective by FISTA on [W; b]."""
    Xd = dense(X)
    n, d = Xd.shape
    T = Y.shape[1]
    Xa = np.hstack([Xd, np.ones((n, 1))]) if fit_intercept else Xd
    Y0 = np.where(np.isnan(Y), 0.0, Y)
    L = max(np.linalg.eigvalsh(Xa.T @ (weights[:, [t]] * Xa))[-1] for t in range(T))
    L += ridge + (np.linalg.eigvalsh(coupling)[-1] if coupling is not None else 0.0)

    def split(V):
        return V[:d], (V[d] if fit_intercept else np.zeros(T))

    def value(V):
        W, b = split(V)
        return squared_objective(Xd, Y, W, b, weights, penalty, alpha, ridge, coupling)

    def grad(V):
        G = Xa.T @ (weights * (Xa @ V - Y0))
        G[:d] += ridge * V[:d]
        if coupling is not None:
            G[:d] += V[:d] @ coupling
        return G

    def prox_step(V, step):
        out = V.copy()
        out[:d] = prox(penalty, V[:d], step * alpha)
        return out

    V = fista(value, grad, prox_step, np.zeros((Xa.shape[1], T)), L, n_iter)
    return split(V)


# -- logistic ------------------------------------------------------------------
def logistic_parts(X, Y, W, b, weights, widths):
    """Loss and gradients ``(value, dF/dW, dF/db)`` for stacked labels.

    ``Y`` holds class indices (NaN if missing); task ``t`` owns ``widths[t]``
    consecutive columns of ``W``: 1 (binary, score of class 1) or K (softmax).
    """
    Xd = dense(X)
    Z = Xd @ W + b
    E = np.zeros_like(Z)
    value, start = 0.0, 0
    for t, width in enumerate(widths):
        obs = ~np.isnan(Y[:, t])
        w = weights[obs, t]
        code = Y[obs, t].astype(int)
        if width == 1:
            z = Z[obs, start]
            value += float(np.sum(w * (np.logaddexp(0, z) - (code == 1) * z)))
            E[obs, start] = w * (expit(z) - (code == 1))
        else:
            Zt = Z[obs, start:start + width]
            value += float(np.sum(w * (logsumexp(Zt, axis=1)
                                       - Zt[np.arange(code.size), code])))
            P = softmax(Zt, axis=1)
            P[np.arange(code.size), code] -= 1.0
            E[np.ix_(obs, range(start, start + width))] = w[:, None] * P
        start += width
    return value, Xd.T @ E, E.sum(axis=0)


def logistic_reference(X, Y, weights, widths, alpha, *, fit_intercept=True,
                       n_iter=60000):
    """L2,1-penalised logistic fit by FISTA (columns per task in ``widths``)."""
    Xd = dense(X)
    n, d = Xd.shape
    q = int(np.sum(widths))
    Xa = np.hstack([Xd, np.ones((n, 1))]) if fit_intercept else Xd
    wmax = weights.max(axis=1)
    L = 0.5 * np.linalg.eigvalsh(Xa.T @ (wmax[:, None] * Xa))[-1]

    def split(V):
        return V[:d], (V[d] if fit_intercept else np.zeros(q))

    def value(V):
        W, b = split(V)
        return logistic_parts(Xd, Y, W, b, weights, widths)[0] + alpha * l21(W)

    def grad(V):
        W, b = split(V)
        _, GW, Gb = logistic_parts(Xd, Y, W, b, weights, widths)
        return np.vstack([GW, Gb[None]]) if fit_intercept else GW

    def prox_step(V, step):
        out = V.copy()
        out[:d] = prox("l21", V[:d], step * alpha)
        return out

    V = fista(value, grad, prox_step, np.zeros((Xa.shape[1], q)), L, n_iter)
    return split(V)


# -- optimality conditions -------------------------------------------------------
def l21_violation(W, G, alpha):
    """Largest violation of: ||G_j|| <= alpha on zero rows, G_j = -alpha W_j /
    ||W_j|| on the others."""
    norms = np.sqrt(np.sum(W * W, axis=1))
    out = 0.0
    for j in range(W.shape[0]):
        if norms[j] == 0:
            out = max(out, np.linalg.norm(G[j]) - alpha)
        else:
            out = max(out, np.linalg.norm(G[j] + alpha * W[j] / norms[j]))
    return out


def l1_violation(W, G, alpha):
    zero = W == 0
    v1 = np.max(np.abs(G[zero]) - alpha, initial=0.0)
    v2 = np.max(np.abs(G[~zero] + alpha * np.sign(W[~zero])), initial=0.0)
    return max(v1, v2)


def nuclear_violation(W, G, radius, rank_tol=1e-7):
    """Violation of ``-G in radius * d||W||_*``: ``-G = radius (U V^T + M)``
    with ``U^T M = 0``, ``M V = 0``, ``||M||_2 <= 1``."""
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    r = int(np.sum(s > rank_tol * max(s[0], 1e-300))) if s.size else 0
    U, V = U[:, :r], Vt[:r].T
    A = -G
    PU = np.eye(W.shape[0]) - U @ U.T
    PV = np.eye(W.shape[1]) - V @ V.T
    inside = np.abs(U.T @ A @ V - radius * np.eye(r)).max(initial=0.0)
    cross = max(np.abs(PU @ A @ V).max(initial=0.0),
                np.abs(U.T @ A @ PV).max(initial=0.0))
    outside = np.linalg.norm(PU @ A @ PV, 2) - radius
    return max(inside, cross, outside), r
