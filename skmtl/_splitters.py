"""Splitters for stacked targets: folds and train/test splits balanced per task.

Rows are assigned to folds by *iterative stratification* (Sechidis, Tsoumakas
and Vlahavas, 2011): every row belongs to one stratum per task it observes
(the task, or the task and the row's class in a classification task); each
(stratum, fold) pair starts with a desired number of rows; the strata are
visited from the rarest to the most common, and each not yet assigned row of
the visited stratum goes to the fold that still wants most rows of that
stratum (ties: the fold that wants most rows in total, then at random). A row
observed by several tasks (shared design) is placed once, by its rarest
stratum, and counts against the desired numbers of all its strata, so the
per-task balance of the later strata corrects for it.

The private helper :func:`observed_entries` reads dense (``NaN``), object
(``None``) and scipy sparse targets (stored entries are the observed ones).
"""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.validation import check_consistent_length

from ._data import _sparse_entries
from ._metrics_utils import clean_labels, read_targets

__all__ = ["TaskStratifiedKFold", "observed_entries", "task_train_test_split"]

# a numeric task is a classification task (stratified by class) when its
# observed values are integers with at most this many distinct values
_MAX_INTEGER_CLASSES = 10


# --------------------------------------------------------------------------
# Reading the targets
# --------------------------------------------------------------------------


def observed_entries(Y, name="Y"):
    """Observed entries of stacked targets.

    Returns ``(rows, tasks, values, n_samples, task_names)``: the row and task
    index of every observed entry (sorted by task, then row), its value (an
    object or numeric 1-D array) and the task names. ``Y`` is 1-D (one task),
    a dense array with ``NaN``/``None`` where missing, a pandas object, or a
    scipy sparse matrix/array whose stored entries are the observed targets
    (an explicitly stored ``0`` is an observed 0; a stored ``NaN`` is missing).
    """
    if sp.issparse(Y):
        rows, tasks, values, names = _sparse_entries(Y, Y.shape[0])
        keep = ~np.isnan(values) if values.dtype.kind in "fc" else slice(None)
        return rows[keep], tasks[keep], values[keep], Y.shape[0], list(names)
    values, mask, names = read_targets(Y, name)
    tasks, rows = np.nonzero(mask.T)
    return rows, tasks, values[rows, tasks], values.shape[0], names


def _is_labels(values):
    """The documented rule: labels are non-numeric or boolean values, or
    integer values with at most ``_MAX_INTEGER_CLASSES`` distinct ones."""
    if values.dtype.kind in "OUS":
        values = clean_labels(np.asarray(values, dtype=object), "Y")
    if values.dtype.kind in "USb":
        return True
    if values.dtype.kind not in "iuf":
        return True
    if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
        return False
    integer = values.dtype.kind in "iu" or np.all(values == np.round(values))
    return bool(integer and np.unique(values).size <= _MAX_INTEGER_CLASSES)


def _task_strata(values, labels):
    """Stratum of each entry of one task: 0 for a regression task, the index
    of its class for a classification task (and the class labels)."""
    if labels == "auto":
        labels = _is_labels(values)
    if not labels:
        return np.zeros(values.size, dtype=np.intp), None
    if values.dtype.kind == "O":
        values = clean_labels(values, "Y")
        if values.dtype.kind == "O":
            values = values.astype(str)
    classes, codes = np.unique(values, return_inverse=True)
    return codes.ravel(), classes


