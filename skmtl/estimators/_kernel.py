"""Kernel multi-task ridge regression (Evgeniou, Micchelli & Pontil, 2005)."""

from numbers import Real

import numpy as np
from scipy import linalg, sparse
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin, _fit_context
from sklearn.metrics.pairwise import PAIRWISE_KERNEL_FUNCTIONS, pairwise_kernels
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._data import (
    check_sample_weight,
    check_task_weights,
    target_weights,
    validate_regression_targets,
)
from ._relation import task_laplacian


class MultiTaskKernelRidge(MultiOutputMixin, RegressorMixin, BaseEstimator):
    r"""Kernel ridge regression with a task graph (multi-task kernel).

    The kernel form of :class:`TaskGraphRegressor` (Evgeniou, Micchelli &
    Pontil, 2005): with a feature map :math:`\phi` of the kernel ``k`` and
    :math:`f_t(x) = \langle w_t, \phi(x)\rangle + b_t`, it minimises

    .. math::

        \sum_{t=1}^{T} \frac{c_t}{2 n_t} \sum_{i \in O_t} s_{it}
            \big(y_{it} - f_t(x_i)\big)^2
        + \frac{\alpha}{2} \sum_{s<t} A_{st} \lVert w_s - w_t \rVert^2
        + \frac{\rho}{2} \sum_t \lVert w_t \rVert^2

    over the ``w_t`` and the unpenalised intercepts ``b_t`` (``O_t``: the
    observed rows of task ``t``, ``n_t`` their number, ``s`` the sample
    weights normalised to mean one per task, ``c`` the ``task_weights``;
    ``A`` the ``graph``, ``None``: every pair with weight ``1/T``, the
    mean-regularised penalty of :class:`MeanRegularizedRegressor`). The
    penalty is :math:`\frac12\sum_{s,t} Q_{st}\langle w_s, w_t\rangle` with
    :math:`Q = \alpha L + \rho I` (``L`` the graph Laplacian), so by the
    representer theorem :math:`f_t(x) = b_t + \sum_k \beta_k
    (Q^{-1})_{t, t_k} k(x_{i_k}, x)` over the observed entries
    ``k = (i_k, t_k)``: kernel ridge regression with the multi-task kernel
    :math:`K((x, s), (x', t)) = (Q^{-1})_{st}\,k(x, x')`.

    Parameters
    ----------
    alpha : float, default=1.0
        Strength of the graph penalty (as in :class:`TaskGraphRegressor`).
    kernel : str or callable, default="rbf"
        A kernel of :func:`sklearn.metrics.pairwise.pairwise_kernels`, or
        ``"precomputed"`` (``X`` is then the kernel between samples: square
        in ``fit``, ``(n_test, n_train)`` in ``predict``).
    gamma, degree, coef0 : float
        Kernel parameters, as in :class:`sklearn.kernel_ridge.KernelRidge`
        (``gamma=None``: the kernel's default, ``1 / n_features`` for rbf).
    kernel_params : dict, default=None
        Extra parameters of a callable kernel.
    graph : array-like or sparse matrix of shape (n_tasks, n_tasks), default=None
        Symmetric non-negative task similarities; see above.
    ridge : float, default=0.01
        Strength :math:`\rho > 0` of the squared RKHS norm of every task. It
        must be positive: the graph penalty alone leaves the common part of
        the tasks unpenalised, which an infinite-dimensional kernel would
        interpolate. The default, a hundredth of the curvature of the
        averaged loss, is the ridge of scikit-learn's ``KernelRidge(alpha=
        n / 100)`` for one task on ``n`` rows: enough to regularise the rbf
        kernel, little enough to learn.
    fit_intercept : bool, default=True
        Fit one unpenalised intercept per task, exactly as
        :class:`TaskGraphRegressor` does (the intercepts are unknowns of the
        linear system, not removed by centring the kernel).
    task_weights : array-like of shape (n_tasks,) or float, default=None
        Weight ``c_t`` of each task's average loss (all ones if None).

    Attributes
    ----------
    dual_coef_ : ndarray of shape (n_samples, n_tasks)
        Row ``i`` holds :math:`\sum_{k: i_k = i} \beta_k (Q^{-1})_{t_k, :}`,
        so that ``predict(X) = k(X, X_fit_) @ dual_coef_ + intercept_``.
    intercept_ : ndarray of shape (n_tasks,), or float for 1-D y
    X_fit_ : ndarray or sparse matrix of shape (n_samples, n_features)
        A float64 copy of the training data (the kernel's rows in
        ``predict``).
    n_tasks_ : int
    task_names_ : ndarray of str
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has feature names.

    Notes
    -----
    The solve is exact: one symmetric linear system over the ``N`` observed
    entries and the ``T`` intercepts,
    :math:`(G + \Omega^{-1})\beta + E b = y,\; E^\top\beta = 0`, with ``G``
    the multi-task kernel on the entries, :math:`\Omega` the entry weights
    and ``E`` the task indicator; entries of zero weight drop out. It costs
    :math:`O(N^3)` time and :math:`O(N^2)` memory. With
    ``kernel="linear"`` it is :class:`TaskGraphRegressor` (``l1=0``) with
    the same ``alpha``, ``ridge`` and ``graph``.

    **Large n.** Approximate the kernel's feature map and solve the linear
    model in it, which costs :math:`O(n m^2)` with ``m`` components::

        from sklearn.kernel_approximation import Nystroem
        from sklearn.pipeline import make_pipeline
        make_pipeline(Nystroem(gamma=g, n_components=500),
                      TaskGraphRegressor(alpha=a, ridge=r, graph=A))

    minimises the same objective with :math:`\phi` replaced by the
    Nyström features.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import MultiTaskKernelRidge
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-2, 2, (80, 1))
    >>> Y = np.sin(X) + [0.0, 0.1, 0.2] + 0.05 * rng.standard_normal((80, 3))
    >>> model = MultiTaskKernelRidge(alpha=1.0, gamma=1.0).fit(X, Y)
    >>> model.score(X, Y) > 0.95
    True
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "kernel": [
            StrOptions(set(PAIRWISE_KERNEL_FUNCTIONS) | {"precomputed"}),
            callable,
        ],
        "gamma": [Interval(Real, 0, None, closed="left"), None],
        "degree": [Interval(Real, 0, None, closed="left")],
        "coef0": [Interval(Real, None, None, closed="neither")],
        "kernel_params": [dict, None],
        "graph": ["array-like", "sparse matrix", None],
        "ridge": [Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "task_weights": ["array-like", Interval(Real, 0, None, closed="left"), None],
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        kernel="rbf",
        gamma=None,
        degree=3,
        coef0=1,
        kernel_params=None,
        graph=None,
        ridge=0.01,
        fit_intercept=True,
        task_weights=None,
    ):
        self.alpha = alpha
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.kernel_params = kernel_params
        self.graph = graph
        self.ridge = ridge
        self.fit_intercept = fit_intercept
        self.task_weights = task_weights

    def _get_kernel(self, X, Y=None):
        if callable(self.kernel):
            params = self.kernel_params or {}
        else:
            params = {"gamma": self.gamma, "degree": self.degree, "coef0": self.coef0}
        K = pairwise_kernels(X, Y, metric=self.kernel, filter_params=True, **params)
        return np.asarray(K, dtype=np.float64)

    def _task_inverse(self, n_tasks):
        """``Q^{-1}`` for ``Q = alpha L + ridge I``."""
        laplacian = task_laplacian(self.graph, n_tasks)
        Q = self.alpha * laplacian + self.ridge * np.eye(n_tasks)
        return linalg.inv(Q)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, or the kernel when ``kernel="precomputed"``.
        y : array-like or sparse matrix of shape (n_samples, n_tasks) or (n_samples,)
            Stacked targets, ``NaN`` (or unstored) where a task has no target.
        sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks)
            Non-negative weights, normalised to mean one within each task.

        Returns
        -------
        self : object
        """
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, "
                             "but the target y is None.")
        # float64: a kernel of float32 features would carry float32 rounding
        # into the linear system; a copy: X_fit_ must not change with the
        # caller's array (predict computes k(X, X_fit_))
        X = validate_data(self, X, reset=True, accept_sparse=("csr", "csc"),
                          dtype=np.float64, copy=True)
        targets = validate_regression_targets(y, X.shape[0])
        T = targets.n_tasks
        sample_weight = check_sample_weight(sample_weight, X.shape[0], T)
        task_weights = check_task_weights(self.task_weights, T, targets.task_names)
        omega = target_weights(targets, sample_weight, task_weights)
        keep = omega > 0
        rows, tasks = targets.entry_rows[keep], targets.entry_tasks[keep]
        values, omega = targets.entry_values[keep], omega[keep]
        Q_inv = self._task_inverse(T)
        K = self._get_kernel(X) if self.kernel != "precomputed" else _dense(X)
        beta, b = _solve(K[np.ix_(rows, rows)] * Q_inv[np.ix_(tasks, tasks)],
                         values, omega, tasks, T, self.fit_intercept)
        dual = np.zeros((X.shape[0], T))
        np.add.at(dual, rows, beta[:, None] * Q_inv[tasks])
        self.dual_coef_ = dual
        self.X_fit_ = X
        self.n_tasks_ = T
        self.task_names_ = targets.task_names
        self._single_task = bool(targets.single_task)
        self.intercept_ = float(b[0]) if self._single_task else b
        return self

    def predict(self, X):
        """Predict every task for every row: (n_samples, n_tasks), or (n,) for 1-D y."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse=("csr", "csc"),
                          dtype=np.float64)
        K = _dense(X) if self.kernel == "precomputed" else (
            self._get_kernel(X, self.X_fit_))
        Z = K @ self.dual_coef_ + self.intercept_
        return Z[:, 0] if self._single_task else Z

    def score(self, X, y, sample_weight=None):
        """Mean over tasks of the R² on each task's observed entries of ``y``."""
        from ..metrics import r2_score

        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.pairwise = self.kernel == "precomputed"
        tags.target_tags.required = True
        return tags


def _solve(G, y, omega, tasks, n_tasks, fit_intercept):
    """``(G + Omega^{-1}) beta + E b = y``, ``E^T beta = 0`` (no intercept: b = 0)."""
    A = G + np.diag(1.0 / omega)
    if not fit_intercept:
        return linalg.solve(A, y, assume_a="pos"), np.zeros(n_tasks)
    N = y.size
    present = np.unique(tasks)  # a task with no weighted entry keeps b_t = 0
    E = (tasks[:, None] == present[None, :]).astype(float)
    m = present.size
    system = np.block([[A, E], [E.T, np.zeros((m, m))]])
    solution = linalg.solve(system, np.concatenate([y, np.zeros(m)]), assume_a="sym")
    b = np.zeros(n_tasks)
    b[present] = solution[N:]
    return solution[:N], b


def _dense(K):
    """A precomputed kernel as a dense array."""
    return K.toarray() if sparse.issparse(K) else K
