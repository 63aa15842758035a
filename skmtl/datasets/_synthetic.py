"""Synthetic multi-task data sets whose coefficients have a known structure.

The coefficients of all tasks form a tensor ``W`` of shape ``(n_tasks,
n_outputs, n_features)``: one output per task for regression and binary
classification, one per class for a task with more than two classes. Each
``structure`` is a way of drawing ``W``; the rows of ``X`` are standard normal
and the targets come from the latent scores ``z = x @ W[t].T`` plus Gaussian
noise whose standard deviation is ``noise`` times that of the scores.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch, check_random_state

__all__ = [
    "make_ill_conditioned_tasks",
    "make_multitask_classification",
    "make_multitask_regression",
]

_STRUCTURES = ("shared_support", "groups", "mean", "independent", "low_rank")

# Size of a task's deviation from its group centre (or from the common vector)
# relative to the centre's non-zero weights, which lie in [0.5, 1.5] in magnitude.
_DEVIATION = 0.1


# ---------------------------------------------------------------------------
# Parameter validation
# ---------------------------------------------------------------------------


def _check_int(value, name, minimum):
    """Return ``value`` as an int after checking its type and lower bound."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return int(value)


def _check_real(value, name, minimum, *, strict=False):
    """Return ``value`` as a float after checking it is a finite number >= minimum."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r}.")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    if value < minimum or (strict and value == minimum):
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be {relation} {minimum}, got {value}.")
    return float(value)


def _check_structure(structure, n_tasks, n_features, n_informative, n_groups):
    """Check that ``structure`` is known and compatible with the sizes."""
    if not isinstance(structure, str) or structure not in _STRUCTURES:
        raise ValueError(
            f"structure must be one of {', '.join(map(repr, _STRUCTURES))}; "
            f"got {structure!r}."
        )
    if structure != "low_rank" and n_informative > n_features:
        raise ValueError(
            f"n_informative={n_informative} exceeds n_features={n_features}."
        )
    if structure == "groups" and n_groups > n_tasks:
        raise ValueError(
            f"n_groups={n_groups} exceeds n_tasks={n_tasks}: every group of "
            "structure='groups' needs at least one task."
        )
    if structure == "low_rank" and n_groups > min(n_tasks, n_features):
        raise ValueError(
            f"n_groups={n_groups} is the rank of the coefficient matrix for "
            f"structure='low_rank'; it cannot exceed min(n_tasks, n_features)="
            f"{min(n_tasks, n_features)}."
        )


def _task_sizes(n_samples, n_tasks, shared_rows):
    """Rows of the data: an int (shared rows) or the int array of task sizes."""
    if np.ndim(n_samples) == 0:
        n = _check_int(n_samples, "n_samples", 1)
        return n if shared_rows else np.full(n_tasks, n, dtype=np.intp)
    if shared_rows:
        raise ValueError(
            "n_samples may be an array of per-task sizes only with "
            "shared_rows=False; with shared_rows=True all tasks share the rows."
        )
    sizes = np.asarray(n_samples)
    if sizes.shape != (n_tasks,) or sizes.dtype.kind not in "iu":
        raise ValueError(
            f"n_samples must be an int or an int array of shape ({n_tasks},), one "
            f"size per task; got {n_samples!r}."
        )
    small = np.flatnonzero(sizes < 1)
    if small.size:
        t = small[0]
        raise ValueError(
            f"n_samples must be >= 1 for every task; task {t} has {sizes[t]}."
        )
    return sizes.astype(np.intp)


def _check_params(params):
    """Validate the arguments shared by both generators; return the task sizes."""
    n_features = _check_int(params["n_features"], "n_features", 1)
    n_tasks = _check_int(params["n_tasks"], "n_tasks", 1)
    n_informative = _check_int(params["n_informative"], "n_informative", 1)
    n_groups = _check_int(params["n_groups"], "n_groups", 1)
    _check_structure(params["structure"], n_tasks, n_features, n_informative, n_groups)
    _check_real(params["noise"], "noise", 0.0)
    _check_real(params["coef_scale"], "coef_scale", 0.0, strict=True)
    fraction = _check_real(params["missing_fraction"], "missing_fraction", 0.0)
    if fraction >= 1.0:
        raise ValueError(f"missing_fraction must be in [0, 1), got {fraction}.")
    if fraction > 0 and not params["shared_rows"]:
        raise ValueError(
            "missing_fraction applies only with shared_rows=True; with "
            "shared_rows=False give the per-task sizes through n_samples."
        )
    return _task_sizes(params["n_samples"], n_tasks, params["shared_rows"])


# ---------------------------------------------------------------------------
# Coefficients
# ---------------------------------------------------------------------------


def _weights(rng, shape):
    """Weights bounded away from zero: a random sign times ``U(0.5, 1.5)``."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 1.5, size=shape)


