"""Does multi-task learning help? Cross-validated comparison, task by task.

:func:`compare` fits every estimator on the same cross-validation splits and
scores each task on the observed entries of each test fold. The
:class:`Comparison` it returns says, for every estimator, on how many tasks
it beats a baseline (usually :class:`~skmtl.SingleTaskBaseline`) and whether
the difference is significant over tasks (paired two-sided Wilcoxon
signed-rank test), as numbers, sentences, a text table, a pandas table and a
plot.

Splitting stacked data
----------------------
With stacked targets a row is one sample, observed by one task (each task
with its own rows) or by several (shared rows). Data sets stacked task by
task (:func:`~skmtl.datasets.stack_tasks`, School, Landmine) list the rows of
task 0, then those of task 1, and so on. scikit-learn's default folds break
on them:

* ``cv=5`` in :class:`~sklearn.model_selection.GridSearchCV` or
  :func:`~sklearn.model_selection.cross_validate` is an *unshuffled*
  :class:`~sklearn.model_selection.KFold`: each test fold is a block of
  consecutive rows, so whole tasks vanish from training folds, the fits fail
  (a task without an observed target) and the search chooses among ``NaN``
  scores;
* a shuffled ``KFold`` keeps every task, but a small task can get no (or one)
  row in a test fold, where its score is undefined, and folds are unbalanced
  between tasks;
* :class:`~sklearn.model_selection.StratifiedKFold` stratifies one label per
  row, so it cannot balance rows observed by several tasks, nor classes
  within tasks.

:class:`TaskStratifiedKFold` spreads each task's observed rows, and the rows
of each class of a classification task, evenly over the folds, each row in
one test fold; :func:`task_train_test_split` draws a training set with a
number (or fraction) of rows per task. Both assign rows by iterative
stratification: every row belongs to one stratum per task it observes (the
task, or the task and its class), the strata are visited from the rarest,
and a row goes to the fold that still lacks most rows of the stratum being
visited, its other strata being counted too, so that shared rows keep every
task balanced. An integer ``cv`` in :func:`compare` is a shuffled
:class:`TaskStratifiedKFold`. The one-line fix for a grid search::

    GridSearchCV(estimator, grid, scoring=skmtl.metrics.get_scorer("r2"),
                 cv=TaskStratifiedKFold())

(scikit-learn's scorer strings such as ``scoring="r2"`` cannot score targets
with missing entries either; see :mod:`skmtl.metrics`.)
"""

import numbers
import sys
import time
import warnings
from collections.abc import Mapping

import numpy as np
from scipy import stats
from sklearn.base import clone, is_classifier
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils import _safe_indexing
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_consistent_length

from . import metrics
from ._metrics_utils import read_targets
from ._splitters import TaskStratifiedKFold, task_train_test_split
from .baselines import PooledBaseline, SingleTaskBaseline

__all__ = ["Comparison", "TaskStratifiedKFold", "compare", "task_train_test_split"]

_PROBA_OR_SCORE = ("predict_proba", "decision_function")

# scoring name -> (per-task metric, estimator methods tried in order, sign)
_TASK_METRICS = {
    "r2": (metrics.r2_score, ("predict",), 1.0),
    "neg_mean_squared_error": (metrics.mean_squared_error, ("predict",), -1.0),
    "neg_root_mean_squared_error": (
        metrics.root_mean_squared_error,
        ("predict",),
        -1.0,
    ),
    "neg_normalized_mean_squared_error": (
        metrics.normalized_mean_squared_error,
        ("predict",),
        -1.0,
    ),
    "accuracy": (metrics.accuracy_score, ("predict",), 1.0),
    "roc_auc": (metrics.roc_auc_score, _PROBA_OR_SCORE, 1.0),
    "neg_log_loss": (metrics.log_loss, ("predict_proba",), -1.0),
}

_WIN, _TIE, _LOSS = "#2166ac", "#a0a0a0", "#d6604d"


# --------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------


class _TaskScorer:
    """``scorer(estimator, X, Y, sample_weight=None)`` -> one score per task."""

    def __init__(self, name):
        self.name = name
        self.metric, self.responses, self.sign = _TASK_METRICS[name]

    def __call__(self, estimator, X, Y, sample_weight=None):
        method = next((m for m in self.responses if hasattr(estimator, m)), None)
        if method is None:
            raise ValueError(
                f"scoring={self.name!r} needs an estimator with "
                f"{' or '.join(self.responses)}; {type(estimator).__name__} has none."
            )
        kwargs = {"multioutput": "raw_values"}
        if method != "predict" and hasattr(estimator, "classes_"):
            kwargs["classes"] = estimator.classes_
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        output = getattr(estimator, method)(X)
        return self.sign * np.asarray(self.metric(Y, output, **kwargs), dtype=float)


