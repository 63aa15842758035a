"""Plain references for the models of issue 9 (nothing here imports skmtl).

Objectives are written from their definitions; the solver is a long run of
accelerated proximal gradient (FISTA with a fixed step ``1/L`` and a restart
whenever the objective goes up) over ``(W, b)``, the intercept unpenalised.
"""

import numpy as np


def entry_weights(Y):
    """``1 / n_t`` on the observed entries of task ``t``, 0 elsewhere."""
    observed = ~np.isnan(Y)
    return observed / observed.sum(axis=0)


def squared_loss(X, Y, W, b):
    """``sum_t 1/(2 n_t) sum_{i observed} (y_it - x_i.w_t - b_t)^2`` and gradients."""
    omega = entry_weights(Y)
    E = np.where(np.isnan(Y), 0.0, X @ W + b - np.nan_to_num(Y))
    R = omega * E
    return 0.5 * float(np.sum(R * E)), X.T @ R, R.sum(axis=0)


def logistic_loss(X, Y, W, b):
    """``sum_t 1/n_t sum_i log(1 + e^z) - y z`` for 0/1 labels (NaN: missing)."""
    omega = entry_weights(Y)
    Z = X @ W + b
    Y0 = np.nan_to_num(Y)
    loss = np.logaddexp(0.0, Z) - Y0 * Z
    value = float(np.sum(omega * loss))
    R = omega * (1.0 / (1.0 + np.exp(-Z)) - Y0)
    return value, X.T @ R, R.sum(axis=0)


def lipschitz(X, Y, curvature=1.0):
    """Bound on the curvature of the data term in ``(W, b)``."""
    omega = entry_weights(Y)
    Xa = np.column_stack([X, np.ones(len(X))])
    return curvature * max(
        float(np.linalg.eigvalsh(Xa.T @ (Xa * omega[:, [t]]))[-1])
        for t in range(Y.shape[1])
    )


def fista(loss, smooth, prox, value, W0, b0, L, n_iter, fit_intercept=True):
    """Minimise ``loss(W, b) + smooth(W) + value(W)``.

    ``smooth(W)`` returns (value, gradient) of the smooth penalty terms,
    ``prox(V, step)`` is the prox of ``value``; ``L`` bounds the curvature of
    ``loss + smooth``.
    """
    W, b = W0.copy(), b0.copy()
    Wy, by, t = W.copy(), b.copy(), 1.0

    def objective(W, b):
        return loss(W, b)[0] + smooth(W)[0] + value(W)

    current = objective(W, b)
    for _ in range(n_iter):
        _, gW, gb = loss(Wy, by)
        gW = gW + smooth(Wy)[1]
        W_new = prox(Wy - gW / L, 1.0 / L)
        b_new = by - gb / L if fit_intercept else by
        new = objective(W_new, b_new)
        if new > current:  # restart the momentum
            Wy, by, t = W.copy(), b.copy(), 1.0
            continue
        t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        Wy = W_new + (t - 1) / t_new * (W_new - W)
        by = b_new + (t - 1) / t_new * (b_new - b)
        W, b, t, current = W_new, b_new, t_new, new
    return W, b, current


def soft(V, threshold):
    return np.sign(V) * np.maximum(np.abs(V) - threshold, 0.0)


def group_shrink(V, threshold):
    norms = np.linalg.norm(V, axis=1, keepdims=True)
    return V * np.maximum(1 - threshold / np.maximum(norms, 1e-300), 0.0)


def laplacian_penalty(A):
    """``(value, gradient)`` of ``1/2 sum_{s<t} A_st ||w_s - w_t||^2``."""
    A = np.asarray(A, float)

    def smooth(W):
        value, grad = 0.0, np.zeros_like(W)
        T = W.shape[1]
        for s in range(T):
            for t in range(s + 1, T):
                diff = W[:, s] - W[:, t]
                value += 0.5 * A[s, t] * diff @ diff
                grad[:, s] += A[s, t] * diff
                grad[:, t] -= A[s, t] * diff
        return value, grad

    return smooth


def missing(Y, fraction, rng):
    """A copy of ``Y`` with a fraction of entries set to NaN (every task keeps rows)."""
    Y = np.array(Y, dtype=float)
    mask = rng.random(Y.shape) < fraction
    mask[:5] = False
    Y[mask] = np.nan
    return Y


# -- clustered tasks / shared subspace --------------------------------------------


def capped_weights(s, eta, k, n_bisect=64):
    """argmin_g sum s_i^2 / (eta + g_i), 0 <= g <= 1, sum g = k, by bisection.

    Stationarity gives ``g_i = clip(theta s_i - eta, 0, 1)``; ``theta`` is
    found by bisection on the trace (independent of the library's exact
    breakpoint search).
    """
    s = np.abs(np.asarray(s, float))
    if np.sum(s > 0) <= k:
        g = (s > 0).astype(float)
        rest = s.size - g.sum()
        if rest:
            g[s == 0] = (k - g.sum()) / rest
        return g
    lo, hi = 0.0, (eta + 1.0) / s[s > 0].min()
    for _ in range(n_bisect):
        mid = 0.5 * (lo + hi)
        if np.clip(mid * s - eta, 0, 1).sum() < k:
            lo = mid
        else:
            hi = mid
    return np.clip(0.5 * (lo + hi) * s - eta, 0, 1)


