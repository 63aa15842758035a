"""The estimator layer: flat parameters -> regularizer -> problem -> solver.

A model is the datafit of its side (:class:`MultiTaskRegressorBase`: squared
loss; :class:`MultiTaskClassifierBase`: logistic / multinomial loss) plus a
:class:`Regularizer` that its parameters make (``_regularizer(layout)``, the
one method a model must write). :meth:`_MultiTaskLinearModel._build_problem`
turns data and regularizer into a :class:`~skmtl.solvers.Problem`; ``fit``,
:func:`alpha_max` and the paths all go through it, and
:func:`skmtl.solvers.minimize` chooses the algorithm.

Parameters are declared once: :data:`SHARED_PARAMETERS` for every model, a
class's ``_parameters`` for its own (strengths first, in signature order).
Subclassing generates the explicit ``__init__`` scikit-learn reads (one line
per parameter, no ``**kwargs``) and the ``_parameter_constraints``.

A regularizer may decompose the coefficients, ``W = P + Q`` (one
:class:`Term` per block, each with its own penalty): the problem is then
solved over the stacked blocks ``[P; Q]`` with the design ``[X, X]``, warm
starts restart from the fitted blocks and each block's fitted attribute is
set from the solution.
"""

import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MultiOutputMixin,
    RegressorMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._data import (
    ColumnLayout,
    check_numeric_columns,
    check_sample_weight,
    check_task_weights,
    class_weight_factors,
    target_weights,
    validate_classification_targets,
    validate_regression_targets,
)
from ..datafits import Logistic, Quadratic
from ..penalties import NoPenalty
from ..solvers import Problem, blas_threads_for, minimize
from ._defaults import resolve_strengths
from ._signature import PublicSignatureMixin

_X_OPTIONS = dict(accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])


# -- parameters -------------------------------------------------------------------
@dataclass(frozen=True)
class Parameter:
    """A constructor parameter: its default and its scikit-learn constraints.

    ``sparsity``: a strength of a sparsity penalty, accepted by
    :func:`alpha_max` (``param=<name>``).
    """

    default: object
    constraints: tuple
    sparsity: bool = False


def strength(default, *, sparsity=False, positive=False):
    """A non-negative (``positive``: > 0) real strength; a sparsity strength
    may also be ``"auto"`` (a fraction of its ``alpha_max``, see
    :mod:`skmtl.estimators._defaults`)."""
    closed = "neither" if positive else "left"
    constraints = (Interval(Real, 0, None, closed=closed),)
    if sparsity:
        constraints += (StrOptions({"auto"}),)
    return Parameter(default, constraints, sparsity)


#: Parameters of every model, in signature order after the model's own.
SHARED_PARAMETERS = {
    "ridge": strength(0.0),
    "fit_intercept": Parameter(True, ("boolean",)),
    "task_weights": Parameter(
        None, ("array-like", Interval(Real, 0, None, closed="left"), None)
    ),
    "tol": strength(1e-4),
    "max_iter": Parameter(1000, (Interval(Integral, 1, None, closed="left"),)),
    "warm_start": Parameter(False, ("boolean",)),
    "verbose": Parameter(0, ("verbose",)),
}


def _generated_init(cls, names, defaults):
    """``def __init__(self, a=<default>, ...): self.a = a; ...`` (explicit)."""
    lines = [f"def __init__(self, {', '.join(f'{n}=_d[{n!r}]' for n in names)}):"]
    lines += [f"    self.{n} = {n}" for n in names] or ["    pass"]
    namespace = {"_d": defaults}
    exec("\n".join(lines), namespace)  # noqa: S102 - fixed template, names checked
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = "Store the parameters (see the class docstring)."
    return init


