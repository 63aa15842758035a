"""``minimize``: the one place that chooses an algorithm for a problem.

* squared loss, no non-smooth penalty: the linear equations are solved
  directly (:mod:`._closed_form`);
* squared loss, penalty separable over features: working sets over the
  features, each solved by coordinate descent with Anderson acceleration on
  the quadratic model (:func:`._inner.coordinate_descent`);
* squared loss, spectral penalty: ADMM on the quadratic model
  (:func:`._inner.admm`);
* logistic / multinomial loss: proximal Newton (:mod:`._prox_newton`), each
  step a weighted least-squares problem handed back to :func:`minimize`;
* anything whose quadratic model would not fit in memory: working sets with
  proximal gradient on the design (:mod:`._prox_grad`).

Every path reports a :class:`Result` whose ``status`` says why it stopped:
``"converged"``, ``"max_iter"`` (more iterations would help) or
``"stalled"`` (the objective no longer decreases in double precision: more
iterations would not help).
"""

from dataclasses import dataclass

import numpy as np

from ._gram import FactorModel, factor_model, gram_model
from ._inner import Certificate, admm, coordinate_descent
from ._problem import nonzero_rows, sqnorm

_MIN_WORKING_SET = 20
_GROWTH = 2
_SATURATED = 0.9  # support / working set above which the set grows faster
_INNER_FRACTION = 0.1
_SETTLED = 0.05  # new features / working set at most this: the set is settled
_MAX_OUTER = 50
_FULL_GRAM_FEATURES = 200  # below this, the Gram of all features is cheap
_FAST_ROWS = 2  # sets grow fast up to this many times the samples
_FIRST_FRACTION = 20  # first set of a wide shared design: features / this
# working sets with more features than this many times the rows get a factor
# model (the sweep on it is compiled whole: _factor_descent); 2 before, which
# on (200, 5000, 10) formed the Gram of the first set of 223 features (0.9 ms)
_FACTOR_ROWS = 1


@dataclass
class Result:
    """What a solver returns.

    ``W`` and ``b`` are the solution, ``status`` says why the solver stopped,
    ``kkt`` (and ``gap``, for problems with a duality gap) certify it:
    ``criterion`` names the certificate compared with ``tol``, ``measure`` is
    its final value and ``threshold`` the scaled tolerance it was compared
    with.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.datafits import Quadratic
    >>> from skmtl.penalties import L21
    >>> from skmtl.solvers import Problem, minimize
    >>> X = np.random.default_rng(0).standard_normal((30, 6))
    >>> Y = X[:, :2] @ np.array([[1.0, 2.0, 0.5], [-1.0, 0.5, 1.0]])
    >>> rows, tasks = np.tile(np.arange(30), 3), np.repeat(np.arange(3), 30)
    >>> datafit = Quadratic(rows, tasks, Y.T.ravel(), np.full(90, 1 / 30), 30, 3)
    >>> problem = Problem(X, datafit, L21(0.1), fit_intercept=False)
    >>> result = minimize(problem, tol=1e-8)
    >>> result.converged, result.criterion
    (True, 'duality_gap')
    >>> bool(result.measure <= result.threshold), result.W.shape
    (True, (6, 3))
    """

    W: np.ndarray
    b: np.ndarray
    n_iter: int
    status: str  # "converged", "max_iter" or "stalled"
    kkt: float  # KKT distance at the solution
    gap: float | None  # duality gap, when the problem has one
    criterion: str  # "duality_gap" or "kkt": what ``tol`` was applied to
    measure: float  # final value of the criterion
    threshold: float  # the scaled tolerance the criterion was compared with
    solver: str = ""

    @property
    def converged(self):
        return self.status == "converged"


