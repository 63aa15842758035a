"""Multi-task networks: shared hidden layers, one linear head per task."""

import warnings
from itertools import pairwise
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MultiOutputMixin,
    RegressorMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._data import (
    check_numeric_columns,
    check_sample_weight,
    check_task_weights,
    class_weighted_sample_weight,
    entry_weights,
    validate_regression_targets,
)
from ..estimators._base import MultiTaskClassifierMixin
from ..estimators._docs import fill_doc
from ..estimators._selection import CLASS_WEIGHT_DOC
from ..estimators._signature import PublicSignatureMixin
from ..solvers import blas_threads_for
from ._heads import ClassificationHeads, RegressionHeads
from ._network import Parameters, forward, initialize
from ._optimizers import Adam, MomentumSGD
from ._training import Settings, stratified_split, train

__all__ = ["MultiTaskMLPClassifier", "MultiTaskMLPRegressor"]

_X_OPTIONS = dict(accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])

_OBJECTIVE_NOTES = r"""
    The network is shared by the tasks: with ``h_0(x) = x`` and activation
    ``g``, hidden layer ``l = 1..L`` computes ``h_l = g(W_l^T h_{l-1} + b_l)``,
    and task ``t``'s head is linear on the last one,
    ``f_t(x) = V_t^T h_L(x) + beta_t``. With ``O_t`` the rows where task ``t``
    is observed, ``s_it`` the sample weights and ``c_t = task_weights[t]``,
    the fit minimises over ``theta = (W, b, V, beta)``

    .. math::

        \sum_{t=1}^{T} \frac{c_t}{\sum_{i \in O_t} s_{it}}
            \sum_{i \in O_t} s_{it}\, \ell_t\big(y_{it}, f_t(x_i)\big)
        + \frac{\alpha}{2} \Big( \sum_{l=1}^{L} \lVert W_l \rVert_F^2
            + \sum_{t=1}^{T} \lVert V_t \rVert_F^2 \Big)

    i.e. each task's loss averaged over its own observed rows (sample
    weights normalised to mean one within the task), weighted and summed,
    plus ``alpha/2`` times the squared norm of every weight matrix, heads
    included; the intercepts ``b_l`` and ``beta_t`` are not penalised. Missing
    targets contribute nothing, and rows with no observed target are dropped
    before anything else (so adding them changes nothing, for every solver).
    The penalty is not divided by the number of rows: ``alpha`` here equals
    ``alpha / n`` of scikit-learn's ``MLPRegressor`` for one fully observed
    task with ``n`` rows.

    **Uncertainty weighting** (``task_weights="uncertainty"``, Kendall, Gal &
    Cipolla 2018): the fixed ``c_t`` are replaced by learned log-variances
    ``eta_t``, minimised jointly with ``theta``:

    .. math::

        \sum_{t=1}^{T} \Big( e^{-\eta_t} L_t(\theta) + \frac{\eta_t}{2} \Big)
        + \frac{\alpha}{2} \lVert W \rVert^2, \qquad -10 \le \eta_t \le 10,

    with ``L_t`` task ``t``'s averaged loss above (``c_t = 1``). For fixed
    ``theta`` the optimum is ``exp(-eta_t) = 1 / (2 L_t)``, so a task with a
    small loss gets a large weight; ``task_weights_`` holds ``exp(-eta_t)``.
    For the squared loss ``ell = (y - z)^2 / 2`` this is exactly the Gaussian
    negative log-likelihood with variance ``exp(eta_t)``; for classification
    it is Kendall et al.'s approximation of a tempered softmax. The bound
    keeps a task that is fitted exactly from taking an unbounded weight.

    **Solvers.** ``"lbfgs"`` minimises the objective above on all rows.
    ``"adam"`` and ``"sgd"`` shuffle the rows at every epoch and cut them
    into mini-batches ``B`` of ``batch_size`` rows; a step follows the
    gradient of

    .. math::

        \frac{n}{|B|} \sum_{i \in B} \sum_{t} w_{it}\, \ell_t(y_{it}, f_t(x_i))
        + \frac{\alpha}{2} \lVert W \rVert^2,
        \qquad w_{it} = \frac{c_t s_{it} [i \in O_t]}{\sum_{j \in O_t} s_{jt}},

    with ``n`` the number of rows and ``w_it`` the full-data entry weights
    (``c_t`` replaced by ``exp(-eta_t)`` plus the ``eta_t / 2`` terms under
    uncertainty weighting). For a uniformly random batch its expectation is
    the objective above, so every task keeps its per-task average even when a
    batch holds few or none of its rows (a task with few rows gets rare,
    large contributions). ``loss_curve_`` holds, per epoch, the mean of these
    batch objectives (weighted by batch size); for L-BFGS the objective after
    each iteration.

    Stopping: L-BFGS stops when the largest gradient entry is at most
    ``tol``, when an iteration decreases the objective by at most ``tol**2``
    relatively (or its line search can make no more progress), or when the
    last ``n_iter_no_change`` iterations together decreased the objective
    ``f`` by at most ``tol * max(1, |f|)`` (a plateau: on standardised School
    subsets and generated problems the held-out score no longer moved from
    there on, while the gradient rule alone needed 1500 or more iterations,
    far beyond ``max_iter``, as a network has many flat directions). The mini-batch
    solvers stop when, for more than ``n_iter_no_change`` consecutive
    epochs, the epoch loss has not fallen ``tol`` below its best value, or,
    with ``early_stopping=True``, the validation score (mean over tasks of
    R² or accuracy) has not risen ``tol`` above its best; the weights of the
    best validation epoch are kept. A ``ConvergenceWarning`` is raised when
    ``max_iter`` is reached first.

    Features are used as given: standardise ``X`` (for example with a
    ``StandardScaler`` in a ``Pipeline``), as for any network. So are
    regression targets: ``alpha``, ``tol`` and the steps are set for
    targets of unit scale; the regressor warns when a task's targets have
    a standard deviation below 1e-2 (the penalty then outweighs the data
    term), and its convergence warning says so when they exceed 1e2.
"""

