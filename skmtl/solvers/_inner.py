r"""Inner solvers on the quadratic model of a squared loss (see :mod:`._gram`).

Both minimise

.. math::

    q(W) + \Omega(W), \qquad q(W) = \frac{1}{2}\sum_t \left(w_t^\top H_t w_t
        - 2 c_t^\top w_t + k_t\right) + \frac{\rho}{2}\lVert W\rVert_F^2
        + \frac{1}{2}\mathrm{tr}(W C W^\top)

on a set of features, and neither slows down with the condition number of
the ``H_t`` the way gradient steps do:

* :func:`coordinate_descent` for penalties that separate over the rows of
  ``W`` (L2,1, L1, none): one exact majorised step per row with the row's
  own curvature, every epoch followed, every few epochs, by an Anderson
  extrapolation of the last iterates (accepted only if it lowers the
  objective). The extrapolated point also gives a second dual point, whose
  residuals converge faster than the iterates' (celer's dual extrapolation).
  On a factor model (a wide shared design) with an L2,1 penalty the whole
  loop (epochs, certificates, extrapolations) runs in one compiled call
  (:mod:`._factor_descent`), which returns here only for the Newton steps.
* :func:`admm` for spectral penalties (trace norm and its square):
  alternating exact solves with ``H_t + (rho + tau) I`` (from one
  eigendecomposition of the Grams) and the prox of the penalty, with the
  penalty parameter ``tau`` balanced between the two residuals.

Both stop when ``certificate.measure(W, HW)`` is at most ``tol``, or when the
objective no longer decreases in double precision ("stalled").
"""

import numpy as np
from scipy import linalg

from . import _factor_descent
from ._gram import FactorModel
from ._kernels import compiled_sweep, newton_kind
from ._problem import nonzero_rows, sqnorm

_ANDERSON = 5  # iterates per extrapolation
_STALL = 20  # checks without progress
_CHECK_EVERY = 4  # ADMM iterations between certificates
_LAZY_CHECK = 2  # epochs between certificates on a factor model


class Certificate:
    """Objective, duality gap or KKT distance of the restricted problem.

    The gap uses the better of the dual points built from the current
    iterate and from the extrapolated one (``offer``).
    """

    def __init__(self, problem, model, criterion):
        self.problem, self.model = problem, model
        self.criterion = criterion
        self.best_dual = -np.inf
        self.best_point = None  # where the best dual value was found

    def smooth(self, W, HW):
        data, yr, rr = self.model.moments(W, HW)
        return data + self.problem.quadratic_value(W), yr, rr

    def gradient(self, W, HW):
        return self.model.gradient(W, HW) + self.problem.quadratic_gradient(W)

    def objective(self, W, HW):
        return self.smooth(W, HW)[0] + self.problem.penalty.value(W)

    def offer(self, W, HW):
        """Record the dual value at the residuals of ``W`` (any point)."""
        if self.criterion == "duality_gap":
            _, yr, rr = self.model.moments(W, HW)
            dual = self.problem.dual_at(W, self.gradient(W, HW), yr, rr)
            if dual > self.best_dual:
                self.best_dual, self.best_point = dual, W

    def measure(self, W, HW):
        if self.criterion != "duality_gap":
            G = self.gradient(W, HW)
            return _kkt(self.problem.penalty, W, G)
        from ._minimize import gap_measure

        self.offer(W, HW)
        primal = self.objective(W, HW)
        return gap_measure(self.problem, max(primal - self.best_dual, 0.0), primal)


class _Progress:
    """Stall detection: neither the objective (in double precision) nor the
    stopping measure (by 0.1 %) improved for ``patience`` checks in a row."""

    def __init__(self):
        self.value, self.measure, self.count = np.inf, np.inf, 0

    def stalled(self, value, measure, patience):
        improved = value < self.value - 4e-16 * abs(self.value)
        improved |= measure < 0.999 * self.measure
        self.value = min(self.value, value)
        self.measure = min(self.measure, measure)
        self.count = 0 if improved else self.count + 1
        return self.count >= patience


def _kkt(penalty, W, G):
    if penalty.row_separable:
        return float(np.sqrt(sqnorm(penalty.row_violations(W, G))))
    return float(penalty.violation(W, G))


def _row_curvatures(model, problem):
    """Curvature of the objective in each entry of ``W`` along its own axis
    (the coupling, which mixes the columns of a row, by its largest
    eigenvalue): an (s, n_columns) array."""
    return model.diagonal() + problem.quadratic_curvature


