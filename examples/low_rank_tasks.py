"""A shared low-rank representation: trace-norm regularization.

Fifteen regression tasks on 40 features, but their coefficient vectors all
lie in a 3-dimensional subspace (the coefficient matrix has rank 3). With 40
training rows, single-task ridge has one row per feature; the trace norm
``alpha * ||W||_*`` of :class:`skmtl.TraceNormRegressor` shrinks the singular
values of ``W`` and so learns the shared subspace from all tasks together.

This example

1. tunes ``alpha`` by cross-validation (grid relative to
   :func:`skmtl.alpha_max`) and prints the fitted ``rank_`` and
   ``singular_values_`` next to the true singular values, then the rank
   along a short path of ``alpha``;
2. compares held-out R² per task with single-task ``RidgeCV``;
3. does the same for classification with :class:`skmtl.TraceNormClassifier`
   on ``make_multitask_classification(structure="low_rank")``, against a
   tuned single-task logistic regression, by ROC AUC and accuracy.

Run ``python examples/low_rank_tasks.py [--quick] [--plot FILE.png]``.
"""

import argparse
import time

import numpy as np
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import GridSearchCV

from skmtl import SingleTaskBaseline, TraceNormClassifier, TraceNormRegressor, alpha_max
from skmtl.datasets import make_multitask_classification, make_multitask_regression
from skmtl.metrics import accuracy_score, get_scorer, r2_score, roc_auc_score
from skmtl.model_selection import TaskStratifiedKFold

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="smaller grids (for tests)")
parser.add_argument("--plot", metavar="FILE", help="save a figure to FILE (matplotlib)")
args = parser.parse_args()
start = time.perf_counter()
np.set_printoptions(precision=2, suppress=True, floatmode="fixed", linewidth=100)

# --- regression data: rank-3 coefficients, 40 shared training rows ----------
n_train, n_tasks, rank = 40, 15, 3
X, Y, truth = make_multitask_regression(
    n_samples=n_train + 500,
    n_features=40,
    n_tasks=n_tasks,
    structure="low_rank",
    n_groups=rank,  # the rank for structure="low_rank"
    noise=0.5,
    random_state=0,
    return_coef=True,
)
X_train, Y_train, X_test, Y_test = X[:n_train], Y[:n_train], X[n_train:], Y[n_train:]
true_sv = np.linalg.svd(truth.coef, compute_uv=False)
print(
    f"{n_tasks} tasks, 40 features, {n_train} training rows; true singular values "
    f"{true_sv[: rank + 1]} ... (rank {np.sum(true_sv > 1e-10 * true_sv[0])})"
)

# --- 1. trace norm tuned by cross-validation -----------------------------------
top = alpha_max(TraceNormRegressor(), X_train, Y_train)
ratios = np.logspace(-2, 0, 5 if args.quick else 10, endpoint=False)
search = GridSearchCV(
    TraceNormRegressor(),
    {"alpha": top * ratios},
    cv=TaskStratifiedKFold(5, random_state=0),
    scoring=get_scorer("r2"),
).fit(X_train, Y_train)
trace = search.best_estimator_
print(
    f"\nTraceNormRegressor, alpha = {search.best_params_['alpha'] / top:.3f} * "
    f"alpha_max (5-fold CV): rank_ = {trace.rank_}"
)
print(f"  singular_values_ = {trace.singular_values_}")
# Tuned for prediction, the model keeps a few small extra directions; the gap
# after the third singular value shows the true rank.
sv = trace.singular_values_
gap = int(np.argmax(sv[:-1] / sv[1:])) + 1
print(f"  largest drop between consecutive singular values: after the first {gap}")

print("\n  alpha/alpha_max  rank_  held-out R²")
model = TraceNormRegressor(warm_start=True)
for ratio in [0.5, 0.3, 0.2, 0.1, 0.05]:
    model.set_params(alpha=ratio * top).fit(X_train, Y_train)
    print(f"  {ratio:15.2f} {model.rank_:6d} {model.score(X_test, Y_test):12.3f}")

# --- 2. against single-task ridge ------------------------------------------------
# RidgeCV with cv=5: its default efficient leave-one-out picks alpha=0.001 on
# some tasks here (40 rows, 40 features: near interpolation) and gets R² < -0.5.
single = SingleTaskBaseline(RidgeCV(alphas=np.logspace(-2, 3, 6), cv=5))
single.fit(X_train, Y_train)
r2_trace = r2_score(Y_test, trace.predict(X_test), multioutput="raw_values")
r2_single = r2_score(Y_test, single.predict(X_test), multioutput="raw_values")
print("\nheld-out R² per task")
print(f"  TraceNormRegressor   {r2_trace}  mean {r2_trace.mean():.3f}")
print(f"  single-task RidgeCV  {r2_single}  mean {r2_single.mean():.3f}")
print(
    f"  TraceNormRegressor better on {int((r2_trace > r2_single).sum())} of "
    f"{n_tasks} tasks"
)

# --- 3. classification: 10 binary tasks, rank-2 coefficients, 60 rows ---------
Xc, Yc = make_multitask_classification(
    n_samples=60 + 1000,
    n_features=30,
    n_tasks=10,
    structure="low_rank",
    n_groups=2,
    noise=0.3,
    random_state=0,
)
Xc_train, Yc_train, Xc_test, Yc_test = Xc[:60], Yc[:60], Xc[60:], Yc[60:]
top_c = alpha_max(TraceNormClassifier(), Xc_train, Yc_train)
ratios_c = np.logspace(-2, 0, 3 if args.quick else 6, endpoint=False)
search_c = GridSearchCV(
    TraceNormClassifier(),
    {"alpha": top_c * ratios_c},
    cv=TaskStratifiedKFold(3, random_state=0),  # stratified by class in each task
    scoring=get_scorer("roc_auc"),
).fit(Xc_train, Yc_train)
classifier = search_c.best_estimator_
single_c = SingleTaskBaseline(
    GridSearchCV(LogisticRegression(), {"C": np.logspace(-2, 2, 5)}, cv=3)
).fit(Xc_train, Yc_train)
print(
    f"\nTraceNormClassifier, alpha = {search_c.best_params_['alpha'] / top_c:.3f} * "
    f"alpha_max (3-fold CV): rank_ = {classifier.rank_} (true rank 2), "
    f"singular_values_ = {classifier.singular_values_}"
)
print("held-out, mean over 10 tasks      ROC AUC  accuracy")
for name, model in [
    ("TraceNormClassifier", classifier),
    ("single-task LogisticRegression", single_c),
]:
    auc = roc_auc_score(Yc_test, model.predict_proba(Xc_test), classes=model.classes_)
    accuracy = accuracy_score(Yc_test, model.predict(Xc_test))
    print(f"  {name:<30} {auc:8.3f} {accuracy:9.3f}")

if args.plot:  # singular values: truth, trace norm, single-task ridge
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    single_coef = np.array([est.coef_ for est in single.estimators_])
    curves = [
        ("true coefficients", true_sv),
        ("TraceNormRegressor", trace.singular_values_),
        ("single-task RidgeCV", np.linalg.svd(single_coef, compute_uv=False)),
    ]
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    for label, values in curves:
        ax.plot(np.arange(1, values.size + 1), values, marker="o", label=label)
    ax.set(xlabel="index", ylabel="singular value of W", title="Shared low rank")
    ax.legend()
    fig.savefig(args.plot, dpi=100)
    print(f"plot written to {args.plot}")
print(f"\ndone in {time.perf_counter() - start:.1f} s")
