r"""Squared loss with a quadratic task penalty: linear equations, solved directly.

With the intercepts profiled out, the minimiser of

.. math::

    \frac{1}{2}\sum_{k} \omega_{k}(y_{k} - z_k)^2
    + \frac{1}{2}\mathrm{tr}(W Q W^\top), \qquad Q = \rho I + C,

solves :math:`H_t w_t + (W Q)_{:,t} = c_t` for every column ``t``, with the
moments ``H_t``, ``c_t`` of the quadratic model (:mod:`._gram`).

* Shared rows (``H_t = g_t G``): the equations are the Sylvester equation
  :math:`G V + V S = C \Gamma^{-1/2}` with :math:`W = V \Gamma^{-1/2}`,
  :math:`S = \Gamma^{-1/2} Q \Gamma^{-1/2}`; one eigendecomposition of ``G``
  (kept by the model, so a path over ``Q`` pays for it once) and one of
  ``S`` solve it exactly.
* Otherwise, up to ``_DIRECT_UNKNOWNS`` unknowns ``d T``: one dense
  Cholesky factorisation of the whole system (exact whatever the
  conditioning); beyond, conjugate gradients preconditioned with the
  per-column blocks :math:`(H_t + Q_{tt} I)^{-1}`.
"""

import numpy as np
from scipy import linalg

from ._minimize import (
    criterion_of,
    final_result,
    tolerance_scales,
)

_DIRECT_UNKNOWNS = 3000  # dense factorisation up to this many unknowns d T
_DELAY = 10  # CG steps of the objective-error estimate


class SharedDesignSolver:
    """Sylvester solver for shared rows; reusable for any task penalty ``Q``."""

    exact = True
    name = "Sylvester"

    def __init__(self, model):
        self.model = model

    def solve(self, Q, W0=None):
        model = self.model
        values, basis = model.eigen()
        scale = 1.0 / np.sqrt(model.scale)
        mu, P = linalg.eigh(Q * np.outer(scale, scale))
        mu = np.maximum(mu, 0.0)
        rhs = basis.T @ (model.C * scale) @ P
        denominator = values[:, None] + mu[None, :]
        tiny = 1e-12 * max(float(denominator.max()), 1e-300)
        coefficients = np.divide(
            rhs, denominator, out=np.zeros_like(rhs), where=denominator > tiny
        )
        return (basis @ coefficients @ P.T) * scale, 1


def conjugate_gradient(apply, precondition, rhs, x0, tol, max_iter, *,
                       constant=None, rel_tol=None, delay=_DELAY):
    """Preconditioned CG on a symmetric positive semi-definite operator.

    Stops when the Frobenius norm of the residual is at most ``tol`` and,
    when ``rel_tol`` is given, the objective ``constant + x^T A x / 2 -
    rhs^T x`` is estimated within ``rel_tol`` (relative) of its minimum: CG
    lowers it by ``alpha_k rho_k / 2`` at step ``k``, and the sum of these
    decreases over the next ``delay`` steps estimates the remaining excess
    (Hestenes-Stiefel; a residual small in norm alone can leave the
    objective far from optimal when the smallest curvature is tiny).
    Returns ``x, n_iter``.
    """
    x = x0.copy()
    r = rhs - apply(x)
    z = precondition(r)
    p = z.copy()
    rz = float(np.vdot(r, z))
    decreases = []
    for n_iter in range(max_iter):
        if float(np.linalg.norm(r)) <= tol and (
            rel_tol is None or rz <= 0
            or _objective_settled(decreases, delay, constant, rhs, x, r, rel_tol)
        ):
            return x, n_iter
        Ap = apply(p)
        curvature = float(np.vdot(p, Ap))
        if curvature <= 0:
            return x, n_iter
        step = rz / curvature
        x += step * p
        r -= step * Ap
        decreases.append(0.5 * step * rz)
        z = precondition(r)
        rz_new = float(np.vdot(r, z))
        p = z + (rz_new / rz) * p
        rz = rz_new
    return x, max_iter


def _objective_settled(decreases, delay, constant, rhs, x, r, rel_tol):
    """The last ``delay`` decreases sum to at most ``rel_tol`` times the
    objective (``constant - x^T (rhs + r) / 2``)."""
    if len(decreases) < delay:
        return False
    value = constant - 0.5 * float(np.vdot(x, rhs + r))
    return sum(decreases[-delay:]) <= rel_tol * max(abs(value), 1e-300)