def _sweep(model, problem, W, HW, D, order):
    """One pass of exact (majorised with coupling) row minimisations, in place."""
    penalty, ridge, coupling = problem.penalty, problem.ridge, problem.coupling
    C = model.C
    for j in order:
        w = W[j]
        g = HW[j] - C[j]
        if ridge:
            g = g + ridge * w
        if coupling is not None:
            g = g + w @ coupling
        h = D[j]
        u = penalty.row_minimizer(h * w - g, h)
        delta = u - w
        if np.any(delta):
            W[j] = u
            HW += model.column_update(j, delta)


def anderson_weights(points):
    """The weights ``c`` (summing to 1) of the Anderson extrapolation
    ``sum_k c_k x_{k+1}`` of the rows ``x_k`` of ``points``, or None when
    ill-posed."""
    U = np.diff(points, axis=0)
    M = U @ U.T
    M /= max(np.linalg.norm(M), 1e-300)
    try:
        z = np.linalg.solve(M + 1e-10 * np.eye(len(M)), np.ones(len(M)))
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(z)) or z.sum() == 0:
        return None
    return z / z.sum()


def _anderson(iterates):
    """Extrapolation of the last iterates (None when ill-posed)."""
    X = np.stack([w.ravel() for w in iterates])
    c = anderson_weights(X)
    if c is None:
        return None
    return (c @ X[1:]).reshape(iterates[0].shape)


def coordinate_descent(model, problem, W, certificate, *, tol, max_iter, rows=None,
                       compiled=True, polish=True):
    """Block coordinate descent with Anderson acceleration on ``model``.

    ``rows`` restricts the sweeps to some rows of ``W`` (the others stay
    fixed, at zero in a working set). The epochs run compiled
    (:mod:`._kernels`) when possible, unless ``compiled=False``. When the
    support has not changed between two extrapolations, a Newton step on the
    support is tried (``polish``, :func:`support_newton`): coordinate descent
    finds the support fast but converges slowly on it when the Gram is badly
    conditioned; Newton converges there in a few steps. At convergence the
    point is polished by Newton steps on its support when they are cheap
    (:func:`_final_newton`). Returns ``W, HW, n_epochs, status``.
    """
    W = np.array(W, dtype=np.float64)
    D = _row_curvatures(model, problem)
    if compiled and polish and _factor_descent.applies(model, problem,
                                                       certificate.criterion, rows):
        return _compiled_factor_descent(model, problem, W, certificate, D, tol=tol,
                                        max_iter=max_iter)
    order = np.arange(W.shape[0]) if rows is None else rows
    sweep = compiled_sweep(model, problem, order) if compiled else None
    if sweep is None:
        def sweep(W, HW, D):
            _sweep(model, problem, W, HW, D, order)
    # a factor model's sweep keeps Z = F W and refreshes H W = F^T Z only when
    # asked (a product as dear as a third of the epoch): the certificate is
    # then evaluated every _LAZY_CHECK epochs and after each extrapolation
    lazy = getattr(sweep, "refresh", None)
    product = model.hessian_product if lazy is None else sweep.product
    if lazy is None:
        HW = model.hessian_product(W)
    else:
        HW = np.empty_like(W)
        lazy(W, HW)  # Z = F W computed once, for this product and the sweep
    stale = False
    progress, history = _Progress(), [W.copy()]
    previous_support, cycle_start = None, None
    epoch_flops = _epoch_flops(model, order.size, W.shape[1])
    newton_rows = _newton_rows(model, problem, W.shape[1])
    for epoch in range(max_iter):
        if lazy is None or epoch % _LAZY_CHECK == 0 or epoch % _ANDERSON == 0:
            if stale:
                lazy(W, HW)
                stale = False
            measure = certificate.measure(W, HW)
            if measure <= tol:
                if polish:
                    W, HW = _final_newton(model, problem, W, HW, certificate, order,
                                          epoch * epoch_flops)
                return W, HW, epoch, "converged"
            if progress.stalled(certificate.objective(W, HW), measure, _STALL):
                return W, HW, epoch, "stalled"
        if lazy is None:
            sweep(W, HW, D)
        else:
            sweep(W, HW, D, refresh=False)
            stale = True
        history = (history + [W.copy()])[-(_ANDERSON + 1) :]
        if len(history) == _ANDERSON + 1 and epoch % _ANDERSON == _ANDERSON - 1:
            if stale:
                lazy(W, HW)
                stale = False
            W, HW = _try_extrapolation(product, certificate, W, HW, history)
            support = nonzero_rows(W)
            if (polish and np.array_equal(support, previous_support)
                    and np.count_nonzero(support) <= newton_rows
                    and _newton_pays(W, order, epoch_flops, measure, cycle_start, tol)):
                W, HW = support_newton(model, problem, W, HW, certificate, order)
            previous_support, cycle_start = support, measure
    if stale:
        lazy(W, HW)
    return W, HW, max_iter, "max_iter"