_PARAMETERS = """
hidden_layer_sizes : tuple of int, default=(100,)
    Widths of the shared hidden layers (``()``: heads directly on ``X``).
    One layer of 100 units, scikit-learn's default, is enough for a shared
    nonlinear representation of tabular data and cheap to train.
activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
    Activation of the hidden layers. ReLU (scikit-learn's default) does not
    saturate and is the cheapest.
solver : {"lbfgs", "adam", "sgd"}, default="lbfgs"
    ``"lbfgs"`` (the default, unlike scikit-learn's MLP): multi-task data
    sets are usually small per task, and full-batch L-BFGS reaches a minimum
    of the exact objective there in a few hundred iterations, deterministic
    and with no step size to tune. Use ``"adam"`` (or ``"sgd"``, momentum
    SGD) beyond some 10^4 rows.
alpha : float, default=0.03
    Strength of the L2 penalty ``alpha/2 * ||weights||^2`` (not divided by
    the number of rows; biases are not penalised). The data term is an
    average per task, so the penalty's weight does not shrink with the
    number of rows. Measured on standardised data with the default network
    (held-out score, ``random_state=0``): on a noisy linear problem (1 to 10
    tasks, 30 to 200 rows each, as much noise as signal) mean R² was -0.24
    for 1e-4, 0.02 for 1e-2, 0.11 for 0.03 and 0.22 for 0.1; on a nonlinear
    one (3 tasks, 100 to 2000 rows) 0.72-0.92, 0.82-0.91, 0.76-0.85 and
    0.54-0.61 (0.1 underfits). 0.03 is the compromise, and it makes the
    minimum well defined: a weighted fit and the fit on repeated rows agree
    to 1e-7 (scikit-learn's sample-weight check) for every seed tried, which
    weaker penalties, with their many nearby minima, do not.
batch_size : int or "auto", default="auto"
    Rows per mini-batch (adam, sgd); ``"auto"`` is ``min(200, n_samples)``,
    scikit-learn's choice. Clipped to the number of training rows.
learning_rate_init : float, default=1e-3
    Step size of adam and sgd (constant); 1e-3 is Adam's standard step.
momentum : float, default=0.9
    Heavy-ball momentum of sgd, in [0, 1) (scikit-learn's default).
max_iter : int, default=500
    Maximum number of L-BFGS iterations, or of epochs for adam and sgd.
    With the default ``tol`` and ``n_iter_no_change`` the default network
    stopped on its plateau rule after 150 to 260 L-BFGS iterations on
    standardised School subsets (5 and 20 schools, regression and
    classification) and on generated problems, so 500 leaves room (adam
    and sgd usually stop earlier, on ``n_iter_no_change``).
tol : float, default=1e-4
    Tolerance of the stopping rules (see Notes); scikit-learn's default.
n_iter_no_change : int, default=10
    Epochs (adam, sgd) or L-BFGS iterations without improvement by ``tol``
    before the fit stops; scikit-learn's default for its mini-batch
    solvers. ``n_iter_no_change >= max_iter`` turns the L-BFGS plateau
    rule off (stop on the gradient alone).
early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the rows, stratified by task (every
    task keeps rows in both parts; each row counts for its rarest observed
    task), and stop on the validation score. The held-out rows take no part
    in the fit (the per-task averages and the initial head intercepts use
    the training part only). adam and sgd only (ignored by lbfgs). Off by
    default: it costs rows of tasks that have few.
validation_fraction : float, default=0.1
    Fraction of the rows held out when ``early_stopping`` is true.
task_weights : array-like of shape (n_tasks,), float or "uncertainty", \
default=None
    Fixed weight ``c_t`` of each task's average loss (all ones if None), or
    ``"uncertainty"`` for weights learned with the tasks' log-variances (see
    Notes). Small fixed weights for auxiliary tasks can only help when
    the auxiliary tasks would pull the shared layers towards a
    representation the main task does not use while the main task has
    enough rows to learn its own; when the auxiliary tasks share the main
    task's representation, every row of theirs trains the layers the main
    task needs, and down-weighting them removes information. In
    ``examples/mlp_shared_representation.py`` (a 15-row main task, five
    200-row auxiliary tasks) equal weights beat weights of 0.1 in both the
    shared and the unrelated case, and with unrelated auxiliary tasks the
    main task alone did as well as either. The learned uncertainty weights
    did worst there for the main task: its 15 rows are fitted almost
    exactly, so its small training loss earns it a large weight, which
    amounts to less regularisation.
random_state : int, RandomState instance or None, default=None
    Seeds the initial weights, the row shuffling and the validation split;
    an int gives bit-identical refits.
warm_start : bool, default=False
    Start from the previous fit's weights when the network and the heads
    have the same shapes (and, for classifiers, the same classes).
verbose : int, default=0
    Print the loss at every iteration or epoch when positive.
"""

