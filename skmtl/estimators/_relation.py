"""Task-relationship models: mean-regularised, task graph, learned task covariance."""

import numpy as np
from scipy import linalg, sparse
from sklearn.base import is_regressor

from ..penalties import L1, NoPenalty, SquaredTraceNorm, TaskMatrixView
from ..penalties._sparse_group import row_sparse_penalty
from ..solvers import PathSolver
from ._base import (
    SHARED_PARAMETERS,
    MultiTaskClassifierBase,
    MultiTaskRegressorBase,
    Parameter,
    Regularizer,
    Term,
    penalty_or_none,
    strength,
)
from ._docs import fill_doc
from ._selection import FeatureSupportMixin

_SAME_LABELS = """
    The penalty compares the weights of different tasks class by class, so
    every task must have the same label set (a clear error says which task
    differs); a binary task compares the weights of its second class. Use
    :class:`L21Classifier` or :class:`TraceNormClassifier` for tasks with
    different labels."""


def check_graph(graph, n_tasks):
    """Validate a task-similarity matrix; return it dense, diagonal zeroed."""
    A = graph.toarray() if sparse.issparse(graph) else np.asarray(graph, dtype=float)
    if A.shape != (n_tasks, n_tasks):
        raise ValueError(
            f"graph must be a ({n_tasks}, {n_tasks}) matrix, one row and column "
            f"per task; got shape {A.shape}."
        )
    if not np.all(np.isfinite(A)):
        raise ValueError("graph contains NaN or infinity.")
    if np.any(A < 0):
        s, t = np.argwhere(A < 0)[0]
        raise ValueError(f"graph must be non-negative; graph[{s}, {t}] = {A[s, t]}.")
    if not np.allclose(A, A.T, rtol=1e-10, atol=1e-12 * max(np.abs(A).max(), 1.0)):
        s, t = np.unravel_index(np.argmax(np.abs(A - A.T)), A.shape)
        raise ValueError(
            f"graph must be symmetric; graph[{s}, {t}] = {A[s, t]} but "
            f"graph[{t}, {s}] = {A[t, s]}."
        )
    A = 0.5 * (A + A.T)
    np.fill_diagonal(A, 0.0)
    return A


def graph_laplacian(A):
    """``L = D - A``: ``sum_{s<t} A_st ||w_s - w_t||^2 = tr(W L W^T)``."""
    return np.diag(A.sum(axis=1)) - A


def task_graph_path(
    X,
    y,
    alphas,
    *,
    graph=None,
    ridge=0.0,
    fit_intercept=True,
    sample_weight=None,
    task_weights=None,
    tol=1e-8,
    max_iter=1000,
):
    """Solutions of :class:`TaskGraphRegressor` (``l1=0``) for several ``alpha``.

    Only the coupling ``alpha * L`` changes along the path, so the expensive
    part (the eigendecomposition of the weighted, centred ``X^T X``, or the
    per-task Gram matrices) is computed once; each conjugate-gradient solve
    starts from the previous solution. ``graph=None`` gives the path of
    :class:`MeanRegularizedRegressor`.

    Parameters
    ----------
    X, y, sample_weight : as in ``TaskGraphRegressor.fit``
    alphas : array-like of float
    graph, ridge, fit_intercept, task_weights, tol, max_iter
        As in :class:`TaskGraphRegressor`.

    Returns
    -------
    coefs : ndarray of shape (n_alphas, n_tasks, n_features)
    intercepts : ndarray of shape (n_alphas, n_tasks)

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.estimators import task_graph_path
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 5))
    >>> Y = X @ rng.standard_normal((5, 3))
    >>> coefs, intercepts = task_graph_path(X, Y, [0.01, 0.1, 1.0])
    >>> coefs.shape
    (3, 3, 5)
    """
    est = TaskGraphRegressor(
        graph=graph, alpha=1.0, ridge=ridge, fit_intercept=fit_intercept,
        task_weights=task_weights,
    )
    X, _, datafit = est._prepare(X, y, sample_weight)
    problem, _ = est._build_problem(X, datafit)
    laplacian = problem.coupling  # alpha = 1
    path = PathSolver(tol=tol, max_iter=max_iter)
    coefs, intercepts, W = [], [], None
    for alpha in np.asarray(alphas, dtype=float):
        problem.coupling = alpha * laplacian
        result = path.minimize(problem, W)
        W = result.W
        coefs.append(W.T)
        intercepts.append(result.b)
    return np.array(coefs), np.array(intercepts)


def _mean_laplacian(n_tasks):
    return np.eye(n_tasks) - np.full((n_tasks, n_tasks), 1.0 / n_tasks)


