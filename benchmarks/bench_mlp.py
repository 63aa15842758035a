"""Multi-task networks against scikit-learn's MLPs: accuracy and time per epoch.

1. **Shared representation, few rows per task.** ``T`` regression tasks read
   out one nonlinear representation, ``y_t = tanh(X A) v_t + noise`` (``A``
   of shape (10, 5), noise standard deviation 0.3); every task has its own
   ``n_t`` training rows. ``MultiTaskMLPRegressor`` (one shared hidden layer
   of 100 units, L-BFGS) against one scikit-learn ``MLPRegressor`` per task
   (same layer, L-BFGS). For each model ``alpha`` is chosen from its grid
   by the R² on a validation set drawn like the training set (``n_t`` rows
   per task); the chosen model is scored (mean over tasks of R²) on 300
   test rows per task. Several seeds; the margin is MTL minus single-task.
2. **Time per epoch** (adam, mini-batches of 200, shuffled) and per L-BFGS
   iteration, against ``MLPRegressor`` (multi-output ``Y``) and
   ``MLPClassifier`` (multi-label ``Y``: one binary task per column) on the
   same rows and layer sizes with every target observed, one BLAS thread
   (threadpoolctl), in one process. Each fit runs a fixed number of
   iterations (no early stop); the best of ``--repeat`` fits is kept, and
   the ratio of the times per iteration is reported (ours / scikit-learn's).

Run: ``python benchmarks/bench_mlp.py`` (``--quick`` for fewer seeds and
smaller shapes).
"""

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from skmtl import MultiTaskMLPClassifier, MultiTaskMLPRegressor  # noqa: E402
from skmtl.metrics import r2_score  # noqa: E402

MTL_ALPHAS = [0.01, 0.03, 0.1, 0.3]
SKLEARN_ALPHAS = [1e-4, 1e-2, 0.1, 1.0, 10.0, 30.0, 100.0]  # per row: n_t x ours


def shared_tasks(seed, n_tasks, n_rows, n_features=10, rank=5, noise=0.3):
    """Training, validation and test sets: each task with its own rows."""
    rng = np.random.default_rng(seed)
    A = 2 * rng.standard_normal((n_features, rank)) / np.sqrt(n_features)
    V = rng.standard_normal((rank, n_tasks))

    def draw(n):
        task = np.repeat(np.arange(n_tasks), n)
        X = rng.standard_normal((task.size, n_features))
        signal = (np.tanh(X @ A) @ V)[np.arange(task.size), task]
        Y = np.full((task.size, n_tasks), np.nan)
        Y[np.arange(task.size), task] = signal + noise * rng.standard_normal(task.size)
        return X, Y

    return draw(n_rows), draw(n_rows), draw(300)


def single_task_predictions(X, Y, X_new, alpha, seed):
    P = np.empty((X_new.shape[0], Y.shape[1]))
    for t in range(Y.shape[1]):
        rows = ~np.isnan(Y[:, t])
        model = MLPRegressor(hidden_layer_sizes=(100,), solver="lbfgs", alpha=alpha,
                             max_iter=500, random_state=seed)
        P[:, t] = model.fit(X[rows], Y[rows, t]).predict(X_new)
    return P


def chosen_score(predict, alphas, validation, test):
    """Test score of the alpha with the best validation score."""
    (X_val, Y_val), (X_test, Y_test) = validation, test
    scores = []
    for alpha in alphas:
        P_val, P_test = predict(alpha, X_val, X_test)
        scores.append((r2_score(Y_val, P_val), r2_score(Y_test, P_test), alpha))
    best = max(scores)
    return best[1], best[2]