# -- the regularizer ----------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    """One block of the coefficients and its non-smooth penalty.

    Attributes
    ----------
    penalty : penalty object (see :mod:`skmtl.penalties`)
    parameter : str or None
        The constructor parameter of the penalty's strength, when it is a
        sparsity parameter (the block is zero from ``alpha_max`` on).
    attribute : str or None
        Fitted attribute holding this block (shaped like ``coef_``) when the
        coefficients are decomposed.
    """

    penalty: object
    parameter: str | None = None
    attribute: str | None = None
    #: the strength of the penalty's row-group part when it has one besides
    #: ``parameter`` (the task graph's ``l21`` next to ``l1``)
    group_parameter: str | None = None


@dataclass(frozen=True)
class Regularizer:
    r"""Everything but the data term: the value object a model builds.

    .. math::

        \sum_b \Omega_b(W_b) + \frac{\rho}{2} \sum_b \lVert W_b \rVert_F^2
            + \frac{1}{2}\mathrm{tr}(W C W^\top), \qquad W = \sum_b W_b,

    with one :class:`Term` per block ``W_b`` (one block: no decomposition),
    ``rho`` the ridge and ``C`` the coupling of the columns (only without
    decomposition).
    """

    terms: tuple
    ridge: float = 0.0
    coupling: np.ndarray | None = None

    def __post_init__(self):
        if self.decomposed and self.coupling is not None:
            raise ValueError("a decomposed model cannot have a column coupling.")

    @property
    def decomposed(self):
        return len(self.terms) > 1

    @property
    def penalty(self):
        if not self.decomposed:
            return self.terms[0].penalty
        from ..penalties._decomposed import BlockPenalty

        return BlockPenalty([term.penalty for term in self.terms])

    def problem(self, X, datafit, fit_intercept):
        """The :class:`~skmtl.solvers.Problem` over the stacked blocks."""
        block = X
        if self.decomposed:
            n = len(self.terms)
            X = sparse.hstack([X] * n, format="csc") if sparse.issparse(X) else (
                np.hstack([X] * n)
            )
        problem = Problem(X, datafit, self.penalty, fit_intercept=fit_intercept,
                          ridge=self.ridge, coupling=self.coupling)
        if self.decomposed:  # products with [X, ..., X] made once on X
            problem.declare_stacked(len(self.terms), block)
        return problem

    def blocks(self, W):
        """The blocks ``W_b`` of the stacked solution."""
        return np.split(W, len(self.terms), axis=0)

    def stack(self, blocks):
        return np.vstack(blocks)

    def alpha_max(self, G, parameter):
        """Dual norm of the gradient ``G`` (at zero) on ``parameter``'s block."""
        for term, block in zip(self.terms, self.blocks(G), strict=True):
            if term.parameter == parameter:
                return float(term.penalty.dual_norm(block))
            if term.group_parameter == parameter:
                return float(term.penalty.group_dual_norm(block))
        raise ValueError(f"no penalty has strength {parameter!r}.")


def penalty_or_none(penalty_class, value):
    """``penalty_class(value)``, or no penalty when ``value`` is 0."""
    return penalty_class(value) if value > 0 else NoPenalty()