def _compiled_factor_descent(model, problem, W, certificate, D, *, tol, max_iter):
    """:func:`coordinate_descent` on a factor model with an L2,1 penalty, its
    epochs, certificates and extrapolations in one compiled call
    (:mod:`._factor_descent`); the Newton steps on a stable support, and the
    final polish, stay here (the compiled solve returns for them)."""
    s, T = W.shape
    order = np.arange(s)
    epoch_flops = _epoch_flops(model, s, T)
    solve = _factor_descent.FactorSolve(model, problem, certificate, D, tol,
                                        _newton_rows(model, problem, T))
    spent = 0
    while True:
        W, HW, epochs, status = solve.run(W, max_iter - spent)
        spent += epochs
        model.product = solve.last  # (W, F W): the caller's predictor at W
        if status == _factor_descent.CONVERGED:
            W, HW = _final_newton(model, problem, W, HW, certificate, order,
                                  spent * epoch_flops)
            return W, HW, spent, "converged"
        if status == _factor_descent.STALLED:
            return W, HW, spent, "stalled"
        if status == _factor_descent.MAX_ITER or spent >= max_iter:
            return W, HW, spent, "max_iter"
        measure, previous = solve.cycle  # NEWTON: the support did not change
        if _newton_pays(W, order, epoch_flops, measure,
                        None if not np.isfinite(previous) else previous, tol):
            W, HW = support_newton(model, problem, W, HW, certificate, order)


def _newton_rows(model, problem, n_columns):
    """Most rows of a support on which a Newton step is tried.

    At most ``_NEWTON_UNKNOWNS`` unknowns; on a factor model without ridge
    also at most its number of rows ``m``: on a wider support the Hessian of
    the loss (``F_S^T F_S``, rank ``m``) is singular, and only the L2,1
    curvature, which vanishes along each row, holds the Newton model up. The
    steps then mostly fail the line search: on (100, 3000, 5) with AR(1)
    columns (rho = 0.9) at ``0.01 alpha_max``, a support of 303 rows, 35
    Newton steps took 1.43 of the fit's 1.57 s and coordinate descent still
    ran 1323 epochs."""
    rows = _NEWTON_UNKNOWNS // max(n_columns, 1)
    if isinstance(model, FactorModel) and not problem.ridge:
        rows = min(rows, model.factor.shape[0])
    return rows


def _epoch_flops(model, n_rows, n_columns):
    """Flops of one epoch over ``n_rows`` rows (every row moving)."""
    if isinstance(model, FactorModel):
        return 4 * model.factor.shape[0] * n_rows * n_columns
    return 2 * model.n_features * n_rows * n_columns


def _newton_flops(W, order):
    unknowns = int(np.count_nonzero(nonzero_rows(W[order]))) * W.shape[1]
    return unknowns, unknowns**3 / 3.0 + 2.0 * unknowns**2


def _newton_pays(W, order, epoch_flops, measure, previous, tol):
    """Whether a Newton step costs less than the epochs it would save.

    The epochs left are extrapolated from the last cycle's rate (``previous``
    the measure ``_ANDERSON`` epochs ago): a fast-converging solve skips the
    step, a crawling one (a badly conditioned Gram) takes it.
    """
    unknowns, cost = _newton_flops(W, order)
    if unknowns == 0 or measure <= tol:
        return False
    if previous is None or not measure < previous:
        return True  # no rate yet, or no progress: the epochs left are unbounded
    left = _ANDERSON * np.log(measure / tol) / np.log(previous / measure)
    return cost <= left * epoch_flops


_NEWTON_UNKNOWNS = 2000  # largest support (rows x columns) for a Newton step
_NEWTON_HALVINGS = 12


