"""
Auxiliary tasks: helping a main task, scored on the main task only
==================================================================

Often one task matters (the *main* task) and others are only there to help
(*auxiliary* tasks): a new product with few sales and older products with
many, a rare disease and common ones. Here the main task has 20 rows and
five auxiliary tasks 150 rows each; all share the same 5 relevant features
out of 50.

Two parameters express "auxiliary":

* ``task_weights``: the weight of each task's average loss in the data term;
  a small weight lets an auxiliary task shape the shared structure without
  dominating it;
* ``scoring``: :func:`skmtl.metrics.make_task_scorer` with
  ``multioutput=[1, 0, ..., 0]`` scores the main task only, so a grid search
  chooses the parameters that serve it.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LassoCV
from sklearn.model_selection import GridSearchCV

from skmtl import L21Regressor
from skmtl.datasets import make_multitask_regression
from skmtl.metrics import make_task_scorer, r2_score
from skmtl.model_selection import RelativeAlpha, TaskStratifiedKFold

sizes = [20 + 500] + [150] * 5  # the main task's 500 extra rows are its test set
X, Y, truth = make_multitask_regression(
    n_samples=sizes,
    n_features=50,
    n_tasks=6,
    n_informative=5,
    noise=0.5,
    shared_rows=False,
    random_state=1,
    return_coef=True,
)
main_rows = np.flatnonzero(truth.task == 0)
test = main_rows[20:]
train = np.setdiff1d(np.arange(len(X)), test)
X_train, Y_train = X[train], Y[train]
X_test, y_test = X[test], Y[test, 0]
print("training rows per task:", np.sum(~np.isnan(Y_train), axis=0))

# %%
# Tune on the main task only
# --------------------------
main_only = make_task_scorer(r2_score, multioutput=[1, 0, 0, 0, 0, 0])
folds = TaskStratifiedKFold(3, random_state=0)


def tuned(task_weights):
    model = RelativeAlpha(L21Regressor(task_weights=task_weights))
    grid = {"ratio": [0.3, 0.1, 0.03]}
    return GridSearchCV(model, grid, scoring=main_only, cv=folds)


results = {}
# the main task alone, with its 20 rows
alone = LassoCV(cv=4, max_iter=10_000).fit(X_train[:20], Y_train[:20, 0])
results["main task alone (LassoCV)"] = r2_score(y_test, alone.predict(X_test))
for label, weights in [
    ("L21, equal weights", None),
    ("L21, auxiliary weight 0.3", [1.0] + [0.3] * 5),
    ("L21, auxiliary weight 0.05", [1.0] + [0.05] * 5),
]:
    search = tuned(weights).fit(X_train, Y_train)
    prediction = search.predict(X_test)[:, 0]  # every task is predicted: keep the main
    results[label] = r2_score(y_test, prediction)
for label, score in results.items():
    print(f"{label:28s} held-out R² of the main task {score:.3f}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.barh(list(results), list(results.values()))
ax.invert_yaxis()
ax.set_xlabel("held-out R² of the main task")
plt.show()

# %%
# With auxiliary tasks that really share the main task's features, equal
# weights are a good start: their rows pin down the shared support. Small
# weights help when the auxiliary tasks are only partly related (they still
# vote on the features but do not drown the main task's own data term). The
# shared-network version of this question is in
# ``examples/mlp_shared_representation.py``.