def _check_scoring(scoring, classifier):
    """Return ``(scorer, label)``; ``label`` names the score in the reports."""
    if scoring is None:
        scoring = "roc_auc" if classifier else "r2"
    if callable(scoring):
        return scoring, getattr(scoring, "__name__", "score")
    if isinstance(scoring, str) and scoring in _TASK_METRICS:
        return _TaskScorer(scoring), scoring
    hint = ""
    if scoring == "explained_variance_mtl":
        hint = " explained_variance_mtl pools the tasks; use 'r2' for one per task."
    raise ValueError(
        f"scoring must be one of {sorted(_TASK_METRICS)} or a callable "
        f"(estimator, X, Y) -> per-task scores; got {scoring!r}.{hint}"
    )


def _task_scores(scorer, estimator, X, Y, sample_weight, n_tasks):
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    with warnings.catch_warnings():
        # undefined task scores are expected in CV folds; compare reports them once
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        scores = np.asarray(scorer(estimator, X, Y, **kwargs), dtype=float)
    if scores.shape != (n_tasks,):
        raise ValueError(
            f"scoring returned an array of shape {scores.shape}; it must return one "
            f"score per task, shape ({n_tasks},)."
        )
    return scores


# --------------------------------------------------------------------------
# Checking the arguments of compare
# --------------------------------------------------------------------------


def _check_estimators(estimators):
    if not isinstance(estimators, Mapping) or not estimators:
        raise TypeError(
            "estimators must be a non-empty dict mapping names to estimators, e.g. "
            "{'L21': L21Regressor(), 'single-task': SingleTaskBaseline(Ridge())}."
        )
    for name, estimator in estimators.items():
        if not isinstance(name, str) or not hasattr(estimator, "fit"):
            raise TypeError(
                f"estimators[{name!r}] must be an estimator (with fit) under a str "
                f"name; got {type(estimator).__name__}."
            )
    kinds = {name: is_classifier(est) for name, est in estimators.items()}
    if len(set(kinds.values())) > 1:
        classifiers = [name for name, is_clf in kinds.items() if is_clf]
        raise ValueError(
            "estimators mixes classifiers and regressors; compare one kind at a time "
            f"(classifiers: {classifiers})."
        )
    return dict(estimators), next(iter(kinds.values()))


def _check_baseline(baseline, estimators):
    if baseline is None:
        single = [n for n, e in estimators.items() if isinstance(e, SingleTaskBaseline)]
        return single[0] if single else next(iter(estimators))
    if baseline not in estimators:
        raise ValueError(
            f"baseline={baseline!r} is not a key of estimators {list(estimators)}."
        )
    return baseline


def _reference(estimator, name):
    """How the verdict names the baseline."""
    if isinstance(estimator, SingleTaskBaseline):
        return "the single-task baseline"
    if isinstance(estimator, PooledBaseline):
        return "the pooled baseline"
    return name


def _check_splits(cv, X, Y, random_state, classifier):
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv must be at least 2 folds; got {cv}.")
        cv = TaskStratifiedKFold(
            int(cv), random_state=random_state, labels=bool(classifier)
        )
    splits = list(cv.split(X, Y)) if hasattr(cv, "split") else list(cv)
    if not splits:
        raise ValueError("cv gave no (train, test) split.")
    out = []
    for k, split in enumerate(splits):
        try:
            train, test = (np.asarray(part) for part in split)
        except (TypeError, ValueError):
            raise ValueError(
                f"cv: split {k} is not a (train, test) pair of index arrays."
            ) from None
        if train.size == 0 or test.size == 0:
            raise ValueError(f"cv: split {k} has an empty train or test set.")
        out.append((train, test))
    return out


# --------------------------------------------------------------------------
# Fitting in parallel
# --------------------------------------------------------------------------


