"""Slow, independent references for the task-relationship models.

Nothing here imports skmtl. The objectives are written again from their
definitions; the quadratic models are solved by one dense linear solve of
the normal equations in ``(W, b)``, the others by a long run of accelerated
proximal gradient (fixed step ``1/L``, restarted when the objective goes up)
on the explicit objective.
"""

import numpy as np


def entry_weights(Y, sample_weight=None, task_weights=None):
    """``task_weights[t] * s_i / sum_{i observed in t} s_i`` where observed."""
    observed = ~np.isnan(Y)
    n, T = Y.shape
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    c = np.ones(T) if task_weights is None else np.asarray(task_weights, float)
    raw = observed * (s if s.ndim == 2 else s[:, None])  # (n,) or (n, T) weights
    return raw * (c / raw.sum(axis=0))


# -- the task-coupling terms, from their definitions ---------------------------


def mean_difference_map(T, d):
    """Matrix ``M`` with ``M vec(W) = (w_t - mean_s w_s)_t`` (vec: task blocks)."""
    return np.kron(np.eye(T) - np.full((T, T), 1.0 / T), np.eye(d))


def pair_difference_map(A, d):
    """Matrix ``M`` with ``||M vec(W)||^2 = sum_{s<t} A_st ||w_s - w_t||^2``."""
    T = A.shape[0]
    rows = []
    for s in range(T):
        for t in range(s + 1, T):
            e = np.zeros(T)
            e[s], e[t] = 1.0, -1.0
            rows.append(np.sqrt(A[s, t]) * np.kron(e, np.eye(d)))
    return np.vstack(rows) if rows else np.zeros((0, T * d))


def mean_penalty(W):
    """``1/2 sum_t ||w_t - w_mean||^2`` for W (d, T)."""
    return 0.5 * float(np.sum((W - W.mean(axis=1, keepdims=True)) ** 2))


def graph_penalty(W, A):
    """``1/2 sum_{s<t} A_st ||w_s - w_t||^2`` (A=None: all pairs 1/T)."""
    T = W.shape[1]
    if A is None:
        A = np.full((T, T), 1.0 / T)
    total = 0.0
    for s in range(T):
        for t in range(s + 1, T):
            total += A[s, t] * float(np.sum((W[:, s] - W[:, t]) ** 2))
    return 0.5 * total


def nuclear_norm(W):
    return float(np.sum(np.linalg.svd(W, compute_uv=False)))


# -- squared loss ---------------------------------------------------------------


def squared_data_term(X, Y, W, b, weights):
    R = np.where(np.isnan(Y), 0.0, Y - X @ W - b)
    return 0.5 * float(np.sum(weights * R * R))


def regression_objective(
    kind, X, Y, W, b, weights, alpha, ridge=0.0, graph=None, l1=0.0
):
    """Objective of the model ``kind`` in {mean, graph, relation, trace}."""
    value = squared_data_term(X, Y, W, b, weights) + 0.5 * ridge * np.sum(W * W)
    if kind == "mean":
        value += alpha * mean_penalty(W)
    elif kind == "graph":
        value += alpha * graph_penalty(W, graph) + l1 * np.sum(np.abs(W))
    elif kind == "relation":
        value += 0.5 * alpha * nuclear_norm(W) ** 2
    elif kind == "trace":
        value += alpha * nuclear_norm(W)
    else:
        raise ValueError(kind)
    return float(value)