class CoupledSolver:
    """Conjugate gradients on the coupled per-column systems, any ``Q``."""

    exact = False
    name = "conjugate gradients"

    def __init__(self, model, tol, max_iter, rel_tol=None):
        self.model, self.tol, self.max_iter = model, tol, max_iter
        self.rel_tol = rel_tol

    def solve(self, Q, W0=None):
        model = self.model
        d = model.n_features
        blocks = np.moveaxis(model.H, 2, 0) + np.diag(Q)[:, None, None] * np.eye(d)
        traces = np.trace(blocks, axis1=1, axis2=2)
        jitter = 1e-10 * np.maximum(traces / max(d, 1), 1e-300)
        inverses = np.linalg.inv(blocks + jitter[:, None, None] * np.eye(d))

        def apply(W):
            return model.hessian_product(W) + W @ Q

        def precondition(R):
            return np.matmul(inverses, R.T[:, :, None])[:, :, 0].T  # batched

        x0 = np.zeros_like(model.C) if W0 is None else np.array(W0, dtype=float)
        return conjugate_gradient(
            apply, precondition, model.C, x0, self.tol, self.max_iter,
            constant=0.5 * float(np.sum(model.k)), rel_tol=self.rel_tol,
        )


class DirectCoupledSolver:
    r"""The coupled per-column systems as one dense system, factorised.

    Unknowns ``vec(W)`` (``d T`` of them); the matrix is
    :math:`\mathrm{blockdiag}_t(H_t) + Q \otimes I_d`. For up to
    ``_DIRECT_UNKNOWNS`` unknowns one factorisation (``O((dT)^3)``) is cheap
    and, unlike conjugate gradients, its accuracy does not depend on the
    condition number (a residual small in norm can leave the objective far
    from optimal when the smallest curvature is tiny).
    """

    exact = True
    name = "dense factorisation"

    def __init__(self, model):
        self.model = model

    def solve(self, Q, W0=None):
        model = self.model
        d, T = model.C.shape
        A = np.zeros((T, d, T, d))  # index (t, j): column t, feature j
        for t in range(T):
            A[t, :, t, :] = model.H[:, :, t]
        A += np.einsum("tu,jk->tjuk", Q, np.eye(d))
        A = A.reshape(T * d, T * d)
        rhs = model.C.T.ravel()
        try:
            factor = linalg.cho_factor(A, lower=True, check_finite=False)
            x = linalg.cho_solve(factor, rhs, check_finite=False)
            if not np.all(np.isfinite(x)):
                raise linalg.LinAlgError("non-finite solution")
        except linalg.LinAlgError:  # singular (no ridge, rank-deficient Grams)
            values, vectors = linalg.eigh(A, check_finite=False)
            tiny = 1e-12 * max(float(values.max(initial=0.0)), 1e-300)
            coefficients = vectors.T @ rhs
            coefficients = np.divide(coefficients, values,
                                     out=np.zeros_like(coefficients),
                                     where=values > tiny)
            x = vectors @ coefficients
        return x.reshape(T, d).T.copy(), 1




def quadratic_solver(problem, *, kkt_tol, max_iter=1000, rel_tol=None):
    """The linear solver for this problem's data, reusable for any ``Q``."""
    model = problem.gram(np.arange(problem.n_features))
    if model.shared:
        return SharedDesignSolver(model)
    if model.C.size <= _DIRECT_UNKNOWNS:
        return DirectCoupledSolver(model)
    return CoupledSolver(model, kkt_tol, max_iter, rel_tol)


def task_penalty(problem):
    """``Q = rho I + C`` of the quadratic terms."""
    Q = problem.ridge * np.eye(problem.n_columns)
    return Q if problem.coupling is None else Q + problem.coupling


def solve_quadratic(problem, W0=None, *, tol=1e-4, max_iter=1000, verbose=0,
                    kkt_tol=None, solver=None):
    """Minimise a squared-loss problem whose only regulariser is quadratic.

    ``solver`` may hold a :func:`quadratic_solver` built earlier on the same
    data (a path). Stops when the gradient norm is at most ``tol`` times its
    value at zero (or at ``kkt_tol``).
    """
    from ._prox_grad import design_working_sets

    if solver is None and not problem.gram_affordable(problem.n_features):
        return design_working_sets(
            problem, W0, None, tol=tol, max_iter=max_iter, verbose=verbose,
            kkt_tol=kkt_tol,
        )
    scales = tolerance_scales(problem)
    criterion, threshold = criterion_of(problem, kkt_tol, tol, scales)
    kkt_threshold = threshold if criterion == "kkt" else tol * scales[1]
    # a small gradient norm bounds the objective's excess only through the
    # smallest curvature, which can be tiny: conjugate gradients, cheap per
    # step and fast to converge, are asked for 1000 times less
    solver = solver or quadratic_solver(problem, kkt_tol=1e-3 * kkt_threshold,
                                        max_iter=max_iter, rel_tol=0.1 * tol)
    W, n_iter = solver.solve(task_penalty(problem), W0)
    status = "converged" if solver.exact or n_iter < max_iter else "max_iter"
    b = solver.model.intercept(W)
    result = final_result(
        problem, W, b, n_iter, status, criterion, threshold,
        solver.name,
    )
    if solver.exact and not result.converged:
        result.status = "stalled"  # exact up to rounding
    elif not solver.exact and n_iter >= max_iter:
        # CG's own test (residual and objective estimate) failed: a small
        # gradient alone does not make the objective optimal
        result.status = "max_iter"
    return result