_ATTRIBUTES = """
coefs_ : list of ndarray
    Weights ``W_l`` of the shared hidden layers, of shape (n_in, n_out).
intercepts_ : list of ndarray
    Biases ``b_l`` of the shared hidden layers.
head_coefs_ : list of ndarray
    Weights ``V_t`` of each task's head, of shape (n_last_hidden, K_t) with
    ``K_t = 1`` for a regression or binary task and the number of classes
    of a multiclass task (``n_last_hidden = n_features`` with no hidden
    layer).
head_intercepts_ : list of ndarray
    Intercepts ``beta_t`` of each task's head, of shape (K_t,).
task_weights_ : ndarray of shape (n_tasks,)
    Task weights used: the fixed ``c_t``, or the learned ``exp(-eta_t)``.
log_variances_ : ndarray of shape (n_tasks,)
    Learned ``eta_t`` (only with ``task_weights="uncertainty"``).
loss_curve_ : list of float
    Objective per L-BFGS iteration, or mean batch objective per epoch.
best_loss_ : float or None
    Smallest value in ``loss_curve_`` (final objective for L-BFGS); None
    with early stopping.
validation_scores_ : list of float or None
    Validation score per epoch with early stopping, else None.
best_validation_score_ : float or None
    Best validation score with early stopping, else None.
n_iter_ : int
    L-BFGS iterations or epochs run.
t_ : int
    Optimizer steps taken (mini-batches, or L-BFGS iterations).
n_tasks_ : int
    Number of tasks (columns of ``Y``).
task_names_ : ndarray of str
    Column names of a DataFrame ``Y``, else ``"task_0"``, ``"task_1"``, ...
n_features_in_ : int
    Number of features seen during fit.
feature_names_in_ : ndarray of str
    Names of the features, defined when ``X`` has feature names.
"""


