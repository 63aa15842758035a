"""Stacked task targets: validation, observed-entry masks and weights.

Every estimator of the package receives its targets as one array ``Y`` of shape
``(n_samples, n_tasks)`` in which an entry that a task does not observe is
missing (``NaN``, or ``None`` for label arrays). This module is the only place
that turns such an array into what the solvers use:

* ``mask``: boolean ``(n_samples, n_tasks)``, ``True`` where the task observes
  the row;
* ``weights``: the weight of each (row, task) entry in the data term, so that
  the data term of every model reads ``sum_{i, t} weights[i, t] * loss(y_it,
  z_it)``. With ``s`` the sample weights normalised to mean one over the
  observed rows of task ``t`` and ``n_t`` the number of those rows,
  ``weights[i, t] = task_weights[t] * s_it / n_t`` on observed entries and
  ``0`` elsewhere.
"""

from dataclasses import dataclass
from numbers import Real

import numpy as np
from scipy import sparse
from sklearn.utils.multiclass import check_classification_targets, type_of_target

__all__ = [
    "ClassificationTargets",
    "RegressionTargets",
    "check_numeric_columns",
    "class_weight_factors",
    "class_weighted_sample_weight",
    "check_sample_weight",
    "check_task_weights",
    "entry_weights",
    "observed_mask",
    "sparse_to_dense",
    "target_weights",
    "validate_classification_targets",
    "validate_regression_targets",
]


class _Entries:
    """Observed entries of stacked targets, sorted by task then row.

    ``entry_rows[k]`` and ``entry_tasks[k]`` locate the ``k``-th observed
    entry. Dense ``(n_samples, n_tasks)`` views (``mask`` and the targets)
    are built on demand only: with many tasks they would not fit in memory.
    """

    @property
    def n_tasks(self):
        return len(self.task_names)

    @property
    def n_entries(self):
        return self.entry_rows.size

    @property
    def mask(self):
        mask = np.zeros((self.n_samples, self.n_tasks), dtype=bool)
        mask[self.entry_rows, self.entry_tasks] = True
        return mask

    def task_bounds(self):
        """Entries of task ``t`` are ``bounds[t]:bounds[t + 1]``."""
        return np.searchsorted(self.entry_tasks, np.arange(self.n_tasks + 1))

    def _dense(self, entries, fill, dtype):
        out = np.full((self.n_samples, self.n_tasks), fill, dtype=dtype)
        out[self.entry_rows, self.entry_tasks] = entries
        return out


@dataclass(frozen=True)
class RegressionTargets(_Entries):
    """Validated real-valued stacked targets, stored per observed entry.

    Attributes
    ----------
    entry_rows, entry_tasks : ndarray of int, shape (n_entries,)
        Row and task of each observed entry, sorted by task then row.
    entry_values : ndarray of float64, shape (n_entries,)
    n_samples : int
    task_names : ndarray of str, shape (n_tasks,)
    single_task : bool
        ``True`` when the targets were given as a 1-D array.
    """

    entry_rows: np.ndarray
    entry_tasks: np.ndarray
    entry_values: np.ndarray
    n_samples: int
    task_names: np.ndarray
    single_task: bool

    @property
    def values(self):
        """Dense ``(n_samples, n_tasks)`` targets, ``0.0`` where missing."""
        return self._dense(self.entry_values, 0.0, np.float64)


@dataclass(frozen=True)
class ClassificationTargets(_Entries):
    """Validated label targets, encoded per task, stored per observed entry.

    Attributes
    ----------
    entry_rows, entry_tasks : ndarray of int, shape (n_entries,)
    entry_codes : ndarray of int, shape (n_entries,)
        Index of each label in ``classes[task]``.
    n_samples : int
    classes : list of ndarray
        Sorted distinct labels of each task (at least two per task).
    task_names : ndarray of str, shape (n_tasks,)
    single_task : bool
    """

    entry_rows: np.ndarray
    entry_tasks: np.ndarray
    entry_codes: np.ndarray
    n_samples: int
    classes: list
    task_names: np.ndarray
    single_task: bool

    @property
    def codes(self):
        """Dense ``(n_samples, n_tasks)`` class indices, ``-1`` where missing."""
        return self._dense(self.entry_codes, -1, np.intp)


