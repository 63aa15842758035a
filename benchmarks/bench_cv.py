"""Cross-validated tuning: L21RegressorCV against MultiTaskLassoCV, and School.

Part 1 (one process, one BLAS thread): ``L21RegressorCV`` against
scikit-learn's ``MultiTaskLassoCV`` on (n, d, T) = (500, 300, 10) (AR(1)
features, ``rho = 0.6``, 2 % of the features active, SNR 3, every entry
observed), the same 100-alpha grid (from ``alpha_max`` to ``1e-3
alpha_max``), the same 5 shuffled folds (``KFold(5, shuffle=True,
random_state=0)``), ``tol=1e-4`` for both (``--tol`` for ours), scored by
the mean squared error. The two fits alternate ``--repeat`` times; the
median of the per-repeat ratios is reported, in wall time and in CPU time
(the process's; it moves less with a shared machine's load), with the load
average and whether both chose the same ``alpha_``.

Then the accuracy each one attains on the first fold: at a few strengths,
the objective ``1/(2n) ||Y - X W - b||^2 + alpha sum_j ||W_j||`` (written
here) of our path (``regularization_path``, the CV's own path) and of
scikit-learn's (``lasso_path`` on the centred fold, what
``MultiTaskLassoCV`` computes), relative to a reference optimum
(``MultiTaskLasso`` at ``tol=1e-12``).

Part 2 (``--quadratic``): ``MeanRegularizedRegressorCV`` (all strengths of
a fold from one decomposition) against ``GridSearchCV`` over
``MeanRegularizedRegressor`` with the same grid, splits and scorer.

Part 3 (``--school``): School (139 schools, ``SKMTL_DATA`` or
``--data-home``), ``--splits`` random 75/25 splits within each school
(``task_train_test_split``); each CV estimator on its defaults is tuned on
the training rows only (raw features, nothing else), refitted, and scored by
the pooled explained variance (``explained_variance_mtl``) of the test rows;
ConvergenceWarnings are counted.

Run: ``python benchmarks/bench_cv.py`` (``--quick`` smaller part 1).
"""

import argparse  # noqa: I001 (_timing first: one BLAS thread before numpy loads)
import os
import time
import warnings

from _timing import make_data, one_blas_thread, timed
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import MultiTaskLasso, MultiTaskLassoCV, lasso_path
from sklearn.model_selection import GridSearchCV, KFold

import skmtl
from skmtl import L21Regressor, MeanRegularizedRegressor, alpha_max
from skmtl.datasets import load_school, make_multitask_regression
from skmtl.metrics import explained_variance_mtl, get_scorer
from skmtl.model_selection import (
    TaskStratifiedKFold,
    alpha_grid,
    regularization_path,
    task_train_test_split,
)

CHECKED = (0, 25, 46, 60, 80, 99)  # strengths whose objectives are compared


def load():
    return "load average " + ", ".join(f"{v:.1f}" for v in os.getloadavg())


def versus_sklearn(shape, repeat, n_jobs, tol):
    X, Y = make_data(*shape)
    top = alpha_max(L21Regressor(), X, Y)
    alphas = np.geomspace(top, 1e-3 * top, 100)
    folds = KFold(5, shuffle=True, random_state=0)
    ours = skmtl.L21RegressorCV(alphas=alphas, cv=folds, tol=tol, n_jobs=n_jobs,
                                scoring="neg_mean_squared_error")
    theirs = MultiTaskLassoCV(alphas=alphas, cv=folds, tol=1e-4, n_jobs=n_jobs,
                              max_iter=10000)
    print(f"(n, d, T) = {shape}, our tol {tol:g}; {load()}")
    ours.fit(X, Y)  # compiled kernels loaded (or compiled) once, not timed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        walls, cpus = alternate(repeat, lambda: ours.fit(X, Y),
                                lambda: theirs.fit(X, Y),
                                ("L21RegressorCV", "MultiTaskLassoCV"), 2)
    same = np.isclose(ours.alpha_, theirs.alpha_, rtol=1e-12)
    print(f"  median ratio {np.median(walls):.2f} wall, {np.median(cpus):.2f} CPU "
          f"(target <= 0.5); alpha_ {ours.alpha_:.5g} vs {theirs.alpha_:.5g} (index "
          f"{int(np.argmin(abs(alphas - ours.alpha_)))} vs "
          f"{int(np.argmin(abs(alphas - theirs.alpha_)))}), same: {bool(same)}; "
          f"epochs per fold {ours.n_iter_path_.sum(axis=0).tolist()}; "
          f"ConvergenceWarnings: {len(caught)}; {load()}")
    objectives_on_a_fold(X, Y, alphas, next(folds.split(X)), tol)