def _fit_and_score(estimator, X, Y, sample_weight, split, scorer, n_tasks, key):
    """Fit on the train rows, score each task on the test rows: (key, scores, s)."""
    train, test = split
    fit_params = {}
    if sample_weight is not None:
        fit_params["sample_weight"] = _safe_indexing(sample_weight, train)
    start = time.perf_counter()
    try:
        estimator.fit(_safe_indexing(X, train), _safe_indexing(Y, train), **fit_params)
    except Exception as exc:
        if hasattr(exc, "add_note"):
            exc.add_note(f"(while compare fitted {key[0]!r} on split {key[1]})")
        raise
    fit_time = time.perf_counter() - start
    test_weight = None if sample_weight is None else _safe_indexing(sample_weight, test)
    scores = _task_scores(
        scorer,
        estimator,
        _safe_indexing(X, test),
        _safe_indexing(Y, test),
        test_weight,
        n_tasks,
    )
    return key, scores, fit_time


class _Progress:
    """Called once per finished fit: prints a line, or calls the user's hook."""

    def __init__(self, verbose, total, n_splits, label):
        self.verbose, self.total, self.n_splits = verbose, total, n_splits
        self.label, self.done, self.start = label, 0, time.perf_counter()

    def __call__(self, name, split, scores, fit_time):
        self.done += 1
        info = dict(
            estimator=name,
            split=split,
            n_splits=self.n_splits,
            done=self.done,
            total=self.total,
            fit_time=fit_time,
            scores=scores,
            elapsed=time.perf_counter() - self.start,
        )
        if callable(self.verbose):
            self.verbose(info)
        elif self.verbose:
            mean = _nanmean(scores, axis=0)
            width = len(str(self.total))
            print(
                f"[compare {self.done:>{width}}/{self.total}] {name}, split "
                f"{split + 1}/{self.n_splits}: fit {fit_time:.2f} s, mean "
                f"{self.label} {mean:.3f} ({info['elapsed']:.1f} s elapsed)",
                file=sys.stderr,
                flush=True,
            )


def _warn_undefined(scores):
    undefined = np.any([np.isnan(s) for s in scores.values()], axis=0)
    if undefined.any():
        warnings.warn(
            f"compare: {int(undefined.sum())} of the {undefined.size} (split, task) "
            "scores are undefined (NaN) for at least one estimator, e.g. a task with "
            "no observed entry in a test fold, or with one class only for ROC AUC. "
            "They are left out of the means over splits.",
            UndefinedMetricWarning,
            stacklevel=3,
        )


