"""Does multi-task learning help on real data? The School benchmark.

The School data (Inner London Education Authority) has the exam scores of
15,362 students in 139 schools; predicting the score in each school is one
task, from 28 features of the student and the school. Many schools have few
students, so borrowing strength across schools should help.

:func:`skmtl.model_selection.compare` cross-validates several multi-task
models and the two baselines on the same splits and reports, school by
school, whether each model beats one ridge regression per school
(:class:`skmtl.SingleTaskBaseline`): wins, losses, the mean relative gain
with a confidence interval, a sign-flip permutation test over schools and a
table. ``--scoring explained_variance_mtl`` reports the pooled explained
variance of the multi-task literature instead of the per-school R². The other baseline,
:class:`skmtl.PooledBaseline`, fits one ridge regression to all schools.

Every model standardises the features in a ``Pipeline``; the multi-task
models choose ``alpha`` among three values by an inner 3-fold
cross-validation (``GridSearchCV`` with
:class:`skmtl.model_selection.TaskStratifiedKFold`). By default a random subsample of 30
schools keeps the run short; ``--n-tasks 139`` uses them all.

The data file ``school.mat`` is not shipped with skmtl. It is looked for in
``--data-home``, by default in the directory named by the environment
variable ``SKMTL_DATA``, else in ``../shared/data`` next to the repository
if that exists, else in ``~/skmtl_data``; see
:func:`skmtl.datasets.load_school` (which can also download it).

Run ``python examples/compare_on_school.py [--n-tasks 30] [--plot FILE.png]``.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skmtl import (
    L21Regressor,
    MeanRegularizedRegressor,
    PooledBaseline,
    SingleTaskBaseline,
    TraceNormRegressor,
)
from skmtl.datasets import load_school
from skmtl.metrics import get_scorer
from skmtl.model_selection import TaskStratifiedKFold, compare


def default_data_home():
    """$SKMTL_DATA, else ../shared/data next to the repository, else None."""
    if os.environ.get("SKMTL_DATA"):
        return os.environ["SKMTL_DATA"]
    shared = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    return str(shared) if shared.is_dir() else None


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument(
    "--data-home",
    default=default_data_home(),
    help="directory holding school.mat (default: $SKMTL_DATA, else "
    "../shared/data next to the repository if it exists, else ~/skmtl_data)",
)
parser.add_argument(
    "--n-tasks",
    type=int,
    default=30,
    help="number of schools drawn at random (default 30; 139 for all)",
)
parser.add_argument("--plot", metavar="FILE", help="save comparison.plot() to FILE")
parser.add_argument("--quick", action="store_true", help="3 folds, smaller grids")
parser.add_argument("--n-jobs", type=int, default=2, help="parallel fits (joblib)")
parser.add_argument(
    "--scoring",
    default="r2",
    choices=["r2", "explained_variance_mtl", "neg_mean_squared_error"],
    help="comparison metric (default r2 per school; explained_variance_mtl is the "
    "pooled explained variance of the literature)",
)
args = parser.parse_args()
if args.n_tasks < 2:
    parser.error(f"--n-tasks must be at least 2; got {args.n_tasks}")
start = time.perf_counter()

# --- the data ------------------------------------------------------------------
try:
    school = load_school(args.data_home)
except (FileNotFoundError, OSError) as exc:
    print(f"School data not available, nothing to do: {exc}")
    sys.exit(0)

# Stacked format: school.target[i, t] is the score of student i if t is the
# student's school, NaN otherwise. Keep a random subsample of schools.
rng = np.random.default_rng(0)
n_schools = school.target.shape[1]
n_tasks = min(args.n_tasks, n_schools)
schools = np.sort(rng.choice(n_schools, n_tasks, replace=False))
rows = np.isin(school.task, schools)
X, Y = school.data[rows], school.target[rows][:, schools]
sizes = np.sum(~np.isnan(Y), axis=0)
print(
    f"School: {n_tasks} of {n_schools} schools, {X.shape[0]} students, "
    f"{X.shape[1]} features; students per school {sizes.min()} to {sizes.max()} "
    f"(median {int(np.median(sizes))})"
)


# --- the models ------------------------------------------------------------------
# The rows are stacked school by school: scikit-learn's default cv=3 (an
# unshuffled KFold) would hold out whole schools, and a shuffled one can leave
# a small school with 0 or 1 test rows in a fold. TaskStratifiedKFold spreads
# every school's students evenly over the folds.
inner_cv = TaskStratifiedKFold(3, random_state=0)
r2 = get_scorer("r2")  # mean over schools of R² on the observed entries


def tuned(model, alphas, **params):
    """Standardise, then choose the model's alpha by inner cross-validation."""
    pipe = Pipeline(
        [("scale", StandardScaler()), ("model", model.set_params(**params))]
    )
    return GridSearchCV(pipe, {"model__alpha": alphas}, cv=inner_cv, scoring=r2)


def ridge():
    return Pipeline(
        [("scale", StandardScaler()), ("ridge", RidgeCV(alphas=np.logspace(-3, 3, 13)))]
    )


# Penalty strengths on standardised features. The data term sums the mean
# losses of the schools, so skmtl.alpha_max grows with their number (L2,1:
# about 30 for 30 schools, 70 for all 139); alpha from 1 to 10 is then a few
# percent of alpha_max. Much smaller values (below about 0.5 % of alpha_max)
# leave nearly flat directions (the columns constant within a school duplicate
# its intercept) and TraceNormRegressor then stops at max_iter unconverged.
grid = [1.0, 3.0] if args.quick else [1.0, 3.0, 10.0]
estimators = {
    "single-task ridge": SingleTaskBaseline(ridge()),
    "pooled ridge": PooledBaseline(ridge()),
    "L21Regressor": tuned(L21Regressor(), grid),
    "TraceNormRegressor": tuned(TraceNormRegressor(), grid),
    "MeanRegularized": tuned(
        MeanRegularizedRegressor(),
        [0.3, 1.0] if args.quick else [0.3, 1.0, 3.0],
        ridge=0.1,
    ),
}

# --- cross-validated comparison, school by school ----------------------------------
comparison = compare(
    estimators,
    X,
    Y,
    cv=TaskStratifiedKFold(3 if args.quick else 5, random_state=0),
    scoring=args.scoring,
    baseline="single-task ridge",
    n_jobs=args.n_jobs,
)
print()
print(comparison.summary())

# per-school gains of the best multi-task model (comparison.to_frame() gives
# the whole per-school table as a pandas DataFrame)
multi_task = [name for name in estimators if "ridge" not in name]
best = max(multi_task, key=lambda name: np.mean(comparison.task_averaged(name)))
difference = comparison.difference(best)
print(
    f"\nbest on average: {best}; per-school {args.scoring} gain over single-task "
    "ridge: "
    f"median {np.nanmedian(difference):+.3f}, range {np.nanmin(difference):+.3f} to "
    f"{np.nanmax(difference):+.3f}"
)

if args.plot:
    import matplotlib

    matplotlib.use("Agg")
    comparison.plot().savefig(args.plot, dpi=100)
    print(f"plot written to {args.plot}")
print(f"done in {time.perf_counter() - start:.1f} s")