def _mask_entries(mask):
    """``(rows, tasks)`` of the ``True`` entries, sorted by task then row.

    A mostly missing mask (many tasks with their own rows) is read in its
    memory order and the entries then sorted by task (a stable radix sort on
    small integer codes): 30x faster there than walking the transposed mask,
    which is faster when most entries are observed.
    """
    n_samples, n_tasks = mask.shape
    if n_tasks < 2**15 and 8 * np.count_nonzero(mask) < mask.size:
        rows, tasks = np.divmod(np.flatnonzero(mask), n_tasks)
        order = np.argsort(tasks.astype(np.int16), kind="stable")
        return rows[order].astype(np.intp), tasks[order].astype(np.intp)
    tasks, rows = np.nonzero(mask.T)
    return rows.astype(np.intp), tasks.astype(np.intp)


def is_sparse_targets(Y):
    """Whether ``Y`` is a scipy.sparse matrix or array (stored = observed)."""
    return sparse.issparse(Y)


def sparse_to_dense(Y):
    """A sparse target matrix as a dense float array, ``NaN`` where not stored."""
    coo = sparse.coo_matrix(Y)
    dense = np.full(coo.shape, np.nan)
    dense[coo.row, coo.col] = coo.data
    return dense


def _sparse_entries(Y, n_samples):
    """``(rows, tasks, data, task_names)`` of a sparse target matrix."""
    if Y.ndim != 2:
        raise ValueError(f"A sparse Y must be 2-D, got {Y.ndim} dimensions.")
    if Y.shape[0] != n_samples:
        raise ValueError(
            f"Y has {Y.shape[0]} rows but X has {n_samples}: each row of Y holds "
            "the targets of the same row of X."
        )
    if Y.shape[1] == 0:
        raise ValueError("Y has no task (0 columns).")
    coo = sparse.coo_matrix(Y)
    order = np.lexsort((coo.row, coo.col))
    rows = coo.row[order].astype(np.intp)
    tasks = coo.col[order].astype(np.intp)
    same = (np.diff(rows) == 0) & (np.diff(tasks) == 0)
    if np.any(same):
        k = int(np.flatnonzero(same)[0])
        raise ValueError(
            f"The sparse Y stores entry (row {rows[k]}, task column {tasks[k]}) "
            "more than once; each stored entry is one observed target. Call "
            "Y.sum_duplicates() if the duplicates should be added."
        )
    names = np.asarray([f"task_{t}" for t in range(Y.shape[1])], dtype=object)
    return rows, tasks, np.asarray(coo.data[order]), names


def _is_missing_object(values):
    """Missing-entry mask of an object array: ``None`` or a float NaN."""
    flat = values.ravel()
    missing = np.fromiter(
        (v is None or (isinstance(v, (float, np.floating)) and v != v) for v in flat),
        dtype=bool,
        count=flat.size,
    )
    return missing.reshape(values.shape)


def observed_mask(Y):
    """Boolean mask of the observed entries of a target array.

    Missing entries are ``NaN`` in numeric arrays and ``None`` or ``NaN`` in
    object arrays.
    """
    if is_sparse_targets(Y):
        mask = np.zeros(Y.shape, dtype=bool)
        coo = sparse.coo_matrix(Y)
        mask[coo.row, coo.col] = True
        return mask
    Y = np.asarray(Y)
    if Y.dtype.kind == "f":
        return ~np.isnan(Y)
    if Y.dtype.kind == "c":
        return ~np.isnan(Y)
    if Y.dtype.kind == "O":
        return ~_is_missing_object(Y)
    return np.ones(Y.shape, dtype=bool)