class _Strata:
    """The (task[, class]) strata of the observed entries of ``Y``.

    Attributes: ``rows`` and ``stratum`` (one per observed entry), ``task``
    and ``label`` of each stratum, ``n_samples``, ``task_names``, ``counts``
    (entries per stratum) and ``task_counts`` (observed rows per task).
    """

    def __init__(self, Y, labels):
        rows, tasks, values, n_samples, names = observed_entries(Y)
        self.rows, self.n_samples, self.task_names = rows, n_samples, names
        self.stratum = np.empty(rows.size, dtype=np.intp)
        self.task, self.label = [], []
        bounds = np.searchsorted(tasks, np.arange(len(names) + 1))
        for t in range(len(names)):
            part = slice(bounds[t], bounds[t + 1])
            codes, classes = _task_strata(values[part], labels)
            self.stratum[part] = len(self.task) + codes
            n_strata = 1 if classes is None else classes.size
            self.task += [t] * n_strata
            self.label += [None] * n_strata if classes is None else list(classes)
        self.task = np.asarray(self.task, dtype=np.intp)
        self.counts = np.bincount(self.stratum, minlength=self.task.size)
        self.task_counts = np.diff(bounds)

    def describe(self, s):
        name = f"task {self.task_names[self.task[s]]!r}"
        label = self.label[s]
        label = label.item() if isinstance(label, np.generic) else label
        return name if label is None else f"{name}, class {label!r}"


# --------------------------------------------------------------------------
# Iterative stratification
# --------------------------------------------------------------------------


def _assign(strata, desired, rng, unobserved=None):
    """Fold of every row: greedy iterative stratification.

    ``desired`` (n_strata, n_folds) is the wanted number of rows of each
    stratum in each fold; ``rng`` (or None: no shuffling) breaks ties and
    orders the rows within a stratum. Rows observed by no task go to fold
    ``unobserved`` if given, else to the folds that want most rows in total.
    """
    n_folds = desired.shape[1]
    desired = desired.astype(float).copy()
    total = desired.sum(axis=0)
    order = np.argsort(strata.stratum, kind="stable")
    if rng is not None:  # shuffle the entries within each stratum
        order = np.lexsort((rng.permutation(order.size), strata.stratum))
    bounds = np.searchsorted(strata.stratum[order], np.arange(desired.shape[0] + 1))
    by_row = _strata_by_row(strata)
    fold = np.full(strata.n_samples, -1, dtype=np.intp)
    jitter = np.zeros((strata.n_samples, n_folds))
    if rng is not None:
        jitter = 1e-6 * rng.random((strata.n_samples, n_folds))
    visit = np.argsort(strata.counts, kind="stable")
    if rng is not None:
        visit = np.lexsort((rng.permutation(visit.size), strata.counts))
    for s in visit:
        for row in strata.rows[order[bounds[s] : bounds[s + 1]]]:
            if fold[row] >= 0:
                continue
            k = _best_fold(desired, s, by_row[row], total + jitter[row])
            fold[row] = k
            desired[by_row[row], k] -= 1
            total[k] -= 1
    for row in np.flatnonzero(fold < 0):
        k = int(np.argmax(total)) if unobserved is None else unobserved
        fold[row] = k
        total[k] -= 1
    return fold


def _best_fold(desired, s, row_strata, total):
    """The fold that wants most rows of stratum ``s``; ties: the fold that
    wants most rows of all the row's strata, then most rows in total."""
    want = desired[s]
    candidates = np.flatnonzero(want >= want.max() - 1e-9)
    if candidates.size > 1 and row_strata.size > 1:
        overall = desired[np.ix_(row_strata, candidates)].sum(axis=0)
        candidates = candidates[overall >= overall.max() - 1e-9]
    return int(candidates[np.argmax(total[candidates])])


def _strata_by_row(strata):
    """List, for every row, of the strata of its observed entries."""
    order = np.argsort(strata.rows, kind="stable")
    bounds = np.searchsorted(strata.rows[order], np.arange(strata.n_samples + 1))
    stratum = strata.stratum[order]
    return [stratum[bounds[i] : bounds[i + 1]] for i in range(strata.n_samples)]


def _rng(shuffle, random_state):
    if not shuffle:
        return None
    return np.random.default_rng(check_random_state(random_state).randint(2**31 - 1))


# --------------------------------------------------------------------------
# K folds
# --------------------------------------------------------------------------


