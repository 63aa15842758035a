"""Two classification tasks with 5 and 3 classes sharing one hidden layer.

100 rows of 10 features. Task ``"shape"`` has 5 classes (string labels),
task ``"size"`` has 3 (integers), and each task leaves some rows unlabelled.
Both are read out from one nonlinear representation ``tanh(X A)``.
:class:`skmtl.MultiTaskMLPClassifier` trains one shared hidden layer of 10
units with a softmax head per task over that task's own classes; it is
compared on 2000 held-out rows with one scikit-learn ``MLPClassifier`` per
task (same hidden layer, each on its own labelled rows) and with one
logistic regression per task.

Run ``python examples/mlp_two_classification_tasks.py [--quick]``.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from skmtl import MultiTaskMLPClassifier, SingleTaskBaseline
from skmtl.metrics import accuracy_score

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="fewer seeds (for tests)")
args = parser.parse_args()
start = time.perf_counter()
warnings.simplefilter("ignore", ConvergenceWarning)
np.set_printoptions(precision=3, suppress=True)

SHAPES = np.array(["circle", "cross", "square", "star", "triangle"], dtype=object)


def make_tasks(n, rng, A, B_shape, B_size, missing=0.2):
    X = rng.standard_normal((n, 10))
    H = np.tanh(X @ A)
    noise = 0.3 * rng.standard_normal((n, 8))
    Y = np.empty((n, 2), dtype=object)
    Y[:, 0] = SHAPES[np.argmax(H @ B_shape + noise[:, :5], axis=1)]
    Y[:, 1] = np.argmax(H @ B_size + noise[:, 5:], axis=1)
    Y[rng.random((n, 2)) < missing] = None
    return X, Y


def experiment(seed):
    rng = np.random.default_rng(seed)
    A = 1.5 * rng.standard_normal((10, 6)) / np.sqrt(10)
    B_shape, B_size = rng.standard_normal((6, 5)), rng.standard_normal((6, 3))
    X, Y = make_tasks(100, rng, A, B_shape, B_size)
    X_test, Y_test = make_tasks(2000, rng, A, B_shape, B_size, missing=0.0)
    models = {
        "MultiTaskMLPClassifier((10,))": MultiTaskMLPClassifier(
            (10,), alpha=0.01, random_state=seed
        ),
        "one MLPClassifier((10,)) per task": SingleTaskBaseline(
            MLPClassifier(hidden_layer_sizes=(10,), solver="lbfgs", alpha=1.0,
                          max_iter=500, random_state=seed)
        ),
        "one LogisticRegression per task": SingleTaskBaseline(LogisticRegression()),
    }
    scores = {}
    for name, model in models.items():
        model.fit(X, Y)
        scores[name] = accuracy_score(
            Y_test, model.predict(X_test), multioutput="raw_values"
        )
    return X, Y, models["MultiTaskMLPClassifier((10,))"], scores


X, Y, model, first = experiment(0)
print(f"X {X.shape}; labelled rows per task: {(Y != None).sum(axis=0)}")  # noqa: E711
print(f"classes_: {[[str(c) for c in task] for task in model.classes_]}")
print(f"shared layer coefs_: {[W.shape for W in model.coefs_]}")
print(f"head_coefs_: {[V.shape for V in model.head_coefs_]}")
print(f"predict_proba shapes: {[p.shape for p in model.predict_proba(X[:4])]}")
print(f"predict(X[:3]):\n{model.predict(X[:3])}")
print(f"L-BFGS iterations: {model.n_iter_}, final objective {model.best_loss_:.4f}")

seeds = range(2 if args.quick else 10)
runs = [first] + [experiment(seed)[3] for seed in seeds[1:]]
print(f"\nheld-out accuracy (shape: 5 classes, size: 3 classes), mean of "
      f"{len(runs)} seeds")
for name in first:
    per_task = np.mean([run[name] for run in runs], axis=0)
    print(f"  {name:<35} shape {per_task[0]:.3f}  size {per_task[1]:.3f}")
wins = sum(
    run["MultiTaskMLPClassifier((10,))"].mean()
    > run["one MLPClassifier((10,)) per task"].mean()
    for run in runs
)
print(f"multi-task network better than one network per task in {wins} of "
      f"{len(runs)} seeds")
print(f"done in {time.perf_counter() - start:.1f} s")
