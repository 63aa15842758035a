"""Cross-validated tuning: L21RegressorCV against MultiTaskLassoCV, and School.

Part 1 (one process, one BLAS thread, both fitted ``--repeat`` times, the
minimum kept): ``L21RegressorCV`` against scikit-learn's
``MultiTaskLassoCV`` on (n, d, T) = (500, 300, 10) (AR(1) features,
``rho = 0.6``, 2 % of the features active, SNR 3, every entry observed),
the same 100-alpha grid (from ``alpha_max`` to ``1e-3 alpha_max``), the same
5 shuffled folds (``KFold(5, shuffle=True, random_state=0)``), both at
``tol=1e-4`` and scored by the mean squared error. Reports the time ratio
and whether both chose the same ``alpha_``.

Part 2 (``--school``): School (139 schools, ``SKMTL_DATA`` or
``--data-home``), ``--splits`` random 75/25 splits within each school
(``task_train_test_split``); each CV estimator on its defaults is tuned on
the training rows only (raw features, nothing else), refitted, and scored by
the pooled explained variance (``explained_variance_mtl``) of the test rows;
ConvergenceWarnings are counted.

Run: ``python benchmarks/bench_cv.py`` (``--school`` adds part 2,
``--quick`` smaller part 1).
"""

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import MultiTaskLassoCV  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import skmtl  # noqa: E402
from skmtl import L21Regressor, alpha_max  # noqa: E402
from skmtl.datasets import load_school  # noqa: E402
from skmtl.metrics import explained_variance_mtl  # noqa: E402
from skmtl.model_selection import task_train_test_split  # noqa: E402


def make_data(n, d, T, seed=0, rho=0.6, fraction=0.02, snr=3.0):
    rng = np.random.default_rng(seed)
    E = rng.standard_normal((n, d))
    X = np.empty((n, d))
    X[:, 0] = E[:, 0]
    for j in range(1, d):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * E[:, j]
    k = max(5, int(fraction * d))
    W = np.zeros((d, T))
    W[rng.choice(d, k, replace=False)] = rng.standard_normal((k, T))
    signal = X @ W
    noise = rng.standard_normal((n, T))
    noise *= np.linalg.norm(signal) / (snr * np.linalg.norm(noise))
    return np.asfortranarray(X), signal + noise


def best_time(fit, repeat):
    times, model = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - start)
    return min(times), model


def versus_sklearn(shape, repeat, n_jobs):
    X, Y = make_data(*shape)
    top = alpha_max(L21Regressor(), X, Y)
    alphas = np.geomspace(top, 1e-3 * top, 100)
    folds = KFold(5, shuffle=True, random_state=0)
    ours = skmtl.L21RegressorCV(alphas=alphas, cv=folds, tol=1e-4, n_jobs=n_jobs,
                                scoring="neg_mean_squared_error")
    theirs = MultiTaskLassoCV(alphas=alphas, cv=folds, tol=1e-4, n_jobs=n_jobs,
                              max_iter=10000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        t_ours, ours = best_time(lambda: ours.fit(X, Y), repeat)
        t_theirs, theirs = best_time(lambda: theirs.fit(X, Y), repeat)
    same = np.isclose(ours.alpha_, theirs.alpha_, rtol=1e-12)
    print(f"(n, d, T) = {shape}: L21RegressorCV {t_ours:.2f} s, MultiTaskLassoCV "
          f"{t_theirs:.2f} s, ratio {t_ours / t_theirs:.2f}; alpha_ "
          f"{ours.alpha_:.5g} vs {theirs.alpha_:.5g} (index "
          f"{int(np.argmin(abs(alphas - ours.alpha_)))} vs "
          f"{int(np.argmin(abs(alphas - theirs.alpha_)))}), same: {bool(same)}; "
          f"ConvergenceWarnings: {len(caught)}")


def school(data_home, n_splits, names):
    data = load_school(data_home)
    X, Y = data.data, data.target
    print(f"School: {X.shape[0]} rows, {X.shape[1]} features, {Y.shape[1]} schools; "
          f"{n_splits} random 75/25 splits within each school")
    for name in names:
        values, n_warn, elapsed = [], 0, 0.0
        for seed in range(n_splits):
            X_train, X_test, Y_train, Y_test = task_train_test_split(
                X, Y, train_size=0.75, random_state=seed)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                start = time.perf_counter()
                model = getattr(skmtl, name)().fit(X_train, Y_train)
                elapsed += time.perf_counter() - start
            n_warn += sum(issubclass(w.category, ConvergenceWarning) for w in caught)
            values.append(explained_variance_mtl(Y_test, model.predict(X_test)))
        print(f"  {name:28s} explained variance {100 * np.mean(values):5.1f} % "
              f"(+- {100 * np.std(values):.1f} over splits), ConvergenceWarnings "
              f"{n_warn}, fit {elapsed / n_splits:.1f} s per split", flush=True)


SCHOOL_MODELS = [
    "L21RegressorCV", "TraceNormRegressorCV", "MeanRegularizedRegressorCV",
    "TaskGraphRegressorCV", "TaskRelationRegressorCV",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=None,
                        help="folds in parallel, for both estimators (default 1)")
    parser.add_argument("--school", action="store_true")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--models", default=",".join(SCHOOL_MODELS))
    args = parser.parse_args()
    with threadpool_limits(1):
        versus_sklearn((200, 100, 5) if args.quick else (500, 300, 10), args.repeat,
                       args.n_jobs)
        if args.school:
            school(args.data_home, args.splits, args.models.split(","))


if __name__ == "__main__":
    main()
