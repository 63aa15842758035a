"""Proximal gradient on the design, for problems whose quadratic model would
not fit in memory (and for any datafit): the fallback of :func:`minimize`.

Proximal gradient with Barzilai-Borwein steps and a non-monotone line search
(SpaRSA: Wright, Nowak & Figueiredo, 2009), inside working sets over the
features. It needs only the value and gradient of the smooth part and the
prox of the penalty.
"""

import numpy as np

from ._problem import kkt_distance, sqnorm

_MEMORY = 10  # number of past objective values in the non-monotone test
_SUFFICIENT_DECREASE = 1e-4
_MAX_BACKTRACKS = 60
_STALL = 50  # iterations without decrease of the objective
_MIN_WORKING_SET = 20
_MAX_OUTER = 50


class DesignObjective:
    """Smooth part restricted to ``features``, through ``X[:, features]``."""

    def __init__(self, problem, features):
        self.problem = problem
        self.features = features
        self._W = np.zeros((problem.n_features, problem.n_columns))

    def _embed(self, W):
        self._W[:] = 0.0
        self._W[self.features] = W
        return self._W

    def evaluate(self, W, b):
        problem = self.problem
        xw = problem.linear_predictor(self._embed(W))
        b = problem.intercept(xw, b)
        value, g = problem.datafit.value_and_gradient(xw + b[problem.cols])
        return value + problem.quadratic_value(W), (W, b, g)

    def gradient(self, cache):
        W, _, g = cache
        problem = self.problem
        gW = problem.design_gradient(g, self.features) + problem.quadratic_gradient(W)
        return gW, problem.intercept_gradient(g)

    @staticmethod
    def intercept(cache):
        return cache[1]


def _initial_curvature(objective, W, b, gW, gb):
    """Curvature of the smooth part along the gradient: a first step size."""
    norm = np.sqrt(sqnorm(gW) + sqnorm(gb))
    if norm == 0:
        return 1.0
    eps = 1e-6 * (1.0 + np.sqrt(sqnorm(W) + sqnorm(b))) / norm
    _, cache = objective.evaluate(W - eps * gW, b - eps * gb if gb.size else b)
    gW2, gb2 = objective.gradient(cache)
    change = np.sqrt(sqnorm(gW2 - gW) + sqnorm(gb2 - gb))
    curvature = change / (eps * norm)
    return curvature if np.isfinite(curvature) and curvature > 0 else 1.0


def prox_gradient(objective, penalty, W, b, *, tol, max_iter, curvature=None):
    """Minimise ``objective(W, b) + penalty(W)``; the intercept is unpenalised.

    Stops when the KKT distance is at most ``tol``, after ``max_iter``
    iterations, or when the objective stops decreasing. Returns ``W, b,
    n_iter, curvature, status``.
    """
    value, cache = objective.evaluate(W, b)
    b = objective.intercept(cache)
    gW, gb = objective.gradient(cache)
    history = [value + penalty.value(W)]
    eta = curvature or _initial_curvature(objective, W, b, gW, gb)
    best, stalled = history[0], 0
    for n_iter in range(max_iter):
        if kkt_distance(penalty, W, gW, gb) <= tol:
            return W, b, n_iter, eta, "converged"
        if stalled >= _STALL:
            return W, b, n_iter, eta, "stalled"
        step = _line_search(objective, penalty, W, b, gW, gb, eta, max(history))
        if step is None:  # no move possible at machine precision
            return W, b, n_iter, eta, "stalled"
        W_new, b_new, phi, cache, eta = step
        gW_new, gb_new = objective.gradient(cache)
        db = b_new - b if gb.size else gb
        eta = _barzilai_borwein(W_new - W, db, gW_new - gW, gb_new - gb, eta, n_iter)
        W, b, gW, gb = W_new, objective.intercept(cache), gW_new, gb_new
        history = (history + [phi])[-_MEMORY:]
        improved = phi < best - 4 * np.finfo(float).eps * abs(best)
        stalled = 0 if improved else stalled + 1
        best = min(best, phi)
    return W, b, max_iter, eta, "max_iter"


def _line_search(objective, penalty, W, b, gW, gb, eta, reference):
    """Backtrack on ``eta`` until the non-monotone sufficient decrease holds."""
    slack = 8 * np.finfo(float).eps * abs(reference)
    for _ in range(_MAX_BACKTRACKS):
        W_new, penalty_value = penalty.prox_value(W - gW / eta, 1.0 / eta)
        b_new = b - gb / eta if gb.size else b
        moved = sqnorm(W_new - W) + (sqnorm(b_new - b) if gb.size else 0.0)
        if moved == 0.0:
            return None
        value, cache = objective.evaluate(W_new, b_new)
        phi = value + penalty_value
        if phi <= reference - 0.5 * _SUFFICIENT_DECREASE * eta * moved + slack:
            return W_new, b_new, phi, cache, eta
        eta *= 2.0
    return None


def _barzilai_borwein(dW, db, dgW, dgb, eta, iteration):
    """Next curvature estimate: the two Barzilai-Borwein ratios, alternately."""
    moved = sqnorm(dW) + sqnorm(db)
    curvature = float(np.vdot(dW, dgW)) + (float(np.vdot(db, dgb)) if db.size else 0.0)
    if moved <= 0 or curvature <= 0 or not np.isfinite(curvature):
        return eta
    if iteration % 2:
        new = (sqnorm(dgW) + sqnorm(dgb)) / curvature
    else:
        new = curvature / moved
    return min(max(new, 1e-12 * eta, 1e-30), 1e12 * eta)


def design_working_sets(problem, W0, b0, *, tol, max_iter, verbose, kkt_tol):
    """Working sets over the features, proximal gradient on each."""
    from ._minimize import criterion_of, final_result, start_point, tolerance_scales

    W, b = start_point(problem, W0, b0)
    scales = tolerance_scales(problem)
    criterion, threshold = criterion_of(problem, kkt_tol, tol, scales)
    # proximal gradient stops on the KKT distance; for a gap criterion, ask
    # for a KKT distance of the same relative accuracy
    kkt_threshold = threshold if criterion == "kkt" else tol * scales[1]
    n_iter, curvature, status, size = 0, None, "max_iter", _MIN_WORKING_SET
    for outer in range(_MAX_OUTER):
        b, z, g, G = problem.full_gradient(W, b)
        kkt = problem.kkt_violation(W, G, g)
        if verbose:
            print(f"[skmtl] outer {outer}: kkt {kkt:.3e} (tol {kkt_threshold:.3e})")
        if kkt <= kkt_threshold or n_iter >= max_iter or status == "stalled":
            break
        features = _features(problem, W, G, size)
        size = features.size
        objective = DesignObjective(problem, features)
        WS, b, its, curvature, status = prox_gradient(
            objective, problem.penalty, W[features], b,
            tol=max(0.1 * kkt, 0.3 * kkt_threshold), max_iter=max_iter - n_iter,
            curvature=curvature,
        )
        W = np.zeros_like(W)
        W[features] = WS
        n_iter += max(its, 1)
    return final_result(
        problem, W, b, n_iter, status, criterion, threshold, "proximal gradient"
    )


def _features(problem, W, G, size):
    penalty = problem.penalty
    if not (penalty.row_separable and penalty.induces_sparsity):
        return np.arange(problem.n_features)
    from ._minimize import _select

    return _select(problem, W, G, size)
