"""
Regularization path: coefficient norms and the validation score
===============================================================

Along a path of penalty strengths from :func:`skmtl.alpha_max` (every
coefficient zero) down to a small fraction of it, L2,1 regression lets
features in one at a time, each for every task at once.
:func:`skmtl.model_selection.l21_path` computes the whole path, each fit
warm-started from the previous one on data validated once;
:class:`skmtl.L21RegressorCV` runs the same path on every fold of
``TaskStratifiedKFold(5)``, picks the strength with the best mean score
(``alpha_``) and refits. For the task-graph and mean-regularized models,
:func:`skmtl.estimators.task_graph_path` computes the path from one
decomposition.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from skmtl import L21Regressor, L21RegressorCV, alpha_max
from skmtl.datasets import make_multitask_regression
from skmtl.estimators import task_graph_path
from skmtl.model_selection import l21_path

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
relevant = np.any(truth.coef != 0, axis=0)

# %%
# The L2,1 path
# -------------
# ``coefs[k]`` is the ``coef_`` (n_tasks, n_features) at ``alphas[k]``; the
# norm of a feature's column is its group's norm in the penalty. The first
# strength is ``alpha_max``, where every coefficient is zero.
alphas, coefs, intercepts = l21_path(X, Y, eps=1e-3, n_alphas=30)
largest = alpha_max(L21Regressor(), X, Y)
print(f"alphas[0] = {alphas[0]:.4f}, alpha_max = {largest:.4f}")
norms = np.linalg.norm(coefs, axis=1)  # (n_alphas, n_features)
entered = np.argmax(norms > 0, axis=0)
print("relevant features enter at path points", np.sort(entered[relevant]))
first = entered[~relevant & (norms[-1] > 0)].min()
print("first irrelevant one enters at point", first)

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(alphas / largest, norms[:, relevant], color="tab:blue")
ax.plot(alphas / largest, norms[:, ~relevant], color="tab:grey", alpha=0.5)
ax.set_xscale("log")
ax.invert_xaxis()
ax.set_xlabel("alpha / alpha_max")
ax.set_ylabel("||W_j||_2 (norm over tasks)")
ax.set_title("l21_path: relevant features (blue) enter first")
plt.show()

# %%
# The cross-validated score along the path
# ----------------------------------------
# Each fold of ``TaskStratifiedKFold(5)`` keeps every task in its training
# rows and computes its own warm-started path on the grid of the whole data;
# ``mean_score_path_`` is the mean validation R² (over tasks, then folds).
model = L21RegressorCV(alphas=30, eps=1e-3).fit(X, Y)
mean, std = model.mean_score_path_, model.std_score_path_
print(f"alpha_ = {model.alpha_:.4f} ({model.alpha_ / largest:.3g} alpha_max), "
      f"best mean validation R² {model.best_score_:.3f}")
print("features used by the refit:", int(np.sum(np.any(model.coef_ != 0, axis=0))),
      "of", X.shape[1], f"({int(relevant.sum())} relevant)")

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(model.alphas_ / largest, mean, marker=".")
ax.fill_between(model.alphas_ / largest, mean - std, mean + std, alpha=0.3)
ax.axvline(model.alpha_ / largest, color="grey", linestyle=":", label="alpha_")
ax.set_xscale("log")
ax.invert_xaxis()
ax.set_xlabel("alpha / alpha_max")
ax.set_ylabel("validation R² (mean over tasks)")
ax.legend()
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
