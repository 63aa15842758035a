"""
Ordered tasks: time points linked in a chain
============================================

In disease progression modelling each task is a *time point*: predict a
patient's score at month 0, 6, 12, ... from the features measured at the
first visit. Patients drop out, so later time points have fewer targets (the
rows are shared, ``Y`` is ``NaN`` after a patient's last visit). The effect
of a feature changes slowly over time: neighbouring time points should have
similar weights.

A chain graph says exactly that. :class:`skmtl.TaskGraphRegressor` with
``graph=chain_graph(n_times)`` (:func:`skmtl.chain_graph`: each time point
linked to the next) penalises
:math:`\\frac{\\alpha}{2}\\sum_t \\lVert w_{t+1} - w_t\\rVert^2`. Adding
``l21`` gives the **temporal group lasso** of disease progression (Zhou,
Yuan, Liu & Ye, 2011; MALSAR ``Least_TGL``):
:math:`\\ell_{21}\\sum_j \\lVert W_{j,:}\\rVert_2` selects the same baseline
features at every time point, while the chain keeps their effects smooth.
(:ref:`migrating` converts MALSAR's ``rho1``, ``rho2``, ``rho3``.)
:class:`skmtl.FusedTaskRegressor` is the fused alternative: piecewise
constant weights along the time points (MALSAR ``Least_CFGLasso``).
"""

# %%
# Data: 200 patients, 8 visits, drop-out over time
# ------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import RidgeCV

from skmtl import (
    FusedTaskRegressor,
    L21Regressor,
    SingleTaskBaseline,
    TaskGraphRegressor,
    chain_graph,
)
from skmtl.metrics import r2_score
from skmtl.model_selection import task_train_test_split

rng = np.random.default_rng(0)
n_patients, n_features, n_times = 200, 30, 8
time = np.arange(n_times) / (n_times - 1)
W = np.zeros((n_features, n_times))
for j in range(5):  # 5 relevant features whose effect drifts over time
    W[j] = rng.standard_normal() + 1.5 * rng.standard_normal() * time
X = rng.standard_normal((n_patients, n_features))
Y = X @ W + 1.0 * rng.standard_normal((n_patients, n_times))
last_visit = rng.integers(2, n_times + 1, n_patients)  # visits 0 .. last-1
Y[np.arange(n_times)[None, :] >= last_visit[:, None]] = np.nan
print("patients observed at each visit:", np.sum(~np.isnan(Y), axis=0))

X_train, X_test, Y_train, Y_test = task_train_test_split(
    X, Y, test_size=0.5, random_state=0
)

# %%
# The temporal group lasso: a chain over the time points, plus L2,1
# -----------------------------------------------------------------
chain = chain_graph(n_times)
print(chain.toarray()[:3, :4])
models = {
    "temporal group lasso": TaskGraphRegressor(graph=chain, alpha=1.0, l21=0.4),
    "chain only": TaskGraphRegressor(graph=chain, alpha=1.0, ridge=1e-3),
    "fused group lasso": FusedTaskRegressor(alpha=0.3, fused=0.02),
    "L21Regressor": L21Regressor(alpha=0.4),
    "single-task RidgeCV": SingleTaskBaseline(RidgeCV(alphas=np.logspace(-3, 3, 13))),
}
coefs = {}
for name, model in models.items():
    model.fit(X_train, Y_train)
    score = r2_score(Y_test, model.predict(X_test), multioutput="raw_values")
    if hasattr(model, "coef_"):
        coefs[name] = model.coef_.T
    else:
        coefs[name] = np.array([e.coef_ for e in model.estimators_]).T
    used = int(np.sum(np.any(coefs[name] != 0, axis=1)))
    print(f"{name:21s} R² per visit {score.round(2)}, mean {score.mean():.3f}; "
          f"features used: {used}")

# %%
# The late visits, with the fewest patients, gain the most from their
# neighbours: single-task ridge has 14 training patients at the last visit.
# The L2,1 term drops most of the 25 irrelevant features at every visit at
# once; the chain keeps each kept feature's effect smooth over time.
#
# The weights of the relevant features over time
# ----------------------------------------------
fig, axes = plt.subplots(1, 3, figsize=(11, 3.8), sharey=True)
panels = [
    ("truth", W),
    ("temporal group lasso", coefs["temporal group lasso"]),
    ("single-task RidgeCV", coefs["single-task RidgeCV"]),
]
for ax, (title, coef) in zip(axes, panels, strict=True):
    ax.plot(np.arange(n_times), coef[:5].T, marker=".")
    ax.plot(np.arange(n_times), coef[5:].T, color="grey", alpha=0.2)
    ax.set_title(title)
    ax.set_xlabel("visit")
axes[0].set_ylabel("coefficient")
plt.show()
