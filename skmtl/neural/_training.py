"""Training loops: full-batch L-BFGS, and mini-batch epochs with a stopping
rule on the training objective or on a held-out validation score."""

from dataclasses import dataclass, field

import numpy as np

from ._objective import objective
from ._optimizers import minimize_lbfgs

__all__ = ["LOG_VARIANCE_BOUND", "TrainingResult", "stratified_split", "train"]

#: the learned log-variances are kept in [-bound, bound] (task weights within
#: exp(+-10), about 2e4): a task fitted exactly would otherwise drive its
#: weight to infinity
LOG_VARIANCE_BOUND = 10.0


@dataclass
class TrainingResult:
    params: object
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    best_loss: float = np.inf
    best_validation_score: float = -np.inf
    n_iter: int = 0
    n_steps: int = 0
    converged: bool = False


@dataclass
class Settings:
    """What the loops need from the estimator's parameters."""

    activation: str
    alpha: float
    max_iter: int
    tol: float
    batch_size: int = 1
    n_iter_no_change: int = 10
    verbose: int = 0


def train(params, X, heads, settings, optimizer=None, rng=None, validate=None):
    """L-BFGS when ``optimizer`` is None, else mini-batch epochs."""
    if optimizer is None:
        return _train_lbfgs(params, X, heads, settings)
    return _train_stochastic(params, X, heads, settings, optimizer, rng, validate)


def _check_finite(value, where):
    if not np.isfinite(value):
        raise ValueError(
            f"The training objective became {value} {where}: the steps diverged. "
            "Lower learning_rate_init, or standardise X and the targets."
        )


class _Plateau(Exception):
    """Raised by the L-BFGS callback when the objective has stopped falling."""


def _plateaued(curve, settings):
    """The objective fell by at most ``tol * max(1, |f|)`` over the last
    ``n_iter_no_change`` iterations: the full-batch form of the mini-batch
    solvers' rule (``tol`` relative to the objective, as the objective of a
    multi-task fit is a sum over tasks)."""
    k = settings.n_iter_no_change
    if len(curve) <= k:
        return False
    decrease = curve[-k - 1] - curve[-1]
    return decrease <= settings.tol * max(1.0, abs(curve[-1]))


def _train_lbfgs(params, X, heads, settings):
    last = {}

    def value_and_gradient(theta):
        value, grad, _ = objective(
            params.from_flat(theta), X, heads, settings.activation, settings.alpha
        )
        last["value"] = value
        return value, grad.flat()

    result = TrainingResult(params)

    def callback(theta):
        result.loss_curve.append(last["value"])
        last["theta"] = np.array(theta, dtype=np.float64)
        if settings.verbose:
            print(f"Iteration {len(result.loss_curve)}, loss = {last['value']:.8f}")
        if _plateaued(result.loss_curve, settings):
            raise _Plateau

    bounds = _log_variance_bounds(params)
    try:
        opt = minimize_lbfgs(
            value_and_gradient, params.flat(), settings.max_iter, settings.tol,
            bounds, callback,
        )
        theta, value, n_iter = np.array(opt.x), float(opt.fun), int(opt.nit)
        converged = opt.status != 1  # 1: maximum number of iterations
    except _Plateau:
        theta, value = last["theta"], float(result.loss_curve[-1])
        n_iter, converged = len(result.loss_curve), True
    _check_finite(value, "during L-BFGS")
    result.params = params.from_flat(theta)
    result.n_iter = result.n_steps = n_iter
    result.best_loss = value
    result.converged = converged
    return result


def _log_variance_bounds(params):
    if params.log_variances is None:
        return None
    n_weights = params.flat().size - params.log_variances.size
    bound = (-LOG_VARIANCE_BOUND, LOG_VARIANCE_BOUND)
    return [(None, None)] * n_weights + [bound] * params.log_variances.size