def tolerance_scales(problem, null_gradient=None):
    """Scales of the gap and of the KKT distance at the zero solution.

    The gap scale is ``2 F(0)`` at the best intercept (``sum w (y - ybar)^2``
    for the squared loss, scikit-learn's scaling); the KKT scale the norm of
    the gradient there.

    Examples
    --------
    Without intercepts ``2 F(0)`` is the weighted sum of squared targets,
    here ``||Y||_F^2 / n``, and the gradient at zero is ``-X^T Y / n``:

    >>> import numpy as np
    >>> from skmtl.datafits import Quadratic
    >>> from skmtl.penalties import L21
    >>> from skmtl.solvers import Problem, minimize
    >>> X = np.random.default_rng(0).standard_normal((30, 6))
    >>> Y = X[:, :2] @ np.array([[1.0, 2.0, 0.5], [-1.0, 0.5, 1.0]])
    >>> rows, tasks = np.tile(np.arange(30), 3), np.repeat(np.arange(3), 30)
    >>> datafit = Quadratic(rows, tasks, Y.T.ravel(), np.full(90, 1 / 30), 30, 3)
    >>> problem = Problem(X, datafit, L21(0.1), fit_intercept=False)
    >>> from skmtl.solvers import tolerance_scales
    >>> gap_scale, kkt_scale = tolerance_scales(problem)
    >>> bool(np.isclose(gap_scale, np.sum(Y**2) / 30))
    True
    >>> bool(np.isclose(kkt_scale, np.linalg.norm(X.T @ Y / 30)))
    True
    """
    if null_gradient is None:
        null_gradient = problem.full_gradient(*problem.null_point())
    _, z0, g0, G0 = null_gradient
    value, _ = problem.datafit.value_and_gradient(z0)
    gap_scale = 2.0 * value
    problem.gap_scale = gap_scale if gap_scale > 0 else 1.0
    kkt_scale = float(np.sqrt(sqnorm(G0) + sqnorm(problem.intercept_gradient(g0))))
    return (gap_scale if gap_scale > 0 else 1.0), (kkt_scale if kkt_scale > 0 else 1.0)


def model_scales(problem, model):
    """:func:`tolerance_scales` from the quadratic model of all features of a
    squared-loss problem, without a product with the design: at ``W = 0``
    and the best intercept the residuals' weighted square sum is
    ``sum(model.k)`` (``2 F(0)``) and the gradient is ``-model.C`` (the
    quadratic terms vanish there, the profiled intercept has none). None
    when the model does not cover all features (the caller falls back to
    :func:`tolerance_scales`)."""
    if (not problem.datafit.profiled_intercept or model is None
            or model.n_features != problem.n_features):
        return None
    gap_scale = float(np.sum(model.k))
    problem.gap_scale = gap_scale if gap_scale > 0 else 1.0
    kkt_scale = float(np.sqrt(sqnorm(model.C)))
    return (gap_scale if gap_scale > 0 else 1.0), (kkt_scale if kkt_scale > 0 else 1.0)


_RELATIVE_FLOOR = 1e-3  # the gap is relative to max(P, 1e-3 * 2 F(0))


def gap_measure(problem, gap, primal):
    """The duality gap as compared with ``tol * 2 F(0)``: scaled by
    ``2 F(0) / P`` (at most ``1 / _RELATIVE_FLOOR``), so that convergence
    means ``gap <= tol * P``: the objective within ``tol`` (relative) of the
    optimum, also when it is much smaller than at zero (small penalties)."""
    scale = problem.gap_scale
    if scale is None or primal <= 0:
        return gap
    return gap * min(max(scale / primal, 1.0), 1.0 / _RELATIVE_FLOOR)