def best_structure(W, eta, k, side):
    """The optimal ``M`` (tasks: ``side="columns"``, features: ``"rows"``)."""
    G = W.T @ W if side == "columns" else W @ W.T
    values, Q = np.linalg.eigh(G)
    g = capped_weights(np.sqrt(np.clip(values, 0, None)), eta, k)
    return (Q * g) @ Q.T


def structure_penalty(W, M, alpha, eta, side):
    """``alpha eta (1+eta) tr(W (eta I + M)^-1 W^T)`` (or with ``W^T`` for rows)."""
    P = np.linalg.inv(eta * np.eye(M.shape[0]) + M)
    c = alpha * eta * (1 + eta)
    inner = W @ P @ W.T if side == "columns" else W.T @ P @ W
    return c * float(np.trace(inner))


def structure_regression(X, Y, alpha, eta, k, side, ridge=0.0, n_iter=200):
    """Alternating exact minimisation over ``(W, b)`` (a dense solve) and ``M``.

    The objective is jointly convex and smooth in ``(W, b)``; each block is
    minimised exactly. Returns ``W, b, M, objective``.
    """
    n, d = X.shape
    T = Y.shape[1]
    omega = entry_weights(Y)
    Y0 = np.nan_to_num(Y)
    Xa = np.column_stack([X, np.ones(n)])
    c = alpha * eta * (1 + eta)
    m = T if side == "columns" else d
    M = np.full((m, m), 0.0) + np.eye(m) * k / m
    blocks = [Xa.T @ (Xa * omega[:, [t]]) for t in range(T)]
    rhs = np.concatenate([Xa.T @ (omega[:, t] * Y0[:, t]) for t in range(T)])
    for _ in range(n_iter):
        P = np.linalg.inv(eta * np.eye(m) + M)
        H = np.zeros((T * (d + 1), T * (d + 1)))
        for t in range(T):
            H[t * (d + 1):(t + 1) * (d + 1), t * (d + 1):(t + 1) * (d + 1)] = blocks[t]
        E = np.zeros((d + 1, d + 1))
        E[:d, :d] = np.eye(d)  # the intercepts are not penalised
        if side == "columns":  # 2c W P: couples tasks, one feature at a time
            H += np.kron(2 * c * P + ridge * np.eye(T), E)
        else:  # 2c P W: couples features, one task at a time
            Pa = np.zeros((d + 1, d + 1))
            Pa[:d, :d] = 2 * c * P + ridge * np.eye(d)
            H += np.kron(np.eye(T), Pa)
        sol = np.linalg.solve(H, rhs).reshape(T, d + 1)
        W, b = sol[:, :d].T, sol[:, d]
        M = best_structure(W, eta, k, side)
    value = squared_loss(X, Y, W, b)[0] + structure_penalty(W, M, alpha, eta, side)
    return W, b, M, value + 0.5 * ridge * np.sum(W * W)


# -- fused group lasso ---------------------------------------------------------


def difference_transpose(T):
    """``D^T`` for ``(D w)_t = w_{t+1} - w_t``: a (T, T-1) matrix."""
    DT = np.zeros((T, max(T - 1, 0)))
    i = np.arange(T - 1)
    DT[i, i], DT[i + 1, i] = -1.0, 1.0
    return DT


def tv_prox_dual(y, lam):
    """TV prox from its dual, ``x = y - D^T z``, ``z`` a box-constrained LSQ."""
    from scipy.optimize import lsq_linear

    T = y.size
    if T == 1 or lam == 0:
        return y.copy()
    DT = difference_transpose(T)
    z = lsq_linear(DT, y, bounds=(-lam, lam), method="bvls", tol=1e-15).x
    return y - DT @ z


def fused_value(W, alpha, l1, fused):
    return (alpha * np.linalg.norm(W, axis=1).sum() + l1 * np.abs(W).sum()
            + fused * np.abs(np.diff(W, axis=1)).sum())


def fused_subgradient_distance(w, v, alpha, l1, fused):
    """Distance of ``v`` to the subdifferential of the row penalty at ``w``.

    The subdifferential is ``alpha dB2 + l1 dB1 + fused D^T dB1(Dw)``: a
    bounded least-squares problem in the free parts (and, at ``w = 0``, the
    Euclidean ball of radius ``alpha`` subtracted from the distance).
    """
    from scipy.optimize import lsq_linear

    T = w.size
    DT = difference_transpose(T)
    norm = np.linalg.norm(w)
    target = v - fused * DT @ np.sign(np.diff(w)) - l1 * np.sign(w)
    if norm > 0:
        target = target - alpha * w / norm
    free_s = w == 0
    free_z = np.diff(w) == 0
    A = np.column_stack([np.eye(T)[:, free_s] * l1, DT[:, free_z] * fused])
    if A.shape[1]:
        u = lsq_linear(A, target, bounds=(-1, 1), method="bvls", tol=1e-15).x
        target = target - A @ u
    dist = np.linalg.norm(target)
    return max(dist - alpha, 0.0) if norm == 0 else dist
