"""Conversion between per-task data sets and stacked multi-task data.

A multi-task data set can be given task by task, as lists ``Xs`` and ``ys`` of
the features ``X_t`` (n_t, n_features) and targets ``y_t`` (n_t,) of each task,
or stacked, as one ``X`` (n_samples, n_features) and one ``Y`` (n_samples,
n_tasks) with a missing entry (``NaN`` or ``None``) wherever a task does not
observe a row. :func:`stack_tasks` and :func:`unstack_tasks` convert between
the two.
"""

import numpy as np
import scipy.sparse as sp

from .._data import _as_2d_targets, observed_mask

__all__ = ["stack_tasks", "unstack_tasks"]


def _check_task_lists(Xs, ys):
    """Return ``Xs`` and ``ys`` as lists of the same, non-zero, length."""
    for name, value in (("Xs", Xs), ("ys", ys)):
        if sp.issparse(value) or (isinstance(value, np.ndarray) and value.ndim < 3):
            raise TypeError(
                f"{name} must be a list with one entry per task, got a single "
                f"array of shape {value.shape}; for one task, pass [X] and [y]."
            )
    Xs, ys = list(Xs), list(ys)
    if len(Xs) != len(ys):
        raise ValueError(
            f"Xs has {len(Xs)} tasks but ys has {len(ys)}: give one feature "
            "array and one target array per task."
        )
    if not Xs:
        raise ValueError("Xs and ys are empty: give at least one task.")
    return Xs, ys


def _check_task_features(X_t, t, n_features):
    """Check the features of task ``t``: 2-D, with ``n_features`` columns."""
    if not sp.issparse(X_t):
        X_t = np.asarray(X_t)
    if X_t.ndim != 2:
        raise ValueError(
            f"Xs[{t}] (task {t}) must be 2-D (n_samples, n_features), got shape "
            f"{X_t.shape}."
        )
    if n_features is not None and X_t.shape[1] != n_features:
        raise ValueError(
            f"Xs[{t}] (task {t}) has {X_t.shape[1]} features but Xs[0] (task 0) "
            f"has {n_features}: all tasks must share the same features."
        )
    return X_t


def _check_task_targets(y_t, t, n_rows):
    """Check the targets of task ``t``: 1-D (or one column), ``n_rows`` long."""
    y_t = np.asarray(y_t)
    if y_t.ndim == 2 and y_t.shape[1] == 1:
        y_t = y_t[:, 0]
    if y_t.ndim != 1:
        raise ValueError(
            f"ys[{t}] (task {t}) must be 1-D (n_samples,), got shape {y_t.shape}."
        )
    if y_t.shape[0] != n_rows:
        raise ValueError(
            f"Xs[{t}] and ys[{t}] (task {t}) differ in length: {n_rows} rows of "
            f"features but {y_t.shape[0]} targets."
        )
    return y_t


def _stack_rows(Xs):
    """Stack feature blocks: CSR if any block is sparse, else a dense array."""
    sparse_blocks = [X_t for X_t in Xs if sp.issparse(X_t)]
    if not sparse_blocks:
        return np.concatenate(Xs, axis=0)
    kind = type(sparse_blocks[0])
    blocks = [X_t if sp.issparse(X_t) else kind(X_t) for X_t in Xs]
    return sp.vstack(blocks, format="csr")


def _stack_targets(ys, sizes):
    """Stacked ``Y``: float with NaN for numbers, object with None otherwise."""
    n_rows, n_tasks = int(sizes.sum()), len(ys)
    if all(y_t.dtype.kind in "biuf" for y_t in ys):
        Y = np.full((n_rows, n_tasks), np.nan)
    else:
        Y = np.full((n_rows, n_tasks), None, dtype=object)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    for t, y_t in enumerate(ys):
        Y[starts[t] : starts[t + 1], t] = y_t
    return Y


