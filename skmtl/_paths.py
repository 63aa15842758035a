r"""Regularization paths: warm-started solutions along a descending grid.

A path fits one model for a decreasing sequence of strengths of its main
parameter (``alpha``), each fit starting from the previous solution, on
data validated and turned into one optimisation problem **once**. For the
linear models the fold's quadratic model (Gram moments, and for the
quadratic models its eigendecompositions) is built once and reused by every
strength.

An L2,1 regressor's path (squared loss, affordable Gram) runs compiled in
Gram space (:mod:`skmtl.solvers._gram_path`): one call per chunk of the grid
instead of one solver call per strength; the CV estimators then score a
fold's strengths from one product with the stacked coefficients.

The grid (:func:`alpha_grid`) descends geometrically from ``alpha_max``
(:func:`skmtl.alpha_max`, the smallest strength that zeroes every
coefficient) to ``eps * alpha_max``, as in scikit-learn's ``lasso_path``.
Models whose main penalty never zeroes the coefficients (mean-regularized,
task graph, task relation, networks) have no ``alpha_max``; their grid
descends from ``top * s`` where

.. math::

    s = \frac{1}{T} \sum_{t=1}^{T} \frac{1}{d} \sum_{j=1}^{d}
        \operatorname{Var}_{i \in O_t}(x_{ij})

is the mean variance of the features within each task's observed rows (1 on
standardised features): the curvature of one task's averaged squared loss
per feature, the scale against which a quadratic penalty ``alpha / 2 ...``
is strong (``alpha >> s``) or weak (``alpha << s``).
"""

import copy
import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone, is_regressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array

from ._splitters import observed_entries
from .estimators import alpha_max
from .estimators._base import _MultiTaskLinearModel
from .solvers import PathSolver, minimize

__all__ = [
    "alpha_grid",
    "conditional_alpha_max",
    "data_scale",
    "l21_path",
    "mean_regularized_path",
    "regularization_path",
    "task_relation_path",
    "trace_norm_path",
]

#: top of the grid, in units of :func:`data_scale`, for models without alpha_max
DEFAULT_TOP = 10.0


def data_scale(X, Y):
    """Mean variance of the features within each task's observed rows.

    ``s = mean_t mean_j Var_{i in O_t}(x_ij)``: 1 on standardised features.
    The scale of the grids of models without ``alpha_max`` (see the module
    docstring). Returns 1.0 when it is zero (constant features).

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.model_selection import data_scale
    >>> X = np.array([[0.0], [2.0], [0.0], [4.0]])
    >>> Y = np.array([[1.0, np.nan], [2.0, np.nan], [np.nan, 1.0], [np.nan, 0.0]])
    >>> data_scale(X, Y)  # task 0: Var(0, 2) = 1, task 1: Var(0, 4) = 4
    2.5
    """
    rows, tasks, _, n_samples, _ = observed_entries(Y)
    # data frames, lists: rows are taken by position below
    X = check_array(X, accept_sparse="csr", dtype=(np.float64, np.float32),
                    input_name="X")
    if X.shape[0] != n_samples:
        raise ValueError(
            f"Y has {n_samples} rows but X has {X.shape[0]}: each row of Y holds "
            "the targets of the same row of X.")
    variances = []
    for t in np.unique(tasks):
        block = X[rows[tasks == t]]
        if sp.issparse(block):
            mean = np.asarray(block.mean(axis=0)).ravel()
            square = np.asarray(block.multiply(block).mean(axis=0)).ravel()
            variances.append(float(np.mean(np.maximum(square - mean**2, 0.0))))
        else:
            variances.append(float(np.mean(np.var(np.asarray(block, float), axis=0))))
    scale = float(np.mean(variances)) if variances else 0.0
    return scale if scale > 0 and np.isfinite(scale) else 1.0


def has_alpha_max(estimator, parameter="alpha"):
    """Whether ``parameter`` of ``estimator`` is a strength that zeroes its
    coefficients (one of its ``_sparsity_parameters``), so that its grid is
    relative to ``alpha_max``."""
    return parameter in getattr(estimator, "_sparsity_parameters", ())