def alternate(repeat, ours, theirs, names, digits):
    """Time ``ours()`` then ``theirs()`` ``repeat`` times (wall and CPU), print
    each pair, return the ratios ``(walls, cpus)``."""
    walls, cpus = [], []
    for r in range(repeat):
        w_ours, c_ours, _ = timed(ours)
        w_theirs, c_theirs, _ = timed(theirs)
        walls.append(w_ours / w_theirs)
        cpus.append(c_ours / c_theirs)
        print(f"  repeat {r}: {names[0]} {w_ours:.2f} s wall ({c_ours:.2f} s CPU), "
              f"{names[1]} {w_theirs:.2f} s ({c_theirs:.2f} s); ratio "
              f"{walls[-1]:.{digits}f} wall, {cpus[-1]:.{digits}f} CPU", flush=True)
    return walls, cpus


def l21_objective(X, Y, W, b, alpha):
    R = Y - X @ W - b
    return 0.5 / X.shape[0] * np.sum(R**2) + alpha * np.sum(np.linalg.norm(W, axis=1))


def objectives_on_a_fold(X, Y, alphas, split, tol):
    train = split[0]
    X, Y = X[train], Y[train]
    _, coefs, intercepts = regularization_path(L21Regressor(tol=tol), X, Y,
                                               alphas=alphas)
    x_mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
    _, sk_coefs, _ = lasso_path(np.asfortranarray(X - x_mean), Y - y_mean,
                                alphas=alphas, tol=1e-4, max_iter=10000)
    print("  first fold, (P - P*) / P* at alpha index: ours | scikit-learn")
    for k in CHECKED:
        reference = MultiTaskLasso(alpha=alphas[k], tol=1e-12, max_iter=100000).fit(
            X, Y)
        best = l21_objective(X, Y, reference.coef_.T, reference.intercept_, alphas[k])
        W_sk = sk_coefs[:, :, k].T
        mine = l21_objective(X, Y, coefs[k].T, intercepts[k], alphas[k])
        theirs = l21_objective(X, Y, W_sk, y_mean - x_mean @ W_sk, alphas[k])
        mine, theirs = (mine - best) / best, (theirs - best) / best
        print(f"    {k:3d}: {mine:9.1e} | {theirs:9.1e}")


def quadratic_versus_grid_search(repeat):
    """MeanRegularizedRegressorCV (one decomposition per fold) against
    GridSearchCV (one fit per strength and fold), same grid, splits, scorer."""
    X, Y = make_multitask_regression(60, 30, 20, structure="mean", noise=0.5,
                                     shared_rows=False, random_state=0)
    splits = list(TaskStratifiedKFold(5, random_state=0).split(X, Y))
    alphas = alpha_grid(MeanRegularizedRegressor(), X, Y, n_alphas=30)
    ours = skmtl.MeanRegularizedRegressorCV(alphas=alphas, cv=splits)
    search = GridSearchCV(MeanRegularizedRegressor(), {"alpha": list(alphas)},
                          cv=splits, scoring=get_scorer("r2"))
    print(f"MeanRegularizedRegressorCV vs GridSearchCV: X {X.shape}, "
          f"{Y.shape[1]} tasks, {alphas.size} strengths, 5 folds; {load()}")
    ours.fit(X, Y)
    walls, cpus = alternate(repeat, lambda: ours.fit(X, Y),
                            lambda: search.fit(X, Y), ("CV", "GridSearchCV"), 3)
    print(f"  median ratio {np.median(walls):.3f} wall, {np.median(cpus):.3f} CPU; "
          f"same alpha_: {ours.alpha_ == search.best_params_['alpha']}; {load()}")


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
    parser.add_argument("--tol", type=float, default=1e-4,
                        help="tol of L21RegressorCV (scikit-learn's stays 1e-4)")
    parser.add_argument("--n-jobs", type=int, default=None,
                        help="folds in parallel, for both estimators (default 1)")
    parser.add_argument("--no-l21", action="store_true", help="skip part 1")
    parser.add_argument("--quadratic", action="store_true")
    parser.add_argument("--school", action="store_true")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--models", default=",".join(SCHOOL_MODELS))
    args = parser.parse_args()
    with one_blas_thread():
        if not args.no_l21:
            versus_sklearn((200, 100, 5) if args.quick else (500, 300, 10),
                           args.repeat, args.n_jobs, args.tol)
        if args.quadratic:
            quadratic_versus_grid_search(args.repeat)
        if args.school:
            school(args.data_home, args.splits, args.models.split(","))


if __name__ == "__main__":
    main()