def _support_hessian(model, problem, active):
    """Hessian of the smooth part in ``W[active]``, index ``(column, row)``."""
    a, T = active.size, model.C.shape[1]
    M = np.zeros((T, a, T, a))
    if model.shared:
        if getattr(model, "gram", None) is not None:
            block = model.gram[np.ix_(active, active)]
        else:  # a factor model
            F = model.factor[:, active]
            block = F.T @ F
        for t in range(T):
            M[t, :, t, :] = model.scale[t] * block
    else:
        H = model.H[np.ix_(active, active)]
        for t in range(T):
            M[t, :, t, :] = H[:, :, t]
    if problem.coupling is not None:
        M += np.einsum("tu,jk->tjuk", problem.coupling, np.eye(a))
    M = M.reshape(T * a, T * a)
    M.flat[:: T * a + 1] += problem.ridge
    return M


def support_newton(model, problem, W, HW, certificate, order):
    """One Newton step on the rows of the support (kept if it lowers the objective).

    Where every row of the support is non-zero, the L2,1 norm is smooth
    (Hessian ``alpha / ||w|| (I - u u^T)``, ``u = w / ||w||``), the L1 norm
    too on the non-zero entries (Hessian 0), and the objective there is
    minimised by Newton's method on the exact quadratic model. Penalties
    without such a formula (:data:`._kernels.COMPILED_PENALTIES`) are left
    to coordinate descent.
    """
    kind = newton_kind(problem.penalty)
    if kind is None:
        return W, HW
    alpha = problem.penalty.alpha
    l21, l1 = {"l21": (alpha, 0.0), "l1": (0.0, alpha), "none": (0.0, 0.0)}[kind]
    return newton_on_support(model, problem, W, HW, certificate, order, l21, l1,
                             _NEWTON_UNKNOWNS)


def newton_on_support(model, problem, W, HW, certificate, order, l21, l1,
                      max_unknowns):
    """The Newton step of :func:`support_newton` for ``l21 sum_j ||w_j|| +
    l1 sum |w_jt|`` (either may be 0), on supports of at most
    ``max_unknowns`` entries; the coupling, if any, is in the Hessian.

    On the non-zero entries the L1 term has gradient ``l1 sign(w)`` and
    Hessian 0 (zero entries stay zero when ``l1 > 0``), the L2,1 term
    gradient ``l21 u`` and Hessian ``l21 / ||w|| (I - u u^T)``.
    """
    active = np.intersect1d(np.flatnonzero(nonzero_rows(W)), order)
    T = W.shape[1]
    if active.size == 0 or active.size * T > max_unknowns:
        return W, HW
    WA = W[active]
    M = _support_hessian(model, problem, active)
    grad = certificate.gradient(W, HW)[active]
    if l1 > 0:
        grad = grad + l1 * np.sign(WA)
    mask = WA != 0 if l1 > 0 else np.ones(WA.shape, dtype=bool)
    if l21 > 0:
        norms = np.sqrt(np.sum(WA * WA, axis=1))
        U = WA / norms[:, None]
        grad = grad + l21 * U
        a = active.size
        projector = np.eye(T) - U[:, :, None] * U[:, None, :]
        blocks = (l21 / norms)[:, None, None] * projector
        index = np.arange(a)
        M.reshape(T, a, T, a)[:, index, :, index] += blocks  # row p's T x T block
    keep = mask.T.ravel()
    if not keep.all():
        M = M[np.ix_(keep, keep)]
    rhs = grad.T.ravel()[keep]
    try:  # positive definite on a support where the curvature is positive
        step = linalg.cho_solve(linalg.cho_factor(M, check_finite=False), rhs,
                                check_finite=False)
    except (linalg.LinAlgError, ValueError):
        return W, HW
    if not np.all(np.isfinite(step)):
        return W, HW
    delta = np.zeros(T * active.size)
    delta[keep] = step
    D = np.zeros_like(W)
    D[active] = -delta.reshape(T, active.size).T
    HD = model.hessian_product(D)
    current = certificate.objective(W, HW)
    for halving in range(_NEWTON_HALVINGS):  # backtracking on the true objective
        t = 0.5**halving
        W_new, HW_new = W + t * D, HW + t * HD
        if certificate.objective(W_new, HW_new) < current:
            certificate.offer(W_new, HW_new)
            return W_new, HW_new
    return W, HW


_POLISH_STEPS = 3


