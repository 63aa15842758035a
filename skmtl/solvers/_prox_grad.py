"""Proximal gradient with Barzilai-Borwein steps and non-monotone line search.

This is the SpaRSA scheme (Wright, Nowak & Figueiredo, 2009): the step is the
inverse of the Barzilai-Borwein curvature estimate of the last move, accepted
when the objective decreases sufficiently compared with the largest of the
last few values, and halved otherwise. It needs only the value and gradient
of the smooth part and the prox of the penalty, so it serves every datafit
and every penalty of the package, and it adapts to the local curvature (which
matters when there are more active features than samples).
"""

import numpy as np

_MEMORY = 10  # number of past objective values in the non-monotone test
_SUFFICIENT_DECREASE = 1e-4
_MAX_BACKTRACKS = 60
_STALL = 50  # iterations without decrease of the objective


def sqnorm(A):
    """Squared Frobenius norm."""
    return float(np.vdot(A, A)) if A.size else 0.0


def kkt_distance(penalty, W, gW, gb):
    """Distance from minus the gradient to the subdifferential of the penalty."""
    if penalty.row_separable:
        dist2 = sqnorm(penalty.row_violations(W, gW))
    else:
        dist2 = penalty.violation(W, gW) ** 2
    return float(np.sqrt(dist2 + sqnorm(gb)))


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


def prox_gradient(
    objective, penalty, W, b, *, tol, max_iter, curvature=None, measure=None
):
    """Minimise ``objective(W, b) + penalty(W)``; the intercept is unpenalised.

    Stops when ``measure(W, gW, gb, cache, penalty_value)`` (the KKT distance
    by default) is at most ``tol``, or after ``max_iter`` iterations.

    Returns
    -------
    W, b : the solution (``b`` as set by the objective when it is profiled)
    n_iter : int
    curvature : float, last step curvature (to warm-start a next call)
    cache : the objective's cache at the returned point
    """
    value, cache = objective.evaluate(W, b)
    b = objective.intercept(cache)
    gW, gb = objective.gradient(cache)
    penalty_value = penalty.value(W)
    history = [value + penalty_value]
    eta = curvature or _initial_curvature(objective, W, b, gW, gb)
    if measure is None:

        def measure(W, gW, gb, cache, penalty_value):
            return kkt_distance(penalty, W, gW, gb)

    best, stalled = history[0], 0
    for n_iter in range(max_iter):
        if measure(W, gW, gb, cache, penalty_value) <= tol or stalled >= _STALL:
            return W, b, n_iter, eta, cache
        step = _line_search(objective, penalty, W, b, gW, gb, eta, max(history))
        if step is None:  # no move possible at machine precision
            return W, b, n_iter, eta, cache
        W_new, b_new, phi, penalty_value, cache, eta = step
        gW_new, gb_new = objective.gradient(cache)
        db = b_new - b if gb.size else gb
        eta = _barzilai_borwein(W_new - W, db, gW_new - gW, gb_new - gb, eta, n_iter)
        W, b, gW, gb = W_new, objective.intercept(cache), gW_new, gb_new
        history = (history + [phi])[-_MEMORY:]
        # when the objective no longer decreases in double precision, stop
        improved = phi < best - 4 * np.finfo(float).eps * abs(best)
        stalled = 0 if improved else stalled + 1
        best = min(best, phi)
    return W, b, max_iter, eta, cache


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
            return W_new, b_new, phi, penalty_value, cache, eta
        eta *= 2.0
    return None


def _barzilai_borwein(dW, db, dgW, dgb, eta, iteration):
    """Next curvature estimate: the two Barzilai-Borwein ratios, alternately.

    Odd iterations use <s, y>/<s, s> (the long step), even ones
    <y, y>/<s, y> (the short step); alternating damps the oscillations of
    the long step without the slowness of the short one.
    """
    moved = sqnorm(dW) + sqnorm(db)
    curvature = float(np.vdot(dW, dgW)) + (float(np.vdot(db, dgb)) if db.size else 0.0)
    if moved <= 0 or curvature <= 0 or not np.isfinite(curvature):
        return eta
    if iteration % 2:
        new = (sqnorm(dgW) + sqnorm(dgb)) / curvature
    else:
        new = curvature / moved
    return min(max(new, 1e-12 * eta, 1e-30), 1e12 * eta)
