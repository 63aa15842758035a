"""Working-set solver: an outer loop on all features, inner solves on a few.

Each outer iteration computes the full gradient, the certificate (duality gap
when the problem has a closed-form dual, KKT distance otherwise) and, for
penalties that separate over features, the per-feature KKT violations. It
then solves the problem restricted to the current support plus the most
violating features (at least twice the support), to a KKT accuracy tied to
the current one, with :func:`prox_gradient`. Features outside the working set
stay at zero, so an inner iteration never touches the full design matrix.
"""

from dataclasses import dataclass

import numpy as np

from ._prox_grad import prox_gradient, sqnorm

_MIN_WORKING_SET = 200  # first working set; then at least twice the support
_GROWTH = 2
_INNER_FRACTION = 0.1
_FINISH = 30.0
_MAX_OUTER = 200


@dataclass
class Result:
    """What a solver returns."""

    W: np.ndarray
    b: np.ndarray
    n_iter: int
    converged: bool
    kkt: float  # KKT distance at the solution
    gap: float | None  # duality gap, when the problem has one
    criterion: str  # "duality_gap" or "kkt": what ``tol`` was applied to
    measure: float  # final value of the criterion
    threshold: float  # the scaled tolerance the criterion was compared with


def tolerance_scales(problem, null_gradient=None):
    """Scales of the gap and of the KKT distance at the zero solution."""
    if null_gradient is None:
        null_gradient = problem.full_gradient(*problem.null_point())
    _, Z0, _, G0 = null_gradient
    gap_scale = 2.0 * problem.datafit.value(Z0)
    kkt_scale = float(np.sqrt(np.sum(G0 * G0)))
    return (gap_scale if gap_scale > 0 else 1.0), (kkt_scale if kkt_scale > 0 else 1.0)


def _certificate(problem, W, Z, raw, G, rows, scales, tol, kkt_tol):
    """``kkt, gap, criterion, measure, threshold`` at the current point."""
    gb = problem.intercept_gradient(raw)
    if rows is None:
        kkt = problem.kkt_violation(W, G, raw)
    else:
        kkt = float(np.sqrt(sqnorm(rows) + sqnorm(gb)))
    if kkt_tol is not None:
        return kkt, None, "kkt", kkt, kkt_tol
    if problem.has_duality_gap:
        gap = problem.duality_gap(W, Z, G)
        return kkt, gap, "duality_gap", gap, tol * scales[0]
    return kkt, None, "kkt", kkt, tol * scales[1]


def _working_set(problem, W, kkt_rows, previous_size):
    """Boolean mask of the features to solve on: the support plus the most
    violating features (all features when the penalty is not separable)."""
    n_features = problem.n_features
    sparse_solutions = getattr(problem.penalty, "induces_sparsity", True)
    if kkt_rows is None or n_features <= _MIN_WORKING_SET or not sparse_solutions:
        return np.ones(n_features, dtype=bool)
    in_support = np.any(W != 0, axis=1)
    n_support = int(np.count_nonzero(in_support))
    size = min(n_features, max(_MIN_WORKING_SET, _GROWTH * n_support, previous_size))
    scores = np.where(in_support, np.inf, kkt_rows)
    candidates = np.flatnonzero(scores > 0)
    if candidates.size > size:
        candidates = candidates[np.argpartition(-scores[candidates], size - 1)[:size]]
    mask = in_support.copy()
    mask[candidates] = True
    return mask


def _inner_measure(problem, objective, criterion):
    """Stopping measure of an inner solve: restricted gap, or KKT distance."""
    if criterion != "duality_gap":
        return None

    def restricted_gap(W, gW, gb, cache, penalty_value):
        data_value, yr, rr = objective.residual_moments(cache)
        return problem.gap_from_moments(W, gW, data_value, yr, rr, penalty_value)

    return restricted_gap


def solve(problem, W=None, b=None, *, tol=1e-4, max_iter=1000, verbose=0, kkt_tol=None):
    """Minimise ``problem`` from ``(W, b)`` (zero by default).

    Stops on the duality gap (at most ``tol`` times ``2 F(0)``) when the
    problem has one, else on the KKT distance (at most ``tol`` times its value
    at zero); ``kkt_tol``, when given, is an absolute bound on the KKT
    distance used instead. ``max_iter`` bounds the total number of
    proximal-gradient iterations.
    """
    from_null = W is None
    if from_null:
        W, b = problem.null_point()
    W = np.array(W, dtype=np.float64)
    b = np.array(b, dtype=np.float64)
    n_iter, inner_tol, curvature, size, features = 0, np.inf, None, 0, None
    XW = None
    for outer in range(_MAX_OUTER):
        b, Z, raw, G = problem.full_gradient(W, b, XW)
        if outer == 0:
            scales = tolerance_scales(problem, (b, Z, raw, G) if from_null else None)
        rows = None
        if problem.penalty.row_separable:
            rows = problem.penalty.row_violations(W, G)
        kkt, gap, criterion, measure, threshold = _certificate(
            problem, W, Z, raw, G, rows, scales, tol, kkt_tol
        )
        if verbose:
            print(
                f"[skmtl] outer {outer}: {criterion} {measure:.3e} (tol "
                f"{threshold:.3e}), support {np.any(W != 0, axis=1).sum()}"
            )
        if measure <= threshold or n_iter >= max_iter:
            break
        mask = _working_set(problem, W, rows, size)
        stable = features is not None and not np.any(mask & ~features)
        features, size = mask, int(np.count_nonzero(mask))
        # once no new feature enters, or close to the end, solve to the final
        # accuracy at once
        finish = stable or measure < _FINISH * threshold
        inner_tol = (
            0.3 * threshold
            if finish
            else max(min(_INNER_FRACTION * measure, 0.5 * inner_tol), 0.3 * threshold)
        )
        indices = np.flatnonzero(features)
        objective = problem.restricted(indices)
        WS, b, its, curvature, cache = prox_gradient(
            objective,
            problem.penalty,
            W[indices],
            b,
            tol=inner_tol,
            max_iter=max_iter - n_iter,
            curvature=curvature,
            measure=_inner_measure(problem, objective, criterion),
        )
        W = np.zeros_like(W)
        W[indices] = WS
        XW = objective.linear_part(cache)
        n_iter += max(its, 1)
    converged = measure <= threshold
    return Result(W, b, n_iter, converged, kkt, gap, criterion, measure, threshold)


__all__ = ["Result", "solve", "tolerance_scales"]
