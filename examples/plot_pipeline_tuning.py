"""
Pipelines and tuning on stacked targets with missing entries
============================================================

Stacked targets (one column per task, ``NaN`` where a task has no target for
a row) work in :class:`~sklearn.pipeline.Pipeline` and
:class:`~sklearn.model_selection.GridSearchCV`, with two changes from
scikit-learn's defaults:

* ``cv=``: scikit-learn's default ``cv=5`` is an unshuffled ``KFold``; on rows
  stacked task by task its test folds are blocks of whole tasks, so training
  folds lose tasks. :class:`skmtl.model_selection.TaskStratifiedKFold` spreads
  every task's rows over the folds.
* ``scoring=``: a scorer string such as ``"r2"`` cannot skip missing targets
  and gives ``NaN``; :func:`skmtl.metrics.get_scorer` gives the mean over
  tasks of the metric on each task's observed entries.
"""

# %%
# Data: 8 tasks, each with its own rows, features on different scales
# --------------------------------------------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmtl import L21Regressor
from skmtl.datasets import make_multitask_regression
from skmtl.metrics import get_scorer
from skmtl.model_selection import (
    RelativeAlpha,
    TaskStratifiedKFold,
    task_train_test_split,
)

X, Y = make_multitask_regression(
    n_samples=[40, 40, 60, 60, 80, 80, 100, 100],
    n_features=30,
    n_tasks=8,
    noise=0.5,
    shared_rows=False,
    random_state=0,
)
X = X * np.geomspace(0.1, 100, X.shape[1])  # features on very different scales
X_train, X_test, Y_train, Y_test = task_train_test_split(
    X, Y, test_size=0.3, random_state=0
)
print("observed training rows per task:", np.sum(~np.isnan(Y_train), axis=0))

# %%
# scikit-learn's defaults fail on stacked targets
# -----------------------------------------------
# With ``cv=5`` and ``scoring="r2"`` every validation score is ``NaN``: the
# grid search cannot choose.
model = make_pipeline(StandardScaler(), L21Regressor())
grid = {"l21regressor__alpha": [1.0, 0.3, 0.1, 0.03]}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # scikit-learn warns about every failed score
    naive = GridSearchCV(model, grid, cv=5, scoring="r2").fit(X_train, Y_train)
print("default folds and scorer:", naive.cv_results_["mean_test_score"])

# %%
# The one-line fix
# ----------------
search = GridSearchCV(
    model, grid, scoring=get_scorer("r2"), cv=TaskStratifiedKFold(5, random_state=0)
)
search.fit(X_train, Y_train)
print("TaskStratifiedKFold + skmtl scorer:", search.cv_results_["mean_test_score"])
print("best:", search.best_params_, f"held-out R² {search.score(X_test, Y_test):.3f}")

# %%
# A grid relative to ``alpha_max``
# --------------------------------
# The useful range of ``alpha`` depends on the data. ``RelativeAlpha`` sets
# ``alpha = ratio * alpha_max`` on each training fold, so one grid of ratios
# fits every data set. Standardise first, as ``alpha_max`` depends on the
# scale of the features.
relative = make_pipeline(StandardScaler(), RelativeAlpha(L21Regressor()))
ratios = np.geomspace(1, 0.005, 10)
search = GridSearchCV(
    relative,
    {"relativealpha__ratio": ratios},
    scoring=get_scorer("r2"),
    cv=TaskStratifiedKFold(5, random_state=0),
).fit(X_train, Y_train)
best = search.best_params_["relativealpha__ratio"]
print(f"best ratio {best:.3g}; held-out R² {search.score(X_test, Y_test):.3f}")

mean = search.cv_results_["mean_test_score"]
std = search.cv_results_["std_test_score"]
fig, ax = plt.subplots(figsize=(6, 4))
ax.errorbar(ratios, mean, yerr=std, marker="o", capsize=3)
ax.axvline(best, color="grey", linestyle=":")
ax.set_xscale("log")
ax.set_xlabel("alpha / alpha_max")
ax.set_ylabel("validation R² (mean over tasks)")
ax.set_title("GridSearchCV with TaskStratifiedKFold and get_scorer('r2')")
plt.show()