def minimize(problem, W0=None, b0=None, *, tol=1e-4, max_iter=1000, verbose=0,
             kkt_tol=None):
    """Minimise ``problem`` from ``(W0, b0)`` (zero coefficients by default).

    Stops on the duality gap (at most ``tol`` times ``2 F(0)``) when the
    problem has one, else on the KKT distance (at most ``tol`` times its value
    at zero); ``kkt_tol``, when given, is an absolute bound on the KKT
    distance used instead. ``max_iter`` bounds the iterations of the chosen
    algorithm (epochs, ADMM or Newton steps).

    Examples
    --------
    An L2,1 problem on the squared loss goes to working sets with
    coordinate descent; the solution is certified by its duality gap:

    >>> import numpy as np
    >>> from skmtl.datafits import Quadratic
    >>> from skmtl.penalties import L21
    >>> from skmtl.solvers import Problem, minimize
    >>> X = np.random.default_rng(0).standard_normal((30, 6))
    >>> Y = X[:, :2] @ np.array([[1.0, 2.0, 0.5], [-1.0, 0.5, 1.0]])
    >>> rows, tasks = np.tile(np.arange(30), 3), np.repeat(np.arange(3), 30)
    >>> datafit = Quadratic(rows, tasks, Y.T.ravel(), np.full(90, 1 / 30), 30, 3)
    >>> problem = Problem(X, datafit, L21(0.1), fit_intercept=False)
    >>> result = minimize(problem, tol=1e-10)
    >>> result.status, result.solver
    ('converged', 'working sets + coordinate descent')
    >>> bool(result.gap <= 1e-10 * np.sum(Y**2) / 30)
    True
    >>> row_norms = np.linalg.norm(result.W, axis=1)
    >>> int(np.sum(row_norms > 0)) <= 6  # some features may be dropped
    True
    """
    from ._threads import blas_threads_for

    with blas_threads_for(problem.rows.size * problem.n_features):
        return _dispatch(problem, W0, b0, tol=tol, max_iter=max_iter,
                         verbose=verbose, kkt_tol=kkt_tol)


def _dispatch(problem, W0, b0, *, tol, max_iter, verbose, kkt_tol):
    from ._closed_form import solve_quadratic
    from ._prox_newton import prox_newton

    options = dict(tol=tol, max_iter=max_iter, verbose=verbose, kkt_tol=kkt_tol)
    if not problem.datafit.profiled_intercept:
        return prox_newton(problem, W0, b0, **options)
    penalty = problem.penalty
    if penalty.alpha == 0:  # only quadratic terms: linear equations
        return solve_quadratic(problem, W0, **options)
    if not problem.gram_affordable(_MIN_WORKING_SET):
        return _design_working_sets(problem, W0, b0, **options)
    if penalty.row_separable:
        from ._coupled import applies, coupled_descent  # models helper's solver

        inner = coupled_descent if applies(problem) else coordinate_descent
        return _working_sets(problem, W0, b0, inner=inner, **options)
    return _spectral(problem, W0, b0, **options)


def start_point(problem, W0, b0):
    if W0 is None:
        return problem.null_point()
    W = np.array(W0, dtype=np.float64)
    b = problem.null_point()[1] if b0 is None else np.array(b0, dtype=np.float64)
    return W, b


def criterion_of(problem, kkt_tol, tol, scales):
    """``(criterion, threshold)`` for this problem."""
    if kkt_tol is not None:
        return "kkt", kkt_tol
    if problem.has_duality_gap:
        return "duality_gap", tol * scales[0]
    return "kkt", tol * scales[1]


def final_result(problem, W, b, n_iter, status, criterion, threshold, solver,
                 best_dual=-np.inf, parts=None):
    """Certificates at ``(W, b)`` from the design (the reported figures).

    ``parts``: ``problem.full_gradient(W, b)`` when the caller has it."""
    b, z, g, G = problem.full_gradient(W, b) if parts is None else parts
    kkt = problem.kkt_violation(W, G, g)
    gap = None
    if problem.has_duality_gap:
        yr, rr = problem.datafit.residual_moments(z)
        primal = problem.primal_from_moments(W, 0.5 * rr)
        dual = max(problem.dual_at(W, G, yr, rr), best_dual)
        gap = max(primal - dual, 0.0)
    measure = gap_measure(problem, gap, primal) if criterion == "duality_gap" else kkt
    if measure <= threshold:
        status = "converged"
    elif status == "converged":
        status = "stalled"  # the model said yes, the design says no: rounding
    return Result(W, b, n_iter, status, kkt, gap, criterion, measure, threshold, solver)


