"""Per-task heads: the loss of every task on the network's output ``Z``.

A heads object holds the targets and the per-entry weights ``w_it`` of the
rows it covers (``0`` on missing entries) and returns, for an output ``Z``,
the weighted task losses ``F_t = sum_i w_it loss(y_it, z_it)`` and ``dF/dZ``
(the sum over tasks of ``F_t`` differentiated with respect to ``Z``).
"""

import numpy as np
from scipy.special import expit, logsumexp

__all__ = ["ClassificationHeads", "RegressionHeads"]

_PROBABILITY_FLOOR = 1e-6


class RegressionHeads:
    """Squared loss ``1/2 (y - z)^2``, one output column per task."""

    def __init__(self, values, weights):
        self.values = values
        self.weights = weights
        self.starts = np.arange(values.shape[1] + 1)

    @property
    def task_of_column(self):
        return np.arange(self.values.shape[1])

    def subset(self, rows, scale=1.0):
        """The heads of ``rows`` only, with weights multiplied by ``scale``."""
        return RegressionHeads(self.values[rows], self.weights[rows] * scale)

    def task_losses(self, Z):
        R = Z - self.values
        WR = self.weights * R
        return 0.5 * np.einsum("it,it->t", WR, R), WR

    def initial_intercepts(self):
        """Weighted mean target of each task (the best constant prediction)."""
        total = self.weights.sum(axis=0)
        mean = np.einsum("it,it->t", self.weights, self.values)
        return np.divide(mean, total, out=np.zeros_like(mean), where=total > 0)


class ClassificationHeads:
    """Logistic loss for a binary task (one column, score of its second class),
    multinomial loss for a task with ``K > 2`` classes (``K`` columns)."""

    def __init__(self, codes, weights, starts):
        self.codes = codes
        self.weights = weights
        self.starts = np.asarray(starts)

    @property
    def task_of_column(self):
        return np.repeat(np.arange(len(self.starts) - 1), np.diff(self.starts))

    def subset(self, rows, scale=1.0):
        return ClassificationHeads(
            self.codes[rows], self.weights[rows] * scale, self.starts
        )

    def _columns(self):
        for t in range(len(self.starts) - 1):
            yield t, slice(int(self.starts[t]), int(self.starts[t + 1]))

    def task_losses(self, Z):
        F = np.zeros(len(self.starts) - 1)
        dZ = np.empty_like(Z)
        for t, columns in self._columns():
            w, y = self.weights[:, t], self.codes[:, t]
            if columns.stop - columns.start == 1:
                F[t], dZ[:, columns] = _binary(Z[:, columns.start], y, w)
            else:
                F[t], dZ[:, columns] = _multinomial(Z[:, columns], y, w)
        return F, dZ

    def initial_intercepts(self):
        """Log-odds (binary) or centred log-priors (multiclass) of the
        weighted class frequencies: the best constant scores."""
        intercepts = []
        for t, columns in self._columns():
            K = max(columns.stop - columns.start, 2)
            w, y = self.weights[:, t], self.codes[:, t]
            counts = np.bincount(np.maximum(y, 0), weights=w, minlength=K)[:K]
            total = counts.sum()
            prior = counts / total if total > 0 else np.full(K, 1.0 / K)
            log_prior = np.log(np.clip(prior, _PROBABILITY_FLOOR, 1.0))
            if K == 2 and columns.stop - columns.start == 1:
                intercepts.append([log_prior[1] - log_prior[0]])
            else:
                intercepts.append(log_prior - log_prior.mean())
        return np.concatenate(intercepts)


def _binary(z, y, w):
    """``sum_i w_i (log(1 + e^z_i) - [y_i = 1] z_i)`` and its derivative."""
    positive = (y == 1).astype(np.float64)
    value = float(w @ (np.logaddexp(0.0, z) - positive * z))
    return value, (w * (expit(z) - positive))[:, None]


def _multinomial(S, y, w):
    """``sum_i w_i (logsumexp(S_i) - S_{i, y_i})`` and its derivative."""
    rows = np.arange(S.shape[0])
    y = np.maximum(y, 0)  # missing entries (-1) have zero weight
    log_norm = logsumexp(S, axis=1)
    value = float(w @ (log_norm - S[rows, y]))
    P = np.exp(S - log_norm[:, None])
    P[rows, y] -= 1.0
    P *= w[:, None]
    return value, P
