"""Weighted squared loss on stacked targets."""

import numpy as np

from .._data import ColumnLayout


class Quadratic:
    r"""Squared loss summed over the observed entries of the stacked targets.

    .. math::

        F(Z) = \frac{1}{2} \sum_{i, t} \omega_{it} (y_{it} - z_{it})^2

    where ``Z = X W + 1 b^T`` is the linear predictor and ``omega`` the entry
    weights of :func:`skmtl._data.entry_weights` (zero on missing entries).

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_tasks)
        Targets, any finite value where missing.
    weights : ndarray of shape (n_samples, n_tasks)
        Entry weights, zero where missing.
    """

    #: the intercept minimising F for fixed W has a closed form (weighted mean)
    profiled_intercept = True
    #: upper bound of the second derivative of the per-entry loss
    curvature = 1.0

    def __init__(self, Y, weights):
        self.Y = np.asarray(Y, dtype=np.float64)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.n_columns = self.Y.shape[1]
        self.layout = ColumnLayout.one_per_task(self.n_columns)
        self.column_weights = self.weights

    def entries(self):
        """``(rows, columns)`` of the observed entries, sorted by column."""
        if not hasattr(self, "_entries"):
            cols, rows = np.nonzero(self.weights.T > 0)
            self._entries = rows, cols
            self._entry_y = self.Y[rows, cols]
            self._entry_w = self.weights[rows, cols]
        return self._entries

    def entry_value_and_gradient(self, z):
        """Loss and its derivative at the predictor values of the entries."""
        wr = self._entry_w * (self._entry_y - z)
        return 0.5 * float(np.vdot(wr, self._entry_y - z)), -wr

    def entry_best_intercept(self, xw):
        """Optimal intercepts given ``X W`` at the entries (weighted means)."""
        _, cols = self.entries()
        totals = np.bincount(cols, self._entry_w, minlength=self.n_columns)
        sums = np.bincount(
            cols, self._entry_w * (self._entry_y - xw), minlength=self.n_columns
        )
        return np.divide(sums, totals, out=np.zeros_like(sums), where=totals > 0)

    def entry_residual_moments(self, z):
        """``(sum w r y, sum w r^2)`` at the entries."""
        wr = self._entry_w * (self._entry_y - z)
        return float(np.vdot(wr, self._entry_y)), float(np.vdot(wr, self._entry_y - z))

    def value(self, Z):
        residual = self.Y - Z
        return 0.5 * float(np.sum(self.weights * residual * residual))

    def raw_gradient(self, Z):
        """Derivative of F with respect to Z."""
        return self.weights * (Z - self.Y)

    def best_intercept(self, XW):
        """Weighted mean of each task's residual: the optimal intercept."""
        totals = self.weights.sum(axis=0)
        sums = np.sum(self.weights * (self.Y - XW), axis=0)
        # a task with zero weight has no say in its intercept: 0
        return np.divide(sums, totals, out=np.zeros_like(sums), where=totals > 0)

    def null_intercept(self):
        return self.best_intercept(np.zeros_like(self.Y))

    def residual_moments(self, Z):
        """``(sum w r y, sum w r^2)`` with ``r = y - z``: what the dual needs.

        At the dual point :math:`\\Theta = s\\,\\omega \\circ R`,
        :math:`-F^*(-\\Theta) = s \\sum \\omega r y - \\frac{s^2}{2} \\sum \\omega r^2`.
        """
        wr = self.weights * (self.Y - Z)
        return float(np.sum(wr * self.Y)), float(np.sum(wr * (self.Y - Z)))
