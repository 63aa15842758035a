r"""Decomposed models: the coefficients are a sum ``W = P + Q`` of two parts
with different structures (MALSAR's dirty, robust and sparse + low-rank
formulations).

Each model only says which penalty each part gets; the layer
(:class:`~skmtl.estimators._base.Regularizer`) solves over the stacked
``[P; Q]`` with the design ``[X, X]``, so the data term sees ``X (P + Q)``
and the penalty separates between the parts.
"""

import numpy as np

from ..penalties import L1, L21, TraceNorm
from ..penalties._decomposed import LInf1, TaskGroupNorm
from ._base import (
    MultiTaskClassifierBase,
    MultiTaskRegressorBase,
    Regularizer,
    Term,
    strength,
)
from ._docs import fill_doc
from ._selection import FeatureSupportMixin
from ._trace import set_low_rank_attributes

_SHARED_NOTES = """
    Notes
    -----
    The problem is solved over the stacked parts ``[P; Q]`` with the design
    ``[X, X]``: for the squared loss by ADMM on its quadratic model (exact
    solves with the Gram matrices alternate with the prox of each part's
    penalty), stopping on the duality gap (at most ``tol`` times
    ``sum w (y - ybar)^2``; the dual norm of the sum of the two penalties
    is the larger of their dual norms, each divided by its strength); for
    the logistic loss by proximal Newton steps on the same route, stopping
    on the KKT violation (at most ``tol`` times its value at zero). The
    decomposition is identified only through the penalties: ``coef_`` is
    unique when the loss is strictly convex in ``W``, the parts need not
    be. ``alpha_max(model, X, y, param=name)`` gives, for each strength,
    the value from which its part is zero at zero coefficients: every
    coefficient is zero exactly when both strengths are at least theirs.
    Warm starts restart from both fitted parts."""

_RIDGE = """
    The ridge term of the common parameters applies to each part,
    ``ridge/2 (||{0}||_F^2 + ||{1}||_F^2)``."""

_LOSS_REGRESSOR = r"""
    :math:`\mathcal{L}` is the data term of :class:`L21Regressor`,

    .. math::

        \mathcal{L}(W, b) = \sum_{t=1}^{T} \frac{c_t}{2 n_t}
            \sum_{i \in O_t} s_{it} (y_{it} - x_i^\top w_t - b_t)^2 ."""

_LOSS_CLASSIFIER = r"""
    :math:`\mathcal{L}` is the (logistic or multinomial)
    data term of :class:`L21Classifier`; a multiclass task owns one column
    of ``W`` per class."""

def _fragments(side, parts=("P", "Q")):
    """The fragments of the docstrings of one side of a decomposed model;
    ``parts`` names its two blocks (``W = parts[0] + parts[1]``)."""
    regression = side == "regressor"
    return dict(
        decomposed_notes=_SHARED_NOTES,
        ridge_note=_RIDGE.format(*parts),
        loss=_LOSS_REGRESSOR if regression else _LOSS_CLASSIFIER,
    )


def _outlier_tasks(estimator, outlier_block, layout):
    norms = TaskGroupNorm(1.0, layout.starts).norms(outlier_block)
    estimator.outlier_tasks_ = np.flatnonzero(norms > 0)


# -- dirty model ------------------------------------------------------------------
class _Dirty(FeatureSupportMixin):
    """``alpha * sum_j max_t |P_jt| + l1 * sum |Q_jt|``."""

    _parameters = {
        "alpha": strength(0.08, sparsity=True, positive=True),
        "l1": strength(0.05, sparsity=True, positive=True),
    }

    def _regularizer(self, layout):
        return Regularizer(
            (
                Term(LInf1(self.alpha), "alpha", "shared_coef_"),
                Term(L1(self.l1), "l1", "specific_coef_"),
            ),
            ridge=self.ridge,
        )


