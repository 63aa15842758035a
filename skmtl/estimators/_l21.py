"""Joint feature selection: the L2,1 (group) norm across tasks."""

from ..penalties import L21
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
from ._selection import FeatureSupportMixin

_AUTO_ALPHA = f"""
alpha : float or "auto", default="auto"
    Strength of the L2,1 penalty. All coefficients are zero from
    ``alpha_max = max_j ||X_j^T Theta_0||_2`` on, ``Theta_0`` the
    weighted residuals (gradient of the data term) at zero coefficients.
    ``"auto"`` (the default) is ``{AUTO_FRACTION} * alpha_max`` of the
    training data: ``alpha_max`` grows with the number of tasks and the
    strength of the signal, so no fixed number suits every data set
    (``alpha=1`` zeroes every coefficient of one standardised task), while
    a tenth of it keeps the features whose joint correlation with the
    residuals is at least a tenth of the strongest one. The value used is
    ``alpha_``; :func:`skmtl.alpha_max` gives ``alpha_max``.
"""

_SUPPORT_ATTRIBUTES = """
alpha_ : float
    The strength used (``alpha``, or its value for ``"auto"``).
n_features_selected_ : int
    Number of features with a nonzero coefficient (see ``get_support``).
"""


class _L21(FeatureSupportMixin):
    """The model: ``alpha * sum_j ||W_j,:||_2`` plus the ridge."""

    _parameters = {"alpha": strength("auto", sparsity=True)}

    def _regularizer(self, layout):
        return Regularizer(
            (Term(penalty_or_none(L21, self.alpha), "alpha"),), ridge=self.ridge
        )


@fill_doc(auto_alpha=_AUTO_ALPHA, support_attributes=_SUPPORT_ATTRIBUTES)
class L21Regressor(_L21, MultiTaskRegressorBase):
    r"""Multi-task linear regression with joint feature selection (L2,1 norm).

    Minimises over the coefficients ``W`` (n_features, n_tasks) and the
    intercepts ``b``:

    .. math::

        \sum_{t=1}^{T} \frac{c_t}{2 n_t} \sum_{i \in O_t} s_{it}
            (y_{it} - x_i^\top w_t - b_t)^2
        + \alpha \sum_{j=1}^{d} \lVert W_{j,:} \rVert_2
        + \frac{\rho}{2} \lVert W \rVert_F^2

    where ``O_t`` are the rows observed in task ``t`` (non-NaN entries of
    ``Y``), ``n_t`` their number, ``c_t`` the task weight, ``s`` the sample
    weights normalised to mean one over ``O_t`` and ``rho`` is ``ridge``.
    The penalty on each feature's row of weights across tasks makes a
    feature used by all tasks or by none.

    With every entry observed and no weights this is scikit-learn's
    ``MultiTaskLasso(alpha=a)`` for ``alpha=a, ridge=0`` and
    ``MultiTaskElasticNet(alpha=a, l1_ratio=r)`` for ``alpha=a*r,
    ridge=a*(1-r)``.

    Parameters
    ----------
    %(auto_alpha)s
    %(common_parameters)s

    Attributes
    ----------
    coef_ : ndarray of shape (n_tasks, n_features), or (n_features,) for 1-D y
    intercept_ : ndarray of shape (n_tasks,), or float for 1-D y
    dual_gap_ : float
        Duality gap at the solution.
    %(support_attributes)s
    %(common_attributes)s

    Notes
    -----
    Solved by a working-set method: an outer loop over all features picks
    the support plus the features that violate the optimality conditions
    most; block coordinate descent on the features' Gram matrices (one
    exact row minimisation per feature, with each task's own curvature),
    accelerated by Anderson extrapolation, solves the problem on those
    features, so that badly conditioned designs do not slow it down the way
    they slow gradient steps. The extrapolated iterates also give a second
    dual point, which makes the duality gap tight near the optimum. It
    stops when the duality gap is at most ``tol`` times
    ``sum_{i,t} w_it (y_it - ybar_t)^2`` (``||Y - Ybar||_F^2 / n`` without
    weights), the scaling of scikit-learn's coordinate descent.

    ``get_support()`` marks the features with a nonzero coefficient row;
    ``SelectFromModel(model, threshold=model.nonzero_threshold)`` selects
    the same features (its default "mean" threshold drops active ones).

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import L21Regressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 8))
    >>> Y = X[:, :2] @ rng.standard_normal((2, 3))
    >>> Y[::4, 0] = np.nan  # task 0 misses some rows
    >>> model = L21Regressor(alpha=0.05).fit(X, Y)
    >>> model.coef_.shape
    (3, 8)
    >>> bool(np.all(model.coef_[:, 2:] == 0))
    True
    """