def _global_state(problem, model, W, certificate):
    """Gradient of the smooth part on all features and the global measure."""
    HW = model.hessian_product(W)
    G = certificate.gradient(W, HW)
    return HW, G, certificate.measure(W, HW)


def _select(problem, W, G, size, fast=True, in_support=None):
    """Support plus the features violating optimality most (``size`` at most).

    The next set has ``_GROWTH`` times as many features as the support, or
    ``_GROWTH**2`` times when the support filled the last set (``size``)
    and the next set stays below ``_FAST_ROWS`` times the number of samples:
    the solution needs more features than were offered, and every outer
    iteration costs a product with the design (beyond, sets grow by
    ``_GROWTH``: their solve costs more than that product). On (n, d, T) =
    (200, 5000, 10), whose support has 580 features, ``_FAST_ROWS = 2``
    skips the set of 160 features of ``_FAST_ROWS = 1`` (one outer
    iteration fewer). ``fast=False`` keeps the growth independent of the
    number of samples (the Newton model's sets: integer sample weights and
    repeated rows then take the same steps, as scikit-learn's checks ask).
    """
    n_features = W.shape[0]
    violations = problem.penalty.row_violations(W, G)
    if in_support is None:
        in_support = nonzero_rows(W)
    support = int(np.count_nonzero(in_support))
    fast = (fast and support >= _SATURATED * size
            and _GROWTH**2 * support <= _FAST_ROWS * problem.X.shape[0])
    growth = _GROWTH**2 if fast else _GROWTH
    size = min(n_features, max(size, growth * support))
    scores = np.where(in_support, np.inf, violations)
    candidates = np.flatnonzero(scores > 0)
    if candidates.size > size:
        candidates = candidates[np.argpartition(-scores[candidates], size - 1)[:size]]
    selected = in_support.copy()
    selected[candidates] = True
    return np.flatnonzero(selected)


def _subset(a, b):
    """Whether the sorted unique indices ``a`` are all in the sorted ``b``."""
    if a.size > b.size:
        return False
    if a.size == 0:
        return True
    position = np.minimum(np.searchsorted(b, a), b.size - 1)
    return bool(np.all(b[position] == a))


class _ModelState:
    """Global gradient and certificate from the quadratic model of all features."""

    def __init__(self, problem, criterion):
        self.problem = problem
        self.model = problem.gram(np.arange(problem.n_features))
        self.certificate = Certificate(problem, self.model, criterion)

    def gradient_and_measure(self, W, b, xw=None):
        HW = self.model.hessian_product(W)
        return self.certificate.gradient(W, HW), self.certificate.measure(W, HW)

    def gradient_cost(self):
        """Flops of one global gradient: a product with the full model."""
        return self.model.n_features ** 2 * self.problem.n_columns

    def restrict(self, rows):
        return self.model.restrict(rows)

    def offer(self, W):
        self.certificate.offer(W, self.model.hessian_product(W))

    def intercept(self, W, b):
        return self.model.intercept(W)

    def final_parts(self, W):
        return None

    @property
    def best_dual(self):
        return self.certificate.best_dual