# -- the estimator ------------------------------------------------------------------
class _MultiTaskLinearModel(PublicSignatureMixin, BaseEstimator):
    """Base class: generated ``__init__``, validation and the ``fit`` flow.

    A model sets ``_parameters`` (its own parameters, in signature order;
    a name of :data:`SHARED_PARAMETERS` listed there moves to that place),
    optionally ``_defaults`` (other defaults for this class) and
    ``_compares_tasks`` (classifiers then require the same labels in every
    task), and writes ``_regularizer(layout)`` and optionally
    ``_set_model_attributes(W_blocks, layout)``.
    """

    _parameters: dict = {}
    _defaults: dict = {}
    #: parameters of one side (the classifiers' class_weight), after the shared
    _side_parameters: dict = {}
    _compares_tasks = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls._parameters
        if not own:  # an abstract side base
            return
        parameters = {**own, **{k: v for k, v in SHARED_PARAMETERS.items()
                                if k not in own}, **cls._side_parameters}
        defaults = {name: p.default for name, p in parameters.items()}
        defaults.update(cls._defaults)
        cls._parameter_constraints = {
            name: list(p.constraints) for name, p in parameters.items()
        }
        cls._sparsity_parameters = tuple(
            name for name, p in parameters.items() if p.sparsity
        )
        cls.__init__ = _generated_init(cls, list(parameters), defaults)

    _parameter_constraints: dict = {}
    _sparsity_parameters: tuple = ()
    #: strengths of a row-group part that alpha_max also accepts
    #: (not tuned relative to it by default, never "auto")
    _group_parameters: tuple = ()

    # -- to be provided by a model ---------------------------------------------
    def _regularizer(self, layout):
        """The :class:`Regularizer` of the columns in ``layout``."""
        raise NotImplementedError

    def _set_model_attributes(self, blocks, layout):
        """Model-specific fitted attributes from the solution's blocks."""

    # -- the one builder: fit, alpha_max and paths -------------------------------
    def _prepare(self, X, Y, sample_weight):
        """Validate inputs; return ``(X, datafit)``, weights per entry."""
        if Y is None:
            name = type(self).__name__
            raise ValueError(
                f"{name} requires y to be passed, but the target y is None."
            )
        X = validate_data(self, check_numeric_columns(X), reset=True, **_X_OPTIONS)
        targets = self._validate_targets(Y, X.shape[0])
        sample_weight = check_sample_weight(sample_weight, X.shape[0], targets.n_tasks)
        task_weights = check_task_weights(
            self.task_weights, targets.n_tasks, targets.task_names
        )
        weights = self._target_weights(targets, sample_weight, task_weights)
        return X, targets, self._make_datafit(targets, weights)

    def _target_weights(self, targets, sample_weight, task_weights):
        """Weight of each observed entry in the data term (see ``skmtl._data``)."""
        return target_weights(targets, sample_weight, task_weights)

    def _build_problem(self, X, datafit):
        """``(problem, regularizer)`` of this estimator on these data."""
        model = resolve_strengths(self, X, datafit)  # "auto" -> fraction of alpha_max
        regularizer = model._regularizer(datafit.layout)
        return regularizer.problem(X, datafit, self.fit_intercept), regularizer

    def _fit(self, X, y, sample_weight):
        """The common flow; returns ``(targets, layout, W, b)`` (W summed)."""
        X, targets, datafit = self._prepare(X, y, sample_weight)
        problem, regularizer = self._build_problem(X, datafit)
        layout = datafit.layout
        W0, b0 = self._warm_start_point(problem, regularizer, layout)
        with blas_threads_for(datafit.entries()[0].size * problem.n_features):
            result = minimize(
                problem, W0, b0, tol=self.tol, max_iter=self.max_iter,
                verbose=self.verbose,
            )
        if not result.converged:
            weak = _weak_strengths(self, X, y, sample_weight)
            warnings.warn(_convergence_message(self, result, X, weak),
                          ConvergenceWarning, stacklevel=3)
        self.n_iter_ = int(result.n_iter)
        self.kkt_violation_ = float(result.kkt)
        if result.gap is None:
            self.__dict__.pop("dual_gap_", None)  # no stale value from a refit
        else:
            self.dual_gap_ = float(result.gap)
        self.solver_ = result.solver
        self.n_tasks_ = targets.n_tasks
        self.task_names_ = targets.task_names
        single = targets.single_task
        regression = isinstance(self, RegressorMixin)
        W_fit, b_fit = result.W, result.b
        if not regression:
            W_fit, b_fit = _centre_over_classes(W_fit, b_fit, layout, regularizer)
        blocks = regularizer.blocks(W_fit)
        dtype = X.dtype
        for term, block in zip(regularizer.terms, blocks, strict=True):
            if term.attribute is not None:
                coef = layout.to_coef(block, single, regression).astype(dtype)
                setattr(self, term.attribute, coef)
        W = sum(blocks)
        self.coef_ = layout.to_coef(W, single, regression).astype(dtype)
        intercept = b_fit.astype(dtype)
        self.intercept_ = float(intercept[0]) if (single and regression) else intercept
        self._set_model_attributes(blocks, layout)
        return targets, layout

    def _warm_start_point(self, problem, regularizer, layout):
        if not self.warm_start or not hasattr(self, "coef_"):
            return None, None
        names = [term.attribute for term in regularizer.terms]
        if regularizer.decomposed and not all(
            name is not None and hasattr(self, name) for name in names
        ):
            return None, None
        coefs = [getattr(self, n) for n in names] if regularizer.decomposed else [
            self.coef_
        ]
        W = regularizer.stack([layout.from_coef(c) for c in coefs])
        if W.shape != (problem.n_features, problem.n_columns):
            return None, None
        return W.astype(np.float64), np.atleast_1d(self.intercept_).astype(np.float64)

    def _linear_predictor(self, X):
        check_is_fitted(self)
        X = validate_data(self, check_numeric_columns(X), reset=False, **_X_OPTIONS)
        coef = np.atleast_2d(self.coef_)
        return np.asarray(X @ coef.T.astype(X.dtype, copy=False)) + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.required = True
        return tags