def _support(rng, n_features, n_informative):
    """Sorted random subset of ``n_informative`` feature indices."""
    return np.sort(rng.choice(n_features, n_informative, replace=False))


def _near_copies(rng, n_copies, n_outputs, n_features, n_informative, *, dense):
    """One random centre plus a small deviation per copy.

    The deviation lies on the centre's support, or on every feature if ``dense``.
    """
    support = _support(rng, n_features, n_informative)
    centre = np.zeros((n_outputs, n_features))
    centre[:, support] = _weights(rng, (n_outputs, n_informative))
    shape = (n_copies, n_outputs, n_features)
    deviation = _DEVIATION * rng.standard_normal(shape)
    if not dense:
        off_support = np.setdiff1d(np.arange(n_features), support)
        deviation[:, :, off_support] = 0.0
    return centre + deviation


def _shared_support_coef(rng, n_tasks, n_outputs, n_features, n_informative, _):
    W = np.zeros((n_tasks, n_outputs, n_features))
    support = _support(rng, n_features, n_informative)
    W[:, :, support] = _weights(rng, (n_tasks, n_outputs, n_informative))
    return W, np.zeros(n_tasks, dtype=np.intp)


def _groups_coef(rng, n_tasks, n_outputs, n_features, n_informative, n_groups):
    task_group = rng.permutation(np.arange(n_tasks) % n_groups).astype(np.intp)
    W = np.zeros((n_tasks, n_outputs, n_features))
    for g in range(n_groups):
        members = np.flatnonzero(task_group == g)
        W[members] = _near_copies(
            rng, members.size, n_outputs, n_features, n_informative, dense=False
        )
    return W, task_group


def _mean_coef(rng, n_tasks, n_outputs, n_features, n_informative, _):
    W = _near_copies(rng, n_tasks, n_outputs, n_features, n_informative, dense=True)
    return W, np.zeros(n_tasks, dtype=np.intp)


def _independent_coef(rng, n_tasks, n_outputs, n_features, n_informative, _):
    W = np.zeros((n_tasks, n_outputs, n_features))
    for t in range(n_tasks):
        support = _support(rng, n_features, n_informative)
        W[t][:, support] = _weights(rng, (n_outputs, n_informative))
    return W, np.arange(n_tasks, dtype=np.intp)


def _low_rank_coef(rng, n_tasks, n_outputs, n_features, _, rank):
    A = rng.standard_normal((n_tasks, rank))
    B = rng.standard_normal((rank, n_outputs * n_features))
    W = (A @ B / np.sqrt(rank)).reshape(n_tasks, n_outputs, n_features)
    return W, np.zeros(n_tasks, dtype=np.intp)


_COEF_MAKERS = {
    "shared_support": _shared_support_coef,
    "groups": _groups_coef,
    "mean": _mean_coef,
    "independent": _independent_coef,
    "low_rank": _low_rank_coef,
}


def _coefficients(params, n_outputs, rng):
    """Coefficient tensor ``(n_tasks, n_outputs, n_features)`` and task groups."""
    make = _COEF_MAKERS[params["structure"]]
    W, task_group = make(
        rng,
        params["n_tasks"],
        n_outputs,
        params["n_features"],
        params["n_informative"],
        params["n_groups"],
    )
    return W * params["coef_scale"], task_group


# ---------------------------------------------------------------------------
# Rows, scores and missing entries
# ---------------------------------------------------------------------------


def _draw_design(sizes, n_features, rng):
    """Standard normal ``X`` and the task of each row (None for shared rows)."""
    if np.ndim(sizes) == 0:
        return rng.standard_normal((sizes, n_features)), None
    task = np.repeat(np.arange(sizes.size, dtype=np.intp), sizes)
    return rng.standard_normal((task.size, n_features)), task


