"""Learning, and using, which tasks are related.

Eight regression tasks form two groups: within a group the coefficient
vectors are near copies of a common one, across groups they are unrelated.
Each task has its own 25 training rows and 30 features, too few to learn it
alone.

This example

1. fits :class:`skmtl.TaskRelationRegressor`, which learns a task covariance
   with the weights, and prints ``task_correlation_``: the two groups appear
   as two blocks, although the model was never told about them;
2. fits :class:`skmtl.TaskGraphRegressor` with the true group graph (a pair
   of tasks is linked if they are in the same group) and with ``graph=None``
   (every pair linked, i.e. mean-regularized learning), each with ``alpha``
   tuned by cross-validation, and compares their held-out R² with
   single-task ridge;
3. computes the whole path over ``alpha`` of both graphs at once with
   :func:`skmtl.estimators.task_graph_path` (one decomposition per graph).

Run ``python examples/task_relations.py [--quick] [--plot FILE.png]``.
"""

import argparse
import time

import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV

from skmtl import SingleTaskBaseline, TaskGraphRegressor, TaskRelationRegressor
from skmtl.datasets import make_multitask_regression
from skmtl.estimators import task_graph_path
from skmtl.metrics import r2_score
from skmtl.model_selection import TaskStratifiedKFold, task_train_test_split

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="smaller grids (for tests)")
parser.add_argument("--plot", metavar="FILE", help="save a figure to FILE (matplotlib)")
args = parser.parse_args()
start = time.perf_counter()
np.set_printoptions(precision=2, suppress=True, floatmode="fixed", linewidth=100)

# --- data: each task has its own rows (shared_rows=False); 25 train + 200 test
n_tasks, n_train = 8, 25
X, Y, truth = make_multitask_regression(
    n_samples=n_train + 200,  # rows per task
    n_features=30,
    n_tasks=n_tasks,
    structure="groups",
    n_groups=2,
    n_informative=8,
    noise=0.5,
    shared_rows=False,
    random_state=0,
    return_coef=True,
)
# n_train random rows of every task for training, the task's other rows for testing
X_train, X_test, Y_train, Y_test = task_train_test_split(
    X, Y, train_size=n_train, random_state=0
)
group = truth.task_group
print(f"{n_tasks} tasks with {n_train} training rows each; true groups: {group}")

# --- 1. learned task correlations -------------------------------------------
relation = TaskRelationRegressor(alpha=0.1).fit(X_train, Y_train)
order = np.argsort(group, kind="stable")  # list the tasks group by group
print(f"\nTaskRelationRegressor(alpha=0.1): task_correlation_, tasks in order {order}")
print(f"(groups {group[order]})")
print(relation.task_correlation_[np.ix_(order, order)].round(1))
same = group[:, None] == group[None, :]
off_diagonal = ~np.eye(n_tasks, dtype=bool)
corr = relation.task_correlation_
print(
    f"mean correlation within groups {corr[same & off_diagonal].mean():.2f}, "
    f"across groups {corr[~same].mean():.2f}"
)

# --- 2. task graph: the true groups vs all pairs linked ------------------------
true_graph = same.astype(float)  # the diagonal is ignored
alphas = np.logspace(-2, 1, 4 if args.quick else 7)
folds = TaskStratifiedKFold(5, random_state=0)  # 5 rows of each task per test fold
models = {
    "TaskGraph(true groups)": GridSearchCV(
        TaskGraphRegressor(graph=true_graph), {"alpha": alphas}, cv=folds
    ),
    "TaskGraph(graph=None)": GridSearchCV(
        TaskGraphRegressor(graph=None), {"alpha": alphas}, cv=folds
    ),
    "TaskRelation": GridSearchCV(
        TaskRelationRegressor(), {"alpha": [0.03, 0.1, 0.3]}, cv=folds
    ),
    "single-task RidgeCV": SingleTaskBaseline(RidgeCV(alphas=np.logspace(-3, 3, 13))),
}
print("\nheld-out R² per task (alpha tuned by 5-fold CV on the training rows)")
scores = {}
for name, model in models.items():
    model.fit(X_train, Y_train)
    scores[name] = r2_score(Y_test, model.predict(X_test), multioutput="raw_values")
    best = getattr(model, "best_params_", {})
    tuned = f"  alpha={best['alpha']:.3g}" if best else ""
    print(f"  {name:<24} {scores[name]}  mean {scores[name].mean():.3f}{tuned}")

# --- 3. whole paths over alpha, from one decomposition per graph ---------------
path_alphas = np.logspace(-3, 2, 11)
paths = {}
print()
for label, graph in [("true groups", true_graph), ("graph=None", None)]:
    coefs, intercepts = task_graph_path(X_train, Y_train, path_alphas, graph=graph)
    # coefs: (n_alphas, n_tasks, n_features), intercepts: (n_alphas, n_tasks)
    paths[label] = [
        r2_score(Y_test, X_test @ coef.T + intercept)
        for coef, intercept in zip(coefs, intercepts, strict=True)
    ]
    # the path agrees with fitting one alpha on its own
    k = int(np.argmin(np.abs(np.log10(path_alphas))))  # alpha = 1
    alone = TaskGraphRegressor(graph=graph, alpha=path_alphas[k], tol=1e-8)
    gap = np.abs(coefs[k] - alone.fit(X_train, Y_train).coef_).max()
    print(
        f"task_graph_path ({label}) at alpha=1 vs TaskGraphRegressor(alpha=1): "
        f"max |coef difference| {gap:.1e}"
    )
print("\ntask_graph_path: held-out R² (mean over tasks) along alpha")
print("  alpha      true groups  graph=None")
for alpha, grouped, everyone in zip(
    path_alphas, paths["true groups"], paths["graph=None"], strict=True
):
    print(f"  {alpha:<9.3g}  {grouped:11.3f}  {everyone:10.3f}")
# graph=None puts weight 1/n_tasks on every pair, the true graph weight 1 on
# the pairs of a group: compare the best values, not the same alpha (picked
# on the test rows here, so optimistic; for illustration only).
print(
    f"  best: true groups {max(paths['true groups']):.3f}, "
    f"graph=None {max(paths['graph=None']):.3f}"
)

if args.plot:  # learned task correlations (tasks by group) and the two paths
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    image = left.imshow(corr[np.ix_(order, order)], cmap="RdBu_r", vmin=-1, vmax=1)
    left.set(title="TaskRelationRegressor: task_correlation_", xlabel="task")
    left.set_xticks(range(n_tasks), order)
    left.set_yticks(range(n_tasks), order)
    fig.colorbar(image, ax=left)
    for label, values in paths.items():
        right.semilogx(path_alphas, values, marker="o", label=label)
    right.set(title="task_graph_path", xlabel="alpha", ylabel="held-out R²")
    right.set_ylim(-0.2, 1)
    right.legend()
    fig.savefig(args.plot, dpi=100)
    print(f"plot written to {args.plot}")
print(f"\ndone in {time.perf_counter() - start:.1f} s")