_DIRTY_DOC = r"""
    Minimises over ``W = P + Q`` (n_features, n_columns) and the intercepts

    .. math::

        \mathcal{L}(P + Q, b) + \alpha \sum_{j=1}^{d} \max_t |P_{jt}|
            + \lambda_1 \sum_{j,t} |Q_{jt}|
            + \frac{\rho}{2}\left(\lVert P\rVert_F^2 + \lVert Q\rVert_F^2\right)

    (Jalali, Ravikumar, Sanghavi & Ruan, 2010; MALSAR ``Least_Dirty``, which
    sums the tasks' squared losses without the factor 1/2: with every task
    on ``n`` rows its ``lambda1`` and ``lambda2`` are ``2 n alpha`` and
    ``2 n l1``; see the migration guide).
    ``P`` holds the features shared by the tasks (a feature's row is zero
    or used by every task up to a common magnitude), ``Q`` task-specific
    sparse corrections; :math:`\lambda_1` is ``l1`` and :math:`\rho`
    ``ridge``. Both parts are active only when ``l1 < alpha < T * l1``: from
    ``alpha >= T * l1`` on, ``P`` is zero (the model is the entrywise lasso,
    ``L1`` on ``W``), and for ``alpha <= l1``, ``Q`` is zero (the L∞,1
    model)."""

_DIRTY_PARAMETERS = """
    alpha : float, default=0.08
        Strength of the L∞,1 penalty on the shared part ``P`` (> 0). The
        default: on standardised features and targets the entries of the
        gradient at zero are correlations (at most 1), so ``l1=0.05`` keeps
        task-specific weights whose correlation exceeds 0.05, and ``alpha``
        is set between ``l1`` and ``2 * l1`` so that both parts can be
        active from two tasks on.
    l1 : float, default=0.05
        Strength of the entrywise L1 penalty on the specific part ``Q`` (> 0)."""

_DIRTY_ATTRIBUTES = """
    shared_coef_ : ndarray, shaped like ``coef_``
        ``P^T``, the block-sparse part shared by the tasks.
    specific_coef_ : ndarray, shaped like ``coef_``
        ``Q^T``, the entrywise-sparse task-specific part; ``coef_`` is
        ``shared_coef_ + specific_coef_``."""


@fill_doc(
    dirty=_DIRTY_DOC, dirty_parameters=_DIRTY_PARAMETERS,
    dirty_attributes=_DIRTY_ATTRIBUTES, **_fragments("regressor"),
)
class DirtyRegressor(_Dirty, MultiTaskRegressorBase):
    r"""Multi-task regression with shared and task-specific features (dirty model).

    %(dirty)s

    %(loss)s

    %(ridge_note)s

    Parameters
    ----------
    %(dirty_parameters)s
    %(common_parameters)s

    Attributes
    ----------
    %(regressor_coef)s
    %(dirty_attributes)s
    %(dual_gap)s
    %(common_attributes)s

    %(decomposed_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import DirtyRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((80, 10))
    >>> W = np.zeros((10, 4))
    >>> W[:2] = 1.0  # two features shared by every task
    >>> W[5, 0] = 2.0  # one feature of task 0 only
    >>> Y = X @ W + 0.1 * rng.standard_normal((80, 4))
    >>> Y[::5, 1] = np.nan
    >>> model = DirtyRegressor(alpha=0.3, l1=0.1).fit(X, Y)
    >>> np.flatnonzero(np.abs(model.shared_coef_).max(axis=0) > 0.1).tolist()
    [0, 1]
    >>> bool(abs(model.specific_coef_[0, 5]) > 1)
    True
    """

    _defaults = {"max_iter": 10000}
    _defaults_reasons = {"max_iter": (
        "Here 10000 (1000 for most models): an ADMM iteration on the quadratic "
        "model is cheap (about 0.15 ms at 1,000 rows, 50 features, 20 tasks), "
        "and at 1e-3 times each strength's alpha_max on designs of condition "
        "number 1e4 and 1e5 (skmtl.datasets.make_ill_conditioned_tasks, own "
        "and shared rows) the dirty model needed 4,952 to 8,932; a fit stops "
        "as soon as it converges."
    )}


@fill_doc(
    dirty=_DIRTY_DOC, dirty_parameters=_DIRTY_PARAMETERS,
    dirty_attributes=_DIRTY_ATTRIBUTES, **_fragments("classifier"),
)
class DirtyClassifier(_Dirty, MultiTaskClassifierBase):
    r"""Multi-task logistic regression with shared and task-specific features.

    %(dirty)s

    %(loss)s

    %(ridge_note)s

    Parameters
    ----------
    %(dirty_parameters)s
    %(common_parameters)s

    Attributes
    ----------
    %(classifier_coef)s
    %(dirty_attributes)s
    %(common_attributes)s

    %(decomposed_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import DirtyClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 5))
    >>> Y = (X[:, :1] + 0.3 * rng.standard_normal((100, 3)) > 0).astype(int)
    >>> model = DirtyClassifier(alpha=0.02, l1=0.01).fit(X, Y)
    >>> model.shared_coef_.shape
    (3, 5)
    >>> bool(model.score(X, Y) > 0.8)
    True
    """