def _as_2d_targets(Y, n_samples, numeric):
    """Return ``(array_2d, task_names, single_task)`` from array-like targets."""
    task_names = None
    if hasattr(Y, "columns") and hasattr(Y, "to_numpy"):  # pandas DataFrame
        task_names = np.asarray([str(c) for c in Y.columns], dtype=object)
        _check_unique_task_names(task_names)
        Y = _frame_to_numpy(Y, numeric)
    elif hasattr(Y, "to_numpy") and hasattr(Y, "name"):  # pandas Series
        if Y.name is not None:
            task_names = np.asarray([str(Y.name)], dtype=object)
        Y = _frame_to_numpy(Y, numeric)
    Y = np.asarray(Y)
    if Y.ndim == 0:
        raise ValueError("Y must be a 1-D or 2-D array of targets, got a scalar.")
    if Y.ndim > 2:
        raise ValueError(
            "Y must be 1-D (one task) or 2-D (n_samples, n_tasks), "
            f"got shape {Y.shape}."
        )
    single_task = Y.ndim == 1
    if single_task:
        Y = Y.reshape(-1, 1)
    if Y.shape[0] != n_samples:
        raise ValueError(
            f"Y has {Y.shape[0]} rows but X has {n_samples}: each row of Y holds "
            "the targets of the same row of X."
        )
    if Y.shape[1] == 0:
        raise ValueError("Y has no task (0 columns).")
    if task_names is None:
        task_names = np.asarray([f"task_{t}" for t in range(Y.shape[1])], dtype=object)
    return Y, task_names, single_task


def _check_unique_task_names(task_names):
    """Task names identify the tasks (``task_names_``, tables, scorers)."""
    names, counts = np.unique(task_names.astype(str), return_counts=True)
    if np.any(counts > 1):
        repeated = [str(n) for n in names[counts > 1]]
        columns = [int(c) for c in np.flatnonzero(np.isin(task_names, repeated))]
        raise ValueError(
            f"The columns of Y (the task names) must be unique; {repeated} "
            f"appear more than once (columns {columns}). Rename the columns."
        )


def _py(value):
    """A numpy scalar as the Python scalar it holds, for readable messages."""
    return value.item() if isinstance(value, np.generic) else value


def _frame_to_numpy(frame, numeric):
    """pandas object to numpy, with pandas' missing values turned into NaN/None.

    Regression targets become floats where possible; labels keep their type
    (integers stay integers, strings stay strings, even "1" and "2").
    """
    if numeric:
        try:
            return frame.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            pass
    else:
        values = frame.to_numpy()
        if values.dtype.kind in "biuf":
            return values
    values = np.array(frame.to_numpy(dtype=object), copy=True)  # may be read-only
    values[np.asarray(frame.isna())] = None
    return values


def _finite_stored_values(rows, tasks, data, task_names):
    """The stored entries of a sparse ``Y`` as float64; a ``ValueError``
    naming the task for a non-finite one (before any cast can warn)."""
    if data.dtype.kind not in "fiub":
        raise ValueError(f"A sparse Y must hold numbers, got dtype {data.dtype}.")
    values = np.asarray(data, dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"The sparse Y stores {values[k]} at row {rows[k]} of task "
            f"{task_names[tasks[k]]!r} (column {tasks[k]}); stored entries are "
            "observed targets and must be finite (leave a missing one unstored)."
        )
    return values


def validate_regression_targets(Y, n_samples):
    """Validate real-valued targets of shape ``(n,)`` or ``(n, n_tasks)``.

    ``Y`` may be dense (``NaN`` where missing) or a scipy.sparse matrix whose
    stored entries are the observed targets. Raises a ``ValueError`` naming
    the task for non-numeric or infinite values and for a task without any
    observed target.
    """
    if is_sparse_targets(Y):
        rows, tasks, data, task_names = _sparse_entries(Y, n_samples)
        values = _finite_stored_values(rows, tasks, data, task_names)
        _check_every_task_observed(tasks, task_names)
        return RegressionTargets(rows, tasks, values, n_samples, task_names, False)
    Y, task_names, single_task = _as_2d_targets(Y, n_samples, numeric=True)
    if Y.dtype.kind == "c":
        raise ValueError(
            f"Y holds complex numbers (dtype {Y.dtype}); a regressor needs real "
            "targets."
        )
    if Y.dtype.kind not in "fiub":
        Y = _object_to_float(Y, task_names)
    values = np.asarray(Y, dtype=np.float64)
    infinite = np.isinf(values)
    if infinite.any():
        row, task = np.argwhere(infinite)[0]
        raise ValueError(
            f"Y contains infinity: task {task_names[task]!r} (column {task}), "
            f"row {row} ({infinite.sum()} infinite entries in all). Mark missing "
            "targets with NaN."
        )
    observed = ~np.isnan(values)
    if values.size and observed.all():
        # every target observed: the entries task by task, no mask walked
        # (1.3 against 0.2 ms at (2000, 50))
        n, T = values.shape
        rows = np.tile(np.arange(n, dtype=np.intp), T)
        tasks = np.repeat(np.arange(T, dtype=np.intp), n)
        return RegressionTargets(rows, tasks, values.flatten(order="F"), n_samples,
                                 task_names, single_task)
    rows, tasks = _mask_entries(observed)
    _check_every_task_observed(tasks, task_names)
    return RegressionTargets(
        rows, tasks, values[rows, tasks], n_samples, task_names, single_task
    )


