"""Joint feature selection with the L2,1 penalty.

Several regression tasks depend on the *same* few features (a shared
support), each with its own weights, and every task has few samples. The
L2,1 penalty of :class:`skmtl.L21Regressor` keeps or drops a feature for all
tasks at once, so the tasks pool their evidence about which features matter.

This example

1. tunes ``alpha`` of ``L21Regressor`` by cross-validation on a grid relative
   to :func:`skmtl.alpha_max` (the smallest ``alpha`` giving all-zero
   coefficients) and compares it with one ``LassoCV`` per task
   (:class:`skmtl.SingleTaskBaseline`): recovery of the true support
   (precision and recall of the selected features) and held-out R² per task;
2. shows the support along a short path of ``alpha``;
3. checks that on fully observed data ``L21Regressor`` solves exactly the
   problem of scikit-learn's ``MultiTaskLasso`` (same coefficients);
4. fits ``L21Regressor`` with missing targets (``NaN`` in ``Y``), which
   ``MultiTaskLasso`` cannot take.

Run ``python examples/joint_feature_selection.py [--quick] [--plot FILE.png]``.
"""

import argparse
import time

import numpy as np
from sklearn.linear_model import LassoCV, MultiTaskLasso
from sklearn.model_selection import GridSearchCV

from skmtl import L21Regressor, SingleTaskBaseline, alpha_max
from skmtl.datasets import make_multitask_regression
from skmtl.metrics import get_scorer, r2_score
from skmtl.model_selection import TaskStratifiedKFold

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="smaller grid (for tests)")
parser.add_argument("--plot", metavar="FILE", help="save a figure to FILE (matplotlib)")
args = parser.parse_args()
start = time.perf_counter()
np.set_printoptions(precision=2, suppress=True, floatmode="fixed")

# --- data: 8 tasks share 10 of 100 features; 30 training rows, 500 test rows
n_train, n_tasks, n_features, n_informative = 30, 8, 100, 10
X, Y, truth = make_multitask_regression(
    n_samples=n_train + 500,
    n_features=n_features,
    n_tasks=n_tasks,
    structure="shared_support",
    n_informative=n_informative,
    noise=0.5,  # noise std = half the signal std: R² of the true model is 0.8
    random_state=0,
    return_coef=True,
)
X_train, Y_train, X_test, Y_test = X[:n_train], Y[:n_train], X[n_train:], Y[n_train:]
true_support = np.flatnonzero(np.any(truth.coef != 0, axis=0))
print(
    f"{n_tasks} tasks, {n_features} features ({n_informative} used by every task), "
    f"{n_train} training rows"
)


def support_scores(coef):
    """Mean over tasks of the precision and recall of each task's selected features,
    and the number of features selected by at least one task."""
    precision, recall = [], []
    for w in np.atleast_2d(coef):
        selected = np.flatnonzero(w)
        hits = np.intersect1d(selected, true_support).size
        precision.append(hits / max(selected.size, 1))
        recall.append(hits / true_support.size)
    n_used = int(np.any(np.atleast_2d(coef) != 0, axis=0).sum())
    return float(np.mean(precision)), float(np.mean(recall)), n_used


# --- 1. L2,1 tuned by cross-validation vs one LassoCV per task --------------
top = alpha_max(L21Regressor(), X_train, Y_train)
ratios = np.logspace(-2, 0, 6 if args.quick else 12, endpoint=False)
search = GridSearchCV(
    L21Regressor(),
    {"alpha": top * ratios},
    cv=TaskStratifiedKFold(5, random_state=0),  # every task in every fold
    scoring=get_scorer("r2"),  # mean over tasks of R² on the observed entries
).fit(X_train, Y_train)
l21 = search.best_estimator_
print(
    f"alpha_max = {top:.3f}; best alpha = {search.best_params_['alpha'] / top:.3f}"
    " * alpha_max"
)

single = SingleTaskBaseline(LassoCV(cv=5, max_iter=10_000)).fit(X_train, Y_train)
single_coef = np.array([est.coef_ for est in single.estimators_])

print("\nsupport recovery (mean over tasks)  precision  recall  features used")
for name, coef in [("L21Regressor", l21.coef_), ("single-task LassoCV", single_coef)]:
    precision, recall, n_used = support_scores(coef)
    print(f"  {name:<33} {precision:9.2f} {recall:7.2f} {n_used:14d}")

# The row norms ||W_j|| rank the features: how many true features are among
# the 10 (= size of the true support) highest-ranked?
ranked_l21 = np.argsort(-np.linalg.norm(l21.coef_, axis=0))[: true_support.size]
ranked_single = np.argsort(-np.linalg.norm(single_coef, axis=0))[: true_support.size]
print(
    f"  true features among the top {true_support.size} by ||W_j||: L21Regressor "
    f"{np.intersect1d(ranked_l21, true_support).size}, single-task LassoCV "
    f"{np.intersect1d(ranked_single, true_support).size}"
)

