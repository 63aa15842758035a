"""Fused group lasso for ordered tasks (MALSAR ``Least_CFGLasso``)."""

from ..penalties import NoPenalty, TaskMatrixView
from ..penalties._fused import FusedGroupLasso, FusedLasso
from ._base import (
    MultiTaskClassifierBase,
    MultiTaskRegressorBase,
    Regularizer,
    Term,
    strength,
)
from ._docs import fill_doc
from ._selection import FeatureSupportMixin


def fused_penalty(name, alpha, l1, fused):
    """The penalty object for these strengths (``name``: for the error)."""
    if alpha > 0:
        return FusedGroupLasso(alpha, l1, fused)
    if l1 > 0:
        return FusedLasso(l1, fused)
    if fused > 0:
        raise ValueError(
            f"{name} with alpha=0 and l1=0 has only the fused term, which never "
            "makes a coefficient zero; set alpha > 0 or l1 > 0, or use "
            "TaskGraphRegressor(graph=chain_graph(n_tasks)) for a smooth "
            "coupling of consecutive tasks."
        )
    return NoPenalty()


class _FusedTask(FeatureSupportMixin):
    """The model: the fused group lasso along the task order."""

    _parameters = {
        "alpha": strength(0.01, sparsity=True),
        "l1": strength(0.0),
        "fused": strength(0.01),
    }
    _compares_tasks = True

    def _regularizer(self, layout):
        penalty = fused_penalty(type(self).__name__, self.alpha, self.l1, self.fused)
        K = layout.classes_per_task
        if K > 1 and not isinstance(penalty, NoPenalty):
            penalty = TaskMatrixView(penalty, layout.n_tasks, K)
        return Regularizer((Term(penalty, "alpha"),), ridge=self.ridge)


_FUSED_DOC = r"""
    .. math::

        \mathcal{L}(W, b) + \sum_{j} \Big( \alpha \lVert W_{j,:}\rVert_2
            + \lambda_1 \sum_{t} |W_{jt}|
            + \lambda_F \sum_{t=1}^{T-1} |W_{j,t+1} - W_{jt}| \Big)
            + \frac{\rho}{2}\lVert W\rVert_F^2

    over ``W`` (n_features, n_tasks) and the intercepts; :math:`\lambda_1`
    is ``l1`` and :math:`\lambda_F` is ``fused``. The tasks are ordered (the
    columns of ``Y``: time points, doses): a feature is used by all tasks or
    none (``alpha``), weights are sparse (``l1``) and piecewise constant
    along the task order (``fused``). This is the convex fused group lasso
    of MALSAR ``Least_CFGLasso`` (Zhou, Liu, Narayan & Ye, 2013)."""

_FUSED_PARAMETERS = """
    alpha : float, default=0.01
        Strength of the row-group (L2,1) term. :func:`skmtl.alpha_max` gives
        the smallest ``alpha`` that zeroes ``W`` at the given ``l1`` and
        ``fused``. On standardised data the gradient at zero of a feature
        correlated by ``r`` with every task is about ``r sqrt(T)``, so the
        default removes only features with almost no signal.
    l1 : float, default=0.0
        Strength of the entrywise L1 term.
    fused : float, default=0.01
        Strength of the fused term, the total variation of each feature's
        weights along the task order; the default, like ``alpha``'s, is small
        against the gradients of standardised data. ``alpha = l1 = 0`` with
        ``fused > 0`` is refused (nothing would ever be zero; see the error)."""

_FUSED_NOTES = """
    Notes
    -----
    The prox of the penalty acts row by row: the 1-D total-variation prox
    (exact: the taut string), then soft thresholding, then group shrinkage;
    the composition is exact for this sum (see
    :mod:`skmtl.penalties._fused`). The squared loss is solved by ADMM on
    its quadratic model and stops on the duality gap (at most ``tol`` times
    ``sum w (y - ybar)^2``); the logistic loss by proximal Newton steps,
    stopping on the KKT violation (at most ``tol`` times its value at zero),
    the distance to the subdifferential computed exactly (a small bounded
    least-squares problem per non-zero row).

    Reversing the order of the tasks is an invariance of the model;
    permuting them in another way is not.

    MALSAR sums each task's ``0.5 * ||y_t - X_t w_t||^2``; we average each
    task's loss over its observed rows. With every task on ``n`` rows and no
    ``task_weights``, MALSAR's ``rho1`` (L1), ``rho2`` (fused) and ``rho3``
    (L2,1) are ``l1 = rho1 / n``, ``fused = rho2 / n`` and
    ``alpha = rho3 / n``; MALSAR fits no intercept (``fit_intercept=False``)."""


@fill_doc(
    objective=_FUSED_DOC, fused_parameters=_FUSED_PARAMETERS, notes=_FUSED_NOTES
)
class FusedTaskRegressor(_FusedTask, MultiTaskRegressorBase):
    r"""Multi-task regression for ordered tasks (fused group lasso).

    Minimises

    %(objective)s

    :math:`\mathcal{L}` is the data term of :class:`L21Regressor`.

    Parameters
    ----------
    %(fused_parameters)s
    %(common_parameters)s

    Attributes
    ----------
    %(regressor_coef)s
    %(dual_gap)s
    %(common_attributes)s

    %(notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import FusedTaskRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 4))
    >>> W = np.zeros((4, 6))
    >>> W[0] = [1, 1, 1, 2, 2, 2]  # a step along the task order
    >>> Y = X @ W + 0.1 * rng.standard_normal((60, 6))
    >>> model = FusedTaskRegressor(alpha=0.05, fused=0.05).fit(X, Y)
    >>> np.round(model.coef_[:, 0], 1)
    array([1., 1., 1., 2., 2., 2.])
    """


@fill_doc(
    objective=_FUSED_DOC, fused_parameters=_FUSED_PARAMETERS, notes=_FUSED_NOTES
)
class FusedTaskClassifier(_FusedTask, MultiTaskClassifierBase):
    r"""Multi-task logistic regression for ordered tasks (fused group lasso).

    Minimises

    %(objective)s

    :math:`\mathcal{L}` is the data term of :class:`L21Classifier`. With
    ``K > 2`` classes the penalty applies to each class's weights (row
    ``(j, k)`` of the task matrix), so every task must have the same labels.

    Parameters
    ----------
    %(fused_parameters)s
    %(common_parameters)s

    Attributes
    ----------
    %(classifier_coef)s
    %(common_attributes)s

    %(notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import FusedTaskClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((80, 3))
    >>> Y = (X[:, [0]] + 0.3 * rng.standard_normal((80, 4)) > 0).astype(int)
    >>> FusedTaskClassifier().fit(X, Y).score(X, Y) > 0.8
    True
    """