def _noisy_scores(X, W, task, noise, rng):
    """Latent scores ``(n_rows, n_tasks, n_outputs)``, NaN off each task's rows.

    The noise of task ``t`` and output ``k`` has standard deviation ``noise``
    times the standard deviation of the noiseless scores on the task's rows.
    """
    n_tasks, n_outputs, _ = W.shape
    Z = np.full((X.shape[0], n_tasks, n_outputs), np.nan)
    noise_std = np.zeros((n_tasks, n_outputs))
    for t in range(n_tasks):
        rows = slice(None) if task is None else task == t
        signal = X[rows] @ W[t].T
        noise_std[t] = noise * signal.std(axis=0)
        Z[rows, t] = signal + noise_std[t] * rng.standard_normal(signal.shape)
    return Z, noise_std


def _missing_mask(n_samples, n_tasks, fraction, rng):
    """Random mask of ``round(fraction * n_samples * n_tasks)`` missing entries.

    Two random rows of every task are kept observed.
    """
    n_missing = int(round(fraction * n_samples * n_tasks))
    missing = np.zeros((n_samples, n_tasks), dtype=bool)
    if n_missing == 0:
        return missing
    if n_samples < 2:
        raise ValueError(
            "missing_fraction > 0 needs n_samples >= 2 (each task "
            f"keeps 2 observed rows); got n_samples={n_samples}."
        )
    kept = np.zeros((n_samples, n_tasks), dtype=bool)
    for t in range(n_tasks):
        kept[rng.choice(n_samples, 2, replace=False), t] = True
    candidates = np.flatnonzero(~kept.ravel())
    if n_missing > candidates.size:
        raise ValueError(
            f"missing_fraction={fraction} removes {n_missing} of "
            f"{n_samples * n_tasks} entries, but every task keeps 2 observed rows, "
            f"so at most {candidates.size} can be missing."
        )
    missing.ravel()[rng.choice(candidates, n_missing, replace=False)] = True
    return missing


def _truth(W, task_group, noise_std, task):
    """The generating parameters returned with ``return_coef=True``."""
    squeeze = W.shape[1] == 1
    return Bunch(
        coef=W[:, 0] if squeeze else W,
        task_group=task_group,
        noise_std=noise_std[:, 0] if squeeze else noise_std,
        task=task,
    )


# ---------------------------------------------------------------------------
# Public generators
# ---------------------------------------------------------------------------