def _centre_over_classes(W, b, layout, regularizer):
    """The canonical solution of a multinomial task: zero mean over its classes.

    The softmax loss of a task does not change when the same vector is added
    to all its classes' weights (or the same number to their intercepts), so
    without a penalty that pins them (ridge = 0 with a graph, for example)
    the minimisers form a line and two solvers may return different points
    of it. Intercepts are unpenalised, so centring them is always exact; the
    weights are centred when the penalty and the coupling cannot increase by
    it, which makes the returned point unique wherever the loss is strictly
    convex in the centred weights (the penalty says whether it can increase:
    ``class_centring_safe``; a decomposed model's block penalty says no).
    """
    centre_W = regularizer.penalty.class_centring_safe  # penalty protocol
    W, b = W.copy(), b.copy()
    for columns in layout.slices():
        if columns.stop - columns.start < 2:
            continue
        b[columns] -= b[columns].mean()
        if centre_W:
            W[:, columns] -= W[:, columns].mean(axis=1, keepdims=True)
    return W, b


def _scale_spread(X):
    """Largest over smallest non-zero standard deviation of the columns of X."""
    if sparse.issparse(X):
        X = sparse.csc_matrix(X)
        mean = np.asarray(X.mean(axis=0)).ravel()
        var = np.asarray(X.multiply(X).mean(axis=0)).ravel() - mean * mean
    else:
        var = np.var(X, axis=0)
    std = np.sqrt(np.maximum(np.asarray(var, dtype=np.float64), 0.0))
    std = std[std > 0]
    return float(std.max() / std.min()) if std.size else 1.0


#: a spread of feature scales from which standardising is the advice
_BAD_SPREAD = 1e3


def _convergence_message(estimator, result, X=None, weak=""):
    """Advice that fits the reason the solver stopped (``weak``: the advice
    of :func:`_weak_strengths`, which then replaces the others)."""
    name = type(estimator).__name__
    value = result.gap if result.criterion == "duality_gap" and (
        result.gap is not None) else result.measure
    where = (
        f"{result.criterion} {value:.3e} ({result.measure / result.threshold:.3g} "
        f"times the tolerance) after {result.n_iter} iterations"
    )
    if weak:
        stopped = "stalled" if result.status == "stalled" else "did not converge"
        return f"{name} {stopped}: {where} (max_iter={estimator.max_iter}).{weak}"
    if result.status == "stalled":
        return (
            f"{name} stalled at {where}: the objective no longer decreases in "
            "double precision, so more iterations will not help. Standardise the "
            "features (StandardScaler), add a small ridge, or raise tol."
        )
    spread = 1.0 if X is None else _scale_spread(X)
    if spread >= _BAD_SPREAD:
        return (
            f"{name} did not converge: {where} (max_iter={estimator.max_iter}). "
            f"The scales of the features differ by a factor {spread:.1e}, which "
            "slows every solver: standardise them (StandardScaler in a Pipeline) "
            "before raising max_iter."
        )
    return (
        f"{name} did not converge: {where} (max_iter={estimator.max_iter}). "
        "Increase max_iter or raise tol."
    )


#: strengths below this fraction of their alpha_max barely act: the cause
#: to name when such a fit does not converge
_WEAK = 1e-3


def _weak_strengths(estimator, X, y, sample_weight):
    """A sentence for a convergence warning when every sparsity strength set
    as a number is below ``_WEAK`` times its ``alpha_max`` (an absolute
    default on targets of a large scale: the penalty barely acts and the
    solvers crawl; strengths relative to ``alpha_max`` converge), else "".
    A strength at 0 is a choice, not a weak one; models with a strength
    that is not a sparsity one (the task graph's ``alpha``) are left out:
    that penalty acts whatever the sparsity strengths."""
    if "alpha" in estimator.get_params() and (
            "alpha" not in estimator._sparsity_parameters):
        return ""
    ratios = []
    for name in estimator._sparsity_parameters:
        value = getattr(estimator, name)
        if isinstance(value, str):
            return ""  # "auto": relative to alpha_max already
        if value == 0:
            continue
        try:
            top = alpha_max(estimator, X, y, sample_weight, param=name)
        except (ValueError, TypeError):
            return ""
        if top > 0:
            ratios.append((name, value / top))
    if not ratios or max(r for _, r in ratios) >= _WEAK:
        return ""
    names = "; ".join(f"{name}={getattr(estimator, name):g}: {r:.1e} alpha_max"
                      for name, r in ratios)
    return (
        f" The strengths are tiny for these targets ({names}), so the penalty "
        "barely acts and the solver crawls: set them "
        "relative to skmtl.alpha_max(model, X, y, param=...) (0.1 times, say), "
        "standardise the targets, or tune them with the model's CV class (if "
        "they are meant, raise max_iter)."
    )