def task_laplacian(graph, n_tasks):
    """Laplacian of ``graph``; of the mean-regularisation graph for None."""
    if graph is None:
        return _mean_laplacian(n_tasks)
    return graph_laplacian(check_graph(graph, n_tasks))


def graph_regularizer(layout, alpha, ridge, graph=None, l1=0.0, l21=0.0):
    """Task-graph coupling (per class), ridge and the L1 (+ L2,1) terms."""
    coupling = alpha * layout.expand(task_laplacian(graph, layout.n_tasks))
    penalty = row_sparse_penalty(l21, l1) if l21 > 0 else penalty_or_none(L1, l1)
    term = Term(penalty, "l1", group_parameter="l21")
    return Regularizer((term,), ridge=ridge, coupling=coupling)


class _MeanRegularized:
    """The model: :func:`graph_regularizer` with no graph (all pairs 1/T)."""

    _parameters = {"alpha": strength(1.0)}
    _compares_tasks = True

    def _regularizer(self, layout):
        return graph_regularizer(layout, self.alpha, self.ridge)

    def _set_model_attributes(self, blocks, layout):
        mean = layout.task_mean(blocks[0])
        single = mean.shape[0] == 1 and is_regressor(self)
        self.mean_coef_ = mean[0] if single else mean


_MEAN_ALPHA = """
    alpha : float, default=1.0
        Strength of the pull towards the mean task. The default makes the
        coupling as curved as the data term of standardised features (whose
        ``X^T X / n`` has a unit diagonal): each task's deviation from the
        mean task is roughly halved, a middle ground between
        independent tasks (``alpha=0``) and one shared model (large
        ``alpha``). The model has no ``alpha_max`` (the penalty never zeroes
        the weights), so the default is a number."""

_MEAN_DOC = r"""
    .. math::

        \mathcal{L}(W, b) + \frac{\alpha}{2} \sum_{t=1}^{T}
            \lVert w_t - \bar w \rVert_2^2 + \frac{\rho}{2} \lVert W \rVert_F^2,
        \qquad \bar w = \frac{1}{T} \sum_t w_t,

    where ``w_t`` is task ``t``'s weight vector."""


@fill_doc(mean_objective=_MEAN_DOC, mean_alpha=_MEAN_ALPHA)
class MeanRegularizedRegressor(_MeanRegularized, MultiTaskRegressorBase):
    r"""Multi-task regression pulling every task towards the mean task.

    Evgeniou & Pontil (2004). Minimises over ``W`` (n_features, n_tasks) and
    the intercepts ``b``

    %(mean_objective)s

    :math:`\mathcal{L}` is the data term of :class:`L21Regressor`,

    .. math::

        \mathcal{L}(W, b) = \sum_{t=1}^{T} \frac{c_t}{2 n_t}
            \sum_{i \in O_t} s_{it} (y_{it} - x_i^\top w_t - b_t)^2 .

    ``alpha = 0`` fits one ridge model per task; a large ``alpha`` gives all
    tasks the same weights. It is :class:`TaskGraphRegressor` with
    ``graph=None``.

    Parameters
    ----------
    %(mean_alpha)s
    %(common_parameters)s

    Attributes
    ----------
    %(regressor_coef)s
    mean_coef_ : ndarray of shape (n_features,)
        The mean task vector :math:`\bar w`.
    %(common_attributes)s

    Notes
    -----
    The problem is a linear system. With every row observed in every task
    and uniform sample weights per task it is a Sylvester equation solved
    exactly from one eigendecomposition of the weighted, centred ``X^T X``
    (a thin SVD of ``X`` when ``n_samples < n_features``) and one of the
    T x T coupling; otherwise, up to 3000 unknowns (``n_features *
    n_tasks``), one dense Cholesky factorisation of the whole system solves
    it exactly, and beyond that conjugate gradients with per-task block
    preconditioners run until the gradient norm is at most ``tol`` times its
    value at zero and the objective is estimated within ``tol / 10``
    (relative) of its minimum. ``kkt_violation_`` is the gradient norm at the
    solution.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import MeanRegularizedRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 5))
    >>> w = rng.standard_normal(5)
    >>> Y = np.column_stack([X @ (w + 0.1 * rng.standard_normal(5)) for _ in range(3)])
    >>> model = MeanRegularizedRegressor(alpha=1.0).fit(X, Y)
    >>> model.mean_coef_.shape
    (5,)
    """


