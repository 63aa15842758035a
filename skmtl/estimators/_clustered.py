"""Clustered tasks and shared feature subspaces (convex cMTL and ASO)."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.cluster import KMeans
from sklearn.utils._param_validation import Interval

from ..penalties import NoPenalty, TaskMatrixView
from ..penalties._clustered import ClusterPenalty, optimal_structure
from ._base import (
    MultiTaskClassifierBase,
    MultiTaskRegressorBase,
    Parameter,
    Regularizer,
    Term,
    strength,
)
from ._docs import fill_doc

_STRENGTHS = """
    alpha : float, default=0.1
        Overall strength :math:`\\alpha`. The penalty lies between
        :math:`\\alpha\\eta\\lVert W\\rVert_F^2` (directions inside the
        structure) and :math:`\\alpha(1+\\eta)\\lVert W\\rVert_F^2` (directions
        outside it). The default, about a tenth of the curvature of the data
        term of standardised features, shrinks without drowning the data.
    eta : float, default=0.1
        Ratio of the strength inside the structure to ``alpha`` (MALSAR's
        ``rho2 / rho1``); must be positive. The default makes directions
        inside the structure ten times cheaper than the others."""

_NOTES = """
    Notes
    -----
    The minimum over ``M`` is a function of the singular values of ``W``
    alone (``M`` shares the singular vectors of ``W``; its eigenvalues solve
    a capped-simplex allocation, exactly), so the problem is convex in ``W``
    and is solved in that form, like :class:`TaskRelationRegressor`: ADMM
    with exact solves on the quadratic model of the loss, inside proximal
    Newton steps for a logistic loss; the prox of the penalty is the same
    allocation with :math:`\\eta` shifted by twice the step times
    :math:`\\alpha\\eta(1+\\eta)`. The squared loss stops on the duality gap
    (the conjugate of the penalty is explicit) at most ``tol`` times
    ``sum w (y - ybar)^2``; the logistic loss on the KKT violation (the
    penalty is differentiable, so it is the norm of the gradient).

    MALSAR sums each task's ``0.5 * ||y_t - X_t w_t||^2``; we average each
    task's loss over its observed rows. With every task on ``n`` rows and no
    ``task_weights``, MALSAR's ``rho1``, ``rho2`` are ``alpha = rho1 / n``
    and ``eta = rho2 / rho1``; MALSAR fits no intercept
    (``fit_intercept=False`` matches it)."""


def _count(default):
    return Parameter(default, (Interval(Integral, 1, None, closed="left"),))


_STRENGTH_PARAMETERS = {"alpha": strength(0.1), "eta": strength(0.1, positive=True)}


def structure_regularizer(estimator, k, layout, task_view):
    """``ClusterPenalty(alpha, eta, k)`` (on the task matrix if asked) + ridge."""
    penalty = NoPenalty()
    if estimator.alpha > 0:
        penalty = ClusterPenalty(estimator.alpha, estimator.eta, k)
        K = layout.classes_per_task
        if task_view and K > 1:
            penalty = TaskMatrixView(penalty, layout.n_tasks, K)
    return Regularizer((Term(penalty),), ridge=estimator.ridge)


class _Clustered:
    """The model: the clustered-task penalty over the task matrix."""

    _parameters = {**_STRENGTH_PARAMETERS, "n_clusters": _count(1)}
    _compares_tasks = True

    def _regularizer(self, layout):
        return structure_regularizer(
            self, self._n_clusters(layout, warn=True), layout, task_view=True
        )

    def _n_clusters(self, layout, warn=False):
        """``n_clusters``, or the number of tasks where it asks for more.

        With ``k`` equal to the number of tasks the constraint set holds only
        ``M = I``: every task is its own cluster. More clusters than tasks
        mean the same, so ``k`` is clamped there, with a warning.
        """
        k = self.n_clusters
        if k > layout.n_tasks:
            if warn:
                warnings.warn(
                    f"n_clusters={k} exceeds the number of tasks "
                    f"({layout.n_tasks}); fitting with n_clusters="
                    f"{layout.n_tasks}, every task its own cluster. Pass "
                    f"n_clusters <= {layout.n_tasks} to choose the clusters "
                    "yourself and silence this warning.",
                    UserWarning,
                    stacklevel=7,
                )
            k = layout.n_tasks
        return k

    def _set_model_attributes(self, blocks, layout):
        tasks = layout.task_matrix(blocks[0])
        k = self._n_clusters(layout)
        M, _, _ = optimal_structure(tasks, self.eta, k, "columns")
        self.task_similarity_ = M
        self.task_clusters_ = _cluster_rows(M, k)


def _cluster_rows(M, k):
    """k-means on the rows of ``M`` (deterministic), labels by first appearance."""
    if k == 1:
        return np.zeros(M.shape[0], dtype=np.intp)
    labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(M)
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(np.argsort(first))  # label -> rank of its first task
    return order[np.searchsorted(np.unique(labels), labels)].astype(np.intp)


_CLUSTER_DOC = r"""
    .. math::

        \min_{M}\; \mathcal{L}(W, b) + \alpha\,\eta\,(1+\eta)\,
            \mathrm{tr}\big(W (\eta I + M)^{-1} W^\top\big)
            + \frac{\rho}{2}\lVert W\rVert_F^2,
        \qquad 0 \preceq M \preceq I,\;\; \mathrm{tr}\,M = k,

    jointly over ``W`` (n_features, n_tasks), the intercepts ``b`` and the
    task-by-task matrix ``M``; ``k`` is ``n_clusters``. It is the convex
    relaxation of clustered multi-task learning (Zhou, Chen & Ye, 2011;
    MALSAR ``Least_CMTL`` / ``Logistic_CMTL`` with ``rho1 = alpha``,
    ``rho2 = alpha * eta``): ``M`` relaxes :math:`F F^\top` for the
    normalised indicator ``F`` of ``k`` clusters of tasks, and tasks of the
    same cluster share a direction that is penalised by only
    :math:`\alpha\eta`."""

_CLUSTER_PARAMETERS = _STRENGTHS + """
    n_clusters : int, default=1
        Number of task clusters ``k`` (the trace of ``M``). The default, one
        cluster, is valid for any number of tasks; set it to the number of
        groups of tasks you expect. A value above the number of tasks is
        fitted as the number of tasks (then ``M = I``: every task is its own
        cluster and the penalty is ``alpha * eta`` times the squared
        Frobenius norm of ``W``), with a warning."""

_CLUSTER_ATTRIBUTES = """
    task_similarity_ : ndarray of shape (n_tasks, n_tasks)
        The optimal ``M`` at the solution.
    task_clusters_ : ndarray of int, shape (n_tasks,)
        Cluster of each task: k-means (``random_state=0``) on the rows of
        ``task_similarity_``, labels numbered by first appearance."""


@fill_doc(
    objective=_CLUSTER_DOC,
    structure_parameters=_CLUSTER_PARAMETERS,
    structure_attributes=_CLUSTER_ATTRIBUTES,
    notes=_NOTES,
)
class ClusteredRegressor(_Clustered, MultiTaskRegressorBase):
    r"""Multi-task regression with clustered tasks (convex clustered MTL).

    Minimises

    %(objective)s

    :math:`\mathcal{L}` is the data term of :class:`L21Regressor`,
    :math:`\sum_t \frac{c_t}{2 n_t}\sum_{i \in O_t} s_{it}(y_{it} -
    x_i^\top w_t - b_t)^2`.

    Parameters
    ----------
    %(structure_parameters)s
    %(common_parameters)s

    Attributes
    ----------
    %(regressor_coef)s
    %(structure_attributes)s
    %(dual_gap)s
    %(common_attributes)s

    %(notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import ClusteredRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 5))
    >>> centres = rng.standard_normal((5, 2))
    >>> W = centres[:, [0, 0, 1, 1]] + 0.05 * rng.standard_normal((5, 4))
    >>> Y = X @ W + 0.1 * rng.standard_normal((60, 4))
    >>> model = ClusteredRegressor(alpha=0.1, n_clusters=2).fit(X, Y)
    >>> model.task_clusters_
    array([0, 0, 1, 1])
    """


@fill_doc(
    objective=_CLUSTER_DOC,
    structure_parameters=_CLUSTER_PARAMETERS,
    structure_attributes=_CLUSTER_ATTRIBUTES,
    notes=_NOTES,
)
class ClusteredClassifier(_Clustered, MultiTaskClassifierBase):
    r"""Multi-task logistic regression with clustered tasks (convex clustered MTL).

    Minimises

    %(objective)s

    :math:`\mathcal{L}` is the data term of :class:`L21Classifier`. With
    ``K > 2`` classes, column ``t`` of the task matrix stacks all of task
    ``t``'s class weights, so ``M`` relates tasks; every task must then have
    the same labels (a clear error says which task differs).

    Parameters
    ----------
    %(structure_parameters)s
    %(common_parameters)s

    Attributes
    ----------
    %(classifier_coef)s
    %(structure_attributes)s
    %(common_attributes)s

    %(notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import ClusteredClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((80, 4))
    >>> Z = X[:, [0, 0, 1, 1]] + 0.2 * rng.standard_normal((80, 4))
    >>> model = ClusteredClassifier(alpha=0.01, n_clusters=2)
    >>> model.fit(X, (Z > 0).astype(int)).task_clusters_
    array([0, 0, 1, 1])
    """


class _SharedSubspace:
    """The model: the shared-subspace penalty over the features."""

    _parameters = {**_STRENGTH_PARAMETERS, "n_components": _count(1)}

    def _regularizer(self, layout):
        n_features = self.n_features_in_  # set by the validation of X in fit
        if self.n_components > n_features:
            raise ValueError(
                f"n_components={self.n_components} exceeds the number of "
                f"features ({n_features}); use at most {n_features}."
            )
        return structure_regularizer(self, self.n_components, layout, task_view=False)

    def _set_model_attributes(self, blocks, layout):
        M, Q, gamma = optimal_structure(blocks[0], self.eta, self.n_components, "rows")
        self.feature_similarity_ = M
        order = np.argsort(-gamma, kind="stable")[: self.n_components]
        self.subspace_ = Q[:, order].T


_SUBSPACE_DOC = r"""
    .. math::

        \min_{M}\; \mathcal{L}(W, b) + \alpha\,\eta\,(1+\eta)\,
            \mathrm{tr}\big(W^\top (\eta I + M)^{-1} W\big)
            + \frac{\rho}{2}\lVert W\rVert_F^2,
        \qquad 0 \preceq M \preceq I,\;\; \mathrm{tr}\,M = h,

    jointly over ``W`` (n_features, n_columns), the intercepts ``b`` and the
    feature-by-feature matrix ``M``; ``h`` is ``n_components``. It is convex
    alternating structure optimisation (Chen, Zhou & Ye, 2009; MALSAR
    ``Least_CASO`` / ``Logistic_CASO`` with ``rho1 = alpha``,
    ``rho2 = alpha * eta``): ``M`` relaxes :math:`\Theta^\top\Theta` for an
    ``h``-dimensional feature subspace :math:`\Theta` shared by the tasks,
    whose directions are penalised by only :math:`\alpha\eta`. (As a function
    of ``W`` the minimum over ``M`` is the one of
    :class:`ClusteredRegressor` with ``k = h``; the two models differ in the
    structure they report and the bound on ``h``.)"""

_SUBSPACE_PARAMETERS = _STRENGTHS + """
    n_components : int, default=1
        Dimension ``h`` of the shared subspace (the trace of ``M``), at most
        the number of features. The default, one direction, is valid for
        any data."""

_SUBSPACE_ATTRIBUTES = """
    subspace_ : ndarray of shape (n_components, n_features)
        Orthonormal basis of the shared subspace: the eigenvectors of ``M``
        with the largest eigenvalues.
    feature_similarity_ : ndarray of shape (n_features, n_features)
        The optimal ``M`` at the solution."""


@fill_doc(
    objective=_SUBSPACE_DOC,
    structure_parameters=_SUBSPACE_PARAMETERS,
    structure_attributes=_SUBSPACE_ATTRIBUTES,
    notes=_NOTES,
)
class SharedSubspaceRegressor(_SharedSubspace, MultiTaskRegressorBase):
    r"""Multi-task regression with a shared feature subspace (convex ASO).

    Minimises

    %(objective)s

    :math:`\mathcal{L}` is the data term of :class:`L21Regressor`.

    Parameters
    ----------
    %(structure_parameters)s
    %(common_parameters)s

    Attributes
    ----------
    %(regressor_coef)s
    %(structure_attributes)s
    %(dual_gap)s
    %(common_attributes)s

    %(notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import SharedSubspaceRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 6))
    >>> W = np.outer([1.0, 1.0, 0, 0, 0, 0], rng.standard_normal(4))
    >>> Y = X @ W + 0.1 * rng.standard_normal((60, 4))
    >>> model = SharedSubspaceRegressor(alpha=0.1).fit(X, Y)
    >>> np.round(np.abs(model.subspace_), 1)
    array([[0.7, 0.7, 0. , 0. , 0. , 0. ]])
    """


@fill_doc(
    objective=_SUBSPACE_DOC,
    structure_parameters=_SUBSPACE_PARAMETERS,
    structure_attributes=_SUBSPACE_ATTRIBUTES,
    notes=_NOTES,
)
class SharedSubspaceClassifier(_SharedSubspace, MultiTaskClassifierBase):
    r"""Multi-task logistic regression with a shared feature subspace (convex ASO).

    Minimises

    %(objective)s

    :math:`\mathcal{L}` is the data term of :class:`L21Classifier`. ``M``
    acts on the features, so tasks may have different labels and numbers
    of classes.

    Parameters
    ----------
    %(structure_parameters)s
    %(common_parameters)s

    Attributes
    ----------
    %(classifier_coef)s
    %(structure_attributes)s
    %(common_attributes)s

    %(notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import SharedSubspaceClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((80, 5))
    >>> Y = (X[:, [0]] * [1.0, -1.0, 0.5] + 0.3 * rng.standard_normal((80, 3)) > 0)
    >>> SharedSubspaceClassifier(alpha=0.01).fit(X, Y.astype(int)).subspace_.shape
    (1, 5)
    """