def _object_to_float(Y, task_names):
    out = np.empty(Y.shape, dtype=np.float64)
    missing = _is_missing_object(Y) if Y.dtype.kind == "O" else np.zeros(Y.shape, bool)
    for t in range(Y.shape[1]):
        column = Y[:, t]
        try:
            pairs = zip(column, missing[:, t], strict=True)
            out[:, t] = [np.nan if m else float(v) for v, m in pairs]
        except (TypeError, ValueError):
            pairs = zip(column, missing[:, t], strict=True)
            bad = next(v for v, m in pairs if not m and not _is_number(v))

            raise ValueError(
                f"A regressor needs numeric targets, but task {task_names[t]!r} "
                f"(column {t}) holds {_py(bad)!r}. Use a classifier for labels."
            ) from None
    return out


def _is_text(value):
    return isinstance(value, (str, bytes, np.str_, np.bytes_))


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _check_every_task_observed(tasks, task_names):
    counts = np.bincount(tasks, minlength=len(task_names))
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        names = ", ".join(repr(str(task_names[t])) for t in empty[:5])
        more = f" and {empty.size - 5} more" if empty.size > 5 else ""
        subject = (f"Task {names} has" if empty.size == 1
                   else f"Tasks {names}{more} have")
        raise ValueError(
            f"{subject} no observed target (every entry is missing). Remove the "
            "task or give it data; after a "
            "split, use skmtl.model_selection.TaskStratifiedKFold so that every "
            "training fold observes every task."
        )


def validate_classification_targets(Y, n_samples):
    """Validate label targets and encode each task's labels as integer codes.

    Labels may be numbers or strings; a missing entry is ``NaN`` or ``None``,
    or not stored in a sparse ``Y``. Each task needs at least two distinct
    observed labels.
    """
    if is_sparse_targets(Y):
        rows, tasks, labels, task_names = _sparse_entries(Y, n_samples)
        _finite_stored_values(rows, tasks, labels, task_names)
        single_task = False
    else:
        Y, task_names, single_task = _as_2d_targets(Y, n_samples, numeric=False)
        rows, tasks = _mask_entries(observed_mask(Y))
        labels = Y[rows, tasks]
    _check_every_task_observed(tasks, task_names)
    bounds = np.searchsorted(tasks, np.arange(len(task_names) + 1))
    codes = np.empty(rows.size, dtype=np.intp)
    classes = []
    checked = _integral_numbers(labels)  # then no task needs sklearn's check
    for t in range(len(task_names)):
        part = slice(bounds[t], bounds[t + 1])
        task_classes, codes[part] = _encode_task(labels[part], task_names[t], t,
                                                 checked)
        classes.append(task_classes)
    return ClassificationTargets(
        rows, tasks, codes, n_samples, classes, task_names, single_task
    )


def _integral_numbers(labels):
    """Whether ``labels`` is a numeric array of finite whole numbers: then
    every task's labels are "binary" or "multiclass" for scikit-learn's
    ``check_classification_targets``, which need not run per task (it costs
    about 1 ms a call; Landmine has 29 tasks)."""
    labels = np.asarray(labels)
    if labels.dtype.kind in "iub":
        return True
    if labels.dtype.kind != "f":
        return False
    return bool(np.all(np.isfinite(labels)) and np.all(labels == np.round(labels)))


