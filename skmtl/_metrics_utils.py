"""Private helpers of :mod:`skmtl.metrics`.

They read stacked targets and predictions, run a one-task scoring function on
the observed rows of every task, and average the per-task scores. Everything
that decides which entries are observed goes through
:func:`skmtl._data.observed_mask`.
"""

import os
import sys
import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning

from ._data import (
    check_sample_weight,
    is_sparse_targets,
    observed_mask,
    sparse_to_dense,
)

__all__ = [
    "average_scores",
    "check_multioutput",
    "clean_labels",
    "evaluate_tasks",
    "per_task_scores",
    "pooled_regression_entries",
    "read_classes",
    "read_predictions",
    "read_targets",
    "warn_user",
]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_MULTIOUTPUT = ("raw_values", "uniform_average")


def warn_user(message, category=UndefinedMetricWarning):
    """Warn with the location set to the first caller outside the package."""
    frame = sys._getframe(1)
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


# --------------------------------------------------------------------------
# Reading inputs
# --------------------------------------------------------------------------


def _is_pandas(obj):
    return hasattr(obj, "to_numpy") and hasattr(obj, "isna")


def _pandas_to_numpy(obj):
    """pandas object to numpy, with pandas' missing values as NaN or None."""
    try:
        return obj.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        values = obj.to_numpy(dtype=object)
        values[obj.isna().to_numpy()] = None
        return values


def _to_array(values, name):
    """Array from an array-like; lists mixing strings and numbers stay objects.

    A sparse target matrix becomes dense with ``NaN`` where nothing is stored.
    """
    if is_sparse_targets(values):
        return sparse_to_dense(values)
    if _is_pandas(values):
        return _pandas_to_numpy(values)
    try:
        array = np.asarray(values)
    except ValueError as exc:
        raise ValueError(f"{name} cannot be read as an array: {exc}") from None
    if isinstance(values, (list, tuple)) and array.dtype.kind in "US":
        array = np.asarray(values, dtype=object)
    return array


def _task_names(Y, n_tasks):
    if hasattr(Y, "columns") and len(Y.columns) == n_tasks:
        return [str(c) for c in Y.columns]
    if hasattr(Y, "name") and hasattr(Y, "to_numpy") and Y.name is not None:
        return [str(Y.name)] if n_tasks == 1 else None
    return None


def read_targets(Y_true, name="Y_true"):
    """Return ``(Y, mask, task_names)`` with ``Y`` of shape (n_samples, n_tasks)."""
    Y = _to_array(Y_true, name)
    if Y.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (one task) or 2-D (n_samples, n_tasks); "
            f"got shape {Y.shape}."
        )
    if Y.ndim == 1:
        Y = Y.reshape(-1, 1)
    if Y.shape[1] == 0:
        raise ValueError(f"{name} has no task (0 columns).")
    names = _task_names(Y_true, Y.shape[1])
    if names is None:
        names = [f"task_{t}" for t in range(Y.shape[1])]
    return Y, observed_mask(Y), names


def _is_task_list(Y_pred, n_samples, n_tasks):
    """Whether ``Y_pred`` is a list holding one prediction array per task."""
    if not isinstance(Y_pred, (list, tuple)) or len(Y_pred) != n_tasks:
        return False
    arrays = all(hasattr(p, "shape") for p in Y_pred)
    if n_tasks == n_samples:  # ambiguous with a list of rows: arrays only
        return arrays
    return arrays or all(isinstance(p, (list, tuple)) for p in Y_pred)


def _split_columns(Y, n_samples, n_tasks, name, matrices):
    if Y.ndim >= 1 and Y.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {Y.shape[0]} rows but Y_true has {n_samples}: each row of "
            f"{name} must predict the same row of Y_true."
        )
    if Y.ndim == 1 and n_tasks == 1:
        return [Y]
    if Y.ndim == 2 and n_tasks == 1 and matrices:
        return [Y]
    if Y.ndim == 2 and Y.shape[1] == n_tasks:
        return [Y[:, t] for t in range(n_tasks)]
    extra = " or a list with one array per task" if matrices else ""
    raise ValueError(
        f"{name} has shape {Y.shape} but Y_true has {n_samples} samples and "
        f"{n_tasks} task(s); expected shape ({n_samples}, {n_tasks}){extra}."
    )


