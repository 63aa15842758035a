"""The shared network: parameters, forward pass and back-propagation.

With ``H_0 = X`` and activation ``g``, hidden layer ``l = 1..L`` is
``H_l = g(H_{l-1} W_l + b_l)``; every task's head is linear on the last hidden
layer, and the heads are stored side by side as one matrix ``V`` (n_hidden_L,
n_columns) with intercepts ``c``, so the network's output is
``Z = H_L V + c`` (n_samples, n_columns). Task ``t`` owns the columns
``starts[t]:starts[t + 1]`` of ``Z``: one for a regression or binary task, one
per class for a multiclass task.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

__all__ = [
    "ACTIVATIONS",
    "Parameters",
    "backward",
    "forward",
    "initialize",
    "squared_norm",
]


def _relu(A):
    return np.maximum(A, 0.0, out=A)


def _identity(A):
    return A


def _tanh(A):
    return np.tanh(A, out=A)


def _logistic(A):
    return expit(A, out=A)


# derivative of the activation, written with its output H = g(A)
def _relu_derivative(H):
    return (H > 0).astype(H.dtype)


def _tanh_derivative(H):
    return 1.0 - H**2


def _logistic_derivative(H):
    return H * (1.0 - H)


#: name -> (g applied in place, g' as a function of g's output, or None for 1)
ACTIVATIONS = {
    "identity": (_identity, None),
    "relu": (_relu, _relu_derivative),
    "tanh": (_tanh, _tanh_derivative),
    "logistic": (_logistic, _logistic_derivative),
}


@dataclass
class Parameters:
    """Weights of the network (and the learned log-variances, if any).

    ``coefs`` is ``[W_1, ..., W_L, V]`` and ``intercepts`` is
    ``[b_1, ..., b_L, c]``; ``log_variances`` is ``s`` (n_tasks,) for the
    uncertainty weighting, else None. A gradient has the same structure.
    """

    coefs: list
    intercepts: list
    log_variances: np.ndarray | None = None

    def arrays(self):
        """All arrays, in a fixed order (references, not copies)."""
        extra = [] if self.log_variances is None else [self.log_variances]
        return [*self.coefs, *self.intercepts, *extra]

    def copy(self):
        s = None if self.log_variances is None else self.log_variances.copy()
        return Parameters(
            [W.copy() for W in self.coefs], [b.copy() for b in self.intercepts], s
        )

    def flat(self):
        return np.concatenate([a.ravel() for a in self.arrays()])

    def from_flat(self, theta):
        """A new ``Parameters`` of this structure holding the vector ``theta``."""
        pieces, start = [], 0
        for a in self.arrays():
            pieces.append(theta[start : start + a.size].reshape(a.shape))
            start += a.size
        L = len(self.coefs)
        s = pieces[2 * L] if self.log_variances is not None else None
        return Parameters(pieces[:L], pieces[L : 2 * L], s)


def initialize(layer_sizes, starts, activation, head_intercepts, random_state):
    """Glorot-uniform weights, zero hidden biases, given head intercepts.

    ``layer_sizes`` is ``(n_features, h_1, ..., h_L)``. A head block of width
    ``K`` on ``h_L`` inputs is drawn from ``U(-a, a)``, ``a = sqrt(6 / (h_L +
    K))``, and so is each hidden layer with its fan-in and fan-out (``a`` times
    ``sqrt(2)`` for the logistic activation, whose slope at zero is 1/4).
    """
    gain = np.sqrt(2.0) if activation == "logistic" else 1.0
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True):
        bound = gain * np.sqrt(6.0 / (fan_in + fan_out))
        coefs.append(random_state.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(np.zeros(fan_out))
    h_last, widths = layer_sizes[-1], np.diff(starts)
    blocks = [
        random_state.uniform(-1, 1, (h_last, K)) * np.sqrt(6.0 / (h_last + K))
        for K in widths
    ]
    coefs.append(np.hstack(blocks))
    intercepts.append(np.asarray(head_intercepts, dtype=np.float64).copy())
    return Parameters(coefs, intercepts)


def forward(params, X, activation):
    """Return ``[H_0 = X, H_1, ..., H_L]`` and the output ``Z = H_L V + c``."""
    g = ACTIVATIONS[activation][0]
    layers = [X]
    for W, b in zip(params.coefs[:-1], params.intercepts[:-1], strict=True):
        A = np.asarray(layers[-1] @ W)
        A += b
        layers.append(g(A))
    Z = np.asarray(layers[-1] @ params.coefs[-1])
    Z += params.intercepts[-1]
    return layers, Z


def backward(params, layers, dZ, activation):
    """Gradient of a function of ``Z`` from ``dZ = d(value)/dZ`` (chain rule).

    Returns ``(coef_gradients, intercept_gradients)`` in the order of
    ``params.coefs`` and ``params.intercepts``.
    """
    g_prime = ACTIVATIONS[activation][1]
    L = len(params.coefs) - 1
    coef_grads, intercept_grads = [None] * (L + 1), [None] * (L + 1)
    delta = dZ  # d value / d (pre-activation of layer k + 1)
    for k in range(L, -1, -1):
        H = layers[k]
        coef_grads[k] = np.asarray(H.T @ delta)
        intercept_grads[k] = delta.sum(axis=0)
        if k == 0:
            break
        delta = delta @ params.coefs[k].T
        if g_prime is not None:
            delta *= g_prime(H)
    return coef_grads, intercept_grads


def squared_norm(params):
    """``sum_l ||W_l||_F^2 + ||V||_F^2``: every weight matrix, no intercept."""
    return float(sum(np.vdot(W, W) for W in params.coefs))