def conditional_alpha_max(estimator, X, Y, *, sample_weight=None, parameter="alpha"):
    """Smallest ``parameter`` that zeroes its part, the other strengths as set.

    For a model with one sparsity strength this is :func:`skmtl.alpha_max`.
    A decomposed model (``W = P + Q``, each part with its own strength)
    zeroes the part of ``parameter`` from a lower value when the other part
    is active: with that part at zero, the other part's solution ``Q*``
    stays optimal for every strength at least the dual norm of the gradient
    at ``(0, Q*)`` on the part's block, so the solution does not change
    above it (``DirtyRegressor``: at most ``T * l1``). That value is
    computed from one fit at ``alpha_max``, whose part is zero.

    Examples
    --------
    >>> from skmtl import DirtyRegressor, alpha_max
    >>> from skmtl.datasets import make_multitask_regression
    >>> from skmtl.model_selection import conditional_alpha_max
    >>> X, Y = make_multitask_regression(40, 6, 4, random_state=0)
    >>> model = DirtyRegressor(l1=0.05)
    >>> top = conditional_alpha_max(model, X, Y)  # T * l1 = 0.2 here
    >>> round(top, 3), bool(top < alpha_max(model, X, Y, param="alpha"))
    (0.2, True)
    """
    top = alpha_max(estimator, X, Y, sample_weight=sample_weight, param=parameter)
    params = estimator.get_params()
    others = [p for p in getattr(estimator, "_sparsity_parameters", ())
              if p != parameter and params.get(p) != 0]
    if not others or not isinstance(estimator, _MultiTaskLinearModel) or not top > 0:
        return top
    est = clone(estimator).set_params(**{parameter: top})
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    with warnings.catch_warnings():  # an estimate: the path's own fits report
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, Y, **kwargs)
    X, _, datafit = est._prepare(X, Y, sample_weight)
    problem, regularizer = est._build_problem(X, datafit)
    start = copy.copy(est)
    start.warm_start = True
    W, b = start._warm_start_point(problem, regularizer, datafit.layout)
    G = problem.full_gradient(W, b)[3]
    return min(top, regularizer.alpha_max(G, parameter))


def alpha_grid(estimator, X, Y, *, eps=1e-3, n_alphas=100, sample_weight=None,
               top=DEFAULT_TOP, parameter="alpha"):
    """The default grid of ``parameter``: ``n_alphas`` values, descending.

    From ``alpha_max`` to ``eps * alpha_max`` on a log scale when the
    parameter is a sparsity strength of the estimator (``_sparsity_parameters``),
    else from ``top * data_scale(X, Y)`` to ``eps`` times that. For a
    decomposed model whose other part is active, ``alpha_max`` is
    :func:`conditional_alpha_max` (above it the solution does not change).

    Examples
    --------
    >>> from skmtl import L21Regressor, alpha_max
    >>> from skmtl.datasets import make_multitask_regression
    >>> from skmtl.model_selection import alpha_grid
    >>> X, Y = make_multitask_regression(30, 8, 3, random_state=0)
    >>> grid = alpha_grid(L21Regressor(), X, Y, n_alphas=4)
    >>> bool(grid[0] == alpha_max(L21Regressor(), X, Y)), grid.size
    (True, 4)
    """
    if not (isinstance(eps, numbers.Real) and 0 < eps < 1):
        raise ValueError(f"eps must be a number in (0, 1); got {eps!r}.")
    if not isinstance(n_alphas, numbers.Integral) or n_alphas < 1:
        raise ValueError(f"n_alphas must be a positive integer; got {n_alphas!r}.")
    if has_alpha_max(estimator, parameter):
        highest = conditional_alpha_max(estimator, X, Y, sample_weight=sample_weight,
                                        parameter=parameter)
    else:
        highest = top * data_scale(X, Y)
    if not highest > 0:  # e.g. constant targets: every strength gives zero
        return np.full(int(n_alphas), positive_top(highest))
    if n_alphas == 1:
        return np.array([float(highest)])
    return np.geomspace(highest, highest * eps, int(n_alphas))


def positive_top(top):
    """``top``, or a tiny positive strength when it is 0 (constant or zero
    targets: every strength gives zero coefficients, and some models refuse
    a zero strength)."""
    return top if top > 0 else float(np.finfo(float).resolution)


def check_alphas(alphas, name="alphas"):
    """A user's grid: finite, non-negative, sorted in decreasing order."""
    values = np.asarray(alphas, dtype=float).ravel()
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(
            f"{name} must be a non-empty array of finite non-negative numbers; got "
            f"{alphas!r}."
        )
    return np.sort(values)[::-1]


# --------------------------------------------------------------------------
# The path of a linear model: one problem, warm starts, one quadratic model
# --------------------------------------------------------------------------