# -- robust multi-task feature learning -------------------------------------------
class _RobustFeature:
    """``alpha * sum_j ||P_j,:||_2 + beta * sum_t ||Q_:,t||_2``."""

    _parameters = {
        "alpha": strength(0.1, sparsity=True, positive=True),
        "beta": strength(0.2, sparsity=True, positive=True),
    }

    def _regularizer(self, layout):
        return Regularizer(
            (
                Term(L21(self.alpha), "alpha", "shared_coef_"),
                Term(TaskGroupNorm(self.beta, layout.starts), "beta", "outlier_coef_"),
            ),
            ridge=self.ridge,
        )

    def _set_model_attributes(self, blocks, layout):
        _outlier_tasks(self, blocks[1], layout)


_ROBUST_FEATURE_DOC = r"""
    Minimises over ``W = P + Q`` (n_features, n_columns) and the intercepts

    .. math::

        \mathcal{L}(P + Q, b) + \alpha \sum_{j=1}^{d} \lVert P_{j,:}\rVert_2
            + \beta \sum_{t=1}^{T} \lVert Q_{:,C_t}\rVert_F
            + \frac{\rho}{2}\left(\lVert P\rVert_F^2 + \lVert Q\rVert_F^2\right)

    (Gong, Ye & Zhang, 2012; MALSAR ``Least_rMTFL``, which sums the tasks'
    squared losses without the factor 1/2: with every task on ``n`` rows its
    ``lambda1`` and ``lambda2`` are ``2 n alpha`` and ``2 n beta``). ``P`` selects the
    features shared by the tasks (L2,1 over the rows); ``Q`` is zero except
    for outlier tasks, whose whole weight vector (``C_t``: the task's
    columns, one for a regression or binary task) it may change;
    :math:`\rho` is ``ridge``."""

_ROBUST_FEATURE_PARAMETERS = """
    alpha : float, default=0.1
        Strength of the L2,1 penalty on the shared part ``P`` (> 0). On
        standardised data the gradient at zero has rows of norm about
        ``sqrt(T)`` times the features' correlations with the targets, so
        0.1 keeps the features that matter.
    beta : float, default=0.2
        Strength of the group penalty on each task's outlier weights ``Q``
        (> 0). A task's weights ``w`` cost about ``alpha ||w||_1`` spread
        over the rows of ``P`` and ``beta ||w||_2`` in ``Q``; for a dense
        ``w`` over ``d`` features ``||w||_1`` is about ``sqrt(2d/pi)
        ||w||_2``, so ``beta = 2 * alpha`` lets a task whose weights depart
        from the shared features as a whole become an outlier from about 7
        features on, while a single weight (``||w||_1 = ||w||_2``) stays in
        ``P``."""

_ROBUST_FEATURE_ATTRIBUTES = """
    shared_coef_ : ndarray, shaped like ``coef_``
        ``P^T``, row-sparse across tasks.
    outlier_coef_ : ndarray, shaped like ``coef_``
        ``Q^T``, zero except for the outlier tasks; ``coef_`` is
        ``shared_coef_ + outlier_coef_``.
    outlier_tasks_ : ndarray of int
        Indices of the tasks whose outlier weights are not zero."""


@fill_doc(
    robust=_ROBUST_FEATURE_DOC, robust_parameters=_ROBUST_FEATURE_PARAMETERS,
    robust_attributes=_ROBUST_FEATURE_ATTRIBUTES, **_fragments("regressor"),
)
class RobustFeatureRegressor(_RobustFeature, MultiTaskRegressorBase):
    r"""Multi-task regression with shared features and outlier tasks (rMTFL).

    %(robust)s

    %(loss)s

    %(ridge_note)s

    Parameters
    ----------
    %(robust_parameters)s
    %(common_parameters)s

    Attributes
    ----------
    %(regressor_coef)s
    %(robust_attributes)s
    %(dual_gap)s
    %(common_attributes)s

    %(decomposed_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import RobustFeatureRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((80, 10))
    >>> W = np.zeros((10, 5))
    >>> W[:3] = 1.0
    >>> W[:, 4] = rng.standard_normal(10)  # task 4 is an outlier
    >>> Y = X @ W + 0.1 * rng.standard_normal((80, 5))
    >>> model = RobustFeatureRegressor(alpha=0.1, beta=0.2).fit(X, Y)
    >>> model.outlier_tasks_.tolist()
    [4]
    """