def dense_quadratic_solve(X, Y, weights, coupling_map, alpha, ridge, fit_intercept):
    """Minimise the squared loss + ``alpha/2 ||M vec W||^2 + ridge/2 ||W||^2``.

    One dense solve of the normal equations in ``theta = (vec W, b)``, with
    ``vec W`` stacking the task columns ``w_1, ..., w_T``.
    """
    n, d = X.shape
    T = Y.shape[1]
    Y0 = np.where(np.isnan(Y), 0.0, Y)
    p = d * T + (T if fit_intercept else 0)
    H, g = np.zeros((p, p)), np.zeros(p)
    for t in range(T):
        w = weights[:, t]
        cols = slice(t * d, (t + 1) * d)
        H[cols, cols] += X.T @ (w[:, None] * X)
        g[cols] += X.T @ (w * Y0[:, t])
        if fit_intercept:
            k = d * T + t
            H[cols, k] += X.T @ w
            H[k, cols] += X.T @ w
            H[k, k] += w.sum()
            g[k] += w @ Y0[:, t]
    H[: d * T, : d * T] += ridge * np.eye(d * T) + alpha * coupling_map.T @ coupling_map
    theta = np.linalg.solve(H, g)
    W = theta[: d * T].reshape(T, d).T
    b = theta[d * T :] if fit_intercept else np.zeros(T)
    return W, b


def quadratic_gradient(X, Y, W, b, weights, coupling_map, alpha, ridge):
    """Gradient in ``(W, b)`` of the objective of :func:`dense_quadratic_solve`."""
    d, T = W.shape
    R = np.where(np.isnan(Y), 0.0, weights * (X @ W + b - Y))
    GW = X.T @ R + ridge * W
    GW += alpha * (coupling_map.T @ (coupling_map @ W.T.ravel())).reshape(T, d).T
    return GW, R.sum(axis=0)


# -- proximal operators ---------------------------------------------------------


def soft_threshold(W, threshold):
    return np.sign(W) * np.maximum(np.abs(W) - threshold, 0.0)


def prox_trace(W, threshold):
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    return (U * np.maximum(s - threshold, 0.0)) @ Vt


def shrink_with_sum(s, c):
    """Solve ``sigma_i = (s_i - c * sum_j sigma_j)_+`` for ``sigma >= 0``.

    ``s`` is sorted in decreasing order. If the ``k`` largest are the positive
    ones, ``S = sum sigma`` solves ``S = sum_{i<=k} s_i - c k S``; the right
    ``k`` is the one that is consistent: ``s_k > c S`` and ``s_{k+1} <= c S``.
    """
    s = np.asarray(s, float)
    if s.size == 0 or s[0] <= 0:
        return np.zeros_like(s)
    k = np.arange(1, s.size + 1)
    totals = np.cumsum(s) / (1.0 + c * k)
    following = np.append(s[1:], -np.inf)
    consistent = (s - c * totals > 0) & (following - c * totals <= 0)
    (found,) = np.flatnonzero(consistent)  # exactly one
    return np.maximum(s - c * totals[found], 0.0)


def prox_squared_trace(W, c):
    """Prox of ``c/2 ||W||_*^2``: the singular values shrink by ``c`` times
    the sum of the new ones."""
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    return (U * shrink_with_sum(s, c)) @ Vt


# -- accelerated proximal gradient ---------------------------------------------


def apg(grad, prox, x0, lipschitz, max_iter=20000, xtol=1e-15):
    """FISTA with a fixed step ``1/lipschitz`` and gradient-based restart.

    The momentum restarts when it points against the last proximal step
    (O'Donoghue & Candes, 2015). Stops when a step moves by at most ``xtol``
    relative to the iterate, or after ``max_iter`` steps.
    """
    x, z, t = x0.copy(), x0.copy(), 1.0
    for _ in range(max_iter):
        x_new = prox(z - grad(z) / lipschitz, 1.0 / lipschitz)
        step = x_new - x
        if np.vdot(z - x_new, step) > 0:
            t = 1.0
        t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
        z = x_new + (t - 1) / t_new * step
        x, t = x_new, t_new
        if np.linalg.norm(step) <= xtol * max(np.linalg.norm(x), 1e-300):
            break
    return x