def read_predictions(Y_pred, n_samples, n_tasks, name="Y_pred", matrices=False):
    """Split predictions into a list of per-task arrays.

    With ``matrices=True`` (scores, probabilities) an entry may be an
    ``(n_samples, K)`` array; otherwise every entry is 1-D.
    """
    if _is_task_list(Y_pred, n_samples, n_tasks):
        columns = [_to_array(p, f"{name}[{t}]") for t, p in enumerate(Y_pred)]
        labels = [f"{name}[{t}]" for t in range(n_tasks)]
    else:
        columns = _split_columns(
            _to_array(Y_pred, name), n_samples, n_tasks, name, matrices
        )
        labels = [name] * n_tasks
    out = []
    for column, label in zip(columns, labels, strict=True):
        if column.ndim == 2 and column.shape[1] == 1:
            column = column[:, 0]
        if column.ndim not in (1, 2) or (column.ndim == 2 and not matrices):
            expected = f"({n_samples},)" + (" or (n_samples, K)" if matrices else "")
            raise ValueError(f"{label} has shape {column.shape}; expected {expected}.")
        if column.shape[0] != n_samples:
            raise ValueError(
                f"{label} has {column.shape[0]} rows but Y_true has {n_samples}."
            )
        out.append(column)
    return out


def read_classes(classes, n_tasks):
    """Per-task list of class arrays (or ``None``) from the ``classes`` argument."""
    if classes is None:
        return [None] * n_tasks
    if n_tasks == 1 and len(classes) > 0 and np.ndim(classes[0]) == 0:
        classes = [classes]
    if len(classes) != n_tasks:
        raise ValueError(
            f"classes has {len(classes)} entries but Y_true has {n_tasks} task(s); "
            "give one array of labels per task (or None for a task)."
        )
    out = []
    for t, labels in enumerate(classes):
        if labels is not None:
            labels = clean_labels(np.asarray(labels), f"classes[{t}]")
            if labels.ndim != 1 or not np.array_equal(np.unique(labels), labels):
                raise ValueError(
                    f"classes[{t}] must be a sorted 1-D array of distinct labels (the "
                    f"order of the probability columns); got {labels!r}."
                )
        out.append(labels)
    return out


