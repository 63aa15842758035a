"""Objectives of the skmtl models, written from their docstrings in plain numpy.

Independent of skmtl's internals, so the benchmarks can judge any solver.
``W`` is (n_features, n_tasks) (``coef_.T``), ``b`` (n_tasks,); ``Y`` is the
stacked target matrix with NaN where a task does not observe a row. Unit
sample and task weights, ``ridge = 0``, binary classification tasks with 0/1
labels (``coef_`` rows are the weights of class 1).
"""

import numpy as np


def squared_loss(X, Y, W, b):
    """``sum_t 1/(2 n_t) sum_{i in O_t} (y_it - x_i w_t - b_t)^2``."""
    mask = ~np.isnan(Y)
    R = np.where(mask, np.nan_to_num(Y) - X @ W - b, 0.0)
    return float(np.sum(0.5 * np.sum(R**2, axis=0) / mask.sum(axis=0)))


def logistic_loss(X, Y, W, b):
    """``sum_t 1/n_t sum_{i in O_t} log(1 + exp(z_it)) - y_it z_it``."""
    mask = ~np.isnan(Y)
    Z = X @ W + b
    L = np.where(mask, np.logaddexp(0.0, Z) - np.nan_to_num(Y) * Z, 0.0)
    return float(np.sum(np.sum(L, axis=0) / mask.sum(axis=0)))


def l21(W):
    return float(np.sum(np.linalg.norm(W, axis=1)))


def trace_norm(W):
    return float(np.sum(np.linalg.svd(W, compute_uv=False)))


def mean_penalty(W):
    """``1/2 sum_t ||w_t - wbar||^2``."""
    return 0.5 * float(np.sum((W - W.mean(axis=1, keepdims=True)) ** 2))


def graph_penalty(W, A):
    """``1/2 sum_{s<t} A_st ||w_s - w_t||^2``."""
    D = np.sum((W[:, :, None] - W[:, None, :]) ** 2, axis=0)
    return 0.25 * float(np.sum(A * D))


def chain_graph(n_tasks):
    """Task ``t`` related to task ``t + 1`` with weight 1."""
    A = np.zeros((n_tasks, n_tasks))
    i = np.arange(n_tasks - 1)
    A[i, i + 1] = A[i + 1, i] = 1.0
    return A


PENALTIES = {
    "L21": lambda W, alpha, graph: alpha * l21(W),
    "TraceNorm": lambda W, alpha, graph: alpha * trace_norm(W),
    "MeanRegularized": lambda W, alpha, graph: alpha * mean_penalty(W),
    "TaskGraph": lambda W, alpha, graph: alpha * graph_penalty(W, graph),
    "TaskRelation": lambda W, alpha, graph: 0.5 * alpha * trace_norm(W) ** 2,
}


def objective(model, X, Y, family, classification):
    """Full objective of a fitted model (``family`` is a key of PENALTIES)."""
    W = np.atleast_2d(model.coef_).T
    b = np.atleast_1d(model.intercept_)
    loss = logistic_loss if classification else squared_loss
    graph = getattr(model, "graph", None)
    graph = None if graph is None else np.asarray(graph, dtype=float)
    return loss(X, Y, W, b) + PENALTIES[family](W, model.alpha, graph)


# -- the models of issue 9 (their docstrings' objectives) ------------------------
def l1(W):
    return float(np.sum(np.abs(W)))


def linf1(P):
    """``sum_j max_t |P_jt|``."""
    return float(np.sum(np.max(np.abs(P), axis=1))) if P.size else 0.0


def column_l2(Q):
    """``sum_t ||Q_:,t||_2``."""
    return float(np.sum(np.linalg.norm(Q, axis=0)))


def fused_differences(W):
    """``sum_j sum_t |W_j,t+1 - W_j,t|`` (tasks in column order)."""
    return float(np.sum(np.abs(np.diff(W, axis=1))))


