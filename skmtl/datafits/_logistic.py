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

    The loss is computed on the observed entries only, listed column by
    column (``entries()``); the dense methods gather from / scatter to an
    (n_samples, n_columns) ``Z``.

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
        # the weighted least-squares model is the exact Newton model only when
        # every task is binary (a multinomial row couples its classes)
        self.exact_newton_model = bool(np.all(widths == 1))
        self.column_weights = weights[:, layout.task_of_column]
        rows, cols, blocks = [], [], []
        start = 0
        for t in range(layout.n_tasks):
            task_rows = np.flatnonzero(weights[:, t] > 0)
            w, code = weights[task_rows, t], codes[task_rows, t]
            columns = layout.columns(t)
            for c in range(columns.start, columns.stop):
                rows.append(task_rows)
                cols.append(np.full(task_rows.size, c))
            size = task_rows.size * widths[t]
            blocks.append((slice(start, start + size), widths[t], w, code))
            start += size
        self._rows = np.concatenate(rows) if rows else np.zeros(0, int)
        self._cols = np.concatenate(cols) if cols else np.zeros(0, int)
        self._blocks = blocks

    def entries(self):
        """``(rows, columns)`` of the observed entries, sorted by column."""
        return self._rows, self._cols

    def entry_value_and_gradient(self, z):
        """Loss and its derivative at the predictor values of the entries."""
        g = np.empty_like(z)
        value = 0.0
        for block, width, w, code in self._blocks:
            if width == 1:
                zb = z[block]
                y = (code == 1).astype(np.float64)
                value += float(np.sum(w * (np.logaddexp(0.0, zb) - y * zb)))
                g[block] = w * (expit(zb) - y)
            else:
                Zt = z[block].reshape(width, -1).T
                picked = Zt[np.arange(code.size), code]
                value += float(np.sum(w * (logsumexp(Zt, axis=1) - picked)))
                P = softmax(Zt, axis=1)
                P[np.arange(code.size), code] -= 1.0
                g[block] = (w[:, None] * P).T.ravel()
        return value, g

    def entry_curvature(self, z):
        """Diagonal of the Hessian at the entries: ``w p (1 - p)``.

        For a multinomial task this is the diagonal of each row's ``K x K``
        Hessian block (the cross-class terms are left out).
        """
        h = np.empty_like(z)
        for block, width, w, _ in self._blocks:
            if width == 1:
                p = expit(z[block])
                h[block] = w * p * (1.0 - p)
            else:
                P = softmax(z[block].reshape(width, -1), axis=0)
                h[block] = (P * (1.0 - P) * w[None, :]).ravel()
        return h

    def quadratic_model(self, Z):
        """Weighted least-squares model of the loss at ``Z`` (one Newton step).

        Returns ``(U, H)``, dense (n_samples, n_columns): the second-order
        expansion of the loss around ``Z`` is ``1/2 sum H (U - Z')^2`` up to a
        constant, with the working response ``U = Z - g / H`` (0 and weight 0
        where unobserved).
        """
        z = Z[self._rows, self._cols]
        _, g = self.entry_value_and_gradient(z)
        h = np.maximum(
            self.entry_curvature(z), 1e-12 * np.max(np.abs(g), initial=1e-300)
        )
        U, H = np.zeros_like(Z), np.zeros_like(Z)
        U[self._rows, self._cols] = z - g / h
        H[self._rows, self._cols] = h
        return U, H

    def value(self, Z):
        return self.value_and_raw_gradient(Z)[0]

    def raw_gradient(self, Z):
        return self.value_and_raw_gradient(Z)[1]

    def value_and_raw_gradient(self, Z):
        """Loss value and its derivative with respect to a dense ``Z``."""
        value, g = self.entry_value_and_gradient(Z[self._rows, self._cols])
        G = np.zeros_like(Z)
        G[self._rows, self._cols] = g
        return value, G

    def null_intercept(self):
        """Intercepts minimising the loss when every coefficient is zero."""
        b = np.zeros(self.n_columns)
        for t, (_, width, w, code) in enumerate(self._blocks):
            if w.sum() <= 0:
                continue
            counts = np.bincount(code, weights=w, minlength=max(width, 2))
            p = np.clip(counts / counts.sum(), 1e-12, None)
            columns = self.layout.columns(t)
            if width == 1:
                b[columns] = np.log(p[1] / p[0])
            else:
                b[columns] = np.log(p) - np.log(p).mean()
        return b