class _MultiTaskMLP(PublicSignatureMixin, BaseEstimator):
    """Parameters, validation and the fit flow shared by both networks."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "task_weights": [
            "array-like",
            Interval(Real, 0, None, closed="left"),
            StrOptions({"uncertainty"}),
            None,
        ],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        solver="lbfgs",
        alpha=0.03,
        batch_size="auto",
        learning_rate_init=1e-3,
        momentum=0.9,
        max_iter=500,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        task_weights=None,
        random_state=None,
        warm_start=False,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.task_weights = task_weights
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    # -- fit flow ----------------------------------------------------------------
    def _fit(self, X, y, sample_weight):
        X, targets = self._validate_input(X, y)
        Y, mask, names = self._target_array(targets), targets.mask, targets.task_names
        advice = self._check_target_scale(Y, mask, names)
        sample_weight = check_sample_weight(sample_weight, X.shape[0], Y.shape[1])
        sample_weight = self._class_weighted(targets, sample_weight)
        uncertainty = isinstance(self.task_weights, str)
        fixed = None if uncertainty else self.task_weights
        task_weights = check_task_weights(fixed, Y.shape[1], names)
        weights = entry_weights(mask, sample_weight, task_weights, names)
        kept = np.flatnonzero(weights.sum(axis=1) > 0)  # rows that count
        X, Y, mask, sample_weight = _select(kept, X, Y, mask, sample_weight)
        self._set_targets_info(targets)
        rng = check_random_state(self.random_state)
        validate = None
        if self.early_stopping and self.solver != "lbfgs":
            fit_rows, held_out = stratified_split(
                mask, self.validation_fraction, rng, names
            )
            validate = self._validator(X, Y, mask, sample_weight, held_out)
            X, Y, mask, sample_weight = _select(fit_rows, X, Y, mask, sample_weight)
        weights = entry_weights(mask, sample_weight, task_weights, names)
        heads = self._make_heads(Y, weights)
        params = self._starting_point(X.shape[1], heads, rng, uncertainty)
        # one BLAS thread below a size where threads pay off (see _threads.py)
        with blas_threads_for(X.shape[0] * params.flat().size):
            result = self._train(params, X, heads, rng, validate)
        self._store(result, task_weights, uncertainty, advice)
        return self

    def _check_target_scale(self, Y, mask, names):
        """Advice for a convergence warning about the targets' scale ("" when
        it is fine); warns now when it is too small (regressors)."""
        return ""

    def _class_weighted(self, targets, sample_weight):
        """Sample weights times the class weights (classifier only)."""
        return sample_weight

    def _validate_input(self, X, y):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        self._hidden_sizes()  # fail early on a bad hidden_layer_sizes
        X = validate_data(self, check_numeric_columns(X), reset=True, **_X_OPTIONS)
        targets = self._validate_targets(y, X.shape[0])
        return _as_float64(X), targets

    def _hidden_sizes(self):
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes, dtype=object))
        if sizes.ndim != 1 or not all(
            isinstance(h, Integral) and not isinstance(h, bool) and h >= 1
            for h in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must be a tuple of positive integers (the "
                f"width of each hidden layer), got {self.hidden_layer_sizes!r}."
            )
        return tuple(int(h) for h in sizes)

    def _starting_point(self, n_features, heads, rng, uncertainty):
        """Random initial weights (always drawn, so that the random stream
        does not depend on warm starts), or the previous fit's weights."""
        layer_sizes = (n_features, *self._hidden_sizes())
        params = initialize(
            layer_sizes, heads.starts, self.activation, heads.initial_intercepts(), rng
        )
        if uncertainty:
            params.log_variances = np.zeros(len(heads.starts) - 1)
        previous = self._previous_parameters() if self.warm_start else None
        if previous is not None and _same_shapes(previous, params):
            return previous
        return params

    def _previous_parameters(self):
        if not hasattr(self, "coefs_") or not getattr(self, "_classes_match", True):
            return None
        params = self._fitted_parameters().copy()
        if hasattr(self, "log_variances_"):
            params.log_variances = self.log_variances_.copy()
        return params

    def _train(self, params, X, heads, rng, validate):
        settings = Settings(
            self.activation, float(self.alpha), self.max_iter, float(self.tol),
            n_iter_no_change=self.n_iter_no_change, verbose=self.verbose,
        )
        if self.solver == "lbfgs":
            return train(params, X, heads, settings)
        batch = 200 if self.batch_size == "auto" else self.batch_size
        settings.batch_size = min(batch, X.shape[0])
        return train(params, X, heads, settings, self._optimizer(params), rng, validate)

    def _optimizer(self, params):
        if self.solver == "adam":
            return Adam(params.arrays(), self.learning_rate_init)
        return MomentumSGD(params.arrays(), self.learning_rate_init, self.momentum)

    def _validator(self, X, Y, mask, sample_weight, rows):
        X, Y, mask = X[rows], Y[rows], mask[rows]
        weight = None if sample_weight is None else sample_weight[rows]

        def validate(params):
            Z = forward(params, X, self.activation)[1]
            return self._validation_score(Z, Y, mask, weight)

        return validate

    def _store(self, result, task_weights, uncertainty, advice=""):
        if not result.converged:
            warnings.warn(
                f"{type(self).__name__} ({self.solver}) reached max_iter="
                f"{self.max_iter} before its stopping criterion; "
                f"{advice or 'increase max_iter, or standardise X.'}",
                ConvergenceWarning,
                stacklevel=3,
            )
        params = result.params
        starts = self._head_starts
        self.coefs_, self.intercepts_ = params.coefs[:-1], params.intercepts[:-1]
        V, beta = params.coefs[-1], params.intercepts[-1]
        self.head_coefs_ = [V[:, a:b] for a, b in pairwise(starts)]
        self.head_intercepts_ = [beta[a:b] for a, b in pairwise(starts)]
        if uncertainty:
            self.log_variances_ = params.log_variances.copy()
            self.task_weights_ = np.exp(-self.log_variances_)
        else:
            self.task_weights_ = task_weights
            self.__dict__.pop("log_variances_", None)
        early = bool(result.validation_scores)
        self.loss_curve_ = [float(v) for v in result.loss_curve]
        self.best_loss_ = None if early else float(result.best_loss)
        self.validation_scores_ = result.validation_scores if early else None
        self.best_validation_score_ = result.best_validation_score if early else None
        self.n_iter_, self.t_ = result.n_iter, result.n_steps

    # -- prediction --------------------------------------------------------------
    def _fitted_parameters(self):
        return Parameters(
            [*self.coefs_, np.hstack(self.head_coefs_)],
            [*self.intercepts_, np.concatenate(self.head_intercepts_)],
        )

    def _output(self, X):
        """The network's output ``Z`` (n_samples, n_columns) on new rows."""
        check_is_fitted(self)
        X = check_numeric_columns(X)
        X = _as_float64(validate_data(self, X, reset=False, **_X_OPTIONS))
        return forward(self._fitted_parameters(), X, self.activation)[1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.required = True
        return tags


def _select(rows, *arrays):
    """The given rows of each array (None stays None)."""
    return [None if a is None else a[rows] for a in arrays]


def _as_float64(X):
    return X.astype(np.float64, copy=False)


def _same_shapes(a, b):
    shapes = [x.shape for x in a.arrays()]
    return shapes == [x.shape for x in b.arrays()]


def _quiet_mean_score(metric, Y_true, Y_pred, sample_weight):
    """Mean over tasks of ``metric``; undefined task scores (e.g. R² of one
    held-out row) are left out without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(metric(Y_true, Y_pred, sample_weight=sample_weight))


#: targets' standard deviations below / above which the regressor warns /
#: advises standardising them
_SMALL_TARGETS, _LARGE_TARGETS = 1e-2, 1e2


@fill_doc(
    objective_notes=_OBJECTIVE_NOTES, mlp_parameters=_PARAMETERS,
    mlp_attributes=_ATTRIBUTES,
)
class MultiTaskMLPRegressor(MultiOutputMixin, RegressorMixin, _MultiTaskMLP):
    r"""Multi-task neural network regressor: shared hidden layers, one linear
    head per task, squared loss ``ell(y, z) = (y - z)^2 / 2``.

    All tasks train the same hidden layers (a shared nonlinear
    representation) on their own observed rows; each task's head is a linear
    model on that representation.

    Parameters
    ----------
    %(mlp_parameters)s

    Attributes
    ----------
    %(mlp_attributes)s

    Notes
    -----
    %(objective_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import MultiTaskMLPRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 3))
    >>> Y = np.column_stack([np.sin(X[:, 0]), np.sin(X[:, 0]) + X[:, 1]])
    >>> Y[:30, 1] = np.nan  # task 1 observes only the last 30 rows
    >>> model = MultiTaskMLPRegressor((16,), random_state=0).fit(X, Y)
    >>> model.predict(X[:2]).shape
    (2, 2)
    >>> [V.shape for V in model.head_coefs_]
    [(16, 1), (16, 1)]
    """

    def _validate_targets(self, y, n_samples):
        return validate_regression_targets(y, n_samples)

    def _target_array(self, targets):
        return targets.values

    def _check_target_scale(self, Y, mask, names):
        # alpha, tol and the steps are set for targets of unit scale (the data
        # term is a mean squared error): targets 1e-4 times smaller gave R^2
        # -0.35 (lbfgs) to -3000 (adam) on the training rows without a
        # warning; 1e6 times larger, adam 0.0001 after max_iter epochs
        stds = np.array([np.std(Y[mask[:, t], t]) if mask[:, t].sum() > 1 else np.nan
                         for t in range(Y.shape[1])])
        fix = ("standardise each task's targets (divide them by their standard "
               "deviation, multiply the predictions back)")
        small = np.flatnonzero(stds < _SMALL_TARGETS)  # not constant ones (0)
        small = small[stds[small] > 0]
        if small.size:
            t = small[np.argmin(stds[small])]
            warnings.warn(
                f"{type(self).__name__}: task {names[t]!r} has targets of standard "
                f"deviation {stds[t]:.1e}; the penalty alpha={self.alpha:g} and "
                f"tol={self.tol:g} are set for targets of unit scale and outweigh "
                f"a data term this small (the fit stops far from its minimum): "
                f"{fix}.",
                UserWarning, stacklevel=5)
        top = np.nanmax(stds, initial=0.0)
        if top > _LARGE_TARGETS:
            return (f"the targets' standard deviation is up to {top:.1e}, which "
                    f"slows the steps from the unit scale they start from: {fix}, "
                    "or increase max_iter.")
        return ""

    def _set_targets_info(self, targets):
        self.n_tasks_ = targets.n_tasks
        self.task_names_ = targets.task_names
        self._single_task = targets.single_task
        self._head_starts = np.arange(targets.n_tasks + 1)

    def _make_heads(self, Y, weights):
        return RegressionHeads(Y, weights)

    def _validation_score(self, Z, Y, mask, sample_weight):
        from ..metrics import r2_score

        return _quiet_mean_score(r2_score, np.where(mask, Y, np.nan), Z, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (float32 input is computed in float64).
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            Stacked targets, ``NaN`` where a task has no target for the row.
        sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks)
            Non-negative weights, normalised to mean one within each task.

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight)

    def predict(self, X):
        """Every task for every row: (n_samples, n_tasks), or (n,) for 1-D y."""
        Z = self._output(X)
        return Z[:, 0] if self._single_task else Z

    def score(self, X, y, sample_weight=None):
        """Mean over tasks of the R² on each task's observed entries of ``y``."""
        from ..metrics import r2_score

        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))


