"""Slow, independent reference implementations used by the tests.

Nothing here imports skmtl: the objective, its weights and its gradients are
written again from their definitions, and minimised by plain accelerated
proximal gradient with a fixed step 1/L run for many iterations.
"""

import numpy as np


def entry_weights(Y, sample_weight=None, task_weights=None):
    """``task_weight[t] * s_i / sum_{i observed in t} s_i`` on observed entries."""
    observed = ~np.isnan(Y)
    n, T = Y.shape
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    c = np.ones(T) if task_weights is None else np.asarray(task_weights, float)
    raw = observed * s[:, None]
    return raw * (c / raw.sum(axis=0))


def l21_objective(X, Y, W, b, alpha, ridge=0.0, weights=None):
    """Squared-loss objective of the L2,1 models, W (d, T), b (T,)."""
    weights = entry_weights(Y) if weights is None else weights
    R = np.where(np.isnan(Y), 0.0, Y - X @ W - b)
    data = 0.5 * np.sum(weights * R**2)
    return data + alpha * np.sum(np.linalg.norm(W, axis=1)) + 0.5 * ridge * np.sum(W**2)


def _group_prox(W, threshold):
    norms = np.linalg.norm(W, axis=1, keepdims=True)
    return W * np.maximum(1 - threshold / np.maximum(norms, 1e-300), 0.0)


def fista(grad, prox, x0, lipschitz, n_iter):
    """Accelerated proximal gradient with fixed step ``1/lipschitz``."""
    x, z, t = x0.copy(), x0.copy(), 1.0
    for _ in range(n_iter):
        x_new = prox(z - grad(z) / lipschitz, 1.0 / lipschitz)
        t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
        z = x_new + (t - 1) / t_new * (x_new - x)
        x, t = x_new, t_new
    return x


def l21_regression_reference(
    X,
    Y,
    alpha,
    ridge=0.0,
    fit_intercept=True,
    sample_weight=None,
    task_weights=None,
    n_iter=20000,
):
    """Solve the L2,1 regression problem with NaN targets by long FISTA runs.

    The variable stacks W (d, T) and the intercepts as a last row.
    """
    n, d = X.shape
    T = Y.shape[1]
    weights = entry_weights(Y, sample_weight, task_weights)
    Y0 = np.where(np.isnan(Y), 0.0, Y)
    Xa = np.hstack([X, np.ones((n, 1))]) if fit_intercept else X
    lipschitz = (
        max(np.linalg.eigvalsh(Xa.T @ (weights[:, [t]] * Xa))[-1] for t in range(T))
        + ridge
    )

    def grad(V):
        R = weights * (Xa @ V - Y0)
        G = Xa.T @ R
        G[:d] += ridge * V[:d]
        return G

    def prox(V, step):
        out = V.copy()
        out[:d] = _group_prox(V[:d], step * alpha)
        return out

    V = fista(grad, prox, np.zeros((Xa.shape[1], T)), lipschitz, n_iter)
    b = V[d] if fit_intercept else np.zeros(T)
    return V[:d], b


def logistic_gradient(X, codes_list, W_blocks, b_blocks, weights):
    """Gradient of the per-task averaged logistic / multinomial loss.

    ``codes_list[t]`` holds the class index of each row for task t (-1 if
    missing), ``W_blocks[t]`` is (d, K_t) (K_t = 1 for binary), ``weights``
    (n, T) the entry weights. Returns the list of (d, K_t) gradients and the
    list of (K_t,) intercept gradients.
    """
    grads, grads_b = [], []
    for t, (codes, W, b) in enumerate(zip(codes_list, W_blocks, b_blocks, strict=True)):
        rows = codes >= 0
        Z = X[rows] @ W + b
        w = weights[rows, t]
        if W.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-Z[:, 0]))
            r = (w * (p - (codes[rows] == 1)))[:, None]
        else:
            E = np.exp(Z - Z.max(axis=1, keepdims=True))
            P = E / E.sum(axis=1, keepdims=True)
            P[np.arange(P.shape[0]), codes[rows]] -= 1.0
            r = w[:, None] * P
        grads.append(X[rows].T @ r)
        grads_b.append(r.sum(axis=0))
    return grads, grads_b