def _encode_task(labels, task_name, column, checked=False):
    """Sorted classes of one task and the code of each label (``checked``:
    the labels are known to be whole numbers, see :func:`_integral_numbers`)."""
    labels = _uniform_label_array(np.asarray(labels), task_name, column)
    try:
        if not checked:
            check_classification_targets(labels)
    except ValueError as exc:
        raise ValueError(f"Task {task_name!r} (column {column}): {exc}") from None
    task_classes, task_codes = np.unique(labels, return_inverse=True)
    if task_classes.size < 2:
        raise ValueError(
            f"Task {task_name!r} (column {column}) has only one class "
            f"({_py(task_classes[0])!r}) among its observed targets; a classifier "
            "needs at least two classes in every task."
        )
    return task_classes, task_codes.ravel()


def _uniform_label_array(labels, task_name, column):
    """Labels of one task as an array np.unique can sort; clear error otherwise."""
    if labels.dtype.kind != "O":
        return labels
    kinds = {"str" if isinstance(v, (str, np.str_)) else "num" for v in labels}
    if len(kinds) > 1:
        raise ValueError(
            f"Task {task_name!r} (column {column}) mixes string and numeric labels; "
            "use one type of label per task."
        )
    if kinds == {"str"}:
        return labels.astype(str)
    if all(isinstance(v, (bool, np.bool_)) for v in labels):
        return labels.astype(bool)  # True / False (with None where missing)
    values = labels.astype(np.float64)
    if type_of_target(values) in ("binary", "multiclass") and np.all(
        values == np.round(values)
    ):
        return values.astype(np.int64) if _all_int(labels) else values
    return values


def _all_int(labels):
    return all(isinstance(v, (int, np.integer)) for v in labels)


def check_numeric_columns(X):
    """Return ``X``; for a DataFrame, first raise naming a non-numeric column.

    Without this, a string column gives numpy's "could not convert string to
    float" with no hint of which column holds it.
    """
    if isinstance(X, (list, tuple, np.ndarray)):
        _check_numeric_array(X)
        return X
    if not (hasattr(X, "columns") and hasattr(X, "dtypes")):
        return X
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    for position, (name, dtype) in enumerate(zip(X.columns, X.dtypes, strict=True)):
        if is_numeric_dtype(dtype) or is_bool_dtype(dtype):
            continue
        values = X.iloc[:, position].to_numpy(dtype=object)
        bad = next((v for v in values if _is_text(v) and not _is_number(v)), None)
        if bad is not None:
            raise ValueError(
                f"X column {str(name)!r} (position {position}, dtype {dtype}) is not "
                f"numeric: it holds {_py(bad)!r}. Encode it first, for example "
                "with a OneHotEncoder in a sklearn.compose.ColumnTransformer."
            )
    return X


def _check_numeric_array(X):
    """Name the first non-numeric entry of an array of strings or objects."""
    values = np.asarray(X) if not isinstance(X, np.ndarray) else X
    if values.dtype.kind not in "USO" or values.ndim != 2:
        return
    try:
        values.astype(np.float64)
    except (TypeError, ValueError):
        for (row, column), v in np.ndenumerate(values):
            if _is_text(v) and not _is_number(v):
                raise ValueError(
                    f"X holds the non-numeric value {_py(v)!r} at row {row}, column "
                    f"{column}; encode text features first, for example with a "
                    "OneHotEncoder in a sklearn.compose.ColumnTransformer."
                ) from None