@fill_doc(
    robust=_ROBUST_FEATURE_DOC, robust_parameters=_ROBUST_FEATURE_PARAMETERS,
    robust_attributes=_ROBUST_FEATURE_ATTRIBUTES, **_fragments("classifier"),
)
class RobustFeatureClassifier(_RobustFeature, MultiTaskClassifierBase):
    r"""Multi-task logistic regression with shared features and outlier tasks.

    %(robust)s

    %(loss)s

    %(ridge_note)s

    Parameters
    ----------
    %(robust_parameters)s
    %(common_parameters)s

    Attributes
    ----------
    %(classifier_coef)s
    %(robust_attributes)s
    %(common_attributes)s

    %(decomposed_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import RobustFeatureClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 5))
    >>> Y = (X[:, :1] + 0.3 * rng.standard_normal((100, 3)) > 0).astype(int)
    >>> model = RobustFeatureClassifier(alpha=0.02, beta=0.05).fit(X, Y)
    >>> bool(model.score(X, Y) > 0.8)
    True
    """


# -- robust multi-task learning (low rank + outlier tasks) -------------------------
class _RobustLowRank:
    """``alpha * ||L||_* + beta * sum_t ||S_:,t||_2``."""

    _parameters = {
        "alpha": strength(0.1, sparsity=True, positive=True),
        "beta": strength(0.09, sparsity=True, positive=True),
    }

    def _regularizer(self, layout):
        return Regularizer(
            (
                Term(TraceNorm(self.alpha), "alpha", "low_rank_coef_"),
                Term(TaskGroupNorm(self.beta, layout.starts), "beta", "outlier_coef_"),
            ),
            ridge=self.ridge,
        )

    def _set_model_attributes(self, blocks, layout):
        set_low_rank_attributes(self, blocks[0])
        _outlier_tasks(self, blocks[1], layout)


_ROBUST_LOW_RANK_DOC = r"""
    Minimises over ``W = L + S`` (n_features, n_columns) and the intercepts

    .. math::

        \mathcal{L}(L + S, b) + \alpha \lVert L\rVert_*
            + \beta \sum_{t=1}^{T} \lVert S_{:,C_t}\rVert_F
            + \frac{\rho}{2}\left(\lVert L\rVert_F^2 + \lVert S\rVert_F^2\right)

    (Chen, Zhou & Ye, 2011; MALSAR ``Least_RMTL``, which sums the tasks'
    squared losses without the factor 1/2: with every task on ``n`` rows its
    ``rho1`` and ``rho2`` are ``2 n alpha`` and ``2 n beta``). ``L`` has low rank (the
    tasks share a few feature directions); ``S`` is zero except for the
    outlier tasks (``C_t``: the task's columns); :math:`\rho` is ``ridge``."""

_ROBUST_LOW_RANK_PARAMETERS = """
    alpha : float, default=0.1
        Strength of the trace norm of the low-rank part ``L`` (> 0). On
        standardised data the spectral norm of the gradient at zero is of
        the order of the features' correlations with the targets times
        ``sqrt(T)``; 0.1 keeps the directions that matter.
    beta : float, default=0.09
        Strength of the group penalty on each task's outlier weights ``S``
        (> 0). A new direction costs about ``alpha`` times its norm in
        ``L`` and ``beta`` times it in ``S``, while a task that follows the
        shared directions costs only a fraction of ``alpha`` (about
        ``1/sqrt(T)`` of it) in ``L``: ``beta`` just below ``alpha`` sends
        only the tasks that depart from the shared directions to ``S``."""

