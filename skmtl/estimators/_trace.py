"""Shared low-rank representation: the trace (nuclear) norm of the weights."""

import numpy as np
from scipy import linalg

from ..penalties import TraceNorm
from ._base import (
    MultiTaskClassifierBase,
    MultiTaskRegressorBase,
    Regularizer,
    Term,
    penalty_or_none,
    strength,
)
from ._defaults import AUTO_FRACTION
from ._docs import fill_doc

_AUTO_ALPHA = f"""
alpha : float or "auto", default="auto"
    Strength of the trace norm. ``W`` is zero from ``alpha_max``, the
    spectral norm of the gradient of the data term at zero coefficients, on.
    ``"auto"`` (the default) is ``{AUTO_FRACTION} * alpha_max`` of the
    training data (the value used is ``alpha_``): ``alpha_max`` grows with
    the number of tasks and the signal, so a fixed number zeroes the model
    on one data set (``alpha=1`` on standardised binary tasks, whose
    ``alpha_max`` is about 0.6) and barely regularises another; a tenth of
    it keeps the shared directions whose singular value of that gradient is
    at least a tenth of the largest.
"""

_AUTO_ATTRIBUTE = """
alpha_ : float
    The strength used (``alpha``, or its value for ``"auto"``).
"""

_TRACE_OBJECTIVE = r"""
.. math::

    \mathcal{L}(W, b) + \alpha \lVert W \rVert_*
        + \frac{\rho}{2} \lVert W \rVert_F^2,

where :math:`\lVert W \rVert_* = \sum_k \sigma_k(W)` is the trace norm, the
convex surrogate of the rank: its solutions have low rank, i.e. the tasks'
weight vectors lie in a low-dimensional subspace of feature space shared by
all tasks (Argyriou, Evgeniou & Pontil, 2008)."""

_TRACE_ATTRIBUTES = """
components_ : ndarray of shape (rank, n_features)
    Orthonormal shared feature directions (left singular vectors of ``W``),
    by decreasing singular value.
singular_values_ : ndarray of shape (rank,)
    The non-zero singular values of ``W`` (``rank`` is ``rank_``).
rank_ : int
    Rank of ``W``: the number of shared directions used."""

_TRACE_NOTES = """
Notes
-----
ADMM on the quadratic model of the loss: exact solves with the task Gram
matrices (from one eigendecomposition) alternate with the prox of the trace
norm (soft-thresholded singular values), so conditioning does not slow it
down; for a logistic loss inside proximal Newton steps. The
squared loss stops on the duality gap (at most ``tol``
times ``sum w (y - ybar)^2``); the logistic loss on the KKT violation (at
most ``tol`` times its value at zero). The rank counts singular values above
``1e-10`` times the largest."""


def set_low_rank_attributes(estimator, W):
    """``rank_``, ``singular_values_`` and ``components_`` of ``W``."""
    U, s, _ = linalg.svd(W, full_matrices=False)
    rank = int(np.sum(s > 1e-10 * s[0])) if s.size and s[0] > 0 else 0
    estimator.rank_ = rank
    estimator.singular_values_ = s[:rank]
    estimator.components_ = U[:, :rank].T


class _TraceNorm:
    """The model: ``alpha * ||W||_*`` plus the ridge."""

    _parameters = {"alpha": strength("auto", sparsity=True)}

    def _regularizer(self, layout):
        return Regularizer(
            (Term(penalty_or_none(TraceNorm, self.alpha), "alpha"),), ridge=self.ridge
        )

    def _set_model_attributes(self, blocks, layout):
        set_low_rank_attributes(self, blocks[0])


@fill_doc(
    trace_objective=_TRACE_OBJECTIVE,
    trace_attributes=_TRACE_ATTRIBUTES,
    trace_notes=_TRACE_NOTES,
    auto_alpha=_AUTO_ALPHA,
    auto_attribute=_AUTO_ATTRIBUTE,
)
class TraceNormRegressor(_TraceNorm, MultiTaskRegressorBase):
    r"""Multi-task regression with a shared low-rank representation (trace norm).

    Minimises over ``W`` (n_features, n_tasks) and the intercepts

    %(trace_objective)s

    :math:`\mathcal{L}` is the data term of :class:`L21Regressor`.

    Parameters
    ----------
    %(auto_alpha)s
    %(common_parameters)s

    Attributes
    ----------
    coef_ : ndarray of shape (n_tasks, n_features), or (n_features,) for 1-D y
    intercept_ : ndarray of shape (n_tasks,), or float for 1-D y
    %(trace_attributes)s
    %(auto_attribute)s
    dual_gap_ : float
        Duality gap at the solution (when ``alpha > 0``).
    %(common_attributes)s

    %(trace_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import TraceNormRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((80, 10))
    >>> W = rng.standard_normal((10, 2)) @ rng.standard_normal((2, 6))  # rank 2
    >>> Y = X @ W + 0.01 * rng.standard_normal((80, 6))
    >>> TraceNormRegressor(alpha=0.05).fit(X, Y).rank_
    2
    """


@fill_doc(
    trace_objective=_TRACE_OBJECTIVE,
    trace_attributes=_TRACE_ATTRIBUTES,
    trace_notes=_TRACE_NOTES,
    auto_alpha=_AUTO_ALPHA,
    auto_attribute=_AUTO_ATTRIBUTE,
)
class TraceNormClassifier(_TraceNorm, MultiTaskClassifierBase):
    r"""Multi-task logistic regression with a shared low-rank representation.

    Minimises over ``W`` (n_features, n_columns) and the intercepts

    %(trace_objective)s

    :math:`\mathcal{L}` is the data term of :class:`L21Classifier`. The trace
    norm acts on all columns of ``W`` (one per binary task, one per class of
    a multiclass task), so tasks may have different labels and numbers of
    classes: the model shares feature directions, it never compares labels.

    Parameters
    ----------
    %(auto_alpha)s
    %(common_parameters)s
    %(class_weight)s

    Attributes
    ----------
    classes_ : list of ndarray, or ndarray for 1-D y
    coef_ : ndarray of shape (n_coef_rows, n_features)
        One row per binary task, ``K_t`` rows per multiclass task;
        ``task_slices_[t]`` selects task ``t``'s rows.
    intercept_ : ndarray of shape (n_coef_rows,)
    task_slices_ : list of slice
    %(trace_attributes)s
    %(auto_attribute)s
    %(common_attributes)s

    %(trace_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import TraceNormClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 6))
    >>> Y = (X @ rng.standard_normal((6, 1)) @ rng.standard_normal((1, 4)) > 0)
    >>> TraceNormClassifier(alpha=0.01).fit(X, Y.astype(int)).coef_.shape
    (4, 6)
    """