def compare(
    estimators,
    X,
    Y,
    *,
    cv=5,
    scoring=None,
    baseline=None,
    n_jobs=None,
    sample_weight=None,
    verbose=0,
    random_state=None,
    tie_tolerance=1e-4,
):
    """Cross-validate estimators task by task and compare them with a baseline.

    Every estimator (a clone) is fitted on the same training rows of each
    split; each task is scored on the observed entries of the test rows.
    Fits run in parallel over (estimator, split) pairs.

    Parameters
    ----------
    estimators : dict of str to estimator
        Multi-task models and baselines (all regressors or all classifiers),
        e.g. tuned models (``GridSearchCV`` with a scorer of
        :mod:`skmtl.metrics`), :class:`~skmtl.SingleTaskBaseline`,
        :class:`~skmtl.PooledBaseline`.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Y : array-like of shape (n_samples, n_tasks)
        Stacked targets, ``NaN`` (``None`` for labels) where a task does not
        observe a row. A DataFrame's columns name the tasks.
    cv : int, splitter or iterable of (train, test), default=5
        An int is a :class:`TaskStratifiedKFold` (shuffled with
        ``random_state``, stratified by class for classifiers; see the module
        docstring); a splitter
        is called as ``cv.split(X, Y)``. Every estimator gets the same splits.
    scoring : str or callable, default=None
        ``"r2"`` (default for regressors), ``"neg_mean_squared_error"``,
        ``"neg_root_mean_squared_error"``,
        ``"neg_normalized_mean_squared_error"``, ``"accuracy"``,
        ``"roc_auc"`` (default for classifiers) or ``"neg_log_loss"``: the
        metric of :mod:`skmtl.metrics` on each task's observed test entries,
        signed so that greater is better. A callable ``scoring(estimator,
        X_test, Y_test)`` must return an array of ``n_tasks`` scores, greater
        is better (it also gets ``sample_weight=`` if given).
    baseline : str, default=None
        Key of the reference estimator; default: the first
        :class:`~skmtl.SingleTaskBaseline` in ``estimators``, else the first
        entry.
    n_jobs : int, default=None
        Number of parallel jobs (joblib); ``-1`` uses all processors.
    sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks), \
default=None
        Passed to each ``fit`` (training rows) and to the scoring (test rows).
    verbose : int, bool or callable, default=0
        If true, print one line per finished fit to stderr. A callable is
        called after each fit with a dict (``estimator``, ``split``,
        ``n_splits``, ``done``, ``total``, ``fit_time``, ``scores``,
        ``elapsed``).
    random_state : int, RandomState instance or None, default=None
        Shuffling of the folds when ``cv`` is an int.
    tie_tolerance : float, default=1e-4
        A task is a tie when the mean scores differ by at most
        ``tie_tolerance * max(1, |baseline score|)``.

    Returns
    -------
    comparison : Comparison
        Per-split, per-task scores and everything derived from them.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from skmtl import L21Regressor, SingleTaskBaseline
    >>> from skmtl.datasets import make_multitask_regression
    >>> from skmtl.model_selection import compare
    >>> X, Y = make_multitask_regression(
    ...     25, 30, 12, noise=0.3, shared_rows=False, random_state=0)
    >>> models = {"L21": L21Regressor(alpha=0.3),
    ...           "ridge": SingleTaskBaseline(Ridge())}
    >>> result = compare(models, X, Y, cv=3, random_state=0)
    >>> result.scores["L21"].shape  # (n_splits, n_tasks)
    (3, 12)
    >>> print(result.verdict())  # doctest: +ELLIPSIS
    L21 beats the single-task baseline on 12 of 12 tasks (median +..., ...).
    """
    estimators, classifier = _check_estimators(estimators)
    baseline = _check_baseline(baseline, estimators)
    scorer, label = _check_scoring(scoring, classifier)
    check_consistent_length(X, Y, sample_weight)
    task_names = read_targets(Y, "Y")[2]
    splits = _check_splits(cv, X, Y, random_state, classifier)
    n_splits, n_tasks = len(splits), len(task_names)
    progress = _Progress(verbose, len(estimators) * n_splits, n_splits, label)
    jobs = (
        delayed(_fit_and_score)(
            clone(est), X, Y, sample_weight, split, scorer, n_tasks, (name, k)
        )
        for name, est in estimators.items()
        for k, split in enumerate(splits)
    )
    results = {}
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    for key, scores, fit_time in parallel(jobs):
        results[key] = scores, fit_time
        progress(key[0], key[1], scores, fit_time)
    scores = {
        n: np.vstack([results[n, k][0] for k in range(n_splits)]) for n in estimators
    }
    fit_time = {
        n: np.array([results[n, k][1] for k in range(n_splits)]) for n in estimators
    }
    _warn_undefined(scores)
    return Comparison(
        scores,
        fit_time,
        task_names,
        baseline,
        scoring=label,
        reference=_reference(estimators[baseline], baseline),
        tie_tolerance=tie_tolerance,
    )


# --------------------------------------------------------------------------
# Statistics without warnings on empty slices
# --------------------------------------------------------------------------