def _final_newton(model, problem, W, HW, certificate, order, spent):
    """Newton steps on the support of a converged point, while they lower the
    objective, if one costs at most the flops ``spent`` by the epochs.

    A point that meets ``tol`` is only within ``tol`` of the optimum, and
    where it lies in that ball depends on rounding: the same problem stated
    two ways (sample weights, or repeated rows) would give Grams equal to
    rounding, iterates amplified apart by the extrapolations, and solutions
    a few 1e-7 apart. On a support where the objective is smooth, Newton's
    method lands on the optimum itself (in one step for one column: the
    objective is quadratic there), so both statements end at the same point.
    """
    unknowns, cost = _newton_flops(W, order)
    if unknowns == 0 or cost > spent:
        return W, HW
    for _ in range(_POLISH_STEPS):
        W_new, HW_new = support_newton(model, problem, W, HW, certificate, order)
        if W_new is W:
            break
        W, HW = W_new, HW_new
    return W, HW


def _try_extrapolation(product, certificate, W, HW, history):
    """The Anderson extrapolation of ``history`` if it lowers the objective;
    ``product`` is the model (its ``hessian_product``) or a function giving
    ``H W``."""
    W_acc = _anderson(history)
    if W_acc is None:
        return W, HW
    HW_acc = getattr(product, "hessian_product", product)(W_acc)
    certificate.offer(W_acc, HW_acc)
    if certificate.objective(W_acc, HW_acc) < certificate.objective(W, HW):
        return W_acc, HW_acc
    return W, HW


def _solve_shifted(model, R, shift):
    """``(H_t + shift I)^{-1} r_t`` for every column, from the eigenvectors."""
    values, vectors = model.eigen()
    if model.shared:
        denominator = np.outer(values, model.scale) + shift
        return vectors @ ((vectors.T @ R) / denominator)
    # batched matrix products (1.5-2x faster than the equivalent einsums)
    coeffs = np.matmul(R.T[:, None, :], vectors)[:, 0, :].T / (values.T + shift)
    return np.matmul(vectors, coeffs.T[:, :, None])[:, :, 0].T


def admm(model, problem, W, certificate, *, tol, max_iter):
    """ADMM on ``q(W) + Omega(V)``, ``W = V``; returns ``V, HV, n_iter, status``.

    Certificates are evaluated at ``V`` (where the penalty's structure, low
    rank, holds exactly).
    """
    penalty, ridge = problem.penalty, problem.ridge
    V = np.array(W, dtype=np.float64)
    U = np.zeros_like(V)
    values = model.eigen()[0]
    top = float(values.max(initial=0.0)) * (model.scale.max() if model.shared else 1.0)
    tau = max(np.sqrt(max(top, 1e-12) * max(_smallest(values, top), 1e-12)), 1e-12)
    progress = _Progress()
    HV = model.hessian_product(V)
    for n_iter in range(max_iter):
        if n_iter % _CHECK_EVERY == 0:  # a certificate costs SVDs: not every time
            measure = certificate.measure(V, HV)
            if measure <= tol:
                return V, HV, n_iter, "converged"
            if progress.stalled(certificate.objective(V, HV), measure, _STALL):
                return V, HV, n_iter, "stalled"
        W = _solve_shifted(model, model.C + tau * (V - U), ridge + tau)
        V_old = V
        V = penalty.prox_value(W + U, 1.0 / tau)[0]
        U += W - V
        primal, dual = np.sqrt(sqnorm(W - V)), tau * np.sqrt(sqnorm(V - V_old))
        # relative residuals (Wohlberg 2017): the balance does not depend on
        # the scale of X (absolute ones are in units of W and of the gradient:
        # X * 1e4 took 1000 iterations instead of 20)
        if _RELATIVE_RESIDUALS:
            primal /= max(np.sqrt(max(sqnorm(W), sqnorm(V))), 1e-300)
            dual /= max(tau * np.sqrt(sqnorm(U)), 1e-300)
        if primal > 10 * dual:
            tau *= 2.0
            U /= 2.0
        elif dual > 10 * primal:
            tau /= 2.0
            U *= 2.0
        HV = model.hessian_product(V)
    return V, HV, max_iter, "max_iter"


#: balance tau on relative residuals in :func:`admm` (False: absolute ones,
#: the behaviour before; benchmarks/bench_tau_guard.py compares the two)
_RELATIVE_RESIDUALS = True


def _smallest(values, top):
    """A typical small eigenvalue (ignoring exact zeros of rank-deficient Grams)."""
    positive = values[values > 1e-10 * max(top, 1e-300)]
    return float(np.median(positive)) if positive.size else top