def regression_reference(
    kind,
    X,
    Y,
    alpha,
    ridge=0.0,
    fit_intercept=True,
    weights=None,
    graph=None,
    l1=0.0,
    max_iter=20000,
):
    """Long accelerated proximal-gradient run on the regression objective.

    The variable stacks ``W`` (d, T) and the intercepts as a last row.
    ``kind``: "graph" (quadratic graph term + l1), "relation" (squared
    trace norm), "trace" (trace norm).
    """
    n, d = X.shape
    T = Y.shape[1]
    Y0 = np.where(np.isnan(Y), 0.0, Y)
    Xa = np.hstack([X, np.ones((n, 1))]) if fit_intercept else X
    if kind == "graph":
        A = np.full((T, T), 1.0 / T) if graph is None else np.asarray(graph, float)
        A = A - np.diag(np.diag(A))
        laplacian = np.diag(A.sum(axis=1)) - A  # only for the step size
        coupling_norm = np.linalg.eigvalsh(laplacian)[-1]
    else:
        coupling_norm = 0.0
    lipschitz = (
        max(np.linalg.eigvalsh(Xa.T @ (weights[:, [t]] * Xa))[-1] for t in range(T))
        + ridge
        + alpha * coupling_norm
    )

    def split(V):
        return V[:d], (V[d] if fit_intercept else np.zeros(T))

    def smooth_grad(V):
        W = V[:d]
        G = Xa.T @ (weights * (Xa @ V - Y0))
        G[:d] += ridge * W
        if kind == "graph":
            GW = np.zeros_like(W)
            for s in range(T):
                for t in range(s + 1, T):
                    diff = A[s, t] * (W[:, s] - W[:, t])
                    GW[:, s] += diff
                    GW[:, t] -= diff
            G[:d] += alpha * GW
        return G

    def prox(V, step):
        out = V.copy()
        if kind == "graph":
            out[:d] = soft_threshold(V[:d], step * l1)
        elif kind == "relation":
            out[:d] = prox_squared_trace(V[:d], step * alpha)
        elif kind == "trace":
            out[:d] = prox_trace(V[:d], step * alpha)
        return out

    V = apg(smooth_grad, prox, np.zeros((Xa.shape[1], T)), lipschitz, max_iter)
    return split(V)


# -- logistic loss ------------------------------------------------------------------


def logistic_data_term(X, codes, W_blocks, b_blocks, weights):
    """Weighted logistic / multinomial loss; ``codes`` (n, T), -1 if missing."""
    total = 0.0
    for t, (W, b) in enumerate(zip(W_blocks, b_blocks, strict=True)):
        rows = codes[:, t] >= 0
        Z = X[rows] @ W + b
        w = weights[rows, t]
        if W.shape[1] == 1:
            y = (codes[rows, t] == 1).astype(float)
            total += float(np.sum(w * (np.logaddexp(0.0, Z[:, 0]) - y * Z[:, 0])))
        else:
            top = Z.max(axis=1)
            lse = top + np.log(np.exp(Z - top[:, None]).sum(axis=1))
            picked = Z[np.arange(Z.shape[0]), codes[rows, t]]
            total += float(np.sum(w * (lse - picked)))
    return total


def mean_regularized_logistic_reference(
    X, codes, weights, alpha, ridge, fit_intercept=True, max_iter=50000
):
    """Binary tasks: logistic loss + mean-regularisation (alpha) + ridge."""
    n, d = X.shape
    T = codes.shape[1]
    Xa = np.hstack([X, np.ones((n, 1))]) if fit_intercept else X
    observed = codes >= 0
    y = (codes == 1).astype(float)
    lipschitz = (
        0.25
        * max(np.linalg.eigvalsh(Xa.T @ (weights[:, [t]] * Xa))[-1] for t in range(T))
        + ridge
        + alpha
    )

    def grad(V):
        Z = Xa @ V
        P = 1.0 / (1.0 + np.exp(-Z))
        G = Xa.T @ np.where(observed, weights * (P - y), 0.0)
        W = V[:d]
        G[:d] += alpha * (W - W.mean(axis=1, keepdims=True)) + ridge * W
        return G

    V0 = np.zeros((Xa.shape[1], T))
    V = apg(grad, lambda V, step: V, V0, lipschitz, max_iter)
    return V[:d], (V[d] if fit_intercept else np.zeros(T))