def _train_stochastic(params, X, heads, settings, optimizer, rng, validate):
    result = TrainingResult(params)
    no_improvement = 0
    for epoch in range(settings.max_iter):
        with np.errstate(over="ignore", invalid="ignore"):  # checked just below
            loss = _epoch(params, X, heads, settings, optimizer, rng)
        _check_finite(loss, f"in epoch {epoch + 1}")
        result.loss_curve.append(loss)
        result.n_iter = epoch + 1
        if validate is None:
            improved = loss < result.best_loss - settings.tol
            result.best_loss = min(result.best_loss, loss)
        else:
            score = validate(params)
            result.validation_scores.append(score)
            improved = score > result.best_validation_score + settings.tol
            if score > result.best_validation_score:
                result.best_validation_score = score
                result.params = params.copy()
        if settings.verbose:
            print(f"Iteration {epoch + 1}, loss = {loss:.8f}")
        no_improvement = 0 if improved else no_improvement + 1
        if no_improvement > settings.n_iter_no_change:
            result.converged = True
            break
    if validate is None:
        result.params = params
    result.n_steps = optimizer.n_steps
    return result


def _epoch(params, X, heads, settings, optimizer, rng):
    """One pass over the rows in random mini-batches; mean batch objective.

    A batch ``B`` estimates the data term by ``n / |B| * sum_{i in B} sum_t
    w_it loss_it`` (unbiased for a uniformly random batch), plus the penalty.
    """
    n = X.shape[0]
    order = rng.permutation(n)
    total = 0.0
    arrays = params.arrays()
    for start in range(0, n, settings.batch_size):
        rows = order[start : start + settings.batch_size]
        batch = heads.subset(rows, n / rows.size)
        value, grad, _ = objective(
            params, X[rows], batch, settings.activation, settings.alpha
        )
        optimizer.step(arrays, grad.arrays())
        if params.log_variances is not None:
            np.clip(params.log_variances, -LOG_VARIANCE_BOUND, LOG_VARIANCE_BOUND,
                    out=params.log_variances)
        total += value * rows.size
    return total / n


def stratified_split(mask, fraction, rng, task_names):
    """Training and validation rows such that every task observes rows in both.

    Each row is assigned to its rarest observed task; a ``fraction`` of each
    such group (rounded, at least one row for a task's group of two rows or
    more) goes to validation; then rows are moved so that every task keeps a
    training row and has a validation row.
    """
    counts = mask.sum(axis=0)
    for t in np.flatnonzero(counts < 2):
        raise ValueError(
            f"early_stopping needs at least 2 observed rows in every task; task "
            f"{task_names[t]!r} (column {t}) has {counts[t]}."
        )
    primary = np.argmin(np.where(mask, counts, np.iinfo(np.int64).max), axis=1)
    is_validation = np.zeros(mask.shape[0], dtype=bool)
    for t in np.unique(primary):
        rows = rng.permutation(np.flatnonzero(primary == t))
        k = int(np.clip(round(fraction * rows.size), 1, rows.size - 1))
        is_validation[rows[:k]] = rows.size >= 2
    _keep_training_rows(is_validation, mask, rng)
    _give_validation_rows(is_validation, mask, rng, task_names)
    return np.flatnonzero(~is_validation), np.flatnonzero(is_validation)


def _keep_training_rows(is_validation, mask, rng):
    for t in range(mask.shape[1]):
        if not np.any(mask[~is_validation, t]):
            is_validation[rng.choice(np.flatnonzero(mask[:, t]))] = False


def _give_validation_rows(is_validation, mask, rng, task_names):
    for t in range(mask.shape[1]):
        if np.any(mask[is_validation, t]):
            continue
        train_counts = mask[~is_validation].sum(axis=0)
        movable = [
            i
            for i in np.flatnonzero(mask[:, t] & ~is_validation)
            if np.all(train_counts[mask[i]] >= 2)
        ]
        if not movable:
            raise ValueError(
                f"early_stopping cannot hold out a row of task {task_names[t]!r} "
                f"(column {t}) without leaving another task with no training row."
            )
        is_validation[rng.choice(movable)] = True
