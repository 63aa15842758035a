"""Regression tasks that share a nonlinear representation.

Twelve tasks read out the same nonlinear features, ``y_t = tanh(X A) v_t +
noise`` (``A`` of shape (10, 5)), each from its own 40 rows.

1. :func:`skmtl.compare` cross-validates :class:`skmtl.MultiTaskMLPRegressor`
   (one hidden layer shared by all tasks) against one scikit-learn
   ``MLPRegressor`` per task (:class:`skmtl.SingleTaskBaseline`) and against
   the linear multi-task models :class:`skmtl.L21Regressor` and
   :class:`skmtl.TraceNormRegressor` (each tuned by an inner grid search).
2. Auxiliary tasks: a main task with 15 rows and five auxiliary tasks with 200
   rows each; held-out R² of the main task with equal task weights, with
   small fixed weights (0.1) on the auxiliary tasks, with learned
   uncertainty weights, and with the main task alone. Once with auxiliary
   tasks that share the main task's representation, once with auxiliary
   tasks built on an unrelated representation.

Run ``python examples/mlp_shared_representation.py [--quick]``.
"""

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # small fits: threads only add overhead

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold  # noqa: E402
from sklearn.neural_network import MLPRegressor  # noqa: E402

from skmtl import (  # noqa: E402
    L21Regressor,
    MultiTaskMLPRegressor,
    SingleTaskBaseline,
    TraceNormRegressor,
    compare,
)
from skmtl.metrics import get_scorer, r2_score  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="smaller runs (for tests)")
args = parser.parse_args()
start = time.perf_counter()
warnings.simplefilter("ignore", ConvergenceWarning)


def representation(rng, d=10, k=5):
    return 2 * rng.standard_normal((d, k)) / np.sqrt(d)


def stacked_tasks(rng, maps, readouts, rows_per_task, noise=0.3):
    """Each task ``t`` observes its own rows: ``tanh(X maps[t]) readouts[t]``."""
    task = np.repeat(np.arange(len(maps)), rows_per_task)
    X = rng.standard_normal((task.size, maps[0].shape[0]))
    Y = np.full((task.size, len(maps)), np.nan)
    for t, (A, v) in enumerate(zip(maps, readouts, strict=True)):
        rows = task == t
        Y[rows, t] = np.tanh(X[rows] @ A) @ v + noise * rng.standard_normal(rows.sum())
    return X, Y


# --- 1. compare ---------------------------------------------------------------
rng = np.random.default_rng(0)
n_tasks = 4 if args.quick else 12
A = representation(rng)
X, Y = stacked_tasks(rng, [A] * n_tasks, rng.standard_normal((n_tasks, 5)), 40)
r2 = get_scorer("r2")
inner = KFold(3, shuffle=True, random_state=0)  # rows are sorted by task
models = {
    "MultiTaskMLPRegressor": MultiTaskMLPRegressor(alpha=0.1, random_state=0),
    "L21Regressor": GridSearchCV(
        L21Regressor(), {"alpha": [0.003, 0.01, 0.03, 0.1]}, cv=inner, scoring=r2
    ),
    "TraceNormRegressor": GridSearchCV(
        TraceNormRegressor(), {"alpha": [0.01, 0.03, 0.1, 0.3]}, cv=inner, scoring=r2
    ),
    "SingleTask(MLPRegressor)": SingleTaskBaseline(
        MLPRegressor(hidden_layer_sizes=(100,), solver="lbfgs", alpha=10.0,
                     max_iter=500, random_state=0)
    ),
}
n_folds = 3 if args.quick else 5
print(f"{n_tasks} tasks, 40 rows each, sharing tanh(X A); {n_folds}-fold CV, R² "
      "per task")
result = compare(models, X, Y, cv=n_folds, random_state=0)
print(result)


# --- 2. auxiliary tasks: equal, small, learned weights ------------------------
def main_task_score(seed, related, weights):
    rng = np.random.default_rng(seed)
    A_main = representation(rng)
    A_aux = A_main if related else representation(rng)
    readouts = rng.standard_normal((6, 5))
    X, Y = stacked_tasks(rng, [A_main] + [A_aux] * 5, readouts, [15] + [200] * 5)
    X_test, Y_test = stacked_tasks(rng, [A_main], readouts[:1], 1000)
    if weights == "main task alone":
        X, Y = X[:15], Y[:15, :1]
    task_weights = {"equal (1)": None, "auxiliary 0.1": [1.0] + [0.1] * 5,
                    "uncertainty": "uncertainty"}.get(weights)
    model = MultiTaskMLPRegressor(alpha=0.1, task_weights=task_weights,
                                  random_state=seed).fit(X, Y)
    return r2_score(Y_test[:, 0], model.predict(X_test)[:, 0])


seeds = range(1 if args.quick else 5)
print("\nmain task (15 rows) with five auxiliary tasks (200 rows each): held-out "
      f"R² of the main task, mean over {len(seeds)} seed(s)")
for related in (True, False):
    kind = "the main task's" if related else "an unrelated"
    print(f"  auxiliary tasks on {kind} representation")
    for weights in ("equal (1)", "auxiliary 0.1", "uncertainty", "main task alone"):
        scores = [main_task_score(seed, related, weights) for seed in seeds]
        print(f"    {weights:<16} {np.mean(scores):6.3f}  (per seed "
              f"{', '.join(f'{s:.2f}' for s in scores)})")
print(f"done in {time.perf_counter() - start:.1f} s")