_ROBUST_LOW_RANK_ATTRIBUTES = """
    low_rank_coef_ : ndarray, shaped like ``coef_``
        ``L^T``.
    outlier_coef_ : ndarray, shaped like ``coef_``
        ``S^T``, zero except for the outlier tasks; ``coef_`` is
        ``low_rank_coef_ + outlier_coef_``.
    outlier_tasks_ : ndarray of int
        Indices of the tasks whose outlier weights are not zero.
    rank_ : int
        Rank of ``L``.
    components_ : ndarray of shape (rank, n_features)
        Its left singular vectors (the shared directions).
    singular_values_ : ndarray of shape (rank,)"""


@fill_doc(
    robust=_ROBUST_LOW_RANK_DOC, robust_parameters=_ROBUST_LOW_RANK_PARAMETERS,
    robust_attributes=_ROBUST_LOW_RANK_ATTRIBUTES,
    **_fragments("regressor", parts=("L", "S")),
)
class RobustLowRankRegressor(_RobustLowRank, MultiTaskRegressorBase):
    r"""Multi-task regression: a low-rank part plus outlier tasks (robust MTL).

    %(robust)s

    %(loss)s

    %(ridge_note)s

    Parameters
    ----------
    %(robust_parameters)s
    %(common_parameters)s

    Attributes
    ----------
    %(regressor_coef)s
    %(robust_attributes)s
    %(dual_gap)s
    %(common_attributes)s

    %(decomposed_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import RobustLowRankRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((80, 10))
    >>> W = np.outer(rng.standard_normal(10), rng.standard_normal(6))  # rank 1
    >>> W[:, 5] = 3 * rng.standard_normal(10)  # task 5 is an outlier
    >>> Y = X @ W + 0.1 * rng.standard_normal((80, 6))
    >>> model = RobustLowRankRegressor(alpha=0.2, beta=0.18).fit(X, Y)
    >>> model.outlier_tasks_.tolist(), model.rank_
    ([5], 1)
    """


@fill_doc(
    robust=_ROBUST_LOW_RANK_DOC, robust_parameters=_ROBUST_LOW_RANK_PARAMETERS,
    robust_attributes=_ROBUST_LOW_RANK_ATTRIBUTES,
    **_fragments("classifier", parts=("L", "S")),
)
class RobustLowRankClassifier(_RobustLowRank, MultiTaskClassifierBase):
    r"""Multi-task logistic regression: a low-rank part plus outlier tasks.

    %(robust)s

    %(loss)s

    %(ridge_note)s

    Parameters
    ----------
    %(robust_parameters)s
    %(common_parameters)s

    Attributes
    ----------
    %(classifier_coef)s
    %(robust_attributes)s
    %(common_attributes)s

    %(decomposed_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import RobustLowRankClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 5))
    >>> Y = (X[:, :1] + 0.3 * rng.standard_normal((100, 3)) > 0).astype(int)
    >>> model = RobustLowRankClassifier(alpha=0.02, beta=0.05).fit(X, Y)
    >>> bool(model.score(X, Y) > 0.8)
    True
    """


# -- sparse plus low rank ------------------------------------------------------------
class _SparseLowRank:
    """``alpha * ||Q||_* + l1 * sum |P_jt|``."""

    _parameters = {
        "alpha": strength(0.1, sparsity=True, positive=True),
        "l1": strength(0.05, sparsity=True, positive=True),
    }

    def _regularizer(self, layout):
        return Regularizer(
            (
                Term(TraceNorm(self.alpha), "alpha", "low_rank_coef_"),
                Term(L1(self.l1), "l1", "sparse_coef_"),
            ),
            ridge=self.ridge,
        )

    def _set_model_attributes(self, blocks, layout):
        set_low_rank_attributes(self, blocks[0])


_SPARSE_LOW_RANK_DOC = r"""
    Minimises over ``W = P + Q`` (n_features, n_columns) and the intercepts

    .. math::

        \mathcal{L}(P + Q, b) + \alpha \lVert Q\rVert_*
            + \lambda_1 \sum_{j,t} |P_{jt}|
            + \frac{\rho}{2}\left(\lVert P\rVert_F^2 + \lVert Q\rVert_F^2\right)

    (Chen, Liu & Ye, 2012; the penalised form of MALSAR
    ``Least_SparseTrace``, which constrains the trace norm instead). ``Q``
    has low rank (directions shared by the tasks), ``P`` is an entrywise
    sparse correction; :math:`\lambda_1` is ``l1`` and :math:`\rho`
    ``ridge``. For ``l1 >= alpha`` the sparse part is zero (a single entry
    costs ``l1`` in ``P`` and ``alpha`` in ``Q``): the model is
    :class:`TraceNormRegressor`'s."""