class _LinearPath:
    """Solutions of a ``_MultiTaskLinearModel`` for descending strengths.

    The first strength is fitted by the estimator itself (the fitted
    template that gives every later point its fitted attributes); the others
    solve the same problem (same datafit and quadratic model) with the next
    regularizer, from the previous solution.
    """

    def __init__(self, estimator, X, Y, sample_weight, parameter):
        self.estimator, self.parameter = estimator, parameter
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.unconverged = []

    def __iter__(self):
        fast = self.compiled()
        if fast is not None:
            return self._compiled_points(fast)
        return self._points(clone(self.estimator))

    def compiled(self):
        """The compiled Gram-space path of this fold (:mod:`skmtl.solvers._gram_path`)
        when it solves this problem (an L2,1 squared-loss problem whose Gram
        is affordable, every strength positive, numba present), else None.
        Built once; the data are validated once for both routes."""
        if hasattr(self, "_compiled"):
            return self._compiled
        self._compiled = None
        if not (PathSolver.compiles() and self.alphas.size
                and np.all(self.alphas > 0)):
            return None
        est = clone(self.estimator).set_params(
            **{self.parameter: float(self.alphas[0])})
        X, targets, datafit = est._prepare(self.X, self.Y, self.sample_weight)
        problem, regularizer = est._build_problem(X, datafit)
        if (regularizer.decomposed or regularizer.terms[0].parameter != self.parameter
                or problem.penalty.alpha != float(self.alphas[0])):
            return None
        def fallback(alpha, W):  # the estimator's solver, same quadratic model
            est.set_params(**{self.parameter: alpha})
            problem_at, _ = est._build_problem(X, datafit)
            problem_at.share_gram(problem)
            return minimize(problem_at, W, None, tol=est.tol, max_iter=est.max_iter)

        self._compiled = PathSolver(tol=est.tol, max_iter=est.max_iter).compiled_path(
            problem, fallback)
        if self._compiled is None:
            return None
        self._compiled_state = dict(X=X, datafit=datafit, layout=datafit.layout,
                                    regularizer=regularizer,
                                    single=targets.single_task,
                                    regression=is_regressor(est), dtype=X.dtype)
        return self._compiled

    def solutions(self):
        """Chunks ``(start, Ws, bs, n_iter)`` of the compiled path's solutions
        (see :meth:`skmtl.solvers._gram_path.GramL21Path.solve`), recording the
        strengths that did not converge in ``unconverged``."""
        self.unconverged = []
        for start, Ws, bs, epochs, _, status in self._compiled.solve(self.alphas):
            failed = np.flatnonzero(status != "converged")
            self.unconverged.extend(float(a) for a in self.alphas[start + failed])
            yield start, Ws, bs, epochs

    def _compiled_points(self, fast):
        template = None
        state = self._compiled_state
        for _, Ws, bs, epochs in self.solutions():
            if template is None:  # the fitted attributes of every view
                est = clone(self.estimator).set_params(
                    **{self.parameter: float(self.alphas[0])})
                recorded = list(self.unconverged)
                template, _ = self._first_fit(est)  # records its own warning
                self.unconverged = recorded
            for W, b, n_iter in zip(Ws, bs, epochs, strict=True):
                yield _view(template, state["regularizer"], state, W, b), int(n_iter)

    def _points(self, est):
        self.unconverged = []
        template = state = None
        for alpha in self.alphas:
            est.set_params(**{self.parameter: float(alpha)})
            if template is None:
                template, state = self._first_fit(est)
                yield template, template.n_iter_
                continue
            problem, regularizer = self._next_problem(est, state)
            result = self._solve(problem, state, est)
            state["W"], state["b"] = result.W, result.b
            if not result.converged:
                self.unconverged.append(float(alpha))
            yield _view(template, regularizer, state, result.W, result.b), int(
                result.n_iter)

    def _first_fit(self, est):
        kwargs = {} if self.sample_weight is None else {
            "sample_weight": self.sample_weight}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            est.fit(self.X, self.Y, **kwargs)
        if any(issubclass(w.category, ConvergenceWarning) for w in caught):
            self.unconverged.append(float(getattr(est, self.parameter)))
        template = copy.deepcopy(est)
        X, targets, datafit = est._prepare(self.X, self.Y, self.sample_weight)
        problem, regularizer = est._build_problem(X, datafit)
        start = copy.copy(template)
        start.warm_start = True  # the template's solution as the next start
        W, b = start._warm_start_point(problem, regularizer, datafit.layout)
        state = dict(X=X, datafit=datafit, layout=datafit.layout, W=W, b=b,
                     path=None, single=targets.single_task,
                     regression=is_regressor(est), dtype=X.dtype)
        return template, state

    @staticmethod
    def _next_problem(est, state):
        return est._build_problem(state["X"], state["datafit"])

    @staticmethod
    def _solve(problem, state, est):
        """The point from the previous one; the fold's quadratic model (and a
        linear system's decomposition) is shared through one PathSolver."""
        if state["path"] is None:
            state["path"] = PathSolver(tol=est.tol, max_iter=est.max_iter)
        return state["path"].minimize(problem, state["W"], state["b"])


