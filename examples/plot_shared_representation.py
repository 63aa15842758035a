"""
Shared representation: trace norm and a shared network
======================================================

Two ways for tasks to share a representation of the features:

* linear: the tasks' weight vectors lie in a low-dimensional subspace of
  feature space. :class:`skmtl.TraceNormRegressor` penalises the trace norm
  :math:`\\alpha \\lVert W \\rVert_*` (the sum of the singular values of the
  features × tasks matrix ``W``), whose solutions have low rank;
* nonlinear: :class:`skmtl.MultiTaskMLPRegressor` trains hidden layers shared
  by every task, with one linear head per task.
"""

# %%
# Trace norm: singular values of the coefficient matrix
# -----------------------------------------------------
# Fifteen tasks whose weights are combinations of 3 directions.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeCV
from sklearn.neural_network import MLPRegressor

from skmtl import (
    MultiTaskMLPRegressor,
    SingleTaskBaseline,
    TraceNormRegressor,
    alpha_max,
)
from skmtl.datasets import make_multitask_regression, stack_tasks
from skmtl.metrics import r2_score
from skmtl.model_selection import task_train_test_split

X, Y, truth = make_multitask_regression(
    n_samples=230,
    n_features=40,
    n_tasks=15,
    structure="low_rank",
    n_informative=3,
    noise=0.5,
    shared_rows=False,
    random_state=0,
    return_coef=True,
)
X_train, X_test, Y_train, Y_test = task_train_test_split(
    X, Y, train_size=30, random_state=0
)
largest = alpha_max(TraceNormRegressor(), X_train, Y_train)

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(np.linalg.svd(truth.coef, compute_uv=False), "k*-", label="truth")
ridge = SingleTaskBaseline(RidgeCV(alphas=np.logspace(-3, 3, 13))).fit(X_train, Y_train)
score = r2_score(Y_test, ridge.predict(X_test))
print(f"single-task RidgeCV            held-out R² {score:.3f}")
for ratio in [0.3, 0.1, 0.03]:
    model = TraceNormRegressor(alpha=ratio * largest).fit(X_train, Y_train)
    score = r2_score(Y_test, model.predict(X_test))
    print(
        f"TraceNorm alpha = {ratio:4} alpha_max  rank_ = {model.rank_:2d}, "
        f"held-out R² {score:.3f}"
    )
    values = np.zeros(min(X.shape[1], Y.shape[1]))
    values[: model.rank_] = model.singular_values_
    ax.plot(values, "o-", label=f"alpha = {ratio} alpha_max (rank {model.rank_})")
ax.set_xlabel("k")
ax.set_ylabel("k-th singular value of W")
ax.legend()
plt.show()

# %%
# A shared network on a nonlinear problem
# ---------------------------------------
# Six tasks are different linear read-outs of the same two nonlinear
# features of ``x``; each task has 40 training rows. The shared hidden layer
# learns the features from all tasks' rows.
rng = np.random.default_rng(0)
n_tasks, n_train, n_test = 6, 40, 200
Xs, ys = [], []
read_out = rng.standard_normal((2, n_tasks))
for t in range(n_tasks):
    x = rng.uniform(-2, 2, size=(n_train + n_test, 5))
    hidden = np.column_stack([np.sin(2 * x[:, 0]), x[:, 1] * x[:, 2]])
    Xs.append(x)
    ys.append(hidden @ read_out[:, t] + 0.1 * rng.standard_normal(len(x)))
X, Y, task = stack_tasks(Xs, ys)
X_train, X_test, Y_train, Y_test = task_train_test_split(
    X, Y, train_size=n_train, random_state=0
)
# 500 L-BFGS iterations are enough here: the fits are stopped on purpose
# before their tolerance (scikit-learn's and skmtl's MLPs then warn)
warnings.simplefilter("ignore", ConvergenceWarning)
shared = MultiTaskMLPRegressor(
    hidden_layer_sizes=(20,),
    alpha=1e-3,
    max_iter=500,
    random_state=0,
    activation="tanh",
)
alone = SingleTaskBaseline(
    MLPRegressor(
        hidden_layer_sizes=(20,),
        alpha=1e-3,
        solver="lbfgs",
        max_iter=500,
        activation="tanh",
        random_state=0,
    )
)
scores = {}
for name, model in [
    ("MultiTaskMLPRegressor", shared),
    ("one MLPRegressor per task", alone),
]:
    model.fit(X_train, Y_train)
    scores[name] = r2_score(Y_test, model.predict(X_test), multioutput="raw_values")
    print(f"{name:26s} held-out R² mean over tasks {scores[name].mean():.3f}")

fig, ax = plt.subplots(figsize=(6.5, 3.5))
for k, (name, values) in enumerate(scores.items()):
    ax.bar(np.arange(n_tasks) + 0.4 * k, values, 0.4, label=name)
ax.set_xlabel("task")
ax.set_ylabel("held-out R²")
ax.legend()
plt.show()