@fill_doc(
    objective_notes=_OBJECTIVE_NOTES, mlp_parameters=_PARAMETERS,
    mlp_attributes=_ATTRIBUTES, class_weight=CLASS_WEIGHT_DOC,
)
class MultiTaskMLPClassifier(
    MultiTaskClassifierMixin, MultiOutputMixin, ClassifierMixin, _MultiTaskMLP
):
    r"""Multi-task neural network classifier: shared hidden layers, one head
    per task over the task's own classes.

    Each task has its own label set (numbers or strings, any number of
    classes). A binary task's head is one logistic unit (the score of its
    second class, loss ``ell = log(1 + e^z) - [y = classes[1]] z``); a task
    with ``K > 2`` classes has ``K`` outputs with a softmax (multinomial loss
    ``ell = log sum_k e^{z_k} - z_y``).

    Parameters
    ----------
    %(mlp_parameters)s
    %(class_weight)s
        ``"balanced"`` counts the rows before the early-stopping split.

    Attributes
    ----------
    classes_ : list of ndarray, or ndarray for 1-D y
        Sorted labels of each task.
    task_slices_ : list of slice
        Output columns of each task's head.
    %(mlp_attributes)s

    Notes
    -----
    %(objective_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import MultiTaskMLPClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((80, 4))
    >>> colour = np.array(["red", "green", "blue"])[np.argmax(X[:, :3], axis=1)]
    >>> Y = np.column_stack([colour, (X[:, 3] > 0).astype(int)]).astype(object)
    >>> Y[:20, 1] = None  # task 1 has no label for the first 20 rows
    >>> model = MultiTaskMLPClassifier((10,), random_state=0).fit(X, Y)
    >>> [p.shape for p in model.predict_proba(X[:5])]
    [(5, 3), (5, 2)]
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        solver="lbfgs",
        alpha=0.03,
        batch_size="auto",
        learning_rate_init=1e-3,
        momentum=0.9,
        max_iter=500,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        task_weights=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation,
            solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate_init=learning_rate_init, momentum=momentum,
            max_iter=max_iter, tol=tol, n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            task_weights=task_weights, random_state=random_state,
            warm_start=warm_start, verbose=verbose,
        )
        self.class_weight = class_weight

    def _class_weighted(self, targets, sample_weight):
        return class_weighted_sample_weight(self.class_weight, targets, sample_weight)

    def _target_array(self, targets):
        return targets.codes

    def _set_targets_info(self, targets):
        classes = targets.classes
        widths = [1 if len(c) == 2 else len(c) for c in classes]
        starts = np.concatenate([[0], np.cumsum(widths)]).astype(np.intp)
        previous = getattr(self, "classes_", None)
        previous = [previous] if isinstance(previous, np.ndarray) else previous
        self._classes_match = previous is not None and len(previous) == len(
            classes
        ) and all(np.array_equal(a, b) for a, b in zip(previous, classes, strict=True))
        self.n_tasks_ = targets.n_tasks
        self.task_names_ = targets.task_names
        self.classes_ = classes[0] if targets.single_task else classes
        self._head_starts = starts
        self.task_slices_ = [slice(a, b) for a, b in pairwise(starts)]

    def _make_heads(self, Y, weights):
        return ClassificationHeads(Y, weights, self._head_starts)

    def _validation_score(self, Z, Y, mask, sample_weight):
        from ..metrics import accuracy_score

        codes = [_predicted_code(Z[:, columns]) for columns in self.task_slices_]
        predicted = np.column_stack(codes)
        Y_true = np.where(mask, Y, np.nan)
        return _quiet_mean_score(accuracy_score, Y_true, predicted, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (float32 input is computed in float64).
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            Stacked labels (numbers or strings, per task); ``NaN`` or ``None``
            where a task has no label for the row.
        sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks)
            Non-negative weights, normalised to mean one within each task.

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight)

    def _task_scores(self, X):
        Z = self._output(X)
        return [Z[:, s] for s in self.task_slices_]


def _predicted_code(scores):
    if scores.shape[1] == 1:
        return (scores[:, 0] > 0).astype(np.float64)
    return scores.argmax(axis=1).astype(np.float64)
