"""The training objective of the multi-task networks, with its gradient.

``objective = sum_t a_t F_t  [+ sum_t s_t / 2]  +  alpha / 2 * sum_l ||W_l||^2``

where ``F_t = sum_i w_it loss(y_it, z_it)`` is task ``t``'s weighted loss
(the heads' entry weights already contain the fixed task weights), ``a_t = 1``
for fixed task weights and ``a_t = exp(-s_t)`` for the learned
homoscedastic-uncertainty weighting, and ``W_l`` runs over every weight
matrix, the heads' included, but over no intercept.
"""

import numpy as np

from ._network import Parameters, backward, forward, squared_norm

__all__ = ["objective"]


def objective(params, X, heads, activation, alpha):
    """Value and gradient (a :class:`Parameters`) of the objective on ``heads``'
    rows, and the weighted task losses ``F_t``."""
    layers, Z = forward(params, X, activation)
    F, dZ = heads.task_losses(Z)
    value, d_log_variances = _combine_tasks(F, dZ, params.log_variances, heads)
    coef_grads, intercept_grads = backward(params, layers, dZ, activation)
    for G, W in zip(coef_grads, params.coefs, strict=True):
        G += alpha * W
    value += 0.5 * alpha * squared_norm(params)
    return value, Parameters(coef_grads, intercept_grads, d_log_variances), F


def _combine_tasks(F, dZ, log_variances, heads):
    """``sum_t F_t``, or ``sum_t exp(-s_t) F_t + s_t / 2`` (``dZ`` rescaled in
    place) with the derivative in ``s``."""
    if log_variances is None:
        return float(F.sum()), None
    precision = np.exp(-log_variances)
    dZ *= precision[heads.task_of_column]
    value = float(precision @ F + 0.5 * log_variances.sum())
    return value, 0.5 - precision * F