def make_multitask_regression(
    n_samples=100,
    n_features=20,
    n_tasks=5,
    *,
    structure="shared_support",
    n_informative=5,
    n_groups=2,
    noise=0.1,
    shared_rows=True,
    missing_fraction=0.0,
    coef_scale=1.0,
    random_state=None,
    return_coef=False,
):
    """Generate a multi-task linear regression problem with a known structure.

    The features are independent standard normal. Task ``t`` has the target
    ``y = x @ coef[t] + e`` with Gaussian noise ``e`` (no intercept).

    Parameters
    ----------
    n_samples : int or array-like of int, default=100
        With ``shared_rows=True``, the number of rows, shared by all tasks.
        With ``shared_rows=False``, the number of rows of each task, or an int
        array of shape ``(n_tasks,)`` giving each task's number of rows.
    n_features : int, default=20
        Number of features.
    n_tasks : int, default=5
        Number of tasks (columns of ``Y``).
    structure : {"shared_support", "groups", "mean", "independent", \
"low_rank"}, default="shared_support"
        How the coefficients of the tasks are related:

        - ``"shared_support"``: every task uses the same ``n_informative``
          features, with its own weights;
        - ``"groups"``: the tasks form ``n_groups`` groups of (as nearly as
          possible) equal size; within a group, the coefficient vectors are a
          common centre plus a small deviation on the centre's support; the
          centres (supports and weights) of different groups are unrelated;
        - ``"mean"``: every task is a common vector with ``n_informative``
          non-zero weights plus a small dense task-specific deviation;
        - ``"independent"``: each task has its own random support of
          ``n_informative`` features and its own weights;
        - ``"low_rank"``: the coefficient matrix is ``A @ B / sqrt(r)`` with
          standard normal ``A`` (n_tasks, r) and ``B`` (r, n_features) and
          ``r = n_groups``; it is dense and ``n_informative`` is ignored.

        Non-zero weights of the sparse structures are a random sign times a
        uniform magnitude in [0.5, 1.5]; deviations are normal with standard
        deviation 0.1.
    n_informative : int, default=5
        Number of non-zero coefficients of each task (before deviations).
    n_groups : int, default=2
        Number of groups for ``"groups"``, rank for ``"low_rank"``; ignored
        otherwise.
    noise : float, default=0.1
        Relative noise level: the noise of a task has standard deviation
        ``noise`` times the standard deviation of the task's noiseless targets
        on its rows. The signal-to-noise ratio is thus ``1 / noise**2``.
    shared_rows : bool, default=True
        If True, all tasks observe the same rows. If False, each row belongs
        to one task: ``X`` stacks the rows of task 0, then of task 1, etc.,
        and a row's target is ``NaN`` in the other tasks' columns.
    missing_fraction : float in [0, 1), default=0.0
        With ``shared_rows=True``, the fraction of the entries of ``Y`` set to
        ``NaN`` at random; each task keeps at least 2 observed rows (a row may
        lose every task). Must be 0 with ``shared_rows=False``.
    coef_scale : float, default=1.0
        Factor applied to all coefficients.
    random_state : int, RandomState instance or None, default=None
        Seed of the random draws, for reproducible output.
    return_coef : bool, default=False
        If True, also return the generating parameters.

    Returns
    -------
    X : ndarray of shape (n_rows, n_features)
        ``n_rows = n_samples`` with shared rows, the sum of the task sizes
        otherwise.
    Y : ndarray of shape (n_rows, n_tasks)
        Stacked targets, ``NaN`` where a task does not observe a row.
    truth : Bunch
        Only if ``return_coef=True``, with attributes

        - ``coef``: ndarray of shape (n_tasks, n_features), the coefficients;
        - ``task_group``: int ndarray of shape (n_tasks,), the group of each
          task for ``"groups"``, ``arange(n_tasks)`` for ``"independent"``
          and 0 for every task otherwise;
        - ``noise_std``: ndarray of shape (n_tasks,), the noise standard
          deviation of each task;
        - ``task``: int ndarray of shape (n_rows,), the task of each row with
          ``shared_rows=False``; None with shared rows.

    See Also
    --------
    make_multitask_classification : The same structures for label targets.

    Examples
    --------
    >>> from skmtl.datasets import make_multitask_regression
    >>> X, Y, truth = make_multitask_regression(
    ...     50, 10, 3, structure="groups", random_state=0, return_coef=True)
    >>> X.shape, Y.shape, truth.coef.shape
    ((50, 10), (50, 3), (3, 10))
    >>> X, Y = make_multitask_regression([20, 30], 8, 2, shared_rows=False)
    >>> Y.shape
    (50, 2)
    """
    params = dict(locals())
    sizes = _check_params(params)
    rng = check_random_state(random_state)
    W, task_group = _coefficients(params, 1, rng)
    X, task = _draw_design(sizes, n_features, rng)
    Z, noise_std = _noisy_scores(X, W, task, noise, rng)
    Y = Z[:, :, 0]
    if shared_rows:
        Y[_missing_mask(sizes, n_tasks, missing_fraction, rng)] = np.nan
    if not return_coef:
        return X, Y
    return X, Y, _truth(W, task_group, noise_std, task)


def _labels(Z):
    """Class index of each latent score vector (float, NaN where missing)."""
    observed = ~np.isnan(Z[:, :, 0])
    if Z.shape[2] == 1:
        codes = Z[:, :, 0] > 0
    else:
        codes = np.argmax(np.where(observed[:, :, None], Z, 0.0), axis=2)
    return np.where(observed, codes, np.nan)