class _DesignState:
    """Global gradient and certificate from products with the design; each
    working set gets its own quadratic model (wide designs: ``d`` much larger
    than the working sets, so the Gram of all features would cost more than
    the whole solve)."""

    def __init__(self, problem, criterion):
        self.problem, self.criterion = problem, criterion
        self.best_dual = -np.inf
        self.last = None  # (W, full_gradient(W, b)) of the last evaluation
        self.seed = None  # (W, parts) known before the first evaluation
        self.factor = None  # the last working set's factor model

    def gradient_cost(self):
        """Flops of one global gradient: a product with the design."""
        return self.problem.rows.size * self.problem.n_features

    def _dual(self, W, G, z):
        yr, rr = self.problem.datafit.residual_moments(z)
        dual = self.problem.dual_at(W, G, yr, rr)
        self.best_dual = max(self.best_dual, dual)
        return yr, rr

    def gradient_and_measure(self, W, b, xw=None):
        problem = self.problem
        if self.seed is not None and self.seed[0] is W:
            parts = self.seed[1]  # the null point's, from tolerance_scales
        else:
            parts = problem.full_gradient(W, b, xw)
        self.seed = None
        b, z, g, G = parts
        self.last = W, parts
        if self.criterion != "duality_gap":
            return G, problem.kkt_violation(W, G, g)
        _, rr = self._dual(W, G, z)
        primal = problem.primal_from_moments(W, 0.5 * rr)
        return G, gap_measure(problem, max(primal - self.best_dual, 0.0), primal)

    def restrict(self, rows):
        problem = self.problem
        shared = problem.task_scale
        if shared is not None and rows.size > _FACTOR_ROWS * shared[0].size:
            self.factor = _extended_factor(problem, rows, self.factor)
            return self.factor  # cheaper than its Gram
        return gram_model(problem, rows)

    def predictor(self, model, WS):
        """``x_i^T W`` at the entries from a factor model's ``F W_S`` (the
        design's columns of the set, centred and scaled: ``F = (X_S - x̄)
        diag(sqrt(a))``), without a gather of ``X_S``; None for other models
        (or rows of zero weight, which ``F`` cannot restore)."""
        if not isinstance(model, FactorModel):
            return None
        root = np.sqrt(self.problem.task_scale[1])
        if not np.all(root > 0):
            return None
        known = getattr(model, "product", None)  # (W, F W) of the last solve
        FW = known[1] if known is not None and known[0] is WS else model.factor @ WS
        XW = FW / root[:, None]
        if model.x_mean is not None:
            XW += model.x_mean[:, 0] @ WS
        return XW.T.ravel()  # entries column by column (shared rows)

    def offer(self, W):
        """Not taken: a dual point costs a product with the design here, as
        much as the next outer iteration, whose own residuals serve."""

    def intercept(self, W, b):
        return b  # final_result recomputes it from the design

    def final_parts(self, W):
        """``full_gradient`` at ``W`` if it was the last point evaluated."""
        if self.last is not None and self.last[0] is W:
            return self.last[1]
        return None


def _extended_factor(problem, rows, previous):
    """The factor model on ``rows``, with the columns of the features that
    ``previous`` (a factor model of the same problem, or None) has copied
    from it: only the new features' columns are gathered from ``X``, centred
    and scaled (every column's centring and scaling is its own, and ``k``,
    the means of ``Y`` and the scales do not depend on the features).
    Successive working sets share most of their features."""
    if previous is None:
        return factor_model(problem, rows)
    old = previous.features
    position = np.minimum(np.searchsorted(old, rows), old.size - 1)
    found = old[position] == rows
    if 2 * np.count_nonzero(found) < rows.size:
        return factor_model(problem, rows)
    fresh = factor_model(problem, rows[~found]) if not found.all() else None
    F = np.empty((previous.factor.shape[0], rows.size), order="F")
    # the kept columns by one take into the rows of F^T (contiguous columns
    # of a column-major F; 6x faster than a masked assignment at m = 200,
    # 600 columns); the new ones' positions overwritten after it
    source = np.where(found, position, 0)
    np.take(np.asfortranarray(previous.factor).T, source, axis=0, out=F.T,
            mode="clip")
    C = previous.C[source]
    x_mean = None if previous.x_mean is None else previous.x_mean[source]
    if fresh is not None:
        new = ~found
        F[:, new], C[new] = fresh.factor, fresh.C
        if x_mean is not None:
            x_mean[new] = fresh.x_mean
    return FactorModel(rows, C, previous.k, previous.y_mean, x_mean, factor=F,
                       scale=previous.scale)