def accuracy_part(seeds, n_tasks, n_rows):
    print(f"1. {n_tasks} tasks sharing tanh(X A), A 10 x 5, {n_rows} training rows "
          "per task; test R² (mean over tasks), alpha chosen on validation rows")
    print(f"{'seed':>4}  {'MTL MLP':>8}  {'alpha':>6}  {'1 MLP/task':>10}  {'alpha':>6}"
          f"  {'margin':>7}")
    margins = []
    for seed in seeds:
        (X, Y), validation, test = shared_tasks(seed, n_tasks, n_rows)

        def mtl(alpha, *X_new, seed=seed, X=X, Y=Y):
            model = MultiTaskMLPRegressor(alpha=alpha, random_state=seed).fit(X, Y)
            return [model.predict(Z) for Z in X_new]

        def single(alpha, *X_new, seed=seed, X=X, Y=Y):
            P = single_task_predictions(X, Y, np.vstack(X_new), alpha, seed)
            return np.split(P, [X_new[0].shape[0]])

        ours, a_ours = chosen_score(mtl, MTL_ALPHAS, validation, test)
        theirs, a_theirs = chosen_score(single, SKLEARN_ALPHAS, validation, test)
        margins.append(ours - theirs)
        print(f"{seed:>4}  {ours:8.3f}  {a_ours:6g}  {theirs:10.3f}  {a_theirs:6g}"
              f"  {ours - theirs:+7.3f}")
    print(f"margin (MTL - single task): mean {np.mean(margins):+.3f}, "
          f"min {np.min(margins):+.3f} over {len(margins)} seeds\n")


def best_time(fit, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        n_iter = fit()
        times.append((time.perf_counter() - start) / n_iter)
    return min(times)


def timing_pair(ours, theirs, X, Y, repeat):
    t_ours = best_time(lambda: ours.fit(X, Y).n_iter_, repeat)
    t_theirs = best_time(lambda: theirs.fit(X, Y).n_iter_, repeat)
    return t_ours, t_theirs


def timing_part(shapes, n_iter, repeat):
    print("2. time per iteration, one BLAS thread, best of "
          f"{repeat}; every target observed; ratio = ours / scikit-learn's")
    print(f"{'model':<11} {'solver':<6} {'n':>6} {'d':>4} {'hidden':>7} {'T':>3}"
          f"  {'ours ms':>8}  {'sklearn ms':>10}  {'ratio':>6}")
    for n, d, hidden, T in shapes:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n, d))
        Y = np.tanh(X @ rng.standard_normal((d, T)) / np.sqrt(d))
        labels = (Y > 0).astype(int)
        for solver in ("adam", "lbfgs"):
            common = dict(hidden_layer_sizes=hidden, solver=solver, alpha=1e-4,
                          max_iter=n_iter, tol=0.0, random_state=0)
            stochastic = dict(batch_size=200, n_iter_no_change=10**6)
            extra = stochastic if solver == "adam" else {}
            cases = [
                ("regressor", MultiTaskMLPRegressor, MLPRegressor, Y),
                ("classifier", MultiTaskMLPClassifier, MLPClassifier, labels),
            ]
            for name, Ours, Theirs, targets in cases:
                t_ours, t_theirs = timing_pair(
                    Ours(**common, **extra), Theirs(**common, **extra), X, targets,
                    repeat,
                )
                print(f"{name:<11} {solver:<6} {n:>6} {d:>4} {hidden[0]:>7} {T:>3}"
                      f"  {1e3 * t_ours:8.2f}  {1e3 * t_theirs:10.2f}"
                      f"  {t_ours / t_theirs:6.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds, smaller")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    start = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        if args.quick:
            accuracy_part(range(2), n_tasks=6, n_rows=30)
            timing_part([(1000, 20, (50,), 3)], n_iter=10, repeat=2)
        else:
            accuracy_part(range(5), n_tasks=10, n_rows=30)
            shapes = [(5000, 50, (100,), 5), (20000, 20, (100,), 10),
                      (2000, 200, (256,), 3)]
            timing_part(shapes, n_iter=20, repeat=args.repeat)
    print(f"done in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