r2_l21 = r2_score(Y_test, l21.predict(X_test), multioutput="raw_values")
r2_single = r2_score(Y_test, single.predict(X_test), multioutput="raw_values")
print("\nheld-out R² per task")
print(f"  L21Regressor         {r2_l21}  mean {r2_l21.mean():.3f}")
print(f"  single-task LassoCV  {r2_single}  mean {r2_single.mean():.3f}")
print(f"  L21Regressor better on {int((r2_l21 > r2_single).sum())} of {n_tasks} tasks")

# --- 2. the support along a short path of alpha -------------------------------
# Cross-validation picks alpha for prediction, which keeps some false
# positives; larger alphas trade recall for precision.
print("\nL2,1 path  alpha/alpha_max  features used  precision  recall  held-out R²")
model = L21Regressor(warm_start=True)  # each fit starts from the previous one
for ratio in [0.5, 0.3, 0.2, 0.1, 0.05]:
    model.set_params(alpha=ratio * top).fit(X_train, Y_train)
    precision, recall, n_used = support_scores(model.coef_)
    score = model.score(X_test, Y_test)
    print(f"  {ratio:24.2f} {n_used:14d} {precision:10.2f} {recall:7.2f} {score:12.3f}")

# --- 3. same problem as scikit-learn's MultiTaskLasso ---------------------------
# With all targets observed, both minimise (1/(2n)) ||Y - XW - b||² + alpha Σ_j ||W_j||.
alpha = 0.1 * top
ours = L21Regressor(alpha=alpha, tol=1e-10).fit(X_train, Y_train)
theirs = MultiTaskLasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X_train, Y_train)
print(
    f"\nMultiTaskLasso vs L21Regressor at alpha = 0.1 * alpha_max: max |coef "
    f"difference| = {np.abs(ours.coef_ - theirs.coef_).max():.1e}, max |intercept "
    f"difference| = {np.abs(ours.intercept_ - theirs.intercept_).max():.1e} "
    f"(largest |coef| {np.abs(ours.coef_).max():.2f})"
)

# --- 4. missing targets: hide 40 % of the training entries --------------------
rng = np.random.default_rng(0)
Y_missing = Y_train.copy()
Y_missing[rng.random(Y_train.shape) < 0.4] = np.nan
print(
    f"\nmissing targets: {int(np.isnan(Y_missing).sum())} of {Y_missing.size} "
    f"training entries are NaN ({np.sum(~np.isnan(Y_missing), axis=0)} observed "
    "per task)"
)
try:
    MultiTaskLasso(alpha=alpha).fit(X_train, Y_missing)
except ValueError as exc:
    print(f"  MultiTaskLasso: ValueError: {str(exc).splitlines()[0]}")
with_nan = L21Regressor(alpha=alpha).fit(X_train, Y_missing)
r2_nan = r2_score(Y_test, with_nan.predict(X_test), multioutput="raw_values")
# the baseline fits each task on its own observed rows only
single_nan = SingleTaskBaseline(LassoCV(cv=5, max_iter=10_000))
single_nan.fit(X_train, Y_missing)
r2_single_nan = r2_score(Y_test, single_nan.predict(X_test), multioutput="raw_values")
precision, recall, n_used = support_scores(with_nan.coef_)
print(
    f"  L21Regressor with NaN in Y: held-out R² mean {r2_nan.mean():.3f} "
    f"(all observed: {ours.score(X_test, Y_test):.3f}); precision {precision:.2f}, "
    f"recall {recall:.2f}"
)
print(
    f"  single-task LassoCV with NaN in Y: held-out R² mean {r2_single_nan.mean():.3f}"
)

if args.plot:  # coefficient maps: true, L2,1, one Lasso per task
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    maps = [("true coefficients", truth.coef), ("L21Regressor", l21.coef_)]
    maps.append(("single-task LassoCV", single_coef))
    fig, axes = plt.subplots(3, 1, figsize=(10, 5), sharex=True, layout="constrained")
    limit = np.abs(truth.coef).max()
    for ax, (title, coef) in zip(axes, maps, strict=True):
        image = ax.imshow(coef, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set(title=title, ylabel="task")
    axes[-1].set_xlabel("feature")
    fig.colorbar(image, ax=axes, shrink=0.8)
    fig.savefig(args.plot, dpi=100)
    print(f"plot written to {args.plot}")
print(f"\ndone in {time.perf_counter() - start:.1f} s")