def _nanmean(a, axis):
    a = np.asarray(a, dtype=float)
    defined = ~np.isnan(a)
    count = defined.sum(axis=axis)
    total = np.where(defined, a, 0.0).sum(axis=axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _nanstd(a, axis):
    a = np.asarray(a, dtype=float)
    mean = np.expand_dims(_nanmean(a, axis), axis)
    defined = ~np.isnan(a)
    count = defined.sum(axis=axis)
    squares = np.where(defined, (a - np.where(np.isnan(mean), 0.0, mean)) ** 2, 0.0)
    return np.where(
        count > 0, np.sqrt(squares.sum(axis=axis) / np.maximum(count, 1)), np.nan
    )


def _wilcoxon(differences):
    """Two-sided p-value; ties (zeros) split between the signs; 1 if all zero."""
    d = differences[~np.isnan(differences)]
    if d.size == 0:
        return float("nan")
    if not np.any(d != 0):
        return 1.0
    return float(stats.wilcoxon(d, zero_method="zsplit").pvalue)


def _format_p(p):
    if np.isnan(p):
        return "-"
    if p < 1e-3:
        return f"{p:.0e}".replace("e-0", "e-")
    return f"{p:.2g}"


def _format_score(value):
    return "nan" if np.isnan(value) else f"{value:.3f}"


# --------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------


class Comparison:
    """Cross-validated per-task scores of several estimators and a baseline.

    Returned by :func:`compare`. Scores are "greater is better"; a task's
    score of an estimator is its mean over the splits in which it is defined.

    Parameters
    ----------
    scores : dict of str to ndarray of shape (n_splits, n_tasks)
        Per-split, per-task scores of each estimator (``NaN``: undefined).
    fit_time : dict of str to ndarray of shape (n_splits,)
        Seconds spent in ``fit`` per split.
    task_names : list of str
    baseline : str
        Key of the reference estimator in ``scores``.
    scoring : str, default="score"
        Name of the score in reports.
    reference : str, default=None
        How sentences name the baseline (default: its key).
    tie_tolerance : float, default=1e-4
        Mean scores within ``tie_tolerance * max(1, |baseline score|)`` tie.

    Attributes
    ----------
    estimator_names : list of str
        Keys of ``scores``, in order; the columns of :attr:`mean`.
    task_names, baseline, scores, fit_time, scoring, reference, tie_tolerance
        As given.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.model_selection import Comparison
    >>> scores = {"mtl": np.array([[0.8, 0.7, 0.9], [0.7, 0.8, 0.9]]),
    ...           "single": np.array([[0.6, 0.7, 0.5], [0.5, 0.7, 0.5]])}
    >>> result = Comparison(scores, {"mtl": [1.0, 1.0], "single": [0.5, 0.5]},
    ...                     ["a", "b", "c"], "single", scoring="r2")
    >>> result.mean.round(2)
    array([[0.75, 0.55],
           [0.75, 0.7 ],
           [0.9 , 0.5 ]])
    >>> result.wins, result.ties, result.losses
    ({'mtl': 3, 'single': 0}, {'mtl': 0, 'single': 3}, {'mtl': 0, 'single': 0})
    """

    def __init__(
        self,
        scores,
        fit_time,
        task_names,
        baseline,
        *,
        scoring="score",
        reference=None,
        tie_tolerance=1e-4,
    ):
        self.scores = {name: np.asarray(s, dtype=float) for name, s in scores.items()}
        self.fit_time = {
            name: np.asarray(t, dtype=float) for name, t in fit_time.items()
        }
        self.estimator_names = list(self.scores)
        self.task_names = [str(name) for name in task_names]
        if baseline not in self.scores:
            raise ValueError(f"baseline {baseline!r} is not in {self.estimator_names}.")
        if set(self.fit_time) != set(self.scores):
            raise ValueError("fit_time and scores must have the same estimator names.")
        shapes = {s.shape for s in self.scores.values()}
        if len(shapes) != 1 or shapes.pop()[1:] != (len(self.task_names),):
            raise ValueError(
                "every scores array must have shape (n_splits, n_tasks) with "
                f"n_tasks={len(self.task_names)} (the length of task_names)."
            )
        self.baseline = baseline
        self.scoring = scoring
        self.reference = baseline if reference is None else reference
        self.tie_tolerance = tie_tolerance
        self._pvalue_cache = {}

    # -- numbers -------------------------------------------------------------
    @property
    def n_splits(self):
        """Number of cross-validation splits."""
        return self.scores[self.baseline].shape[0]

    @property
    def mean(self):
        """Mean score over splits, ndarray of shape (n_tasks, n_estimators)."""
        return np.column_stack(
            [_nanmean(self.scores[n], 0) for n in self.estimator_names]
        )

    @property
    def std(self):
        """Standard deviation over splits, shape (n_tasks, n_estimators)."""
        return np.column_stack(
            [_nanstd(self.scores[n], 0) for n in self.estimator_names]
        )

    def _task_mean(self, name):
        return _nanmean(self.scores[name], 0)

    def difference(self, name):
        """Per-task mean score of ``name`` minus the baseline's, (n_tasks,)."""
        return self._task_mean(name) - self._task_mean(self.baseline)

    def outcome(self, name):
        """Per task: ``1`` win, ``-1`` loss, ``0`` tie (or undefined) vs baseline."""
        d = self.difference(name)
        scale = np.maximum(1.0, np.abs(self._task_mean(self.baseline)))
        tolerance = self.tie_tolerance * np.where(np.isnan(scale), 1.0, scale)
        defined = ~np.isnan(d)
        out = np.zeros(d.shape, dtype=int)
        out[defined & (d > tolerance)] = 1
        out[defined & (d < -tolerance)] = -1
        return out

    def _count(self, value):
        return {n: int(np.sum(self.outcome(n) == value)) for n in self.estimator_names}

    @property
    def wins(self):
        """Tasks where each estimator beats the baseline (dict of int)."""
        return self._count(1)

    @property
    def losses(self):
        """Tasks where each estimator is worse than the baseline (dict of int)."""
        return self._count(-1)

    @property
    def ties(self):
        """Tasks with no difference beyond the tolerance, or an undefined score."""
        return self._count(0)

    def _tied_difference(self, name):
        d = self.difference(name)
        return np.where(self.outcome(name) == 0, np.where(np.isnan(d), d, 0.0), d)

    @property
    def pvalues(self):
        """Two-sided Wilcoxon signed-rank p-value over tasks (dict; NaN for the
        baseline): the paired mean scores, ties set to zero and split."""
        return {
            n: float("nan") if n == self.baseline else self._pvalue(n)
            for n in self.estimator_names
        }

    def _pvalue(self, name):
        # memoised: scipy's permutation test (<= 13 tasks with ties) is slow
        d = self._tied_difference(name)
        key = d.tobytes()
        if key not in self._pvalue_cache:
            self._pvalue_cache[key] = _wilcoxon(d)
        return self._pvalue_cache[key]

    @property
    def median_difference(self):
        """Median over tasks of the per-task difference from the baseline (dict)."""
        out = {}
        for name in self.estimator_names:
            d = self.difference(name)
            d = d[~np.isnan(d)]
            out[name] = float(np.median(d)) if d.size else float("nan")
        return out

    def task_averaged(self, name):
        """Score of ``name`` averaged over tasks, per split: (n_splits,)."""
        return _nanmean(self.scores[name], 1)

    # -- words -----------------------------------------------------------------
    def verdict(self, name=None):
        """One sentence per estimator on how it compares with the baseline.

        "beats" needs a Wilcoxon p-value below 0.05 and a positive median
        difference; "is worse than" a p-value below 0.05 and a negative one.

        Parameters
        ----------
        name : str, default=None
            One estimator; default: every estimator but the baseline, one
            line each.

        Returns
        -------
        text : str

        Examples
        --------
        >>> import numpy as np
        >>> from skmtl.model_selection import Comparison
        >>> scores = {"mtl": np.array([[0.8, 0.7, 0.9]]),
        ...           "one": np.array([[0.6, 0.7, 0.5]])}
        >>> print(Comparison(scores, {"mtl": [1.0], "one": [1.0]}, "abc", "one",
        ...                  scoring="r2").verdict())  # doctest: +NORMALIZE_WHITESPACE
        mtl: no significant difference from one (better on 2, worse on 0 of 3
        tasks; median +0.2 r2, Wilcoxon p = 0.5).
        """
        if name is not None:
            return self._sentence(name)
        return "\n".join(
            self._sentence(n) for n in self.estimator_names if n != self.baseline
        )

    def _sentence(self, name):
        if name == self.baseline:
            return f"{name} is the baseline."
        p, median = self.pvalues[name], self.median_difference[name]
        n_tasks = len(self.task_names)
        stats_text = f"median {median:+.3g} {self.scoring}, Wilcoxon p = {_format_p(p)}"
        if p < 0.05 and median > 0:
            return (
                f"{name} beats {self.reference} on {self.wins[name]} of {n_tasks} "
                f"tasks ({stats_text})."
            )
        if p < 0.05 and median < 0:
            return (
                f"{name} is worse than {self.reference} on {self.losses[name]} of "
                f"{n_tasks} tasks ({stats_text})."
            )
        return (
            f"{name}: no significant difference from {self.reference} (better on "
            f"{self.wins[name]}, worse on {self.losses[name]} of {n_tasks} tasks; "
            f"{stats_text})."
        )

    def _rows(self):
        rows = [
            ["estimator", f"{self.scoring} mean ± std", "wins", "ties", "losses"]
            + ["p-value", "fit time"]
        ]
        wins, ties, losses, pvalues = self.wins, self.ties, self.losses, self.pvalues
        for name in self.estimator_names:
            averaged = self.task_averaged(name)
            score = f"{_format_score(_nanmean(averaged, 0))} ± "
            score += _format_score(_nanstd(averaged, 0))
            counts = [str(count[name]) for count in (wins, ties, losses)]
            label = name
            if name == self.baseline:
                label, counts = f"{name} *", ["-"] * 3
            seconds = float(np.sum(self.fit_time[name]))
            fit_time = f"{seconds:.1f} s" if seconds >= 1 else f"{seconds:.2f} s"
            rows.append([label, score, *counts, _format_p(pvalues[name]), fit_time])
        return rows

    def summary(self):
        """Text report: a table (one row per estimator) and the verdicts.

        The score column is the mean ± standard deviation over splits of the
        score averaged over tasks; wins, ties and losses count tasks against
        the baseline (marked ``*``); the p-value is the Wilcoxon test's.

        Returns
        -------
        text : str
        """
        rows = self._rows()
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
            for row in rows
        ]
        title = (
            f"{len(self.task_names)} tasks, {self.n_splits} cross-validation splits; "
            f"{self.scoring} per task, greater is better; * baseline."
        )
        rule = "-" * len(lines[0])
        return "\n".join(
            [title, rule, lines[0], rule, *lines[1:], rule, self.verdict()]
        )

    def __str__(self):
        return self.summary()

    def __repr__(self):
        return (
            f"<Comparison of {len(self.estimator_names)} estimators on "
            f"{len(self.task_names)} tasks, {self.n_splits} splits, "
            f"scoring={self.scoring!r}, baseline={self.baseline!r}>"
        )

    # -- tables and pictures -------------------------------------------------------
    def to_frame(self, layout="wide"):
        """Per-task table (pandas) of the mean and std of every estimator.

        Parameters
        ----------
        layout : {"wide", "long"}, default="wide"
            ``"wide"``: one row per task, columns ``(estimator, "mean")`` and
            ``(estimator, "std")``. ``"long"``: one row per (task, estimator)
            with columns ``task``, ``estimator``, ``mean``, ``std``,
            ``n_splits`` (splits where the score is defined), ``difference``
            (from the baseline) and ``outcome`` (``"win"``, ``"tie"``,
            ``"loss"`` or ``"baseline"``).

        Returns
        -------
        frame : pandas.DataFrame

        Examples
        --------
        >>> import numpy as np
        >>> from skmtl.model_selection import Comparison
        >>> scores = {"mtl": np.array([[0.8, 0.7]]), "one": np.array([[0.6, 0.7]])}
        >>> result = Comparison(scores, {"mtl": [1.0], "one": [1.0]}, "ab", "one")
        >>> result.to_frame().shape
        (2, 4)
        >>> list(result.to_frame("long").columns)
        ['task', 'estimator', 'mean', 'std', 'n_splits', 'difference', 'outcome']
        """
        pd = _import("pandas", "Comparison.to_frame")
        if layout == "wide":
            columns = pd.MultiIndex.from_product(
                [self.estimator_names, ["mean", "std"]]
            )
            values = np.stack([self.mean, self.std], axis=2).reshape(
                len(self.task_names), -1
            )
            index = pd.Index(self.task_names, name="task")
            return pd.DataFrame(values, index=index, columns=columns)
        if layout != "long":
            raise ValueError(f"layout must be 'wide' or 'long'; got {layout!r}.")
        words = {1: "win", 0: "tie", -1: "loss"}
        mean, std, parts = self.mean, self.std, []
        for j, name in enumerate(self.estimator_names):
            outcome = [words[o] for o in self.outcome(name)]
            if name == self.baseline:
                outcome = ["baseline"] * len(outcome)
            columns = {
                "task": self.task_names,
                "estimator": name,
                "mean": mean[:, j],
                "std": std[:, j],
                "n_splits": (~np.isnan(self.scores[name])).sum(axis=0),
                "difference": self.difference(name),
                "outcome": outcome,
            }
            parts.append(pd.DataFrame(columns))
        return pd.concat(parts, ignore_index=True)

    def plot(self, ax=None, kind="tasks"):
        """Picture of the per-task comparison with the baseline.

        Parameters
        ----------
        ax : matplotlib Axes or array of Axes, default=None
            Where to draw: for ``kind="tasks"`` at least ``n_estimators``
            Axes (a new figure if None), for ``kind="differences"`` one Axes.
        kind : {"tasks", "differences"}, default="tasks"
            ``"tasks"``: for every estimator but the baseline, a scatter of
            its per-task mean score (y) against the baseline's (x), with the
            diagonal, tasks coloured by win / tie / loss; plus a panel of
            the sorted per-task differences from the baseline of every
            estimator. ``"differences"``: that last panel only.

        Returns
        -------
        figure : matplotlib.figure.Figure

        Examples
        --------
        >>> result.plot().savefig("comparison.png")  # doctest: +SKIP
        """
        if kind not in ("tasks", "differences"):
            raise ValueError(f"kind must be 'tasks' or 'differences'; got {kind!r}.")
        models = [n for n in self.estimator_names if n != self.baseline]
        if not models:
            raise ValueError("Nothing to plot: the only estimator is the baseline.")
        plt = _import("matplotlib.pyplot", "Comparison.plot", "matplotlib")
        if kind == "differences":
            if ax is None:
                ax = plt.subplots(figsize=(6.0, 4.0), layout="constrained")[1]
            self._plot_differences(ax, models)
            return ax.figure
        axes = self._panel_axes(plt, ax, len(models))
        for panel, name in zip(axes, models, strict=False):
            self._plot_scatter(panel, name)
        self._plot_differences(axes[len(models)], models)
        for panel in axes[len(models) + 1 :]:
            panel.set_visible(False)
        return axes[0].figure

    def _panel_axes(self, plt, ax, n_models):
        """Axes of the scatter panels, then the differences panel (which spans
        the rest of the last row of a new figure)."""
        if ax is not None:
            axes = np.ravel(ax)
            if axes.size < n_models + 1:
                raise ValueError(
                    f"kind='tasks' draws {n_models + 1} panels (one per estimator but "
                    f"the baseline, plus the differences); ax has {axes.size}."
                )
            return axes
        nrows = -(-(n_models + 1) // 4)
        ncols = -(-(n_models + 1) // nrows)
        figure = plt.figure(figsize=(4.2 * ncols, 4.0 * nrows), layout="constrained")
        grid = figure.add_gridspec(nrows, ncols)
        axes = [
            figure.add_subplot(grid[k // ncols, k % ncols]) for k in range(n_models)
        ]
        axes.append(figure.add_subplot(grid[n_models // ncols, n_models % ncols :]))
        figure.suptitle(
            f"Per-task {self.scoring} against {self.baseline} "
            f"({len(self.task_names)} tasks, {self.n_splits} CV splits)"
        )
        return axes

    def _plot_scatter(self, ax, name):
        x, y = self._task_mean(self.baseline), self._task_mean(name)
        inner = _robust_range(self.mean)
        if inner is not None:  # outliers are drawn on the border, as triangles
            clipped = (np.clip(x, *inner) != x) | (np.clip(y, *inner) != y)
            x, y = np.clip(x, *inner), np.clip(y, *inner)
        outcome = self.outcome(name)
        kinds = ((1, "better", _WIN), (0, "tie", _TIE), (-1, "worse", _LOSS))
        for value, word, colour in kinds:
            keep = outcome == value
            if keep.any():
                label = f"{word} ({int(keep.sum())})"
                ax.scatter(x[keep], y[keep], s=22, color=colour, label=label)
        if inner is not None:
            if clipped.any():
                ax.scatter(
                    x[clipped],
                    y[clipped],
                    s=70,
                    marker="v",
                    facecolors="none",
                    edgecolors="0.2",
                    label=f"off scale ({int(clipped.sum())})",
                )
            limits = _padded(inner)
            ax.plot(limits, limits, color="0.3", lw=1, ls="--", zorder=0)
            ax.set_xlim(*limits)
            ax.set_ylim(*limits)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel(f"{self.baseline} ({self.scoring})")
        ax.set_ylabel(f"{name} ({self.scoring})")
        median, p = self.median_difference[name], _format_p(self.pvalues[name])
        ax.set_title(f"{name}\nmedian gain {median:+.3g}, Wilcoxon p = {p}")
        ax.legend(loc="lower right", fontsize="small", frameon=False)

    def _plot_differences(self, ax, models):
        for name in models:
            d = self.difference(name)
            d = np.sort(d[~np.isnan(d)])[::-1]
            ax.plot(
                np.arange(1, d.size + 1), d, drawstyle="steps-mid", lw=1.6, label=name
            )
        inner = _robust_range(np.append([self.difference(n) for n in models], 0.0))
        if inner is not None:
            ax.set_ylim(*_padded(inner))
        ax.axhline(0.0, color="0.3", lw=1, ls="--")
        ax.set_xlabel("tasks, sorted by difference")
        ax.set_ylabel(f"{self.scoring}: estimator − {self.baseline}")
        ax.set_title("Gain over the baseline, task by task", fontsize="medium")
        ax.legend(fontsize="small", framealpha=0.8)


def _robust_range(values):
    """Range of the finite ``values`` without outliers (further than half the
    2-98 % quantile range beyond those quantiles); None if there are none."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    q_low, q_high = np.quantile(values, [0.02, 0.98])
    spread = q_high - q_low
    return max(values.min(), q_low - spread / 2), min(values.max(), q_high + spread / 2)


def _padded(limits):
    low, high = limits
    pad = 0.05 * (high - low) or 0.05
    return low - pad, high + pad


def _import(module, caller, package=None):
    """Import an optional dependency, with a clear message if it is missing."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = package or module
        raise ImportError(
            f"{caller} needs {package}, which is not installed; install it with "
            f"`pip install {package}`."
        ) from exc
