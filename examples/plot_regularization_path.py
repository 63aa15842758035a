"""
Regularization path: coefficient norms and the validation score
===============================================================

Along a path of penalty strengths from :func:`skmtl.alpha_max` (every
coefficient zero) down to a small fraction of it, L2,1 regression lets
features in one at a time, each for every task at once. With
``warm_start=True`` each fit starts from the previous solution, which makes
the whole path cheap. For the task-graph and mean-regularized models,
:func:`skmtl.estimators.task_graph_path` computes the path from one
decomposition.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from skmtl import L21Regressor, alpha_max
from skmtl.datasets import make_multitask_regression
from skmtl.estimators import task_graph_path
from skmtl.metrics import r2_score
from skmtl.model_selection import TaskStratifiedKFold

X, Y, truth = make_multitask_regression(
    n_samples=60,
    n_features=30,
    n_tasks=8,
    n_informative=6,
    noise=0.5,
    shared_rows=False,
    random_state=0,
    return_coef=True,
)
largest = alpha_max(L21Regressor(), X, Y)
alphas = largest * np.geomspace(1, 1e-3, 25)

# %%
# The L2,1 path, warm-started
# ---------------------------
# ``coef_`` is (n_tasks, n_features); the norm of a feature's column is its
# group's norm in the penalty.
model = L21Regressor(warm_start=True, tol=1e-6)
norms = []
for alpha in alphas:
    model.set_params(alpha=alpha).fit(X, Y)
    norms.append(np.linalg.norm(model.coef_, axis=0))
norms = np.array(norms)
relevant = np.any(truth.coef != 0, axis=0)

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(alphas / largest, norms[:, relevant], color="tab:blue")
ax.plot(alphas / largest, norms[:, ~relevant], color="tab:grey", alpha=0.5)
ax.set_xscale("log")
ax.invert_xaxis()
ax.set_xlabel("alpha / alpha_max")
ax.set_ylabel("||W_j||_2 (norm over tasks)")
ax.set_title("L2,1 path: relevant features (blue) enter first")
plt.show()

# %%
# The cross-validated score along the path
# ----------------------------------------
# Every fold computes its own warm-started path; ``TaskStratifiedKFold``
# keeps every task in every training fold.
folds = TaskStratifiedKFold(5, random_state=0)
ratios = np.geomspace(1, 1e-3, 25)
scores = np.empty((folds.get_n_splits(), len(ratios)))
for k, (train, test) in enumerate(folds.split(X, Y)):
    fold_max = alpha_max(L21Regressor(), X[train], Y[train])
    fold_model = L21Regressor(warm_start=True, tol=1e-6)
    for i, ratio in enumerate(ratios):
        fold_model.set_params(alpha=ratio * fold_max).fit(X[train], Y[train])
        scores[k, i] = r2_score(Y[test], fold_model.predict(X[test]))
mean, std = scores.mean(axis=0), scores.std(axis=0)
best = ratios[np.argmax(mean)]
print(f"best alpha / alpha_max {best:.3g}, validation R² {mean.max():.3f}")

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(ratios, mean, marker=".")
ax.fill_between(ratios, mean - std, mean + std, alpha=0.3)
ax.axvline(best, color="grey", linestyle=":")
ax.set_xscale("log")
ax.invert_xaxis()
ax.set_xlabel("alpha / alpha_max")
ax.set_ylabel("validation R² (mean over tasks)")
plt.show()

# %%
# The task-graph path
# -------------------
# ``task_graph_path`` returns the coefficients for every ``alpha`` at once;
# with ``graph=None`` (mean-regularized learning) a large ``alpha`` pulls
# every task to the mean task, so the spread of the tasks' weights shrinks.
graph_alphas = np.logspace(-3, 2, 21)
coefs, intercepts = task_graph_path(X, Y, graph_alphas, graph=None, ridge=1e-3)
spread = np.linalg.norm(coefs - coefs.mean(axis=1, keepdims=True), axis=(1, 2))
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.semilogx(graph_alphas, spread, marker=".")
ax.set_xlabel("alpha")
ax.set_ylabel("||W - mean task||_F")
ax.set_title("task_graph_path(graph=None)")
plt.show()
