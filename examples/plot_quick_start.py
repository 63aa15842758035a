"""
Quick start: joint feature selection with the L2,1 norm
=======================================================

Twelve regression tasks share 5 of 40 features, with 30 rows each: too few to
find the right features task by task. :class:`skmtl.L21Regressor` penalises
each feature's row of weights across tasks,
:math:`\\alpha \\sum_j \\lVert W_{j,:} \\rVert_2`, so a feature is used by every
task or by none. We compare its coefficients with the truth and with one
:class:`~sklearn.linear_model.LassoCV` per task.
"""

# %%
# Data: each task with its own rows
# ---------------------------------
# ``shared_rows=False`` gives every task its own 30 + 200 rows, stacked: ``Y``
# has one column per task and ``NaN`` where a task does not observe a row.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LassoCV

from skmtl import L21Regressor, SingleTaskBaseline, alpha_max
from skmtl.datasets import make_multitask_regression
from skmtl.metrics import r2_score
from skmtl.model_selection import task_train_test_split

X, Y, truth = make_multitask_regression(
    n_samples=230,
    n_features=40,
    n_tasks=12,
    n_informative=5,
    noise=0.5,
    shared_rows=False,
    random_state=0,
    return_coef=True,
)
X_train, X_test, Y_train, Y_test = task_train_test_split(
    X, Y, train_size=30, random_state=0
)
print(
    f"X_train {X_train.shape}, Y_train {Y_train.shape}, "
    f"observed entries per task: {np.sum(~np.isnan(Y_train), axis=0)}"
)

# %%
# Fit the multi-task model and the single-task baseline
# -----------------------------------------------------
# ``alpha`` is set relative to :func:`skmtl.alpha_max`, the smallest value that
# zeroes every coefficient (see the tuning example for cross-validation).
l21 = L21Regressor(alpha=0.3 * alpha_max(L21Regressor(), X_train, Y_train))
l21.fit(X_train, Y_train)
lasso = SingleTaskBaseline(LassoCV(cv=3, max_iter=10_000)).fit(X_train, Y_train)
# one fitted LassoCV per task, in the order of the columns of Y
lasso_coef = np.array([estimator.coef_ for estimator in lasso.estimators_])

for name, model, coef in [
    ("L21Regressor", l21, l21.coef_),
    ("one LassoCV per task", lasso, lasso_coef),
]:
    score = r2_score(Y_test, model.predict(X_test))
    used = np.flatnonzero(np.any(coef != 0, axis=0))
    print(f"{name:22s} held-out R² {score:.3f}; features used: {used}")
print(f"{'truth':22s} features used: {np.flatnonzero(np.any(truth.coef != 0, axis=0))}")

# %%
# Coefficients: features × tasks
# -------------------------------
# The L2,1 model keeps the 5 true features in every task; the single-task
# lassos each pick their own, partly wrong, features.
fig, axes = plt.subplots(1, 3, figsize=(10, 4.5), sharey=True)
panels = [
    ("truth", truth.coef),
    ("L21Regressor", l21.coef_),
    ("one LassoCV per task", lasso_coef),
]
limit = np.abs(truth.coef).max()
for ax, (title, coef) in zip(axes, panels, strict=True):
    image = ax.imshow(coef.T, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(title)
    ax.set_xlabel("task")
axes[0].set_ylabel("feature")
fig.colorbar(image, ax=axes, shrink=0.8, label="coefficient")
plt.show()
