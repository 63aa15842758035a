"""
Task relationships: a learned task covariance, clusters, a given task graph
===========================================================================

Ten regression tasks form two groups: within a group the coefficient vectors
are near copies of a common one, across groups they are unrelated. Each task
has 25 training rows and 30 features, too few to learn it alone.

* :class:`skmtl.TaskRelationRegressor` learns a task covariance together with
  the weights; its ``task_correlation_`` shows the two groups as two blocks,
  although the model was never told about them.
* :class:`skmtl.ClusteredRegressor` (convex clustered multi-task learning,
  MALSAR ``Least_CMTL``) learns ``n_clusters`` groups of tasks: its
  ``task_similarity_`` is the learned relaxation of the cluster indicator
  and ``task_clusters_`` gives one cluster label per task.
* :class:`skmtl.TaskGraphRegressor` takes the relationships from you: a
  symmetric matrix ``graph`` of task similarities (here: 1 for two tasks of
  the same group). ``graph=None`` links every pair, which is
  :class:`skmtl.MeanRegularizedRegressor`.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import RidgeCV

from skmtl import (
    ClusteredRegressor,
    SingleTaskBaseline,
    TaskGraphRegressor,
    TaskRelationRegressor,
)
from skmtl.datasets import make_multitask_regression
from skmtl.metrics import r2_score
from skmtl.model_selection import task_train_test_split

n_tasks = 10
X, Y, truth = make_multitask_regression(
    n_samples=225,
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
X_train, X_test, Y_train, Y_test = task_train_test_split(
    X, Y, train_size=25, random_state=0
)
group = truth.task_group
print("true group of each task:", group)

# %%
# The learned task correlation
# ----------------------------
relation = TaskRelationRegressor(alpha=0.1).fit(X_train, Y_train)
order = np.argsort(group, kind="stable")  # tasks listed group by group
corr = relation.task_correlation_[np.ix_(order, order)]

fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
for ax, matrix, title in [
    (axes[0], np.corrcoef(truth.coef[order]), "correlation of the true coefficients"),
    (axes[1], corr, "TaskRelationRegressor.task_correlation_"),
]:
    image = ax.imshow(matrix, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(n_tasks), order)
    ax.set_yticks(range(n_tasks), order)
    ax.set_title(title)
    ax.set_xlabel("task")
fig.colorbar(image, ax=axes, shrink=0.8)
plt.show()

# %%
# Clusters of tasks
# -----------------
# Tell the model how many clusters to look for; it finds which tasks belong
# together. The cluster labels are numbered by first appearance, so they
# match the true groups up to renaming.
clustered = ClusteredRegressor(alpha=2.0, eta=0.05, n_clusters=2).fit(X_train, Y_train)
print("task_clusters_:          ", clustered.task_clusters_)
agree = np.mean(clustered.task_clusters_ == group)
print(f"agreement with the groups: {max(agree, 1 - agree):.0%}")

fig, ax = plt.subplots(figsize=(4.8, 4.2), layout="constrained")
image = ax.imshow(clustered.task_similarity_[np.ix_(order, order)], cmap="viridis")
ax.set_xticks(range(n_tasks), order)
ax.set_yticks(range(n_tasks), order)
ax.set_title("ClusteredRegressor.task_similarity_")
ax.set_xlabel("task")
fig.colorbar(image, ax=ax, shrink=0.8)
plt.show()

# %%
# A task graph given by the user
# ------------------------------
# The graph's diagonal is ignored; ``alpha`` scales the pull between linked
# tasks, ``alpha/2 * sum_{s<t} A_st ||w_s - w_t||^2``.
same_group = (group[:, None] == group[None, :]).astype(float)
models = {
    "TaskGraph(true groups)": TaskGraphRegressor(graph=same_group, alpha=0.3),
    "TaskGraph(graph=None)": TaskGraphRegressor(graph=None, alpha=3.0),
    "TaskRelation": relation,
    "Clustered(2 clusters)": clustered,
    "single-task RidgeCV": SingleTaskBaseline(RidgeCV(alphas=np.logspace(-3, 3, 13))),
}
scores = {}
for name, model in models.items():
    model.fit(X_train, Y_train)
    scores[name] = r2_score(Y_test, model.predict(X_test), multioutput="raw_values")
    print(f"{name:24s} held-out R² mean over tasks {scores[name].mean():.3f}")

fig, ax = plt.subplots(figsize=(7, 4))
width = 0.8 / len(scores)
for k, (name, values) in enumerate(scores.items()):
    ax.bar(np.arange(n_tasks) + k * width, values[order], width, label=name)
ax.set_xticks(np.arange(n_tasks) + 0.4 - width / 2, order)
ax.set_xlabel("task (by group)")
ax.set_ylabel("held-out R²")
ax.legend(fontsize="small")
plt.show()

# %%
# Knowing the groups (the task graph) helps most; learning them, as a task
# covariance or as clusters, recovers most of that gain from the data alone.
# The strengths here were set by hand on this problem: their cross-validated
# versions (:class:`skmtl.TaskGraphRegressorCV`,
# :class:`skmtl.ClusteredRegressorCV`, ...) choose them from the training
# rows.
