"""Weighted squared loss on the observed entries of stacked targets."""

import numpy as np

from .._data import ColumnLayout


class Quadratic:
    r"""Squared loss summed over the observed entries of the stacked targets.

    .. math::

        F(z) = \frac{1}{2} \sum_{k} \omega_k (y_k - z_k)^2

    over the observed entries ``k = (i, t)``, where ``z_k = x_i^\top w_t +
    b_t`` and ``omega`` are the entry weights of
    :func:`skmtl._data.target_weights`.

    Parameters
    ----------
    rows, columns : ndarray of int, shape (n_entries,)
        Row and column of each entry, sorted by column then row.
    targets, weights : ndarray of float, shape (n_entries,)
    n_samples, n_columns : int
    """

    #: the intercept minimising F for fixed W has a closed form (weighted mean)
    profiled_intercept = True
    #: upper bound of the second derivative of the per-entry loss
    curvature = 1.0

    def __init__(self, rows, columns, targets, weights, n_samples, n_columns):
        self.rows = np.asarray(rows, dtype=np.intp)
        self.columns = np.asarray(columns, dtype=np.intp)
        self.entry_targets = np.asarray(targets, dtype=np.float64)
        self.entry_weights = np.asarray(weights, dtype=np.float64)
        self.n_samples, self.n_columns = int(n_samples), int(n_columns)
        self.layout = ColumnLayout.one_per_task(self.n_columns)
        self.totals = np.bincount(self.columns, self.entry_weights, self.n_columns)
        # sums per column by np.add.reduceat over the column-sorted entries
        # (4x faster than a weighted bincount); None if not sorted
        self._starts = None
        if self.columns.size and np.all(np.diff(self.columns) >= 0):
            bounds = np.searchsorted(self.columns, np.arange(self.n_columns + 1))
            self._observed = np.diff(bounds) > 0
            self._starts = bounds[:-1][self._observed]

    def _column_sums(self, values):
        if self._starts is None:
            return np.bincount(self.columns, values, minlength=self.n_columns)
        sums = np.zeros(self.n_columns)
        sums[self._observed] = np.add.reduceat(values, self._starts)
        return sums

    def entries(self):
        """``(rows, columns)`` of the observed entries, sorted by column."""
        return self.rows, self.columns

    def value_and_gradient(self, z):
        """Loss and its derivative at the predictor values of the entries."""
        r = self.entry_targets - z
        wr = self.entry_weights * r
        return 0.5 * float(wr @ r), np.negative(wr, out=wr)

    def best_intercept(self, xw):
        """Optimal intercepts given ``X W`` at the entries (weighted means)."""
        sums = self._column_sums(self.entry_weights * (self.entry_targets - xw))
        # a column with zero weight has no say in its intercept: 0
        return np.divide(
            sums, self.totals, out=np.zeros_like(sums), where=self.totals > 0
        )

    def null_intercept(self):
        return self.best_intercept(np.zeros_like(self.entry_targets))

    def residual_moments(self, z):
        r"""``(sum w r y, sum w r^2)`` with ``r = y - z``: what the dual needs.

        At the dual point :math:`\Theta = s\,\omega \circ r`,
        :math:`-F^*(-\Theta) = s \sum \omega r y - \frac{s^2}{2} \sum \omega r^2`.
        """
        r = self.entry_targets - z
        wr = self.entry_weights * r
        return float(wr @ self.entry_targets), float(wr @ r)

    def dense_targets(self, n_rows):
        """Targets as (n_rows, n_columns) when every column observes the same
        ``n_rows`` rows (a shared design); entries are column-major."""
        return self.entry_targets.reshape(self.n_columns, n_rows).T