@fill_doc(mean_objective=_MEAN_DOC, same_labels=_SAME_LABELS, mean_alpha=_MEAN_ALPHA)
class MeanRegularizedClassifier(_MeanRegularized, MultiTaskClassifierBase):
    r"""Multi-task logistic regression pulling every task towards the mean task.

    Minimises over ``W`` (n_features, n_tasks * K) and the intercepts

    %(mean_objective)s

    :math:`\mathcal{L}` is the data term of :class:`L21Classifier` (logistic
    loss for binary tasks, multinomial for ``K > 2`` classes). With ``K > 2``
    classes the penalty applies to each class's weights separately.

    %(same_labels)s

    Parameters
    ----------
    %(mean_alpha)s
    %(common_parameters)s
    %(class_weight)s

    Attributes
    ----------
    %(classifier_coef)s
    mean_coef_ : ndarray of shape (K, n_features)
        Mean over tasks of each class's weights (``K = 1`` for binary
        tasks, else the number of classes, the same in every task).
    %(common_attributes)s

    Notes
    -----
    Proximal Newton (each step solves the weighted least-squares model of
    the loss, a linear system, then a line search; see
    :class:`L21Classifier` for multiclass tasks). It stops when the gradient
    norm (with the intercept's) is at most ``tol`` times its value at zero
    coefficients.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import MeanRegularizedClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 4))
    >>> noise = 0.3 * rng.standard_normal((60, 3))
    >>> Y = (X[:, [0]] + noise > 0).astype(int)
    >>> MeanRegularizedClassifier(alpha=0.1).fit(X, Y).coef_.shape
    (3, 4)
    """


_GRAPH_DOC = r"""
    .. math::

        \mathcal{L}(W, b) + \frac{\alpha}{2} \sum_{s < t} A_{st}
            \lVert w_s - w_t \rVert_2^2 + \frac{\rho}{2} \lVert W \rVert_F^2
            + \lambda_{21} \sum_j \lVert W_{j,:} \rVert_2
            + \lambda_1 \sum_{j,t} |W_{jt}|,

    where ``A`` is the task-similarity matrix ``graph`` (``None``: every pair
    with weight ``1/T``, which is :class:`MeanRegularizedRegressor`'s
    penalty), :math:`\lambda_{21}` is ``l21`` and :math:`\lambda_1` is
    ``l1``. With :func:`skmtl.chain_graph` this is the temporal group lasso
    of disease progression (Zhou et al., 2011; MALSAR ``Least_TGL``): see
    the recipe in :func:`skmtl.chain_graph`."""

_GRAPH_PARAMETERS = """
    graph : array-like or sparse matrix of shape (n_tasks, n_tasks), default=None
        Symmetric non-negative task similarities ``A``; the diagonal is
        ignored. ``None``: all pairs with weight ``1/n_tasks``.
    alpha : float, default=1.0
        Strength of the graph penalty. With the default graph (all pairs,
        weight ``1/n_tasks``) this is :class:`MeanRegularizedRegressor`'s
        ``alpha``, whose default makes the coupling as curved as the data
        term of standardised features; the graph has no ``alpha_max``.
    l1 : float or "auto", default=0.0
        Strength of the entrywise L1 penalty (sparse weights). The default
        adds no sparsity, so that the model is the plain graph model;
        ``"auto"`` is ``0.1 * alpha_max`` (``alpha_max`` from
        :func:`skmtl.alpha_max`; the value used is ``l1_``).
        ``get_support()`` gives the features with a nonzero weight.
    l21 : float, default=0.0
        Strength of the row-group (L2,1) penalty: a feature is used by all
        tasks or by none. ``alpha_max(model, X, y)`` is the smallest ``l1``
        that zeroes ``W`` at this ``l21``, and ``alpha_max(model, X, y,
        param="l21")`` the smallest ``l21`` that does so at this ``l1``."""


class _TaskGraph(FeatureSupportMixin):
    """The model: :func:`graph_regularizer` with the given graph and ``l1``."""

    _parameters = {
        "graph": Parameter(None, ("array-like", "sparse matrix", None)),
        "alpha": strength(1.0),
        "ridge": SHARED_PARAMETERS["ridge"],
        "l1": strength(0.0, sparsity=True),
        "l21": strength(0.0),  # not tuned relative to alpha_max; see below
    }
    _compares_tasks = True
    # alpha_max(model, X, y, param="l21") is the smallest l21 that zeroes W
    # at the model's l1; the default grids and "auto" stay on l1
    _group_parameters = ("l21",)

    def _regularizer(self, layout):
        return graph_regularizer(
            layout, self.alpha, self.ridge, self.graph, self.l1, self.l21
        )