class TaskStratifiedKFold(BaseCrossValidator):
    """K-fold over rows, stratified by task and by class within each task.

    Every task's observed rows (and, in a classification task, the rows of
    each of its classes) are spread as evenly as possible over the
    ``n_splits`` test folds, so every training fold observes every task and,
    where a class has at least two rows, every class. Each row is in
    exactly one test fold, also when it is observed by several tasks
    (shared design): rows are placed greedily by their rarest stratum (see
    :mod:`skmtl.model_selection`, "Splitting stacked data").

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2. Every task needs at least ``n_splits``
        observed rows.
    shuffle : bool, default=True
        Whether to order the rows at random within each stratum (and break
        ties at random) before placing them; without shuffling the first
        rows of each stratum go to the first folds.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffling, when ``shuffle`` is true.
    labels : {"auto"} or bool, default="auto"
        Whether each task's targets are class labels, stratified by class.
        ``"auto"``: a task holds labels when its observed values are
        non-numeric (strings, objects) or boolean, or integers with at most
        10 distinct values; other numeric tasks are regression tasks,
        stratified by task only. ``True`` or ``False`` decides for every task.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.model_selection import TaskStratifiedKFold
    >>> Y = np.full((12, 2), np.nan)
    >>> Y[:6, 0] = np.arange(6.5, 0, -1.1)  # task 0: rows 0-5
    >>> Y[6:, 1] = np.arange(6.5, 0, -1.1)  # task 1: rows 6-11
    >>> cv = TaskStratifiedKFold(3, random_state=0)
    >>> cv
    TaskStratifiedKFold(labels='auto', n_splits=3, random_state=0, shuffle=True)
    >>> for train, test in cv.split(np.zeros((12, 1)), Y):
    ...     print((test < 6).sum(), (test >= 6).sum())
    2 2
    2 2
    2 2
    """

    def __init__(self, n_splits=5, *, shuffle=True, random_state=None, labels="auto"):
        if not isinstance(n_splits, numbers.Integral) or isinstance(n_splits, bool):
            raise ValueError(f"n_splits must be an integer; got {n_splits!r}.")
        if n_splits < 2:
            raise ValueError(f"n_splits must be at least 2; got {n_splits}.")
        if not isinstance(shuffle, bool):
            raise TypeError(f"shuffle must be True or False; got {shuffle!r}.")
        if not (labels == "auto" or isinstance(labels, bool)):
            raise ValueError(f"labels must be 'auto', True or False; got {labels!r}.")
        self.n_splits = int(n_splits)
        self.shuffle = shuffle
        self.random_state = random_state
        self.labels = labels

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits, ``n_splits``."""
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Generate ``(train, test)`` row indices.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like or sparse matrix of shape (n_samples, n_tasks) or \
(n_samples,)
            Stacked targets (``NaN``/``None`` where missing, or the stored
            entries of a sparse matrix).
        groups : ignored

        Yields
        ------
        train, test : ndarray of int
        """
        if y is None:
            raise ValueError(
                "TaskStratifiedKFold.split needs the stacked targets y (it balances "
                "every task's rows over the folds)."
            )
        check_consistent_length(X, y)
        fold = self._folds(y)
        indices = np.arange(fold.size)
        for k in range(self.n_splits):
            yield indices[fold != k], indices[fold == k]

    def _folds(self, y):
        strata = _Strata(y, self.labels)
        if strata.n_samples < self.n_splits:
            raise ValueError(
                f"Cannot split {strata.n_samples} rows into n_splits={self.n_splits} "
                "folds."
            )
        small = np.flatnonzero(strata.task_counts < self.n_splits)
        if small.size:
            names = [strata.task_names[t] for t in small]
            counts = strata.task_counts[small].tolist()
            raise ValueError(
                f"Task(s) {names} have {counts} observed rows, fewer than "
                f"n_splits={self.n_splits}: every test fold needs a row of every "
                "task. Use fewer folds or drop these tasks."
            )
        self._warn_rare_classes(strata)
        desired = np.repeat(strata.counts[:, None] / self.n_splits, self.n_splits, 1)
        fold = _assign(strata, desired, _rng(self.shuffle, self.random_state))
        self._check_training_folds(strata, fold)
        return fold

    def _warn_rare_classes(self, strata):
        rare = [
            f"{strata.describe(s)} ({strata.counts[s]})"
            for s in np.flatnonzero(strata.counts < self.n_splits)
        ]
        if rare:
            warnings.warn(
                f"TaskStratifiedKFold: {len(rare)} class(es) have fewer observed "
                f"rows than n_splits={self.n_splits}, so some test folds lack them "
                "(a class with one row is also missing from one training fold): "
                + ", ".join(rare[:5])
                + (", ..." if len(rare) > 5 else ""),
                UserWarning,
                stacklevel=4,
            )

    def _check_training_folds(self, strata, fold):
        """Move a row where all the rows of a task share one test fold (rare:
        only rows placed by other strata can coincide), so that every
        training fold observes the task."""
        task_of_entry = strata.task[strata.stratum]
        sizes = np.bincount(fold, minlength=self.n_splits)
        for t in range(len(strata.task_names)):
            rows = strata.rows[task_of_entry == t]
            folds = np.unique(fold[rows])
            if folds.size == 1:
                target = np.argsort(sizes)[0 if folds[0] != np.argmin(sizes) else 1]
                sizes[fold[rows[-1]]] -= 1
                fold[rows[-1]] = target
                sizes[target] += 1