_SPARSE_LOW_RANK_PARAMETERS = """
    alpha : float, default=0.1
        Strength of the trace norm of the low-rank part ``Q`` (> 0). On
        standardised data the spectral norm of the gradient at zero is of
        the order of the features' correlations with the targets times
        ``sqrt(T)``; 0.1 keeps the directions that matter.
    l1 : float, default=0.05
        Strength of the entrywise L1 penalty of the sparse part ``P`` (> 0);
        smaller than ``alpha``, else ``P`` is zero."""

_SPARSE_LOW_RANK_ATTRIBUTES = """
    low_rank_coef_ : ndarray, shaped like ``coef_``
        ``Q^T``.
    sparse_coef_ : ndarray, shaped like ``coef_``
        ``P^T``; ``coef_`` is ``low_rank_coef_ + sparse_coef_``.
    rank_ : int
        Rank of ``Q``.
    components_ : ndarray of shape (rank, n_features)
        Its left singular vectors (the shared directions).
    singular_values_ : ndarray of shape (rank,)"""


@fill_doc(
    sparse_low_rank=_SPARSE_LOW_RANK_DOC,
    sparse_low_rank_parameters=_SPARSE_LOW_RANK_PARAMETERS,
    sparse_low_rank_attributes=_SPARSE_LOW_RANK_ATTRIBUTES,
    **_fragments("regressor"),
)
class SparseLowRankRegressor(_SparseLowRank, MultiTaskRegressorBase):
    r"""Multi-task regression: a low-rank part plus a sparse part.

    %(sparse_low_rank)s

    %(loss)s

    %(ridge_note)s

    Parameters
    ----------
    %(sparse_low_rank_parameters)s
    %(common_parameters)s

    Attributes
    ----------
    %(regressor_coef)s
    %(sparse_low_rank_attributes)s
    %(dual_gap)s
    %(common_attributes)s

    %(decomposed_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import SparseLowRankRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((80, 10))
    >>> W = np.outer(rng.standard_normal(10), rng.standard_normal(6))  # rank 1
    >>> W[7, 2] += 3.0  # one sparse correction
    >>> Y = X @ W + 0.1 * rng.standard_normal((80, 6))
    >>> model = SparseLowRankRegressor(alpha=0.2, l1=0.1).fit(X, Y)
    >>> model.rank_
    1
    >>> bool(abs(model.sparse_coef_[2, 7]) > 1)
    True
    """

    _defaults = {"max_iter": 10000}
    _defaults_reasons = {"max_iter": (
        "Here 10000 (1000 for most models): an ADMM iteration on the quadratic "
        "model is cheap, and at 1e-3 times each strength's alpha_max on "
        "designs of condition number 1e4 and 1e5 "
        "(skmtl.datasets.make_ill_conditioned_tasks) it needed 919 to 2,158 "
        "(shared rows, 30 % missing); a fit stops as soon as it converges."
    )}


@fill_doc(
    sparse_low_rank=_SPARSE_LOW_RANK_DOC,
    sparse_low_rank_parameters=_SPARSE_LOW_RANK_PARAMETERS,
    sparse_low_rank_attributes=_SPARSE_LOW_RANK_ATTRIBUTES,
    **_fragments("classifier"),
)
class SparseLowRankClassifier(_SparseLowRank, MultiTaskClassifierBase):
    r"""Multi-task logistic regression: a low-rank part plus a sparse part.

    %(sparse_low_rank)s

    %(loss)s

    %(ridge_note)s

    Parameters
    ----------
    %(sparse_low_rank_parameters)s
    %(common_parameters)s

    Attributes
    ----------
    %(classifier_coef)s
    %(sparse_low_rank_attributes)s
    %(common_attributes)s

    %(decomposed_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import SparseLowRankClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 5))
    >>> Y = (X[:, :1] + 0.3 * rng.standard_normal((100, 3)) > 0).astype(int)
    >>> model = SparseLowRankClassifier(alpha=0.02, l1=0.01).fit(X, Y)
    >>> bool(model.score(X, Y) > 0.8)
    True
    """
