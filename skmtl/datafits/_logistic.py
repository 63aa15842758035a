"""Logistic (binary) and multinomial losses on stacked label targets."""

import numpy as np
from scipy.special import expit, logsumexp, softmax


class Logistic:
    r"""Logistic loss per task, summed over the observed entries.

    .. math::

        F(Z) = \sum_t \sum_{i} \omega_{it} \, \ell_t(y_{it}, z_{i, C_t})

    A binary task owns one column ``c`` of ``Z`` and
    :math:`\ell(y, z) = \log(1 + e^{z}) - y z` with ``y`` in {0, 1} (1 for
    the second class). A task with ``K > 2`` classes owns ``K`` columns and
    :math:`\ell(y, z) = \log \sum_k e^{z_k} - z_y` (multinomial).

    Parameters
    ----------
    codes : ndarray of int, shape (n_samples, n_tasks)
        Class index of each entry, -1 where missing.
    weights : ndarray of shape (n_samples, n_tasks)
        Entry weights, zero where missing.
    layout : ColumnLayout
        Columns of ``Z`` owned by each task.
    """

    profiled_intercept = False

    def __init__(self, codes, weights, layout):
        self.layout = layout
        self.n_columns = layout.n_columns
        widths = layout.widths
        self.curvature = 0.5 if np.any(widths > 1) else 0.25
        observed = weights > 0
        binary = np.flatnonzero(widths == 1)
        rows, tasks = np.nonzero(observed[:, binary])
        self._rows = rows
        self._cols = layout.starts[binary][tasks]
        self._w = weights[:, binary][rows, tasks]
        self._y = (codes[:, binary][rows, tasks] == 1).astype(np.float64)
        self._multi = []
        for t in np.flatnonzero(widths > 1):
            task_rows = np.flatnonzero(observed[:, t])
            self._multi.append(
                (
                    layout.columns(t),
                    task_rows,
                    weights[task_rows, t],
                    codes[task_rows, t],
                )
            )
        self.column_weights = weights[:, layout.task_of_column]

    def value(self, Z):
        return self.value_and_raw_gradient(Z, gradient=False)[0]

    def raw_gradient(self, Z):
        return self.value_and_raw_gradient(Z)[1]

    def value_and_raw_gradient(self, Z, gradient=True):
        """Loss value and its derivative with respect to ``Z``."""
        G = np.zeros_like(Z) if gradient else None
        z = Z[self._rows, self._cols]
        value = float(np.sum(self._w * (np.logaddexp(0.0, z) - self._y * z)))
        if gradient:
            G[self._rows, self._cols] = self._w * (expit(z) - self._y)
        for columns, rows, w, code in self._multi:
            Zt = Z[rows, columns]
            picked = Zt[np.arange(rows.size), code]
            value += float(np.sum(w * (logsumexp(Zt, axis=1) - picked)))
            if gradient:
                P = softmax(Zt, axis=1)
                P[np.arange(rows.size), code] -= 1.0
                G[rows, columns] = w[:, None] * P
        return value, G

    def null_intercept(self):
        """Intercepts minimising the loss when every coefficient is zero."""
        b = np.zeros(self.n_columns)
        for c in np.unique(self._cols):
            sel = self._cols == c
            p = np.sum(self._w[sel] * self._y[sel]) / np.sum(self._w[sel])
            p = np.clip(p, 1e-12, 1 - 1e-12)
            b[c] = np.log(p / (1 - p))
        for columns, _, w, code in self._multi:
            counts = np.bincount(
                code, weights=w, minlength=columns.stop - columns.start
            )
            if counts.sum() > 0:
                logp = np.log(np.clip(counts / counts.sum(), 1e-12, None))
                b[columns] = logp - logp.mean()
        return b