# --------------------------------------------------------------------------
# One train/test split with sizes per task
# --------------------------------------------------------------------------


def _check_size(size, name):
    if size is None:
        return None
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        if size < 1:
            raise ValueError(f"{name} as a number of rows must be >= 1; got {size}.")
        return int(size)
    if isinstance(size, numbers.Real) and 0 < size < 1:
        return float(size)
    raise ValueError(
        f"{name} must be a fraction in (0, 1) or a number of rows per task (int "
        f">= 1); got {size!r}."
    )


def _task_train_count(n_rows, train_size, test_size, name):
    """Training rows of a task with ``n_rows`` observed rows (sklearn's rules:
    ``floor`` of a train fraction, ``ceil`` of a test fraction)."""
    if train_size is None:
        n_train = n_rows - _n_test(test_size, n_rows)
    else:
        n_train = (
            train_size
            if isinstance(train_size, int)
            else int(np.floor(train_size * n_rows))
        )
        if test_size is not None:
            n_test = _n_test(test_size, n_rows)
            if n_train + n_test > n_rows:
                raise ValueError(
                    f"Task {name!r} has {n_rows} observed rows, fewer than "
                    f"train_size + test_size = {n_train} + {n_test}."
                )
    if n_train < 1 or n_train > n_rows - 1:
        raise ValueError(
            f"Task {name!r} has {n_rows} observed rows: the sizes give it {n_train} "
            "training rows; every task needs at least one training and one test "
            "row."
        )
    return n_train


def _split_classes(n_part, counts):
    """Rows of each class of a task in a part of ``n_part`` rows: proportional
    (largest remainder), then, where the totals allow, at least one row in
    the part and one outside it for every class with two rows or more."""
    exact = n_part * counts / counts.sum()
    out = np.floor(exact).astype(np.intp)
    remainder = n_part - out.sum()
    out[np.argsort(-(exact - out), kind="stable")[:remainder]] += 1
    for _ in range(counts.size):
        inside = np.flatnonzero((counts >= 2) & (out == 0))
        spare = np.flatnonzero(out >= 2)
        if inside.size == 0 or spare.size == 0:
            break
        out[spare[np.argmax(out[spare])]] -= 1
        out[inside[0]] += 1
    for _ in range(counts.size):
        outside = np.flatnonzero((counts >= 2) & (out == counts))
        spare = np.flatnonzero(counts - out >= 2)
        if outside.size == 0 or spare.size == 0:
            break
        out[outside[0]] -= 1
        out[spare[np.argmax(counts[spare] - out[spare])]] += 1
    return out


def _n_test(test_size, n_rows):
    """Test rows of a task: an int as given, a fraction of ``n_rows`` (ceil)."""
    if isinstance(test_size, int):
        return test_size
    return int(np.ceil(test_size * n_rows))