@fill_doc(graph_objective=_GRAPH_DOC, graph_parameters=_GRAPH_PARAMETERS)
class TaskGraphRegressor(_TaskGraph, MultiTaskRegressorBase):
    r"""Multi-task regression with a given graph of related tasks.

    Minimises over ``W`` (n_features, n_tasks) and the intercepts

    %(graph_objective)s

    :math:`\mathcal{L}` is the data term of :class:`L21Regressor`. Related
    tasks (large ``A_st``) get similar weights.

    Parameters
    ----------
    %(graph_parameters)s
    %(common_parameters)s

    Attributes
    ----------
    %(regressor_coef)s
    l1_ : float
        The L1 strength used (``l1``, or its value for ``"auto"``).
    n_features_selected_ : int
        Number of features with a nonzero weight (see ``get_support``).
    %(common_attributes)s

    Notes
    -----
    With ``l1 = l21 = 0`` the problem is a linear system, solved as for
    :class:`MeanRegularizedRegressor`. With ``l1 > 0`` or ``l21 > 0``:
    working sets and coordinate descent as for :class:`L21Regressor`, each
    row update minimising the row's exact quadratic model, graph term
    included (it couples the tasks of a feature), until the KKT violation is
    at most ``tol`` times its value at zero coefficients.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import TaskGraphRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 5))
    >>> Y = X @ rng.standard_normal((5, 3))
    >>> chain = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    >>> TaskGraphRegressor(graph=chain, alpha=0.5).fit(X, Y).coef_.shape
    (3, 5)
    """


@fill_doc(
    graph_objective=_GRAPH_DOC,
    graph_parameters=_GRAPH_PARAMETERS,
    same_labels=_SAME_LABELS,
)
class TaskGraphClassifier(_TaskGraph, MultiTaskClassifierBase):
    r"""Multi-task logistic regression with a given graph of related tasks.

    Minimises over ``W`` (n_features, n_tasks * K) and the intercepts

    %(graph_objective)s

    :math:`\mathcal{L}` is the data term of :class:`L21Classifier`; with
    ``K > 2`` classes the graph penalty applies to each class's weights.

    %(same_labels)s

    Parameters
    ----------
    %(graph_parameters)s
    %(common_parameters)s
    %(class_weight)s

    Attributes
    ----------
    %(classifier_coef)s
    l1_ : float
        The L1 strength used (``l1``, or its value for ``"auto"``).
    n_features_selected_ : int
        Number of features with a nonzero weight (see ``get_support``).
    %(common_attributes)s

    Notes
    -----
    Proximal Newton: each step solves the weighted least-squares model of
    the loss (a linear system when ``l1 = 0``, working sets and coordinate
    descent otherwise), then a line search (see :class:`L21Classifier` for
    multiclass tasks). Stops when the KKT violation is at most ``tol`` times
    its value at zero.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import TaskGraphClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 4))
    >>> Y = np.column_stack([X[:, 0] > 0, X[:, 0] + 0.2 * X[:, 1] > 0]).astype(int)
    >>> model = TaskGraphClassifier(graph=[[0, 1], [1, 0]], alpha=0.1).fit(X, Y)
    >>> model.score(X, Y) > 0.8
    True
    """


_RELATION_ALPHA = """
    alpha : float, default=0.1
        Strength of the task-relationship penalty. The penalty
        ``alpha/2 ||W||_*^2`` acts like a ridge of strength between ``alpha``
        (identical tasks) and ``alpha * n_tasks`` (unrelated tasks) on
        standardised features, so the default is ten times weaker than the
        unit curvature of their data term. On 10 standardised synthetic
        problems (1 to 10 tasks, 30 to 200 rows each) the mean held-out R²
        was 0.27, 0.16 and 0.00 for ``alpha`` = 0.1, 1 and 10 with as much
        noise as signal (0.62, 0.33, 0.04 with half as much), and the
        classifier's accuracy above the majority class 0.12, 0.06 and
        -0.02. The model has no ``alpha_max`` (the penalty never zeroes the
        weights)."""


_RELATION_DOC = r"""
    .. math::

        \min_{\Omega \succeq 0,\; \mathrm{tr}\,\Omega = 1} \;
        \mathcal{L}(W, b) + \frac{\alpha}{2} \mathrm{tr}(W \Omega^{-1} W^\top)
            + \frac{\rho}{2} \lVert W \rVert_F^2

    jointly over ``W``, ``b`` and the task covariance :math:`\Omega`
    (Zhang & Yeung, 2010). The minimum over :math:`\Omega` is reached at
    :math:`\Omega = (W^\top W)^{1/2} / \mathrm{tr}(W^\top W)^{1/2}` and equals
    :math:`\frac{\alpha}{2}\lVert W \rVert_*^2` (squared trace norm), so the
    problem is convex in ``W`` alone; it is solved in that form."""