def _full_gram_pays(problem):
    """Whether the model of all features is worth building.

    Its cost, ``m d^2`` for a shared design of ``m`` rows, against a product
    with the design, ``m d T``, per outer iteration: the full Gram pays when
    ``d`` is at most a few times ``T`` (or small), else the working sets get
    their own Grams and the global gradient comes from the design. When it
    is already built (a path shares it between strengths) it costs nothing.
    """
    if problem.has_gram:
        return True
    if not problem.gram_affordable(problem.n_features):
        return False
    if problem.task_scale is None:  # per-column Grams: kept as before
        return True
    return problem.n_features <= max(_FULL_GRAM_FEATURES, 8 * problem.n_columns)


def _first_size(problem, state):
    """Size of the first working set from zero.

    ``_MIN_WORKING_SET`` but for a wide shared design whose global gradient
    comes from the design (:class:`_DesignState`): there every outer
    iteration costs a product with it, ``m d T``, about what ten epochs on
    ``d / _FIRST_FRACTION`` features cost, so the first set has that many
    features (at most ``sqrt(d T)``, so that its Gram, ``m s^2``, costs at
    most that product too): fewer outer iterations while the support grows.
    """
    d = problem.n_features
    if not isinstance(state, _DesignState) or problem.task_scale is None:
        return _MIN_WORKING_SET
    return max(_MIN_WORKING_SET,
               min(d // _FIRST_FRACTION, int(np.sqrt(d * problem.n_columns))))


_CHEAP_EPOCHS = 50


def _epochs_cheap(state, problem, rows):
    """Whether ``_CHEAP_EPOCHS`` epochs on ``rows`` cost less than one global
    gradient: then the working set is solved to the final tolerance at once
    (a looser inner solve would only buy another outer iteration, dearer
    than the epochs it saves)."""
    epoch = 2.0 * rows.size * rows.size * problem.n_columns
    return _CHEAP_EPOCHS * epoch <= state.gradient_cost()


def _working_sets(problem, W0, b0, *, tol, max_iter, verbose, kkt_tol,
                  inner=coordinate_descent):
    """Working sets, each solved by coordinate descent on the quadratic model.

    When the model of all features pays (:func:`_full_gram_pays`) it is built
    once and the global certificate comes from it; otherwise each working
    set gets its own model and the global gradient comes from the design.
    """
    W, b = start_point(problem, W0, b0)
    criterion = criterion_of(problem, kkt_tol, tol, (1.0, 1.0))[0]  # the name
    if _full_gram_pays(problem):
        state = _ModelState(problem, criterion)
        # the scales from the model of all features: no product with X
        scales = model_scales(problem, state.model) or tolerance_scales(problem)
    else:
        state = _DesignState(problem, criterion)
        null_gradient = problem.full_gradient(*problem.null_point())
        scales = tolerance_scales(problem, null_gradient)
        if W0 is None:
            state.seed = W, null_gradient  # W is the null point: no second product
        del null_gradient  # entry-sized arrays: not kept beyond their use
    criterion, threshold = criterion_of(problem, kkt_tol, tol, scales)
    size = _first_size(problem, state) if W0 is None else _MIN_WORKING_SET
    # iterations in passes over all the features: an epoch over s of the d
    # features counts s / d (the row updates of one full epoch are d), so
    # that max_iter bounds the work as one of scikit-learn's epochs does,
    # whatever the sizes of the working sets; counted in row updates
    budget, updates = max_iter * W.shape[0], 0
    status, loose_tol = "max_iter", np.inf
    previous = None
    xw = None  # the predictor at W when the last working set's model gave it
    for outer in range(_MAX_OUTER):
        G, measure = state.gradient_and_measure(W, b, xw)
        if verbose:
            print(f"[skmtl] outer {outer}: {criterion} {measure:.3e} (tol "
                  f"{threshold:.3e}), support {nonzero_rows(W).sum()}")
        if measure <= threshold or updates >= budget or status == "stalled":
            break
        in_support = nonzero_rows(W)
        rows = _select(problem, W, G, size, in_support=in_support)
        size = rows.size
        stable = previous is not None and _subset(rows, previous)
        previous = rows
        # settled: the support fills the set but for a few violating features
        # (the set is about the final one): solved to the end at once instead
        # of one outer iteration per tenth of the gap
        settled = rows.size - np.count_nonzero(in_support) <= (
            _SETTLED * rows.size)
        if stable or settled or _epochs_cheap(state, problem, rows):
            inner_tol = 0.3 * threshold
        else:  # a fraction of the global measure, decreasing between dear sets
            # (a cheap set solved to the end does not make the next, dearer
            # one be solved to the end as well: its features may still change)
            loose_tol = max(min(_INNER_FRACTION * measure, 0.5 * loose_tol),
                            0.3 * threshold)
            inner_tol = loose_tol
        sub = Certificate(problem, state.restrict(rows), criterion)
        WS, _, epochs, status = inner(
            sub.model, problem, W[rows], sub, tol=inner_tol,
            max_iter=-(-(budget - updates) // max(rows.size, 1)),  # epochs left
        )
        W = np.zeros_like(W)
        W[rows] = WS
        if isinstance(state, _DesignState):
            xw = state.predictor(sub.model, WS)
        updates += max(epochs, 1) * rows.size
        if sub.best_point is not None:  # the extrapolated dual, made global
            W_dual = np.zeros_like(W)
            W_dual[rows] = sub.best_point
            state.offer(W_dual)
        if status == "stalled" and not stable:
            status = "max_iter"  # a larger working set may still progress
    b = state.intercept(W, b)
    n_iter = min(-(-updates // W.shape[0]), max_iter)  # passes, rounded up
    solver = "working sets + coordinate descent"
    if not problem.certified and isinstance(state, _ModelState):
        if measure <= threshold:
            status = "converged"
        elif status == "converged":
            status = "stalled"  # as final_result: the inner solve only
        return Result(W, b, n_iter, status, np.nan, None, criterion, measure,
                      threshold, solver)
    return final_result(
        problem, W, b, n_iter, status, criterion, threshold, solver,
        state.best_dual, state.final_parts(W),
    )


def _spectral(problem, W0, b0, *, tol, max_iter, verbose, kkt_tol):
    """ADMM on the quadratic model of all features (spectral penalties)."""
    from ._prox_grad import design_working_sets

    if problem.coupling is not None or not problem.gram_affordable(problem.n_features):
        return design_working_sets(
            problem, W0, b0, tol=tol, max_iter=max_iter, verbose=verbose,
            kkt_tol=kkt_tol,
        )
    from ._stacked import stacked_solve  # models helper's: W = P + Q, own penalties

    result = stacked_solve(problem, W0, b0, tol=tol, max_iter=max_iter,
                           verbose=verbose, kkt_tol=kkt_tol)
    if result is not None:
        return result
    W, b = start_point(problem, W0, b0)
    model = problem.gram(np.arange(problem.n_features))
    scales = model_scales(problem, model) or tolerance_scales(problem)
    criterion, threshold = criterion_of(problem, kkt_tol, tol, scales)
    certificate = Certificate(problem, model, criterion)
    W, _, n_iter, status = admm(
        model, problem, W, certificate, tol=0.5 * threshold, max_iter=max_iter
    )
    if verbose:
        print(f"[skmtl] ADMM: {n_iter} iterations, {status}")
    return final_result(
        problem, W, model.intercept(W), n_iter, status, criterion, threshold,
        "ADMM", certificate.best_dual,
    )


def _design_working_sets(problem, W0, b0, *, solver=None, **options):
    from ._prox_grad import design_working_sets

    return design_working_sets(problem, W0, b0, **options)


__all__ = ["Result", "minimize", "tolerance_scales"]