def _view(template, regularizer, state, W, b):
    """A copy of the fitted ``template`` with the solution ``W``, ``b``."""
    view = copy.copy(template)
    layout, single, regression = state["layout"], state["single"], state["regression"]
    dtype = state["dtype"]
    blocks = regularizer.blocks(W)
    for term, block in zip(regularizer.terms, blocks, strict=True):
        if term.attribute is not None:
            setattr(view, term.attribute,
                    layout.to_coef(block, single, regression).astype(dtype))
    view.coef_ = layout.to_coef(sum(blocks), single, regression).astype(dtype)
    intercept = b.astype(dtype)
    view.intercept_ = float(intercept[0]) if (single and regression) else intercept
    return view


class _RefitPath:
    """Any other estimator: a fit of a fresh clone per strength, as
    ``GridSearchCV`` makes them. No warm start: the linear models take
    :class:`_LinearPath`, and for a network (or any non-convex model) the
    previous strength's solution is a poor start: a network fitted under a
    strong weight decay has weights near zero, a stationary point the next,
    weaker decay does not leave, so every strength of the path would score
    as the first."""

    def __init__(self, estimator, X, Y, sample_weight, parameter):
        self.estimator, self.parameter = estimator, parameter
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.unconverged = []

    def __iter__(self):
        kwargs = {} if self.sample_weight is None else {
            "sample_weight": self.sample_weight}
        self.unconverged = []
        for alpha in self.alphas:
            est = clone(self.estimator).set_params(**{self.parameter: float(alpha)})
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                est.fit(self.X, self.Y, **kwargs)
            if any(issubclass(w.category, ConvergenceWarning) for w in caught):
                self.unconverged.append(float(alpha))
            yield est, int(np.max(getattr(est, "n_iter_", 0)))


def path_points(estimator, X, Y, alphas, *, sample_weight=None, parameter="alpha"):
    """Iterator of ``(fitted model, n_iter)`` along ``alphas`` (in order).

    A yielded model is valid until the next one is produced (the linear
    path reuses one view). After the loop, ``.unconverged`` lists the
    strengths whose fit did not converge.
    """
    kind = _LinearPath if isinstance(estimator, _MultiTaskLinearModel) else _RefitPath
    path = kind(estimator, X, Y, sample_weight, parameter)
    path.alphas = np.asarray(alphas, dtype=float)
    return path


def convergence_message(estimator, unconverged, where="", alphas=None):
    """The warning for strengths of a path (or of folds' paths) that did not
    converge; its advice depends on where they are on the grid ``alphas``:
    a larger ``eps`` only helps when every one of them is in the lower half
    (log scale) of the grid."""
    name = type(estimator).__name__
    shown = ", ".join(f"{a:.3g}" for a in unconverged[:5])
    more = "" if len(unconverged) <= 5 else f" and {len(unconverged) - 5} more"
    advice = "Increase max_iter or raise tol"
    grid = None if alphas is None else np.asarray(alphas, dtype=float).ravel()
    if grid is not None and grid.size > 1 and grid.min() > 0:
        middle = np.sqrt(grid.max() * grid.min())
        if max(unconverged) < middle:
            advice += (", or use a larger eps (only strengths in the lower half of "
                       "the grid did not converge)")
    return (
        f"{name} did not converge{where} at alpha = {shown}{more} (tol="
        f"{estimator.get_params().get('tol')}, max_iter="
        f"{estimator.get_params().get('max_iter')}). {advice}."
    )


