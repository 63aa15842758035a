"""Command line: ``python -m skmtl compare`` (also installed as ``skmtl``).

Runs every multi-task model of the package, each tuned by an inner grid
search, against single-task and pooled baselines on one data set, and prints
how many tasks each model wins, the mean gain with a confidence interval, a
paired test over tasks (sign-flip permutation by default) and a verdict::

    python -m skmtl compare                       # built-in synthetic data
    python -m skmtl compare --dataset school --data-home DIR --plot school.png
    python -m skmtl compare --csv data.csv --target y --task site
    python -m skmtl compare --models L21Regressor,TraceNormRegressor \\
        --scoring neg_mean_squared_error --output tasks.csv

Protocols. The built-in data sets use random per-task splits: each split
trains on ``--train-size`` rows of every task (stratified by label for
classification) and tests on the task's other rows, the usual benchmark
protocol (School: 75 % / 25 % per school, R² per school; Landmine: few
training rows per field, ROC AUC per field). A CSV file is split by K-fold
over rows, stratified by task (and label).

Tuning. Inside every training set, each multi-task model is its
cross-validated estimator (``L21RegressorCV``, ...; 3 folds of
:class:`~skmtl.model_selection.TaskStratifiedKFold`, scored by the
comparison's own ``--scoring``: R² or ROC AUC by default) on standardised
features: a warm-started path of 10 strengths of ``alpha`` (8 with
``--quick``) over two decades (``eps=1e-2``, or the CV class's own ``eps``
when larger) of the model's default grid (from ``alpha_max`` where the model
has one), times the
values of its second strength listed in ``skmtl/_registry.py`` (``ridge``
of the mean-regularized model, ``l1`` of the task-graph model as fractions
of its ``alpha_max``).
The models are those of ``skmtl/_registry.py``. The baselines are a
standardised ``RidgeCV`` or a ``LogisticRegression`` with ``C`` tuned by
3-fold log-loss, per task
(single-task) or on all tasks pooled. Warnings raised while fitting are not
shown, except convergence warnings.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch

from . import PooledBaseline, SingleTaskBaseline, __version__
from ._registry import find, model_names
from .datasets import (
    load_landmine,
    load_school,
    make_multitask_regression,
    stack_tasks,
)
from .metrics import get_scorer
from .model_selection import (
    TaskStratifiedKFold,
    _scoring_names,
    compare,
    cv_class,
    task_train_test_split,
)

__all__ = ["main"]

_PROG = "skmtl"

# Built-in synthetic data (--quick: smaller), default training rows per task.
_SYNTHETIC = dict(n_tasks=20, n_features=50, n_informative=5, noise=0.5, n_test=70)
_SYNTHETIC_QUICK = dict(_SYNTHETIC, n_tasks=12, n_features=30, n_test=30)
_TRAIN_SIZE = {"synthetic": 30, "school": 0.75, "landmine": 80}
_QUICK_TASKS = {"school": 15}
# The path of each CV estimator stops at _EPS alpha_max, or at the CV class's
# own eps when larger (DirtyRegressorCV: one decade); strengths on it (full,
# --quick; or the CV class's own number when smaller): steps of 1.7x
# (1.9x). Coarser steps miss the optimum where it lies near alpha_max: on
# Landmine the log-loss of L21ClassifierCV is best at 0.3-0.6 alpha_max, and
# with 5 strengths (steps of 3.2x) the quick run chose alpha_max itself, the
# all-zero model (ROC AUC 0.5), on one split of two.
_N_ALPHAS = {False: 10, True: 8}
_EPS = 1e-2  # the path stops at 1e-2 alpha_max: denser solutions never won here


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


def _cv_model(family, classification, quick, scoring, inner_cv):
    """The family's cross-validated estimator, standardised, its grids read
    from the registry: the path covers the main strength (``alpha``, or the
    ``ratio`` to ``alpha_max``) with ``_N_ALPHAS`` values; the registry's
    values of the CV class's second strength (``ridge``, or ``l1`` as a
    fraction of its ``alpha_max``) are searched as a list."""
    cls = cv_class(family.cls(classification))
    names = cls._get_param_names()
    params = {k: v for k, v in family.params.items() if k in names}
    second, grid = cls._second, family.grid_for(quick)
    key = "ratio" if (second is not None and family.relative == second) else second
    if key in grid:
        params[second] = list(grid[key])
    model = cls(alphas=min(_N_ALPHAS[quick], cls._n_alphas),
                eps=max(_EPS, cls._eps), cv=inner_cv, scoring=scoring, **params)
    return cls.__name__, Pipeline([("scale", StandardScaler()), ("model", model)])


def _models(classification, quick, seed, names=None, scoring=None):
    """The multi-task models of the kind (all, or ``names``), each its CV
    estimator, then the two baselines.

    Inner folds score by ``scoring``, the comparison's own metric (default
    R², or ROC AUC for classification; a task whose fold shows one class is
    left out of that fold's mean). Tuning a classifier by log-loss instead
    favours strong shrinkage on rare positives: on Landmine (6 % positives)
    L21ClassifierCV then chose 0.52 ``alpha_max`` on one split, ROC AUC 0.60
    against 0.72 when tuned by ROC AUC."""
    if scoring is None:
        scoring = "roc_auc" if classification else "r2"
    inner_cv = TaskStratifiedKFold(
        _inner_folds(quick), random_state=seed, labels=classification
    )
    names = model_names(classification) if names is None else names
    models = {}
    for name in names:
        family, _ = find(name)
        label, model = _cv_model(family, classification, quick, scoring, inner_cv)
        models[label] = model
    models.update(_baselines(classification, quick, seed))
    return models


def _inner_folds(quick):
    """Number of inner folds that tune the multi-task models."""
    return 2 if quick else 3


def _baselines(classification, quick, seed):
    if classification:
        folds = StratifiedKFold(3, shuffle=True, random_state=seed)
        C = [0.1, 1.0] if quick else list(np.logspace(-2, 2, 5))
        pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        grid = {"logisticregression__C": C}
        scorer = get_scorer("neg_log_loss")
        inner = GridSearchCV(pipe, grid, scoring=scorer, cv=folds, error_score="raise")
        label = "LogisticRegression"
    else:
        inner = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
        label = "RidgeCV"
    return {
        f"SingleTask({label})": SingleTaskBaseline(inner),
        f"Pooled({label})": PooledBaseline(clone(inner)),
    }


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def _per_task_splits(data, train_size, n_splits, seed):
    """Random splits with ``train_size`` training rows (or fraction) per task,
    stratified by label in classification; each task tests on its other rows."""
    rng = np.random.default_rng(seed)
    rows = np.arange(len(data.Y))
    splits = []
    for _ in range(n_splits):
        *_, train, test = task_train_test_split(
            data.X,
            data.Y,
            rows,
            train_size=train_size,
            random_state=int(rng.integers(2**31 - 1)),
            labels=data.classification,
        )
        splits.append((np.sort(train), np.sort(test)))
    return splits


def _synthetic(args):
    size = _train_size(args, "synthetic")
    if not isinstance(size, int):
        raise _UsageError("--train-size of the synthetic data must be a number of rows")
    spec = _SYNTHETIC_QUICK if args.quick else _SYNTHETIC
    X, Y, truth = make_multitask_regression(
        size + spec["n_test"],
        spec["n_features"],
        spec["n_tasks"],
        structure="shared_support",
        n_informative=spec["n_informative"],
        noise=spec["noise"],
        shared_rows=False,
        random_state=args.seed,
        return_coef=True,
    )
    title = (
        f"synthetic regression: {spec['n_tasks']} tasks sharing "
        f"{spec['n_informative']} of {spec['n_features']} features, {size} "
        "training rows per task"
    )
    return Bunch(X=X, Y=Y, task=truth.task, classification=False, title=title)


def _benchmark(args):
    loader = load_school if args.dataset == "school" else load_landmine
    try:
        data = loader(args.data_home)
    except (FileNotFoundError, OSError) as exc:
        raise _UsageError(str(exc)) from None
    X, Y, task = data.data, data.target, data.task
    if args.quick and args.dataset in _QUICK_TASKS:
        rng = np.random.default_rng(args.seed)
        keep = np.sort(
            rng.choice(Y.shape[1], _QUICK_TASKS[args.dataset], replace=False)
        )
        rows = np.isin(task, keep)
        X, Y, task = X[rows], Y[rows][:, keep], np.searchsorted(keep, task[rows])
    classification = args.dataset == "landmine"
    size = _train_size(args, args.dataset)
    what = "fields" if classification else "schools"
    title = f"{args.dataset}: {Y.shape[1]} {what}, {_describe_size(size)} per task"
    return Bunch(X=X, Y=Y, task=task, classification=classification, title=title)


def _read_csv(args):
    try:
        import pandas as pd
    except ImportError:
        raise _UsageError("--csv needs pandas: pip install pandas") from None
    if not os.path.isfile(args.csv):
        raise _UsageError(f"--csv: no such file: {args.csv}")
    try:
        frame = pd.read_csv(args.csv)
    except (ValueError, OSError) as exc:
        raise _UsageError(f"--csv: cannot read {args.csv}: {exc}") from None
    for option, column in (("--target", args.target), ("--task", args.task)):
        if column not in frame.columns:
            raise _UsageError(
                f"{option}: column {column!r} is not in {args.csv} "
                f"(columns: {', '.join(map(str, frame.columns))})"
            )
    unlabelled = int(frame[args.target].isna().sum())
    if unlabelled:  # said, not silent: a row without a target has nothing to score
        _log(f"--csv: {unlabelled} of {len(frame)} rows have no {args.target!r} "
             "value and are left out")
    return frame.dropna(subset=[args.target])


def _csv_features(frame, args):
    features = frame.drop(columns=[args.target, args.task])
    bad = [str(c) for c in features.columns if features[c].dtype.kind not in "biuf"]
    if bad:
        raise _UsageError(
            f"--csv: the feature columns {bad} are not numeric; encode them "
            "(one column per category) or drop them from the file."
        )
    holes = features.isna()
    if holes.any().any():
        columns = [str(c) for c in features.columns[holes.any().to_numpy()]]
        raise _UsageError(
            f"--csv: the feature columns {columns} have missing values (in "
            f"{int(holes.any(axis=1).sum())} rows); fill them in (impute) or drop "
            "those rows from the file."
        )
    return features.to_numpy(float)


def _csv_target(frame, args, task):
    target = frame[args.target].to_numpy()
    if not args.classification:
        try:
            return target.astype(float)
        except ValueError:
            raise _UsageError(
                f"--target: column {args.target!r} is not numeric; add "
                "--classification if it holds labels."
            ) from None
    labels = [set(target[task == t]) for t in range(task.max() + 1)]
    if any(len(found) < 2 for found in labels) or any(x != labels[0] for x in labels):
        raise _UsageError(
            "--classification: every task needs the same labels, at least two "
            "(the task-relation models compare tasks class by class)."
        )
    return target


def _csv(args):
    frame = _read_csv(args)
    values = _csv_features(frame, args)
    names, task = np.unique(frame[args.task].astype(str), return_inverse=True)
    counts = np.bincount(task)
    if counts.min() < args.cv:
        small = [str(n) for n, c in zip(names, counts, strict=True) if c < args.cv]
        raise _UsageError(
            f"--csv: task(s) {small} have fewer rows than --cv {args.cv}."
        )
    target = _csv_target(frame, args, task)
    rows = [task == t for t in range(names.size)]
    X, Y, task = stack_tasks([values[r] for r in rows], [target[r] for r in rows])
    kind = "classification" if args.classification else "regression"
    title = (
        f"{args.csv}: {kind}, {names.size} tasks, {len(X)} rows, {X.shape[1]} features"
    )
    return Bunch(X=X, Y=Y, task=task, classification=args.classification, title=title,
                 task_names=[str(n) for n in names])


def _train_size(args, dataset):
    size = _TRAIN_SIZE[dataset] if args.train_size is None else args.train_size
    if args.quick and args.train_size is None and dataset == "landmine":
        size = 60
    return size


def _describe_size(size):
    return (
        f"{size:.0%} of the rows"
        if isinstance(size, float)
        else f"{size} training rows"
    )


def _splits(args, data):
    """Outer splits; for classification, check every training set can be tuned."""
    labels = None
    if data.classification:
        labels = data.Y[np.arange(len(data.Y)), data.task]
    if args.csv is not None:
        folds = TaskStratifiedKFold(
            args.cv, random_state=args.seed, labels=data.classification
        )
        splits, option = list(folds.split(data.X, data.Y)), "--cv"
    else:
        size = _train_size(args, args.dataset)
        option = f"--train-size {size}"
        try:
            splits = _per_task_splits(data, size, args.cv, args.seed)
        except ValueError as exc:
            raise _UsageError(f"{option}: {exc}") from None
    _check_training_rows(splits, data, option, _inner_folds(args.quick))
    if labels is not None:
        _check_training_classes(splits, data.task, labels, option)
    return splits


def _task_name(data, t):
    names = data.get("task_names")
    return f"task {names[t]!r}" if names else f"task {t}"


def _check_training_rows(splits, data, option, n_inner):
    """The CV models tune on ``n_inner`` folds of each outer training set:
    every task needs that many training rows in every outer split (else a
    traceback from inside the comparison)."""
    n_tasks = int(data.task.max()) + 1
    for train, _ in splits:
        counts = np.bincount(data.task[train], minlength=n_tasks)
        if counts.min() < n_inner:
            t = int(np.argmin(counts))
            raise _UsageError(
                f"{option}: {_task_name(data, t)} has {counts[t]} training row(s) "
                f"in an outer split, fewer than the {n_inner} inner folds that "
                "tune the models; give it more rows, drop it, or use fewer "
                "outer splits.")


def _check_training_classes(splits, task, labels, option):
    """The single-task baseline tunes C by stratified 3-fold CV on each task:
    each task needs two training rows of each of its classes."""
    for train, _ in splits:
        for t in np.unique(task):
            rows = train[task[train] == t]
            counts = np.unique(labels[rows].astype(str), return_counts=True)[1]
            if counts.size < 2 or counts.min() < 2:
                raise _UsageError(
                    f"{option}: a training set has fewer than 2 rows of some class "
                    f"in task {t}; give more training rows per task."
                )


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


class _UsageError(Exception):
    """A problem with the arguments or the input files (exit code 2)."""


def _int_at_least(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer, got {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _n_jobs(text):
    value = _int_at_least(-(2**31))(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must not be 0 (use -1 for all processors)")
    return value


def _size(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value >= 1 and value.is_integer():
        return int(value)
    if 0 < value < 1:
        return value
    raise argparse.ArgumentTypeError(
        f"expected a number of rows (integer >= 1) or a fraction in (0, 1), "
        f"got {text!r}"
    )


_DESCRIPTION = """\
Cross-validate every multi-task model of skmtl (each tuned by its CV
estimator, L21RegressorCV, ...) against single-task and pooled baselines,
task by task; print the
wins, ties and losses of each model against the single-task baseline, the
mean relative gain over tasks with a bootstrap interval, a paired test over
tasks (--test) and a verdict. --output writes the per-task table as CSV.

