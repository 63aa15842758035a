"""Proximal Newton for losses with curvature (logistic, multinomial).

Each step replaces the loss by a quadratic model at the current point with
the same penalties, solves it, and searches along the resulting direction on
the true objective:

* binary tasks only: the weighted least-squares model (iteratively
  reweighted least squares), the exact second-order expansion, solved with
  :func:`~skmtl.solvers.minimize` (coordinate descent on its quadratic
  model, or its linear equations);
* with multinomial tasks and a penalty: the model with each row's exact
  class-coupled Hessian block ``w (diag(p) - p p^T)``
  (:mod:`._exact_newton`), solved by accelerated proximal gradient for
  every penalty, when its dense blocks fit the budget (on a working set of
  features for the row-sparse penalties); else the weighted least-squares
  model with the block replaced by the multiple of the identity that bounds
  it (``2 w max_k p_k (1 - p_k)``): a majorisation step, linear convergence.
  Without a penalty that model is solved in closed form (deterministic:
  integer weights and repeated rows take the same path).

On a settled support, L2,1 and no penalty also take Newton's exact step on
the support (one Cholesky solve). When a line search finds no decrease the
next model down is tried (exact, then weighted least squares); when the KKT
distance stops improving, the solver falls back to proximal gradient on the
true objective from the current point; when that stalls too, the status
says "stalled".
"""

import numpy as np
from scipy import linalg

from ..datafits import Quadratic
from ._exact_newton import ExactModel, block_hessian, solve_model, working_features
from ._problem import Problem

_INNER_MAX_ITER = 5000  # per weighted least-squares subproblem
_ARMIJO = 1e-4
_MAX_HALVINGS = 30
_MAX_STALLED = 4
_EXACT_UNKNOWNS = 2000  # largest support (rows x columns) for the exact step
_EXACT_MAX_ITER = 20000  # accelerated proximal gradient steps on the exact model
_EXACT_FLOPS = 4e10  # bound on their products with the blocks, per Newton step
_INNER_FLOOR = 0.1  # the model's KKT tolerance is at least this times the fit's
_PROGRESS = 1e-9  # relative decrease of the objective that counts as progress
_VALUE_FLOOR = 1e-3  # relative objective decreases are taken of max(|F|, this F(0))


def _subproblem(problem, z, damping=0.0):
    """The weighted least-squares model at ``z``, each entry's curvature
    raised by ``damping`` times its weight times its column's weighted mean
    curvature (Levenberg-Marquardt in the predictor: the model's gradient at
    ``z`` is kept, its step shrinks). Sums over entries, so the damping is
    the same for integer weights and for repeated rows."""
    u, h = problem.datafit.quadratic_model(z)
    rows, cols = problem.rows, problem.cols
    if damping > 0:
        w = problem.datafit.entry_weights
        T = problem.n_columns
        totals = np.bincount(cols, w, T)
        means = np.bincount(cols, h, T) / np.where(totals > 0, totals, 1.0)
        raised = h + damping * means[cols] * w
        u = z + (u - z) * (h / raised)
        h = raised
    model = Quadratic(rows, cols, u, h, problem.datafit.n_samples, problem.n_columns)
    sub = Problem(
        problem.X,
        model,
        problem.penalty,
        fit_intercept=problem.fit_intercept,
        ridge=problem.ridge,
        coupling=problem.coupling,
    )
    sub.certified = False  # the line search judges the step on the true loss
    return sub