def alpha_max(estimator, X, y, sample_weight=None, param=None):
    """Smallest strength of a sparsity penalty giving all-zero coefficients.

    ``param`` names the strength (default: the model's first sparsity
    parameter): ``alpha`` for the L2,1 and trace-norm models, ``l1`` for the
    task-graph models, whose ``l21`` is accepted too (each at the other's
    value as set); a decomposed model has one per block (``alpha`` and
    ``l1`` for :class:`~skmtl.DirtyRegressor`, ...), and all its
    coefficients are zero exactly when every such strength is at least its
    ``alpha_max``. It is the dual norm of the gradient of the smooth part at
    zero coefficients and optimal intercepts, on that penalty's block;
    ``estimator`` is not modified. Models without a sparsity penalty
    (mean-regularized, task relation) raise a ``ValueError``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import DirtyRegressor, L21Regressor, alpha_max
    >>> from skmtl.datasets import make_multitask_regression
    >>> X, Y = make_multitask_regression(40, 8, 3, random_state=0)
    >>> top = alpha_max(L21Regressor(), X, Y)
    >>> bool(np.all(L21Regressor(alpha=top).fit(X, Y).coef_ == 0))
    True
    >>> bool(np.any(L21Regressor(alpha=0.9 * top).fit(X, Y).coef_ != 0))
    True

    A decomposed model has one per block; ``param`` chooses it:

    >>> dirty = DirtyRegressor()
    >>> a, l1 = alpha_max(dirty, X, Y), alpha_max(dirty, X, Y, param="l1")
    >>> model = DirtyRegressor(alpha=a, l1=l1).fit(X, Y)
    >>> bool(np.all(model.coef_ == 0))
    True
    """
    sparsity = getattr(estimator, "_sparsity_parameters", ())
    parameters = sparsity + getattr(estimator, "_group_parameters", ())
    name = type(estimator).__name__
    if not parameters:
        raise ValueError(
            f"{name} has no penalty that makes all "
            "coefficients zero, so alpha_max is not defined for it."
        )
    if param is None:
        param = parameters[0]
    if param not in parameters:
        raise ValueError(
            f"param={param!r} is not a sparsity parameter of {name}; "
            f"alpha_max is defined for {list(parameters)}."
        )
    # the other strengths as set, except that every sparsity strength is made
    # non-zero when one of them is asked (each is then a block or a part of
    # the penalty whose dual norm is taken)
    ones = sparsity if param in sparsity else (param,)
    est = clone(estimator).set_params(**dict.fromkeys(ones, 1.0))
    X, _, datafit = est._prepare(X, y, sample_weight)
    problem, regularizer = est._build_problem(X, datafit)
    G0 = problem.full_gradient(*problem.null_point())[3]
    return regularizer.alpha_max(G0, param)


class MultiTaskRegressorBase(MultiOutputMixin, RegressorMixin, _MultiTaskLinearModel):
    """The regressor side: squared-loss data term; ``predict``/``score``."""

    def _validate_targets(self, Y, n_samples):
        return validate_regression_targets(Y, n_samples)

    def _make_datafit(self, targets, weights):
        return Quadratic(
            targets.entry_rows,
            targets.entry_tasks,
            targets.entry_values,
            weights,
            targets.n_samples,
            targets.n_tasks,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (float64 or float32, kept).
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            Stacked targets ``Y``; ``NaN`` where a task has no target for the row.
            A pandas DataFrame's column names become ``task_names_``.
        sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks)
            Non-negative weights, normalised to mean one within each task.

        Returns
        -------
        self : object
        """
        self._fit(X, y, sample_weight)
        return self

    def predict(self, X):
        """Predict every task for every row: (n_samples, n_tasks), or (n,) for 1-D y."""
        Z = self._linear_predictor(X)
        return Z[:, 0] if np.ndim(self.coef_) == 1 else Z

    def score(self, X, y, sample_weight=None):
        """Mean over tasks of the R² on each task's observed entries of ``y``."""
        from ..metrics import r2_score

        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))