def make_multitask_classification(
    n_samples=100,
    n_features=20,
    n_tasks=5,
    *,
    structure="shared_support",
    n_informative=5,
    n_groups=2,
    n_classes=2,
    noise=0.1,
    shared_rows=True,
    missing_fraction=0.0,
    coef_scale=1.0,
    random_state=None,
    return_coef=False,
):
    """Generate a multi-task linear classification problem with a known structure.

    The features are independent standard normal. A binary task ``t`` has
    the label ``1`` if ``x @ coef[t] + e > 0`` and ``0`` otherwise, with
    Gaussian noise ``e`` (a probit-like sign model without intercept, so the
    classes are balanced on average). A task with ``K = n_classes > 2``
    classes has one coefficient vector per class and the label
    ``argmax_k (x @ coef[t, k] + e_k)``.

    Parameters
    ----------
    n_samples : int or array-like of int, default=100
        As in :func:`make_multitask_regression`.
    n_features : int, default=20
        Number of features.
    n_tasks : int, default=5
        Number of tasks (columns of ``Y``).
    structure : {"shared_support", "groups", "mean", "independent", \
"low_rank"}, default="shared_support"
        How the coefficients of the tasks are related, as in
        :func:`make_multitask_regression`. With ``n_classes > 2`` the
        structure holds for every class: the classes of all tasks share the
        support for ``"shared_support"``, a task's classes share its support
        for ``"independent"``, and the matrix of shape
        (n_tasks, n_classes * n_features) has rank ``n_groups`` for
        ``"low_rank"``.
    n_informative : int, default=5
        Number of non-zero coefficients of each task (before deviations).
    n_groups : int, default=2
        Number of groups for ``"groups"``, rank for ``"low_rank"``.
    n_classes : int, default=2
        Number of classes of every task; labels are ``0, ..., n_classes - 1``.
    noise : float, default=0.1
        Relative noise level: the latent noise has standard deviation
        ``noise`` times that of the noiseless scores ``x @ coef[t]`` on the
        task's rows; 0 gives linearly separable tasks.
    shared_rows : bool, default=True
        As in :func:`make_multitask_regression`.
    missing_fraction : float in [0, 1), default=0.0
        As in :func:`make_multitask_regression`.
    coef_scale : float, default=1.0
        Factor applied to the returned coefficients. As the noise is relative,
        it does not change the labels.
    random_state : int, RandomState instance or None, default=None
        Seed of the random draws, for reproducible output.
    return_coef : bool, default=False
        If True, also return the generating parameters.

    Returns
    -------
    X : ndarray of shape (n_rows, n_features)
    Y : ndarray of shape (n_rows, n_tasks)
        Integer labels. The dtype is ``int64`` when every entry is observed
        and ``float64`` with ``NaN`` on missing entries otherwise.
    truth : Bunch
        Only if ``return_coef=True``: ``coef`` of shape (n_tasks, n_features)
        for two classes and (n_tasks, n_classes, n_features) otherwise;
        ``task_group``, ``noise_std`` (shape (n_tasks,), or (n_tasks,
        n_classes) with more than two classes) and ``task`` as in
        :func:`make_multitask_regression`.

    See Also
    --------
    make_multitask_regression : The same structures for real targets.

    Examples
    --------
    >>> from skmtl.datasets import make_multitask_classification
    >>> X, Y = make_multitask_classification(40, 6, 3, random_state=0)
    >>> Y.dtype, sorted(set(Y.ravel().tolist()))
    (dtype('int64'), [0, 1])
    >>> X, Y = make_multitask_classification(
    ...     40, 6, 3, n_classes=3, missing_fraction=0.2, random_state=0)
    >>> Y.dtype
    dtype('float64')
    """
    params = dict(locals())
    n_classes = _check_int(n_classes, "n_classes", 2)
    n_outputs = 1 if n_classes == 2 else n_classes
    sizes = _check_params(params)
    rng = check_random_state(random_state)
    W, task_group = _coefficients(params, n_outputs, rng)
    X, task = _draw_design(sizes, n_features, rng)
    Z, noise_std = _noisy_scores(X, W, task, noise, rng)
    Y = _labels(Z)
    if shared_rows:
        Y[_missing_mask(sizes, n_tasks, missing_fraction, rng)] = np.nan
    if not np.isnan(Y).any():
        Y = Y.astype(np.int64)
    if not return_coef:
        return X, Y
    return X, Y, _truth(W, task_group, noise_std, task)


# ---------------------------------------------------------------------------
# Ill-conditioned designs (solver benchmarks)
# ---------------------------------------------------------------------------