def _line_search(problem, W, b, D, db, G, gb, start, z=None):
    """Largest step ``0.5^k`` with sufficient decrease of the true objective.

    With ``z`` (the predictor at ``(W, b)``; intercepts not profiled) the
    predictor along the direction is ``z + step dz``: one product with the
    design for the whole search."""
    decrease = float(np.vdot(G, D)) + (float(np.vdot(gb, db)) if gb.size else 0.0)
    decrease += problem.penalty.value(W + D) - problem.penalty.value(W)
    linear = z is not None and not problem.profiled
    if linear:
        dz = problem.linear_predictor(D)
        if problem.fit_intercept:
            dz = dz + db[problem.cols]
    # near the optimum the decrease falls below what float64 resolves in the
    # objective: the full step is taken when the objective did not rise
    # beyond rounding (a step that does not lower the KKT distance counts as
    # stalled in the caller, which then falls back)
    rounding = 8 * np.finfo(float).eps * abs(start)
    step = 1.0
    for _ in range(_MAX_HALVINGS):
        W_new, b_new = W + step * D, b + step * db
        if linear:
            value = (problem.datafit.value(z + step * dz)
                     + problem.quadratic_value(W_new) + problem.penalty.value(W_new))
        else:
            value = problem.objective(W_new, b_new)
        if value <= start + _ARMIJO * step * min(decrease, 0.0) or (
                step == 1.0 and value <= start + rounding):
            return W_new, b_new, value, step
        step *= 0.5
    return None


def _support_hessian(problem, z, active):
    """Exact Hessian of the loss in ``(W[active], b)``: ``(P, q, P, q)`` with
    ``P = |active| (+ 1 for the intercepts)``, from the per-row blocks."""
    from ._problem import _block

    datafit, layout = problem.datafit, problem.datafit.layout
    fit_intercept = problem.fit_intercept
    P = active.size + int(fit_intercept)
    q = problem.n_columns
    M = np.zeros((P, q, P, q))
    for t, rows, H in datafit.row_hessians(z):
        Xa = _block(problem.X, rows, active)
        if fit_intercept:
            Xa = np.column_stack([Xa, np.ones(rows.size)])
        columns = layout.columns(t)
        M[:, columns, :, columns] += block_hessian(Xa, H)
    return M


def _support_settled(problem, W, G, kkt):
    """The zero rows account for a small part of the KKT distance."""
    if not problem.penalty.row_separable:
        return False
    zero = ~np.any(W != 0, axis=1)
    if not zero.any():
        return True
    violations = problem.penalty.row_violations(W[zero], G[zero])
    return float(np.sqrt(np.sum(violations**2))) <= 0.1 * kkt


def _exact_support_step(problem, W, b, z, g, G, value):
    """Newton's step on the support with the exact Hessian (multinomial
    blocks included), searched on the true objective; None when the penalty
    is not smooth on its support or the support is too large."""
    from ._kernels import newton_kind

    kind = newton_kind(problem.penalty)
    if kind not in ("l21", "none"):
        return None
    active = np.flatnonzero(np.any(W != 0, axis=1))
    q = problem.n_columns
    P = active.size + int(problem.fit_intercept)
    if active.size == 0 or P * q > _EXACT_UNKNOWNS:
        return None
    M = _support_hessian(problem, z, active)
    a = active.size
    grad = np.zeros((P, q))
    grad[:a] = G[active]
    gb = problem.intercept_gradient(g)
    if problem.fit_intercept:
        grad[a] = gb
    WA = W[active]
    index = np.arange(a)
    if kind == "l21":
        alpha = problem.penalty.alpha
        norms = np.sqrt(np.sum(WA * WA, axis=1))
        U = WA / norms[:, None]
        grad[:a] += alpha * U
        M[index, :, index, :] += (alpha / norms)[:, None, None] * (
            np.eye(q) - U[:, :, None] * U[:, None, :]
        )
    if problem.coupling is not None:
        M[index, :, index, :] += problem.coupling
    M[index, :, index, :] += problem.ridge * np.eye(q)
    M = M.reshape(P * q, P * q)
    # the multinomial loss is flat along "same shift for every class":
    # a tiny damping makes the system definite without changing the step
    M.flat[:: P * q + 1] += 1e-12 * max(np.trace(M) / (P * q), 1e-300)
    try:
        step = linalg.cho_solve(linalg.cho_factor(M, check_finite=False),
                                grad.ravel(), check_finite=False)
    except (linalg.LinAlgError, ValueError):
        return None
    if not np.all(np.isfinite(step)):
        return None
    step = step.reshape(P, q)
    D = np.zeros_like(W)
    D[active] = -step[:a]
    db = -step[a] if problem.fit_intercept else np.zeros_like(b)
    _centre_intercepts(problem, db)
    return _line_search(problem, W, b, D, db, G, gb, value, z)