def check_multioutput(multioutput, n_tasks):
    """Validate ``multioutput``: a string or non-negative task weights."""
    if isinstance(multioutput, str):
        if multioutput not in _MULTIOUTPUT:
            raise ValueError(
                f"multioutput must be 'raw_values', 'uniform_average' or an array of "
                f"{n_tasks} task weights; got {multioutput!r}."
            )
        return multioutput
    weights = np.asarray(multioutput, dtype=np.float64)
    if weights.shape != (n_tasks,):
        raise ValueError(
            f"multioutput given as task weights has shape {weights.shape}; expected "
            f"({n_tasks},), one weight per task."
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("multioutput task weights must be finite and non-negative.")
    return weights


# --------------------------------------------------------------------------
# Per-task values
# --------------------------------------------------------------------------


def clean_labels(values, name):
    """Labels of one task as a homogeneous array (strings or numbers)."""
    if values.dtype.kind != "O" or values.size == 0:
        return values
    is_str = np.fromiter(
        (isinstance(v, str) for v in values.ravel()), bool, count=values.size
    )
    if is_str.all():
        return values.astype(str)
    if is_str.any():
        raise ValueError(f"{name} mixes string and numeric labels in one task.")
    if all(isinstance(v, (int, np.integer)) for v in values.ravel()):
        return values.astype(np.int64)
    try:
        return values.astype(np.float64)
    except (TypeError, ValueError):
        return values


def _to_float(values, name):
    if values.dtype.kind in "fiub":
        return values.astype(np.float64)
    try:
        return np.array([float(v) for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        bad = next(v for v in values if not _is_number(v))
        bad = bad.item() if isinstance(bad, np.generic) else bad
        raise ValueError(
            f"{name} holds a non-numeric value {bad!r}; regression metrics need "
            "numbers (use a classification metric for labels)."
        ) from None


def _is_number(value):
    if isinstance(value, (str, bytes)):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _observed_rows(values, rows, name, kind):
    """Predictions of one task on the rows that Y_true observes, checked."""
    part = values[rows]
    missing = ~observed_mask(part)
    if missing.ndim == 2:
        missing = missing.any(axis=1)
    if missing.any():
        first = np.flatnonzero(rows)[np.flatnonzero(missing)[0]]
        raise ValueError(
            f"{name} is missing (NaN/None) at {int(missing.sum())} row(s) that "
            f"Y_true observes (first: row {first})."
        )
    if kind == "labels":
        return clean_labels(part, name)
    part = _to_float(part, name) if part.ndim == 1 else part.astype(np.float64)
    infinite = ~np.isfinite(part)
    if infinite.ndim == 2:
        infinite = infinite.any(axis=1)
    if infinite.any():  # scikit-learn's metrics refuse them too
        first = np.flatnonzero(rows)[np.flatnonzero(infinite)[0]]
        raise ValueError(
            f"{name} is infinite at {int(infinite.sum())} row(s) that Y_true "
            f"observes (first: row {first}); predictions must be finite."
        )
    return part


def _task_weight(sample_weight, t, rows):
    if sample_weight is None:
        return None
    if sample_weight.ndim == 1:
        return sample_weight[rows]
    return sample_weight[rows, t]


# --------------------------------------------------------------------------
# The per-task loop and the average
# --------------------------------------------------------------------------


def _score_task(score_one, t, rows, weight, label):
    """Run one task's score; re-issue the warnings it raised, naming the task."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            score = float(score_one(t, rows, weight))
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"{label}: {exc}") from exc
    if np.isnan(score):
        notes = " ".join(str(item.message).rstrip(". ") for item in caught)
        warn_user(
            f"{label}: {notes or 'the metric is undefined on its observed rows'}; "
            "its score is NaN and it is left out of the average."
        )
    else:
        for item in caught:
            warn_user(f"{label}: {item.message}", item.category)
    return score


def per_task_scores(score_one, mask, sample_weight, task_names):
    """Array of ``score_one(t, rows, weight)`` over tasks, NaN if undefined."""
    scores = np.full(mask.shape[1], np.nan)
    for t in range(mask.shape[1]):
        rows = mask[:, t]
        weight = _task_weight(sample_weight, t, rows)
        label = f"Task {task_names[t]!r} (column {t})"
        if not rows.any():
            reason = "has no observed entry in Y_true"
        elif weight is not None and not weight.sum() > 0:
            reason = "has zero total sample_weight over its observed rows"
        else:
            scores[t] = _score_task(score_one, t, rows, weight, label)
            continue
        warn_user(
            f"{label} {reason}; its score is NaN and it is left out of the average."
        )
    return scores


def average_scores(scores, multioutput):
    """Apply ``multioutput`` to per-task scores, skipping NaN (undefined) tasks."""
    if isinstance(multioutput, str) and multioutput == "raw_values":
        return scores
    weights = np.ones(scores.shape) if isinstance(multioutput, str) else multioutput
    defined = ~np.isnan(scores)
    if not defined.any() or not weights[defined].sum() > 0:
        warn_user(
            "No task has a defined score (with positive weight); the average is NaN."
        )
        return float("nan")
    return float(np.average(scores[defined], weights=weights[defined]))


def evaluate_tasks(
    one_task,
    Y_true,
    Y_pred,
    *,
    sample_weight,
    multioutput,
    kind,
    classes=None,
    pred_name="Y_pred",
):
    """Score each task with ``one_task(y, pred, weight, classes_t)`` and average.

    ``kind`` is ``"regression"`` (numbers), ``"labels"`` (predicted labels) or
    ``"scores"`` (per-task scores or probabilities, possibly 2-D).
    """
    Y, mask, names = read_targets(Y_true)
    n_samples, n_tasks = Y.shape
    multioutput = check_multioutput(multioutput, n_tasks)
    preds = read_predictions(
        Y_pred, n_samples, n_tasks, pred_name, matrices=kind == "scores"
    )
    sample_weight = check_sample_weight(sample_weight, n_samples, n_tasks)
    task_classes = read_classes(classes, n_tasks)

    def score_one(t, rows, weight):
        y = Y[rows, t]
        y = (
            _to_float(y, "Y_true")
            if kind == "regression"
            else clean_labels(y, "Y_true")
        )
        pred = _observed_rows(preds[t], rows, pred_name, kind)
        return one_task(y, pred, weight, task_classes[t])

    scores = per_task_scores(score_one, mask, sample_weight, names)
    return average_scores(scores, multioutput)


def pooled_regression_entries(Y_true, Y_pred, sample_weight):
    """Observed entries of all tasks pooled: ``(y, pred, weight)``, 1-D each.

    ``weight`` is ``None`` without ``sample_weight``.
    """
    Y, mask, names = read_targets(Y_true)
    n_samples, n_tasks = Y.shape
    preds = read_predictions(Y_pred, n_samples, n_tasks)
    sample_weight = check_sample_weight(sample_weight, n_samples, n_tasks)
    ys, ps, ws = [], [], []
    for t in range(n_tasks):
        rows = mask[:, t]
        label = f"Task {names[t]!r} (column {t})"
        try:
            ys.append(_to_float(Y[rows, t], "Y_true"))
            ps.append(_observed_rows(preds[t], rows, "Y_pred", "regression"))
        except ValueError as exc:
            raise ValueError(f"{label}: {exc}") from exc
        if sample_weight is not None:
            ws.append(_task_weight(sample_weight, t, rows))
    weight = None if sample_weight is None else np.concatenate(ws)
    return np.concatenate(ys), np.concatenate(ps), weight