def structure_minimum(W, eta, k, side):
    """``min_M tr(W (eta I + M)^{-1} W^T)`` (``side="tasks"``, M of size
    n_tasks) or ``tr(W^T (eta I + M)^{-1} W)`` (``side="features"``), over
    ``0 <= M <= I``, ``tr M = k``: with the squared singular values ``s_i``
    of ``W`` (padded with zeros to M's size), ``sum_i s_i / (eta + m_i)``
    at ``m_i = clip(sqrt(s_i / nu) - eta, 0, 1)``, ``nu`` such that
    ``sum m_i = k`` (bisection on ``log nu``); directions with ``s_i = 0``
    take what is left of ``k`` at no cost."""
    size = W.shape[1] if side == "tasks" else W.shape[0]
    s = np.zeros(size)
    sv = np.linalg.svd(W, compute_uv=False) ** 2
    s[: sv.size] = sv
    positive = s > 0
    if not positive.any():
        return 0.0
    if np.count_nonzero(positive) <= k:  # every direction used by W fully inside
        return float(np.sum(s[positive]) / (eta + 1.0))

    def total(log_nu):
        return np.sum(np.clip(np.sqrt(s / np.exp(log_nu)) - eta, 0.0, 1.0))

    lo, hi = np.log(s[positive].min()) - 60.0, np.log(s.max()) + 60.0
    for _ in range(200):  # total is non-increasing in nu
        mid = 0.5 * (lo + hi)
        if total(mid) > k:
            lo = mid
        else:
            hi = mid
    m = np.clip(np.sqrt(s / np.exp(0.5 * (lo + hi))) - eta, 0.0, 1.0)
    return float(np.sum(s / (eta + m)))


def _parts(model, first, second):
    return (np.atleast_2d(getattr(model, first)).T,
            np.atleast_2d(getattr(model, second)).T)


def breadth_penalty(model, family, W):
    """Penalty of a fitted issue-9 model at its own parts (``W = coef_.T``)."""
    p = model.get_params()
    if family == "Dirty":
        P, Q = _parts(model, "shared_coef_", "specific_coef_")
        return p["alpha"] * linf1(P) + p["l1"] * l1(Q)
    if family == "RobustFeature":
        P, Q = _parts(model, "shared_coef_", "outlier_coef_")
        return p["alpha"] * l21(P) + p["beta"] * column_l2(Q)
    if family == "RobustLowRank":
        L, S = _parts(model, "low_rank_coef_", "outlier_coef_")
        return p["alpha"] * trace_norm(L) + p["beta"] * column_l2(S)
    if family == "SparseLowRank":
        Q, P = _parts(model, "low_rank_coef_", "sparse_coef_")
        return p["alpha"] * trace_norm(Q) + p["l1"] * l1(P)
    if family == "FusedTask":
        return (p["alpha"] * l21(W) + p["l1"] * l1(W)
                + p["fused"] * fused_differences(W))
    if family == "TaskGraphL21":
        A = p["graph"]
        A = np.asarray(A.toarray() if hasattr(A, "toarray") else A, dtype=float)
        return (p["alpha"] * graph_penalty(W, A) + p["l21"] * l21(W)
                + p["l1"] * l1(W))
    if family in ("Clustered", "SharedSubspace"):
        eta = p["eta"]
        k, side = ((p["n_clusters"], "tasks") if family == "Clustered"
                   else (p["n_components"], "features"))
        return p["alpha"] * eta * (1 + eta) * structure_minimum(W, eta, k, side)
    raise KeyError(family)


def breadth_objective(model, X, Y, family, classification):
    """Full objective of a fitted issue-9 model (``ridge = 0``, unit weights)."""
    W = np.atleast_2d(model.coef_).T
    b = np.atleast_1d(model.intercept_)
    loss = logistic_loss if classification else squared_loss
    return loss(X, Y, W, b) + breadth_penalty(model, family, W)