def _exact_model_step(problem, W, b, z, g, G, value, damping, inner_tol):
    """Newton's step with the exact class-coupled Hessian (every penalty),
    searched on the true objective; None when its model could not be
    solved or the search found no decrease (the caller falls back)."""
    features = working_features(problem, W, G)
    if features is None:
        return None
    every = features.size == problem.n_features
    model = ExactModel(problem, z, damping, None if every else features)
    gb = problem.intercept_gradient(g)
    # at most about _EXACT_FLOPS in products with the blocks per step (a
    # model solved short of its tolerance still gives a direction that the
    # line search judges)
    budget = _EXACT_FLOPS / max(model.n_entries, 1)
    max_iter = int(min(_EXACT_MAX_ITER, max(500, budget)))
    solution = solve_model(model, problem.penalty, W[features], b, G[features], gb,
                           tol=inner_tol, max_iter=max_iter)
    if solution is None:
        return None
    W_new, b_new, _ = solution
    D = np.zeros_like(W)
    D[features] = W_new - W[features]
    db = b_new - b if problem.fit_intercept else np.zeros_like(b)
    _centre_intercepts(problem, db)
    return _line_search(problem, W, b, D, db, G, gb, value, z)


def _centre_intercepts(problem, db):
    """The loss is flat along the same shift of every class's intercept:
    keep each multinomial task's step centred over its classes, as the start
    and the model steps are."""
    layout = problem.datafit.layout
    for t in range(layout.n_tasks):
        columns = layout.columns(t)
        if columns.stop - columns.start > 1:
            db[columns] -= db[columns].mean()


_DAMPING_START, _DAMPING_FLOOR = 1.0, 1e-3
_ROUNDING_STEP = 0.5**20


def _next_damping(damping, step, W):
    """Damping of the next model: raised when the line search had to cut the
    model's step below a quarter (the model trusted too far: a nearly flat
    direction of the loss, as on nearly separable tasks), lowered when the
    full step was taken (back to plain Newton near the optimum)."""
    if step is None:
        return damping  # the fallback takes over
    length = step[3]
    if length < _ROUNDING_STEP:
        # a step cut this far is the line search resolving rounding, not a
        # model trusted too far: damping would make the path depend on how
        # the data are stated (weights or repeated rows); leave it
        return damping
    if length < 0.25:
        return max(4.0 * damping, _DAMPING_START)
    if length == 1.0:
        damping *= 0.25
        return damping if damping >= _DAMPING_FLOOR else 0.0
    return damping