def stack_tasks(Xs, ys, *, sparse=False):
    """Stack per-task data sets into one ``X`` and stacked targets ``Y``.

    Parameters
    ----------
    Xs : list of {array-like, sparse matrix}, each of shape (n_t, n_features)
        Features of each task. All tasks must have the same features. If any
        ``X_t`` is sparse, the result is a CSR matrix.
    ys : list of array-like, each of shape (n_t,)
        Targets of each task: numbers, or labels of any type (e.g. strings).
    sparse : bool, default=False
        Return ``Y`` as a ``scipy.sparse.csr_array`` whose stored entries are
        the observed targets (numeric targets only). Memory then grows with
        the number of rows, not with rows times tasks: the format for many
        tasks.

    Returns
    -------
    X : ndarray or CSR sparse matrix of shape (sum of n_t, n_features)
        The rows of task 0, then those of task 1, etc.
    Y : ndarray or sparse array of shape (sum of n_t, n_tasks)
        ``Y[i, t]`` is the target of row ``i`` if it belongs to task ``t`` and
        missing otherwise. If every ``y_t`` is numeric (bool, int or float),
        ``Y`` is float64 with ``NaN`` for missing entries; otherwise ``Y`` is
        an object array with ``None`` for missing entries.
    task_of_row : ndarray of int of shape (sum of n_t,)
        Index of the task of each row.

    Raises
    ------
    ValueError
        If ``Xs`` and ``ys`` have different lengths, or a task's features and
        targets have different numbers of rows, or the tasks have different
        numbers of features; the message names the task.

    See Also
    --------
    unstack_tasks : The inverse operation.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.datasets import stack_tasks
    >>> Xs = [np.ones((2, 3)), np.zeros((1, 3))]
    >>> X, Y, task_of_row = stack_tasks(Xs, [[1.0, 2.0], [3.0]])
    >>> Y
    array([[ 1., nan],
           [ 2., nan],
           [nan,  3.]])
    >>> task_of_row
    array([0, 0, 1])
    """
    Xs, ys = _check_task_lists(Xs, ys)
    n_features = None
    for t in range(len(Xs)):
        Xs[t] = _check_task_features(Xs[t], t, n_features)
        n_features = Xs[0].shape[1]
        ys[t] = _check_task_targets(ys[t], t, Xs[t].shape[0])
    sizes = np.array([X_t.shape[0] for X_t in Xs], dtype=np.intp)
    task_of_row = np.repeat(np.arange(len(Xs), dtype=np.intp), sizes)
    if sparse:
        return _stack_rows(Xs), _sparse_targets(ys, task_of_row), task_of_row
    return _stack_rows(Xs), _stack_targets(ys, sizes), task_of_row


def _sparse_targets(ys, task_of_row):
    from scipy import sparse as sp

    values = np.concatenate([np.asarray(y).ravel() for y in ys])
    if values.dtype.kind not in "biuf":
        raise ValueError(
            "stack_tasks(..., sparse=True) needs numeric targets (a sparse array "
            f"holds numbers); got dtype {values.dtype}. Encode labels as numbers "
            "or use sparse=False."
        )
    rows = np.arange(values.size)
    shape = (values.size, len(ys))
    return sp.csr_array((values.astype(np.float64), (rows, task_of_row)), shape=shape)


def _take_rows(X, rows):
    """Rows ``rows`` (int indices) of an array, sparse matrix or DataFrame."""
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    return X[rows]


def unstack_tasks(X, Y):
    """Split stacked data into the observed rows of each task.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Features. A pandas DataFrame stays a DataFrame; a sparse matrix is
        returned in CSR format.
    Y : array-like of shape (n_samples, n_tasks) or (n_samples,)
        Stacked targets, missing (``NaN`` or ``None``) where a task does not
        observe a row. A 1-D ``Y`` is one task.

    Returns
    -------
    Xs : list of length n_tasks
        ``Xs[t]`` holds the rows of ``X`` that task ``t`` observes, in order.
        A row observed by several tasks appears in each of them.
    ys : list of ndarray of length n_tasks
        ``ys[t]`` holds the observed targets of task ``t``, with the dtype of
        ``Y`` (float for numeric ``Y``).

    See Also
    --------
    stack_tasks : The inverse operation.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.datasets import unstack_tasks
    >>> X = np.arange(6.0).reshape(3, 2)
    >>> Y = np.array([[1.0, np.nan], [np.nan, 2.0], [3.0, 4.0]])
    >>> Xs, ys = unstack_tasks(X, Y)
    >>> Xs[0]
    array([[0., 1.],
           [4., 5.]])
    >>> ys[1]
    array([2., 4.])
    """
    if sp.issparse(X):
        X = X.tocsr()
    elif not hasattr(X, "iloc"):
        X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}.")
    Y, _, _ = _as_2d_targets(Y, X.shape[0], numeric=False)
    mask = observed_mask(Y)
    Xs, ys = [], []
    for t in range(Y.shape[1]):
        rows = np.flatnonzero(mask[:, t])
        Xs.append(_take_rows(X, rows))
        ys.append(Y[rows, t])
    return Xs, ys