def train_test_folds(Y, train_size, test_size, random_state, shuffle, labels):
    """Part of every row: 0 train, 1 test, 2 neither; and the strata."""
    train_size = _check_size(train_size, "train_size")
    test_size = _check_size(test_size, "test_size")
    if train_size is None and test_size is None:
        test_size = 0.25
    strata = _Strata(Y, labels)
    desired = np.zeros((strata.task.size, 3))
    for t, name in enumerate(strata.task_names):
        own = np.flatnonzero(strata.task == t)
        n_rows = strata.task_counts[t]
        n_train = _task_train_count(n_rows, train_size, test_size, name)
        desired[own, 0] = _split_classes(n_train, strata.counts[own])
        rest = strata.counts[own] - desired[own, 0]
        if train_size is not None and test_size is not None:
            desired[own, 1] = _split_classes(_n_test(test_size, n_rows), rest)
        else:
            desired[own, 1] = rest
        desired[own, 2] = rest - desired[own, 1]
    rng = _rng(shuffle, random_state)
    return _assign(strata, desired, rng, unobserved=0), strata


def task_train_test_split(
    X,
    Y,
    *arrays,
    test_size=None,
    train_size=None,
    random_state=None,
    shuffle=True,
    labels="auto",
):
    """Split rows into a training and a test set with sizes counted per task.

    Like :func:`sklearn.model_selection.train_test_split`, but ``train_size``
    and ``test_size`` apply to *each task's* observed rows: an int is a number
    of rows per task (the "n training rows per task" protocol of the
    multi-task literature), a float a fraction of each task's rows. Within a
    classification task the rows of each class are split in proportion
    (at least one training and one test row of each class with two rows or
    more, where the sizes allow).

    When every row is observed by one task, each task gets exactly the
    requested numbers of rows. Rows observed by several tasks (shared design)
    go to one side only, so the per-task counts are then as close as the
    greedy assignment gets (see :class:`TaskStratifiedKFold`). Rows observed
    by no task go to the training set. With both sizes given, rows beyond
    ``train_size + test_size`` of a task are left out of both sets.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
    Y : array-like or sparse matrix of shape (n_samples, n_tasks) or (n_samples,)
        Stacked targets (``NaN``/``None`` where missing, or the stored entries
        of a sparse matrix).
    *arrays : sequence of indexables with ``n_samples`` rows
        Further arrays split the same way (e.g. ``sample_weight``, task ids).
    test_size, train_size : float or int, default=None
        Fraction in (0, 1) or number of rows per task. If both are None,
        ``test_size=0.25``; if one is None, it is the complement of the
        other. Every task needs at least one training and one test row.
    random_state : int, RandomState instance or None, default=None
    shuffle : bool, default=True
        Without shuffling the split is deterministic: the rows of each task
        (and class) are taken in order, alternating between the two sets in
        proportion to their sizes.
    labels : {"auto"} or bool, default="auto"
        Which tasks are stratified by class; see :class:`TaskStratifiedKFold`.

    Returns
    -------
    splitting : list of length 2 * (2 + len(arrays))
        ``X_train, X_test, Y_train, Y_test, ...``, indexed as scikit-learn
        does (a sparse ``Y`` in COO format comes back as CSR).

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.datasets import make_multitask_regression
    >>> from skmtl.model_selection import task_train_test_split
    >>> X, Y = make_multitask_regression(50, 6, 3, shared_rows=False, random_state=0)
    >>> X_train, X_test, Y_train, Y_test = task_train_test_split(
    ...     X, Y, train_size=10, random_state=0)
    >>> np.sum(~np.isnan(Y_train), axis=0)
    array([10, 10, 10])
    """
    check_consistent_length(X, Y, *arrays)
    fold, strata = train_test_folds(
        Y, train_size, test_size, random_state, shuffle, labels
    )
    train = np.flatnonzero(fold == 0)
    test = np.flatnonzero(fold == 1)
    out = []
    for array in (X, Y, *arrays):
        if sp.issparse(array) and array.format not in ("csr", "csc"):
            array = array.tocsr()
        out += [_safe_indexing(array, train), _safe_indexing(array, test)]
    return out