class MultiTaskClassifierMixin:
    """Labels, probabilities and scores per task from ``_task_scores``
    (shared by the linear classifiers and the networks)."""

    def _validate_targets(self, Y, n_samples):
        return validate_classification_targets(Y, n_samples)

    @property
    def _single_task(self):
        return not isinstance(self.classes_, list)

    def _task_classes(self):
        return [self.classes_] if self._single_task else self.classes_

    def _task_scores(self, X):
        check_is_fitted(self)
        Z = self._linear_predictor(X)
        return [Z[:, columns] for columns in self.task_slices_]

    def decision_function(self, X):
        """Scores: (n, n_tasks) when every task is binary (score of its second
        class), else a list with an (n,) or (n, K_t) array per task; for 1-D
        y, (n,) or (n, K)."""
        scores = [s[:, 0] if s.shape[1] == 1 else s for s in self._task_scores(X)]
        if self._single_task:
            return scores[0]
        if all(s.ndim == 1 for s in scores):
            return np.column_stack(scores)
        return scores

    def predict_proba(self, X):
        """Class probabilities: a list with an (n, K_t) array per task (columns
        in the order of ``classes_[t]``), or one (n, K) array for 1-D y."""
        probas = []
        for s in self._task_scores(X):
            if s.shape[1] == 1:
                p = _expit(s[:, 0])
                probas.append(np.column_stack([1.0 - p, p]))
            else:
                probas.append(_softmax(s))
        return probas[0] if self._single_task else probas

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        probas = self.predict_proba(X)
        if isinstance(probas, list):
            return [np.log(p) for p in probas]
        return np.log(probas)

    def predict(self, X):
        """Predicted labels: (n, n_tasks) array (object dtype if the tasks'
        label types differ), or (n,) for 1-D y."""
        check_is_fitted(self)
        labels = []
        for classes, s in zip(self._task_classes(), self._task_scores(X), strict=True):
            index = (s[:, 0] > 0).astype(np.intp) if s.shape[1] == 1 else s.argmax(1)
            labels.append(classes[index])
        if self._single_task:
            return labels[0]
        dtypes = {c.dtype for c in self.classes_}
        dtype = dtypes.pop() if len(dtypes) == 1 else object
        out = np.empty((labels[0].shape[0], len(labels)), dtype=dtype)
        for t, task_labels in enumerate(labels):
            out[:, t] = task_labels
        return out

    def score(self, X, y, sample_weight=None):
        """Mean over tasks of the accuracy on each task's observed entries of ``y``."""
        from ..metrics import accuracy_score

        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MultiTaskClassifierBase(
    MultiTaskClassifierMixin, MultiOutputMixin, ClassifierMixin, _MultiTaskLinearModel
):
    """The classifier side: logistic / multinomial data term."""

    _side_parameters = {
        "class_weight": Parameter(
            None, (StrOptions({"balanced"}), dict, list, None)
        ),
    }

    def _target_weights(self, targets, sample_weight, task_weights):
        """Entry weights with ``class_weight`` multiplying the sample weights."""
        factors = class_weight_factors(self.class_weight, targets, sample_weight)
        return target_weights(targets, sample_weight, task_weights, factors)

    def _make_datafit(self, targets, weights):
        if self._compares_tasks:
            _check_same_classes(
                type(self).__name__, targets.classes, targets.task_names
            )
        return Logistic(
            targets.entry_rows,
            targets.entry_tasks,
            targets.entry_codes,
            weights,
            targets.n_samples,
            ColumnLayout.from_classes(targets.classes),
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            Stacked labels ``Y`` (numbers or strings); ``NaN`` or ``None`` where a
            task has no label for the row. Each task has its own classes.
        sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks)

        Returns
        -------
        self : object
        """
        targets, layout = self._fit(X, y, sample_weight)
        self.classes_ = targets.classes[0] if targets.single_task else targets.classes
        self.task_slices_ = layout.slices()
        return self


def _check_same_classes(name, classes, task_names):
    """Models that compare tasks class by class need one label set."""
    first = classes[0]
    for t, task_classes in enumerate(classes[1:], start=1):
        if not np.array_equal(task_classes, first):
            raise ValueError(
                f"{name} compares tasks class by class, so every "
                f"task needs the same labels; task {task_names[t]!r} has "
                f"{[str(c) for c in task_classes]} but task {task_names[0]!r} "
                f"has {[str(c) for c in first]}."
            )


def _expit(z):
    out = np.empty_like(z, dtype=np.float64)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    ez = np.exp(z[~positive])
    out[~positive] = ez / (1.0 + ez)
    return out


def _softmax(S):
    S = S - S.max(axis=1, keepdims=True)
    E = np.exp(S)
    return E / E.sum(axis=1, keepdims=True)