def prox_newton(problem, W0=None, b0=None, *, tol=1e-4, max_iter=1000, verbose=0,
                kkt_tol=None):
    """Minimise ``problem`` (a datafit with ``quadratic_model``).

    Stops when the KKT distance is at most ``tol`` times its value at zero
    coefficients and, after a step, that step decreased the objective by at
    most ``tol`` times its value (``max(|F|, 1e-3 F(start))``); with
    ``kkt_tol`` (an absolute bound, for callers that solve subproblems) on
    the KKT distance alone. ``max_iter`` bounds the Newton steps.
    """
    from ._kernels import newton_kind
    from ._minimize import (
        criterion_of,
        final_result,
        minimize,
        start_point,
        tolerance_scales,
    )
    from ._prox_grad import design_working_sets

    W, b = start_point(problem, W0, b0)
    scales = tolerance_scales(problem)
    criterion, threshold = criterion_of(problem, kkt_tol, tol, scales)
    best, stalled, value = np.inf, 0, problem.objective(W, b)
    status, n_iter = "max_iter", 0
    previous_support, exact_from, damping = None, None, 0.0
    # multinomial tasks: Newton's model with the exact class-coupled blocks,
    # except without a penalty (quadratic terms only), where the weighted
    # least-squares model is solved in closed form and the exact step on
    # the support (one linear solve) follows: both deterministic, so that
    # integer weights and repeated rows take the same path
    exact_model = (not problem.datafit.exact_newton_model
                   and newton_kind(problem.penalty) != "none")
    # with the user's tolerance (no kkt_tol), a step taken also has to have
    # settled the objective: on a badly conditioned problem a small KKT
    # distance still leaves the objective a few 1e-4 (relative) above its
    # minimum, and Newton's next step (superlinear there) removes that
    floor = _VALUE_FLOOR * abs(value)
    decrease = np.inf  # of the objective by the last step (none yet)
    for n_iter in range(max_iter + 1):
        b, z, g, G = problem.full_gradient(W, b)
        kkt = problem.kkt_violation(W, G, g)
        if verbose:
            print(f"[skmtl] Newton step {n_iter}: kkt {kkt:.3e} (tol {threshold:.3e})")
        kkt_met = kkt <= threshold
        if kkt_met and (kkt_tol is not None or n_iter == 0 or n_iter == max_iter
                        or decrease <= tol * max(abs(value), floor)):
            status = "converged"
            break
        # progress: the KKT distance fell by a tenth, or the last step
        # lowered the objective beyond rounding (from a warm start near a
        # nearly separable task the KKT distance may rise for a few steps
        # while the objective falls: Newton then still converges, in 8
        # steps on one Landmine fold where four steps without a lower KKT
        # distance handed over to proximal gradient, 1000 iterations)
        progressed = kkt < 0.9 * best or decrease > _PROGRESS * max(abs(value), floor)
        stalled = 0 if progressed else stalled + 1
        best = min(best, kkt)
        if n_iter == max_iter:
            break
        step = None
        support = np.any(W != 0, axis=1)
        exact_paid = exact_from is None or kkt <= 0.5 * exact_from
        if (exact_paid and np.array_equal(support, previous_support)
                and _support_settled(problem, W, G, kkt)):
            # a stable support whose zero rows are optimal: Newton's exact
            # step on it (superlinear where the weighted least-squares model
            # of a multinomial task is not the loss's own expansion). An exact
            # step cannot change the support, so when it did not halve the
            # KKT distance the next step is a model step again.
            step = _exact_support_step(problem, W, b, z, g, G, value)
            exact_from = kkt if step is not None else None
        else:
            exact_from = None
        previous_support = support
        # the model's KKT distance at its solution bounds the true one at
        # the full step to first order: ask for a fraction of the current
        # one, smaller as Newton converges (superlinear steps)
        inner_tol = max(min(0.1, kkt / scales[1]) * kkt, _INNER_FLOOR * threshold)
        if step is None and exact_model and stalled < _MAX_STALLED:
            step = _exact_model_step(problem, W, b, z, g, G, value, damping,
                                     inner_tol)
            if step is not None:
                damping = _next_damping(damping, step, W)
        if step is None and stalled < _MAX_STALLED:
            sub = minimize(
                _subproblem(problem, z, damping), W, b, kkt_tol=inner_tol,
                max_iter=_INNER_MAX_ITER,
            )
            gb = problem.intercept_gradient(g)
            step = _line_search(problem, W, b, sub.W - W, sub.b - b, G, gb, value, z)
            damping = _next_damping(damping, step, W)
        if step is None and kkt_met:
            status = "converged"  # the KKT distance holds; no further decrease
            break
        if step is None:
            # no Newton progress: proximal gradient on the true objective
            result = design_working_sets(
                problem, W, b, tol=tol, max_iter=max(max_iter - n_iter, 1),
                verbose=verbose, kkt_tol=threshold,
            )
            result.n_iter += n_iter
            result.solver = "proximal Newton, then proximal gradient"
            result.criterion = criterion
            return result
        W, b, new_value, _ = step
        decrease, value = value - new_value, new_value
    return final_result(
        problem, W, b, n_iter, status, criterion, threshold, "proximal Newton"
    )
