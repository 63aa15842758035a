"""First-order update rules on lists of arrays, and L-BFGS on the flat vector.

Each stochastic optimizer updates the arrays it is given in place, from the
gradient arrays in the same order.
"""

import numpy as np
from scipy.optimize import minimize

__all__ = ["Adam", "MomentumSGD", "minimize_lbfgs"]


class Adam:
    """Adam (Kingma & Ba, 2015) with bias-corrected moment estimates.

    ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2`` and
    ``theta <- theta - lr sqrt(1 - b2^k) / (1 - b1^k) * m / (sqrt(v) + eps)``
    at step ``k``.
    """

    def __init__(self, arrays, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.learning_rate = learning_rate
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.first = [np.zeros_like(a) for a in arrays]
        self.second = [np.zeros_like(a) for a in arrays]
        self.n_steps = 0

    def step(self, arrays, grads):
        self.n_steps += 1
        k, b1, b2 = self.n_steps, self.beta_1, self.beta_2
        rate = self.learning_rate * np.sqrt(1.0 - b2**k) / (1.0 - b1**k)
        for a, g, m, v in zip(arrays, grads, self.first, self.second, strict=True):
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * g * g
            a -= rate * m / (np.sqrt(v) + self.epsilon)


class MomentumSGD:
    """Gradient steps with heavy-ball momentum: ``u <- mu u - lr g``,
    ``theta <- theta + u`` (plain SGD when ``mu = 0``)."""

    def __init__(self, arrays, learning_rate, momentum=0.9):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.velocity = [np.zeros_like(a) for a in arrays]
        self.n_steps = 0

    def step(self, arrays, grads):
        self.n_steps += 1
        for a, g, u in zip(arrays, grads, self.velocity, strict=True):
            u *= self.momentum
            u -= self.learning_rate * g
            a += u


def minimize_lbfgs(value_and_gradient, theta0, max_iter, tol, bounds, callback):
    """L-BFGS-B on a flat vector; stops when the largest projected gradient
    entry is at most ``tol``, when an iteration decreases the objective by at
    most ``tol**2`` relatively (the decrease that a gradient of size ``tol``
    gives at unit curvature), when the line search fails, or after
    ``max_iter`` iterations. Returns scipy's ``OptimizeResult``."""
    return minimize(
        value_and_gradient,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        callback=callback,
        options={
            "maxiter": max_iter,
            "maxfun": 20 * max_iter,
            "gtol": tol,
            "ftol": tol**2,
        },
    )