def regularization_path(estimator, X, Y, *, alphas=None, eps=1e-3, n_alphas=100,
                        sample_weight=None, return_n_iter=False):
    """Coefficients of ``estimator`` along a descending grid of ``alpha``.

    Warm-started from one strength to the next, on data validated once; the
    linear models reuse one quadratic model (and the quadratic models one
    set of eigendecompositions) for the whole path. Every other parameter
    is the estimator's.

    Parameters
    ----------
    estimator : estimator
        A linear multi-task model of skmtl (or any estimator with ``alpha``,
        ``coef_`` and ``intercept_``; fitted once per strength).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Y : array-like or sparse matrix of shape (n_samples, n_tasks)
        Stacked targets (``NaN`` where missing).
    alphas : array-like, default=None
        The strengths (sorted in decreasing order). None: :func:`alpha_grid`
        with ``eps`` and ``n_alphas`` (from ``alpha_max`` when the model has
        one, else from ``10 * data_scale(X, Y)``).
    eps : float, default=1e-3
        Length of the default grid: its smallest value over its largest.
    n_alphas : int, default=100
        Number of strengths of the default grid.
    sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks)
    return_n_iter : bool, default=False
        Also return the iterations of each fit.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
    coefs : ndarray of shape (n_alphas, ...)
        ``coefs[k]`` is the fitted ``coef_`` at ``alphas[k]`` (same shape).
    intercepts : ndarray of shape (n_alphas, ...)
        ``intercepts[k]`` is the fitted ``intercept_`` at ``alphas[k]``.
    n_iters : ndarray of shape (n_alphas,)
        Only when ``return_n_iter``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import L21Regressor
    >>> from skmtl.datasets import make_multitask_regression
    >>> from skmtl.model_selection import regularization_path
    >>> X, Y = make_multitask_regression(40, 10, 3, random_state=0)
    >>> alphas, coefs, intercepts = regularization_path(
    ...     L21Regressor(), X, Y, n_alphas=5)
    >>> coefs.shape  # (n_alphas, n_tasks, n_features)
    (5, 3, 10)
    >>> bool(np.all(coefs[0] == 0))  # alphas[0] is alpha_max
    True
    """
    if alphas is None:
        alphas = alpha_grid(estimator, X, Y, eps=eps, n_alphas=n_alphas,
                            sample_weight=sample_weight)
    alphas = check_alphas(alphas)
    path = path_points(estimator, X, Y, alphas, sample_weight=sample_weight)
    coefs, intercepts, n_iters = [], [], []
    for model, n_iter in path:
        coefs.append(np.array(model.coef_, copy=True))
        intercepts.append(np.array(model.intercept_, copy=True))
        n_iters.append(n_iter)
    if path.unconverged:
        warnings.warn(convergence_message(estimator, path.unconverged, alphas=alphas),
                      ConvergenceWarning, stacklevel=2)
    out = alphas, np.array(coefs), np.array(intercepts)
    return (*out, np.array(n_iters)) if return_n_iter else out


def _named_path(regressor, classifier, name):
    def path(X, Y, *, classification=False, alphas=None, eps=1e-3, n_alphas=100,
             sample_weight=None, return_n_iter=False, **params):
        estimator = (classifier if classification else regressor)(**params)
        return regularization_path(
            estimator, X, Y, alphas=alphas, eps=eps, n_alphas=n_alphas,
            sample_weight=sample_weight, return_n_iter=return_n_iter,
        )

    path.__name__ = path.__qualname__ = name
    path.__doc__ = f"""Path of :class:`~skmtl.{regressor.__name__}` (or, with
    ``classification=True``, :class:`~skmtl.{classifier.__name__}`) over ``alpha``.

    :func:`regularization_path` of ``{regressor.__name__}(**params)``; see it
    for ``alphas``, ``eps``, ``n_alphas``, ``sample_weight``,
    ``return_n_iter`` and the returned arrays.

    Examples
    --------
    Each point of the path is the estimator's fit at that strength:

    >>> import numpy as np
    >>> from skmtl import {regressor.__name__}
    >>> from skmtl.datasets import make_multitask_regression
    >>> from skmtl.model_selection import {name}
    >>> X, Y = make_multitask_regression(40, 10, 3, random_state=0)
    >>> alphas, coefs, intercepts = {name}(X, Y, n_alphas=3)
    >>> coefs.shape  # (n_alphas, n_tasks, n_features)
    (3, 3, 10)
    >>> last = {regressor.__name__}(alpha=alphas[-1]).fit(X, Y)
    >>> bool(np.allclose(coefs[-1], last.coef_, atol=1e-3))
    True
    """
    return path


def _make_named_paths():
    from .estimators import (
        L21Classifier,
        L21Regressor,
        MeanRegularizedClassifier,
        MeanRegularizedRegressor,
        TaskRelationClassifier,
        TaskRelationRegressor,
        TraceNormClassifier,
        TraceNormRegressor,
    )

    return (
        _named_path(L21Regressor, L21Classifier, "l21_path"),
        _named_path(TraceNormRegressor, TraceNormClassifier, "trace_norm_path"),
        _named_path(MeanRegularizedRegressor, MeanRegularizedClassifier,
                    "mean_regularized_path"),
        _named_path(TaskRelationRegressor, TaskRelationClassifier,
                    "task_relation_path"),
    )


l21_path, trace_norm_path, mean_regularized_path, task_relation_path = (
    _make_named_paths()
)
