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