class _TaskRelation:
    """The model: ``alpha / 2 ||W||_*^2`` on the task matrix, plus the ridge."""

    _parameters = {"alpha": strength(0.1)}
    _compares_tasks = True

    def _regularizer(self, layout):
        penalty = NoPenalty()
        if self.alpha > 0:
            penalty = SquaredTraceNorm(self.alpha)
            K = layout.classes_per_task
            if K > 1:
                penalty = TaskMatrixView(penalty, layout.n_tasks, K)
        return Regularizer((Term(penalty),), ridge=self.ridge)

    def _set_model_attributes(self, blocks, layout):
        self.task_covariance_ = task_covariance(layout.task_matrix(blocks[0]))
        self.task_correlation_ = _correlation(self.task_covariance_)


def task_covariance(W):
    """``(W^T W)^{1/2} / tr((W^T W)^{1/2})``; ``I / T`` when ``W`` is zero."""
    T = W.shape[1]
    _, s, Vt = linalg.svd(W, full_matrices=False)
    if s.size == 0 or s.sum() <= 0:
        return np.eye(T) / T
    root = (Vt.T * s) @ Vt
    return root / s.sum()


def _correlation(covariance):
    std = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    outer = np.outer(std, std)
    corr = np.divide(covariance, outer, out=np.zeros_like(covariance), where=outer > 0)
    np.fill_diagonal(corr, 1.0)
    return np.clip(corr, -1.0, 1.0)


_RELATION_ATTRIBUTES = """
    task_covariance_ : ndarray of shape (n_tasks, n_tasks)
        The learned task covariance :math:`\\Omega` (trace one).
    task_correlation_ : ndarray of shape (n_tasks, n_tasks)
        :math:`\\Omega` scaled to unit diagonal (0 off the diagonal for a
        task whose weights are all zero)."""

_RELATION_NOTES = """
    Notes
    -----
    ADMM on the squared-trace-norm form: exact solves with the task Gram
    matrices (from one eigendecomposition) alternate with the prox of the
    penalty, so conditioning does not slow it down; for a logistic loss
    inside proximal Newton steps. The squared
    loss stops on the duality gap (at most ``tol`` times
    ``sum w (y - ybar)^2``); the logistic loss on the KKT violation (at most
    ``tol`` times its value at zero)."""


@fill_doc(
    relation_objective=_RELATION_DOC,
    relation_attributes=_RELATION_ATTRIBUTES,
    relation_notes=_RELATION_NOTES,
    relation_alpha=_RELATION_ALPHA,
)
class TaskRelationRegressor(_TaskRelation, MultiTaskRegressorBase):
    r"""Multi-task regression that learns the task covariance (MTRL).

    Minimises

    %(relation_objective)s

    :math:`\mathcal{L}` is the data term of :class:`L21Regressor`.

    Parameters
    ----------
    %(relation_alpha)s
    %(common_parameters)s

    Attributes
    ----------
    %(regressor_coef)s
    %(relation_attributes)s
    %(dual_gap)s
    %(common_attributes)s

    %(relation_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import TaskRelationRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 6))
    >>> Y = X @ rng.standard_normal((6, 4))
    >>> TaskRelationRegressor(alpha=0.1).fit(X, Y).task_covariance_.shape
    (4, 4)
    """


@fill_doc(
    relation_objective=_RELATION_DOC,
    relation_attributes=_RELATION_ATTRIBUTES,
    relation_notes=_RELATION_NOTES,
    relation_alpha=_RELATION_ALPHA,
    same_labels=_SAME_LABELS,
)
class TaskRelationClassifier(_TaskRelation, MultiTaskClassifierBase):
    r"""Multi-task logistic regression that learns the task covariance (MTRL).

    Minimises

    %(relation_objective)s

    :math:`\mathcal{L}` is the data term of :class:`L21Classifier`. With
    ``K > 2`` classes, column ``t`` of the task matrix stacks all of task
    ``t``'s class weights, so :math:`\Omega` relates tasks, not classes.

    %(same_labels)s

    Parameters
    ----------
    %(relation_alpha)s
    %(common_parameters)s
    %(class_weight)s

    Attributes
    ----------
    %(classifier_coef)s
    %(relation_attributes)s
    %(common_attributes)s

    %(relation_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import TaskRelationClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 4))
    >>> Y = np.column_stack([X[:, 0] > 0, X[:, 0] > 0.1, X[:, 1] > 0]).astype(int)
    >>> TaskRelationClassifier(alpha=0.01).fit(X, Y).task_correlation_.shape
    (3, 3)
    """