Built-in data sets: random per-task splits, --train-size rows of each task
for training (stratified by label for landmine), the task's other rows for
testing. --csv: K-fold over rows, stratified by task (and label).
"""

_EPILOG = """\
examples:
  python -m skmtl compare
  python -m skmtl compare --dataset school --data-home DIR --plot school.png
  python -m skmtl compare --dataset landmine --train-size 40
  python -m skmtl compare --csv sales.csv --target y --task store --cv 5
  python -m skmtl compare --models L21Regressor,TraceNormRegressor \
      --scoring neg_mean_squared_error --test wilcoxon --output tasks.csv
"""


def _parser():
    parser = argparse.ArgumentParser(
        prog=_PROG, description="Regularized multi-task learning for scikit-learn."
    )
    parser.add_argument("--version", action="version", version=f"{_PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    cmd = commands.add_parser(
        "compare",
        help="cross-validate every multi-task model against single-task baselines",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_data_arguments(cmd)
    _add_run_arguments(cmd)
    cmd.set_defaults(parser=cmd)
    return parser


def _add_data_arguments(cmd):
    source = cmd.add_mutually_exclusive_group()
    source.add_argument(
        "--dataset",
        choices=["synthetic", "school", "landmine"],
        help="built-in data set (default: synthetic, 20 tasks favouring multi-task "
        "learning)",
    )
    source.add_argument("--csv", metavar="FILE", help="a CSV file, one row per sample")
    cmd.add_argument("--target", metavar="COL", help="with --csv: the target column")
    cmd.add_argument("--task", metavar="COL", help="with --csv: the task column")
    cmd.add_argument(
        "--classification",
        action="store_true",
        help="with --csv: the target is a label (default: a number)",
    )
    cmd.add_argument(
        "--data-home",
        metavar="DIR",
        help="directory of school.mat / LandmineData.mat (default: $SKMTL_DATA, "
        "then ~/skmtl_data)",
    )
    cmd.add_argument(
        "--train-size",
        type=_size,
        metavar="N",
        help="built-in data: training rows per task, or a fraction (defaults: "
        "synthetic 30, school 0.75, landmine 80)",
    )


def _add_run_arguments(cmd):
    cmd.add_argument(
        "--cv",
        type=_int_at_least(2),
        metavar="K",
        help="number of outer splits (default 5; 2 with --quick)",
    )
    cmd.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=-1,
        metavar="N",
        help="parallel fits (default -1: all processors)",
    )
    cmd.add_argument("--plot", metavar="FILE.png", help="save the per-task plot here")
    cmd.add_argument(
        "--output",
        metavar="FILE.csv",
        help="write the per-task table (one row per task and model) here",
    )
    cmd.add_argument(
        "--scoring",
        metavar="NAME",
        help="per-task score of the comparison, a name of skmtl.metrics."
        "get_scorer_names() (default: r2, or roc_auc for classification), also "
        "the score by which the inner folds tune the multi-task models (the "
        "logistic baselines tune C by log-loss)",
    )
    cmd.add_argument(
        "--models",
        metavar="A,B",
        help="comma-separated estimator class names (default: every multi-task "
        "model of the kind: "
        + ", ".join(model_names(False))
        + " or their classifiers); the baselines always run",
    )
    cmd.add_argument(
        "--test",
        choices=["permutation", "bootstrap", "wilcoxon"],
        default="permutation",
        help="paired test over tasks (default: sign-flip permutation test)",
    )
    cmd.add_argument(
        "--seed", type=_int_at_least(0), default=0, metavar="S", help="random seed"
    )
    cmd.add_argument(
        "--quick",
        action="store_true",
        help="small grids, 2 splits, smaller synthetic data, 15 random schools: a "
        "fast look",
    )


def _check_args(args):
    if args.csv is None:
        for option in ("target", "task"):
            if getattr(args, option) is not None:
                raise _UsageError(f"--{option} applies only with --csv")
        if args.classification:
            raise _UsageError("--classification applies only with --csv")
        args.dataset = args.dataset or "synthetic"
    elif args.target is None or args.task is None:
        raise _UsageError("--csv needs --target COL and --task COL")
    if args.data_home is not None and args.dataset not in ("school", "landmine"):
        raise _UsageError("--data-home applies only with --dataset school or landmine")
    if args.csv is not None and args.train_size is not None:
        raise _UsageError("--train-size applies only to the built-in data sets")
    if args.cv is None:
        args.cv = 2 if args.quick else 5
    if args.output is not None:
        folder = os.path.dirname(os.path.abspath(args.output))
        if not os.path.isdir(folder):
            raise _UsageError(f"--output: no such directory: {folder}")
    if args.plot is not None:
        _import_pyplot()
        folder = os.path.dirname(os.path.abspath(args.plot))
        if not os.path.isdir(folder):
            raise _UsageError(f"--plot: no such directory: {folder}")


def _check_models(text, classification):
    """Model class names of ``--models`` (None: all of the kind)."""
    if text is None:
        return None
    valid = model_names(classification)
    names = [name.strip() for name in text.split(",") if name.strip()]
    names = [n[:-2] if n.endswith("CV") and n[:-2] in valid else n for n in names]
    unknown = [name for name in names if name not in valid]
    if unknown or not names:
        kind = "classification" if classification else "regression"
        raise _UsageError(
            f"--models: unknown {kind} model(s) {unknown or [text]}; choose among "
            f"{', '.join(valid)}"
        )
    return list(dict.fromkeys(names))


def _check_scoring(scoring, classification):
    valid = _scoring_names(classification)
    if scoring not in valid:
        kind = "classification" if classification else "regression"
        raise _UsageError(
            f"--scoring: {scoring!r} is not a {kind} scorer; choose among "
            f"{', '.join(valid)}"
        )


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise _UsageError("--plot needs matplotlib: pip install matplotlib") from None
    return plt


def _log(message):
    print(f"{_PROG}: {message}", file=sys.stderr, flush=True)


def _load(args):
    if args.csv is not None:
        return _csv(args)
    if args.dataset == "synthetic":
        return _synthetic(args)
    return _benchmark(args)


_KERNEL_ENTRIES = 3000  # training entries above which the default list leaves
# out the kernel model (see _default_names)


def _default_names(classification, Y, splits):
    """The default models: all of the kind, but for the kernel model when a
    split trains on more than ``_KERNEL_ENTRIES`` observed entries. Its
    exact solve is cubic in them: on School (11,521 training entries a
    split) one split of ``MultiTaskKernelRidgeCV`` took 235-247 s, against
    at most 30 s for any other model. Returns ``(names, note)``, ``note``
    None when nothing was left out."""
    names = model_names(classification)
    kernel = [n for n in names if n.startswith("MultiTaskKernel")]
    if not kernel:
        return names, None
    observed = ~np.isnan(np.asarray(Y, dtype=float))
    entries = max(int(observed[train].sum()) for train, _ in splits)
    if entries <= _KERNEL_ENTRIES:
        return names, None
    note = (f"{', '.join(kernel)} left out of the default models: its exact "
            f"solve is cubic in the {entries:,} training entries of a split "
            f"(minutes per split above {_KERNEL_ENTRIES:,}); --models "
            f"{','.join(kernel)} runs it")
    return [n for n in names if n not in kernel], note


def _run(args, data, splits):
    scoring = args.scoring or ("roc_auc" if data.classification else "r2")
    names = _check_models(args.models, data.classification)
    if names is None and not data.classification:
        names, note = _default_names(data.classification, data.Y, splits)
        if note is not None:
            _log(note)
    _check_scoring(scoring, data.classification)
    models = _models(data.classification, args.quick, args.seed, names, scoring)
    baseline = next(name for name in models if name.startswith("SingleTask"))
    _log(
        f"{data.title}; {len(models)} models x {len(splits)} splits, each tuned by "
        f"its CV estimator; scoring {scoring}"
    )
    with warnings.catch_warnings(record=True) as caught:
        # The filters reach the worker processes: hide the chatter of the inner
        # searches (undefined scores on small folds), keep convergence problems
        # (once) and compare's own notes.
        warnings.simplefilter("ignore")
        warnings.filterwarnings("once", category=ConvergenceWarning)
        warnings.filterwarnings("always", message="compare:")
        result = compare(
            models,
            data.X,
            _named_targets(data),
            cv=splits,
            scoring=scoring,
            baseline=baseline,
            n_jobs=args.n_jobs,
            verbose=1,
            test=args.test,
            random_state=args.seed,
        )
    for message in dict.fromkeys(str(w.message) for w in caught):
        _log(f"warning: {message}")
    return result


def _named_targets(data):
    """``data.Y``, as a data frame whose columns are the CSV's task names
    when it has them (the comparison's table and plot then use them)."""
    names = data.get("task_names")
    if not names:
        return data.Y
    import pandas as pd

    return pd.DataFrame(data.Y, columns=names)


def _compare(args):
    start = time.perf_counter()
    _check_args(args)
    data = _load(args)
    result = _run(args, data, _splits(args, data))
    print(result.summary(), flush=True)
    if args.output is not None:
        result.to_csv(args.output)
        _log(f"per-task table written to {args.output}")
    if args.plot is not None:
        plt = _import_pyplot()
        figure = result.plot()
        figure.savefig(args.plot, dpi=120)
        plt.close(figure)
        _log(f"plot written to {args.plot}")
    _log(f"done in {time.perf_counter() - start:.1f} s")
    return 0


def main(argv=None):
    """Run the command line; return the exit code (0 on success).

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    code : int

    Examples
    --------
    >>> from skmtl.__main__ import main
    >>> main(["compare", "--quick", "--plot", "comparison.png"])  # doctest: +SKIP
    0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return _compare(args)
    except _UsageError as exc:
        args.parser.error(str(exc))


if __name__ == "__main__":
    # Run the importable copy, so that worker processes unpickle what it
    # defines by reference to skmtl.__main__, not to __main__.
    from skmtl.__main__ import main as _main

    sys.exit(_main())
