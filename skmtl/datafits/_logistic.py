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
    rows, tasks : ndarray of int, shape (n_entries,)
        Row and task of each observed entry, sorted by task then row.
    codes : ndarray of int, shape (n_entries,)
        Class index of each entry.
    weights : ndarray of shape (n_entries,)
        Entry weights.
    n_samples : int
    layout : ColumnLayout
        Columns of ``Z`` owned by each task.
    """

    profiled_intercept = False

    def __init__(self, rows, tasks, codes, weights, n_samples, layout):
        self.layout = layout
        self.n_columns = layout.n_columns
        self.n_samples = int(n_samples)
        widths = layout.widths
        self.curvature = 0.5 if np.any(widths > 1) else 0.25
        # the weighted least-squares model is the exact Newton model only when
        # every task is binary (a multinomial row couples its classes)
        self.exact_newton_model = bool(np.all(widths == 1))
        bounds = np.searchsorted(tasks, np.arange(layout.n_tasks + 1))
        entry_rows, entry_cols, blocks = [], [], []
        start = 0
        for t in range(layout.n_tasks):
            part = slice(bounds[t], bounds[t + 1])
            task_rows, w, code = rows[part], weights[part], codes[part]
            columns = layout.columns(t)
            for c in range(columns.start, columns.stop):
                entry_rows.append(task_rows)
                entry_cols.append(np.full(task_rows.size, c))
            size = task_rows.size * widths[t]
            blocks.append((slice(start, start + size), widths[t], w, code))
            start += size
        self._rows = np.concatenate(entry_rows).astype(np.intp)
        self._cols = np.concatenate(entry_cols).astype(np.intp)
        self._blocks = blocks
        # all tasks binary: the entries at once (no loop over tasks)
        self._binary = None
        if self.exact_newton_model and blocks:
            self._binary = (
                np.concatenate([w for _, _, w, _ in blocks]),
                np.concatenate([(code == 1) for _, _, _, code in blocks]).astype(float),
            )

    def entries(self):
        """``(rows, columns)`` of the observed entries, sorted by column."""
        return self._rows, self._cols

    @property
    def entry_weights(self):
        """Weight of each entry (a row's weight in every class column)."""
        return np.concatenate(
            [np.tile(w, width) for _, width, w, _ in self._blocks]
        ) if self._blocks else np.zeros(0)

    def value(self, z):
        """Loss at the predictor values of the entries (line searches)."""
        if self._binary is not None:
            w, y = self._binary
            return float(np.sum(w * (np.logaddexp(0.0, z) - y * z)))
        return self.value_and_gradient(z)[0]

    def value_and_gradient(self, z):
        """Loss and its derivative at the predictor values of the entries."""
        if self._binary is not None:
            w, y = self._binary
            value = float(np.sum(w * (np.logaddexp(0.0, z) - y * z)))
            return value, w * (expit(z) - y)
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
        """Curvature of the Newton model at the entries.

        Binary task: the second derivative ``w p (1 - p)``. Multinomial task:
        ``2 w max_k p_k (1 - p_k)`` for every class of a row, which bounds the
        row's ``K x K`` Hessian block ``w (diag(p) - p p^T)`` from above
        (Gershgorin) and, being the same for all classes, keeps the model's
        solution centred over the classes as the loss's own gradient is.
        """
        if self._binary is not None:  # every task binary: all entries at once
            p = expit(z)
            return self._binary[0] * p * (1.0 - p)
        h = np.empty_like(z)
        for block, width, w, _ in self._blocks:
            if width == 1:
                p = expit(z[block])
                h[block] = w * p * (1.0 - p)
            else:
                P = softmax(z[block].reshape(width, -1), axis=0)
                bound = 2.0 * np.max(P * (1.0 - P), axis=0) * w
                h[block] = np.tile(bound, width)
        return h

    def row_hessians(self, z):
        """Exact Hessian of the loss, one block per row of each task.

        Yields ``(task, rows, H)``: the task's rows (in entry order) and
        ``H`` of shape (n_rows, K, K), ``w (diag(p) - p p^T)`` for a task
        with ``K > 2`` classes, ``w p (1 - p)`` (K = 1) for a binary one. The
        entries of the task's columns are ``rows`` repeated column by column.
        """
        start = 0
        for t, (block, width, w, _) in enumerate(self._blocks):
            n_rows = w.size
            rows = self._rows[block][:n_rows]
            if width == 1:
                p = expit(z[block])
                H = (w * p * (1.0 - p))[:, None, None]
            else:
                P = softmax(z[block].reshape(width, -1).T, axis=1)
                H = np.einsum("ik,kl->ikl", P, np.eye(width))
                H -= P[:, :, None] * P[:, None, :]
                H *= w[:, None, None]
            yield t, rows, H
            start += n_rows * width

    def row_weights(self, task):
        """Weights of the task's rows, in the order of :meth:`row_hessians`."""
        return self._blocks[task][2]

    def quadratic_model(self, z):
        """Weighted least-squares model of the loss at ``z`` (one Newton step).

        Returns ``(u, h)`` per entry: the second-order expansion of the loss
        around ``z`` is ``1/2 sum h (u - z')^2`` up to a constant, with the
        working response ``u = z - g / h``.
        """
        if self._binary is not None:  # one logistic per entry for g and h
            w, y = self._binary
            p = expit(z)
            g, h = w * (p - y), w * p * (1.0 - p)
        else:
            _, g = self.value_and_gradient(z)
            h = self.entry_curvature(z)
        h = np.maximum(h, 1e-12 * np.max(np.abs(g), initial=1e-300))
        return z - g / h, h

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