def _check_ill_conditioned_params(params):
    """Validate the arguments of :func:`make_ill_conditioned_tasks`."""
    n_tasks = _check_int(params["n_tasks"], "n_tasks", 1)
    n_rows = _check_int(params["n_rows_per_task"], "n_rows_per_task", 2)
    n_features = _check_int(params["n_features"], "n_features", 1)
    n_informative = _check_int(params["n_informative"], "n_informative", 1)
    if n_informative > n_features:
        raise ValueError(
            f"n_informative={n_informative} exceeds n_features={n_features}."
        )
    kappa = _check_real(params["condition_number"], "condition_number", 1.0)
    _check_real(params["noise"], "noise", 0.0)
    for name in ("shared_rows", "classification"):
        if not isinstance(params[name], (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool, got {params[name]!r}.")
    fraction = _check_real(params["missing_fraction"], "missing_fraction", 0.0)
    if fraction >= 1.0:
        raise ValueError(f"missing_fraction must be in [0, 1), got {fraction}.")
    if fraction > 0 and not params["shared_rows"]:
        raise ValueError(
            "missing_fraction applies only with shared_rows=True; with "
            "shared_rows=False every task observes exactly its own rows."
        )
    n_blocks = 1 if params["shared_rows"] else n_tasks
    n_total = n_rows * n_blocks
    rank = min(n_features, n_total - n_blocks)
    if kappa > 1 and rank < 2:
        raise ValueError(
            f"condition_number={kappa} > 1 needs a design of rank >= 2, but "
            f"{n_total} rows centred in {n_blocks} block(s) with {n_features} "
            f"feature(s) give rank {rank}."
        )
    return n_total, n_blocks, rank


def _centred_orthonormal(rng, block, rank):
    """``(n, rank)`` orthonormal columns, orthogonal to every block's indicator."""
    Z = rng.standard_normal((block.size, rank))
    for b in np.unique(block):
        rows = block == b
        Z[rows] -= Z[rows].mean(axis=0)
    Q, R = np.linalg.qr(Z)
    return Q * np.sign(np.diag(R))


def _ill_conditioned_design(rng, block, n_features, rank, kappa):
    """``sqrt(n) U diag(s) V^T``: singular values geometric from 1 to 1/kappa."""
    n = block.size
    U = _centred_orthonormal(rng, block, rank)
    V, _ = np.linalg.qr(rng.standard_normal((n_features, n_features)))
    s = kappa ** -np.linspace(0.0, 1.0, rank) if rank > 1 else np.ones(1)
    s *= np.sqrt(n_features / np.sum(s**2))  # mean squared entry of X is 1
    return np.sqrt(n) * (U * s) @ V[:, :rank].T


def make_ill_conditioned_tasks(
    n_tasks=20,
    n_rows_per_task=50,
    n_features=50,
    *,
    condition_number=1e4,
    n_informative=10,
    noise=1.0,
    shared_rows=False,
    missing_fraction=0.0,
    classification=False,
    random_state=None,
    return_coef=False,
):
    """Generate multi-task data with correlated features of a given condition number.

    Made to stress solvers: the design is ``X = sqrt(n) U diag(s) V^T`` with
    ``U`` random orthonormal columns, ``V`` a random rotation (so the features
    are correlated) and singular values ``s`` decreasing geometrically from
    the largest to ``1 / condition_number`` of it, scaled so that the mean
    squared entry of ``X`` is one. Every task uses the same ``n_informative``
    features (a shared support) with its own weights, as in
    ``make_multitask_regression(structure="shared_support")``.

    The columns of ``U`` are centred within every task's rows (within all
    rows with ``shared_rows=True``), so the design is already centred:
    the raw, the centred and the per-task centred designs are the same
    matrix, and the ratio of its largest to its smallest non-zero singular
    value is exactly ``condition_number`` (its rank is ``min(n_features,
    n_rows - n_blocks)``, one block per task with own rows, one with shared
    rows). With ``shared_rows=False`` a single task's block of rows is not
    controlled: it has rank at most ``n_rows_per_task - 1``.

    Parameters
    ----------
    n_tasks : int, default=20
        Number of tasks (columns of ``Y``).
    n_rows_per_task : int, default=50
        Rows of each task. With ``shared_rows=True`` the number of rows of
        ``X``, all shared by the tasks. At least 2.
    n_features : int, default=50
        Number of features.
    condition_number : float >= 1, default=1e4
        Ratio of the largest to the smallest non-zero singular value of ``X``
        (square root of that of ``X^T X``).
    n_informative : int, default=10
        Number of features used by every task.
    noise : float, default=1.0
        Relative noise level: the Gaussian noise of a task has standard
        deviation ``noise`` times that of its noiseless scores ``X w_t`` on
        its rows (signal-to-noise ratio ``1 / noise**2``).
    shared_rows : bool, default=False
        If False, each task has its own ``n_rows_per_task`` rows: ``X`` stacks
        the rows of task 0, then of task 1, etc., and ``Y`` is ``NaN`` outside
        each task's rows. If True, all tasks share the rows of ``X``.
    missing_fraction : float in [0, 1), default=0.0
        With ``shared_rows=True``, the fraction of the entries of ``Y`` set to
        ``NaN`` at random (each task keeps at least 2 observed rows). Must be
        0 with ``shared_rows=False``.
    classification : bool, default=False
        If True, binary labels ``1[x @ w_t + e > 0]`` instead of real targets.
    random_state : int, RandomState instance or None, default=None
        Seed of the random draws, for reproducible output.
    return_coef : bool, default=False
        If True, also return the generating parameters.

    Returns
    -------
    X : ndarray of shape (n_rows, n_features)
        ``n_rows = n_tasks * n_rows_per_task`` with own rows,
        ``n_rows_per_task`` with shared rows.
    Y : ndarray of shape (n_rows, n_tasks)
        Targets (float), or labels 0/1 (``int64`` when every entry is
        observed, else float with ``NaN``), ``NaN`` where a task does not
        observe a row.
    truth : Bunch
        Only if ``return_coef=True``: ``coef`` (n_tasks, n_features), the
        true weights (zero off the shared support); ``support``, the indices
        of the informative features; ``singular_values``, those of ``X``;
        ``noise_std`` (n_tasks,); ``task``, the task of each row (None with
        shared rows).

    See Also
    --------
    make_multitask_regression : Independent standard normal features.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.datasets import make_ill_conditioned_tasks
    >>> X, Y = make_ill_conditioned_tasks(
    ...     n_tasks=3, n_rows_per_task=40, n_features=10, condition_number=1e3,
    ...     random_state=0)
    >>> X.shape, Y.shape
    ((120, 10), (120, 3))
    >>> s = np.linalg.svd(X, compute_uv=False)
    >>> round(float(s[0] / s[-1]))
    1000
    >>> int(np.sum(~np.isnan(Y)))  # each row belongs to one task
    120
    >>> X, Y = make_ill_conditioned_tasks(
    ...     n_tasks=4, n_rows_per_task=30, n_features=10, shared_rows=True,
    ...     missing_fraction=0.25, classification=True, random_state=0)
    >>> X.shape, int(np.isnan(Y).sum())
    ((30, 10), 30)
    """
    params = dict(locals())
    n_total, n_blocks, rank = _check_ill_conditioned_params(params)
    rng = check_random_state(random_state)
    task = np.repeat(np.arange(n_blocks, dtype=np.intp), n_rows_per_task)
    X = _ill_conditioned_design(rng, task, n_features, rank, float(condition_number))
    W, _ = _shared_support_coef(rng, n_tasks, 1, n_features, n_informative, None)
    Z, noise_std = _noisy_scores(X, W, None if shared_rows else task, noise, rng)
    Y = _labels(Z) if classification else Z[:, :, 0]
    if shared_rows:
        Y[_missing_mask(n_total, n_tasks, missing_fraction, rng)] = np.nan
    if classification and not np.isnan(Y).any():
        Y = Y.astype(np.int64)
    if not return_coef:
        return X, Y
    truth = Bunch(
        coef=W[:, 0],
        support=np.flatnonzero(np.any(W[:, 0] != 0, axis=0)),
        singular_values=np.linalg.svd(X, compute_uv=False)[:rank],
        noise_std=noise_std[:, 0],
        task=None if shared_rows else task,
    )
    return X, Y, truth