def check_sample_weight(sample_weight, n_samples, n_tasks):
    """Validate ``sample_weight``: None, a scalar, ``(n,)`` or ``(n, n_tasks)``.

    Returns ``None`` (all ones) or a float64 array of shape ``(n,)`` or
    ``(n, n_tasks)``. Weights must be finite and non-negative.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, Real):
        sample_weight = np.full(n_samples, float(sample_weight))
    sample_weight = np.asarray(sample_weight, dtype=np.float64)
    if sample_weight.ndim == 2 and sample_weight.shape[1] == 1 and n_tasks != 1:
        sample_weight = sample_weight[:, 0]
    allowed = {(n_samples,), (n_samples, n_tasks)}
    if sample_weight.shape not in allowed:
        raise ValueError(
            f"sample_weight has shape {sample_weight.shape}; expected ({n_samples},) "
            f"or ({n_samples}, {n_tasks}) for {n_samples} samples and {n_tasks} tasks."
        )
    if not np.all(np.isfinite(sample_weight)):
        row = np.argwhere(~np.isfinite(sample_weight))[0]
        raise ValueError(
            f"sample_weight contains NaN or infinity (first at row {int(row[0])}); "
            "weights must be finite."
        )
    if np.any(sample_weight < 0):
        row = np.argwhere(sample_weight < 0)[0]
        where = (f"row {int(row[0])}" if row.size == 1
                 else f"row {int(row[0])}, task column {int(row[1])}")
        raise ValueError(
            f"sample_weight must be non-negative; it is "
            f"{_py(sample_weight[tuple(row)])} at {where}."
        )
    return sample_weight


def check_task_weights(task_weights, n_tasks, task_names=None):
    """Validate ``task_weights``: None (all ones), a scalar or ``(n_tasks,)``."""
    if task_weights is None:
        return np.ones(n_tasks)
    weights = np.asarray(task_weights, dtype=np.float64)
    if weights.ndim == 0:
        weights = np.full(n_tasks, float(weights))
    if weights.shape != (n_tasks,):
        raise ValueError(
            f"task_weights has shape {weights.shape}; expected ({n_tasks},), "
            "one weight per task (column of Y)."
        )
    bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
    if bad.size:
        t = bad[0]
        name = task_names[t] if task_names is not None else t
        raise ValueError(
            f"task_weights must be finite and non-negative; task {_py(name)!r} "
            f"(column {int(t)}) has weight {_py(weights[t])}."
        )
    if not np.any(weights > 0):
        raise ValueError("task_weights are all zero: no task contributes to the fit.")
    return weights


def entry_weights(mask, sample_weight, task_weights, task_names):
    """Weight of each (row, task) entry in the data term, as a dense array.

    ``weights[i, t] = task_weights[t] * s_it / sum_{i observed in t} s_it`` on
    observed entries and 0 elsewhere, which equals ``task_weights[t] * s'_it /
    n_t`` with ``s'`` the sample weights normalised to mean one within task
    ``t``. The estimators use :func:`target_weights` (the same per observed
    entry).
    """
    rows, tasks = _mask_entries(mask)
    weights = np.zeros(mask.shape)
    weights[rows, tasks] = _normalised_weights(
        rows, tasks, mask.shape[1], sample_weight, task_weights, task_names
    )
    return weights


def target_weights(targets, sample_weight, task_weights, factors=None):
    """Entry weights of :func:`entry_weights` for the observed entries of
    ``targets``, in their order. ``factors`` (one per observed entry, e.g.
    from :func:`class_weight_factors`) multiply the sample weights before the
    per-task normalisation."""
    return _normalised_weights(
        targets.entry_rows,
        targets.entry_tasks,
        targets.n_tasks,
        sample_weight,
        task_weights,
        targets.task_names,
        factors,
    )


def _raw_entry_weights(rows, tasks, sample_weight):
    if sample_weight is None:
        return np.ones(rows.size)
    if sample_weight.ndim == 1:
        return sample_weight[rows]
    return sample_weight[rows, tasks]


def _normalised_weights(
    rows, tasks, n_tasks, sample_weight, task_weights, names, factors=None
):
    raw = _raw_entry_weights(rows, tasks, sample_weight)
    if factors is not None:
        raw = raw * factors
    totals = np.bincount(tasks, raw, minlength=n_tasks)
    empty = np.flatnonzero(totals <= 0)
    if empty.size:
        t = empty[0]
        raise ValueError(
            f"Task {_py(names[t])!r} (column {int(t)}) has zero total "
            "sample_weight over its observed rows; it cannot be fitted (give it "
            "positive weights, or remove the task)."
        )
    return raw * (task_weights / totals)[tasks]


def class_weight_factors(class_weight, targets, sample_weight=None):
    """Weight of each observed entry's class, or ``None`` for ``class_weight=None``.

    ``class_weight`` is ``None``, ``"balanced"``, a dict ``{label: weight}``
    applied to every task, a list with one such specification per task, or
    a dict ``{task_name: specification}`` (tasks not named: ``None``).
    ``"balanced"`` gives class ``k`` of task ``t`` the weight
    ``S_t / (K_t S_tk)``, ``S_tk`` the total sample weight of the task's rows
    of class ``k`` (their number without sample weights) and ``K_t`` its
    number of classes, so that after the per-task normalisation every class
    carries the same share ``1 / K_t`` of the task's weight. Labels missing
    from a dict get weight 1; a label the task does not have is an error.
    """
    if class_weight is None:
        return None
    specs = _class_weight_per_task(class_weight, targets.task_names)
    raw = _raw_entry_weights(targets.entry_rows, targets.entry_tasks, sample_weight)
    bounds = targets.task_bounds()
    factors = np.ones(targets.n_entries)
    for t, spec in enumerate(specs):
        part = slice(bounds[t], bounds[t + 1])
        weights = _task_class_weights(
            spec, targets.classes[t], targets.entry_codes[part], raw[part],
            targets.task_names[t], t,
        )
        factors[part] = weights[targets.entry_codes[part]]
    return factors


def class_weighted_sample_weight(class_weight, targets, sample_weight=None):
    """``sample_weight`` times :func:`class_weight_factors`, as an (n, n_tasks)
    array (unchanged when ``class_weight`` is None); for dense fit flows."""
    factors = class_weight_factors(class_weight, targets, sample_weight)
    if factors is None:
        return sample_weight
    weights = np.zeros((targets.n_samples, targets.n_tasks))
    raw = _raw_entry_weights(targets.entry_rows, targets.entry_tasks, sample_weight)
    weights[targets.entry_rows, targets.entry_tasks] = raw * factors
    return weights


def _class_weight_per_task(class_weight, task_names):
    """One specification (None, "balanced" or a dict) per task."""
    n_tasks = len(task_names)
    if isinstance(class_weight, str) or _is_label_dict(class_weight):
        return [class_weight] * n_tasks
    if isinstance(class_weight, dict):  # {task name: specification}
        names = [str(n) for n in task_names]
        unknown = [k for k in class_weight if str(k) not in names]
        if unknown:
            raise ValueError(
                f"class_weight names task {_py(unknown[0])!r}, which is not a task "
                f"of Y; the tasks are {names[:10]}"
                f"{' ...' if n_tasks > 10 else ''}."
            )
        by_name = {str(k): v for k, v in class_weight.items()}
        return [by_name.get(n) for n in names]
    if isinstance(class_weight, (list, tuple)):
        if len(class_weight) != n_tasks:
            raise ValueError(
                f"class_weight is a list of {len(class_weight)} entries; a list needs "
                f"one entry (None, 'balanced' or a dict) per task, {n_tasks} here."
            )
        return list(class_weight)
    raise ValueError(
        "class_weight must be None, 'balanced', a dict {label: weight}, a list "
        "with one of these per task, or a dict {task name: one of these}; got "
        f"{type(class_weight).__name__}."
    )


def _is_label_dict(spec):
    return isinstance(spec, dict) and all(
        isinstance(v, Real) and not isinstance(v, bool) for v in spec.values()
    )


def _task_class_weights(spec, classes, codes, raw, task_name, column):
    """Weight of each class of one task (an array indexed by class code)."""
    where = f"class_weight of task {task_name!r} (column {column})"
    if spec is None:
        return np.ones(classes.size)
    if isinstance(spec, str):
        if spec != "balanced":
            raise ValueError(f"{where} is {spec!r}; the only string is 'balanced'.")
        totals = np.bincount(codes, raw, minlength=classes.size)
        return np.divide(
            totals.sum(), classes.size * totals, out=np.zeros(classes.size),
            where=totals > 0,
        )
    if not _is_label_dict(spec):
        raise ValueError(
            f"{where} must be None, 'balanced' or a dict {{label: weight}} with "
            f"numeric weights; got {spec!r}."
        )
    weights = np.ones(classes.size)
    labels = [_py(c) for c in classes]
    for label, weight in spec.items():
        matches = [k for k, c in enumerate(labels) if c == _py(label)]
        if not matches:
            raise ValueError(
                f"{where} names label {_py(label)!r}, which the task does not "
                f"have; its classes are {labels}."
            )
        if not (np.isfinite(weight) and weight >= 0):
            raise ValueError(
                f"{where}: the weight of label {_py(label)!r} is {weight}; class "
                "weights must be finite and non-negative."
            )
        weights[matches[0]] = float(weight)
    if not np.any(weights[np.unique(codes)] > 0):
        raise ValueError(f"{where} gives every observed class weight 0.")
    return weights


@dataclass(frozen=True)
class ColumnLayout:
    """Map between the columns of the coefficient matrix and the tasks.

    A regression task or a binary classification task owns one column of the
    coefficient matrix ``W`` (n_features, n_columns); a task with ``K > 2``
    classes owns ``K`` consecutive columns (one per class, multinomial model).

    Attributes
    ----------
    starts : ndarray of int, shape (n_tasks + 1,)
        Columns of task ``t`` are ``starts[t]:starts[t + 1]``.
    """

    starts: np.ndarray

    @classmethod
    def one_per_task(cls, n_tasks):
        return cls(np.arange(n_tasks + 1))

    @classmethod
    def from_classes(cls, classes):
        widths = [1 if len(c) == 2 else len(c) for c in classes]
        return cls(np.concatenate([[0], np.cumsum(widths)]).astype(np.intp))

    @property
    def n_tasks(self):
        return len(self.starts) - 1

    @property
    def n_columns(self):
        return int(self.starts[-1])

    @property
    def widths(self):
        return np.diff(self.starts)

    def columns(self, task):
        return slice(int(self.starts[task]), int(self.starts[task + 1]))

    @property
    def task_of_column(self):
        return np.repeat(np.arange(self.n_tasks), self.widths)

    # -- conversions between the coefficient matrix and per-task views ---------
    def slices(self):
        """Column slice of every task (``task_slices_`` of a classifier)."""
        return [self.columns(t) for t in range(self.n_tasks)]

    @property
    def classes_per_task(self):
        """The common number of columns per task (1 for none)."""
        widths = self.widths
        return int(widths[0]) if widths.size else 1

    def task_matrix(self, W):
        """(n_features, T * K) task-major columns -> (n_features * K, T):
        column ``t`` stacks all of task ``t``'s class weights."""
        d, T, K = W.shape[0], self.n_tasks, self.classes_per_task
        return W.reshape(d, T, K).transpose(0, 2, 1).reshape(d * K, T)

    def from_task_matrix(self, V):
        """Inverse of :meth:`task_matrix`."""
        T, K = self.n_tasks, self.classes_per_task
        d = V.shape[0] // K
        return V.reshape(d, K, T).transpose(0, 2, 1).reshape(d, T * K)

    def expand(self, task_matrix):
        """A (T, T) coupling of tasks as the coupling of the (task, class)
        columns: ``kron(task_matrix, I_K)``."""
        return np.kron(task_matrix, np.eye(self.classes_per_task))

    def task_mean(self, W):
        """Mean over tasks of each class's weights: (K, n_features)."""
        d, T, K = W.shape[0], self.n_tasks, self.classes_per_task
        return W.reshape(d, T, K).mean(axis=1).T

    def to_coef(self, W, single_task, regression):
        """``coef_`` from ``W`` (n_features, n_columns): its transpose, one
        row per column, a vector for a single regression task."""
        coef = W.T
        return coef[0] if (single_task and regression) else coef

    def from_coef(self, coef):
        """``W`` (n_features, n_columns) from a ``coef_`` (inverse of
        :meth:`to_coef`)."""
        return np.atleast_2d(coef).T