@fill_doc(auto_alpha=_AUTO_ALPHA, support_attributes=_SUPPORT_ATTRIBUTES)
class L21Classifier(_L21, MultiTaskClassifierBase):
    r"""Multi-task logistic regression with joint feature selection (L2,1 norm).

    Minimises over the coefficients ``W`` (n_features, n_columns) and the
    intercepts ``b``:

    .. math::

        \sum_{t=1}^{T} \frac{c_t}{n_t} \sum_{i \in O_t} s_{it}\,
            \ell_t(y_{it}, x_i^\top W_{:, C_t} + b_{C_t})
        + \alpha \sum_{j=1}^{d} \lVert W_{j,:} \rVert_2
        + \frac{\rho}{2} \lVert W \rVert_F^2

    with the notation of :class:`L21Regressor`. A binary task owns one
    column ``C_t`` and :math:`\ell(y, z) = \log(1 + e^z) - [y = k_2] z`
    (``k_2`` its second class in sorted order); a task with ``K > 2``
    classes owns ``K`` columns and :math:`\ell(y, z) = \log \sum_k e^{z_k} -
    z_y` (multinomial). Feature ``j``'s group holds all its weights over all
    tasks and classes, so a feature is used by every task or by none. Tasks
    may have different classes and different numbers of classes: the
    penalty only groups coefficients, it never compares labels across tasks.

    Parameters
    ----------
    %(auto_alpha)s
    %(common_parameters)s
    %(class_weight)s

    Attributes
    ----------
    classes_ : list of ndarray, or ndarray for 1-D y
        Sorted labels of each task.
    coef_ : ndarray of shape (n_coef_rows, n_features)
        One row per binary task (weights of its second class), ``K_t`` rows
        per task with ``K_t > 2`` classes; ``task_slices_[t]`` selects task
        ``t``'s rows.
    intercept_ : ndarray of shape (n_coef_rows,)
    task_slices_ : list of slice
        Rows of ``coef_`` and entries of ``intercept_`` of each task.
    %(support_attributes)s
    %(common_attributes)s

    Notes
    -----
    Proximal Newton: each step solves the weighted least-squares model of
    the loss (iteratively reweighted least squares) with the L2,1 penalty by
    the solver of :class:`L21Regressor`, then a line search on the true
    objective. With multiclass tasks the model keeps each row's exact
    class-coupled Hessian block (solved by accelerated proximal gradient;
    on problems too large for the dense blocks the block is bounded by a
    multiple of the identity). If a line search finds no decrease, proximal
    gradient on the true objective takes over. There is no closed-form dual,
    so it stops when the
    KKT violation (including the intercept gradient) is at most ``tol``
    times its value at zero coefficients and the last step decreased the
    objective by at most ``tol`` times its value.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import L21Classifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((80, 5))
    >>> Y = np.column_stack([X[:, 0] > 0, X[:, 0] + X[:, 1] > 0]).astype(float)
    >>> Y[:10, 1] = np.nan
    >>> model = L21Classifier(alpha=0.01).fit(X, Y)
    >>> model.predict(X[:3]).shape
    (3, 2)
    """

