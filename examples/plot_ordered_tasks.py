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
``graph`` linking each time point to the next penalises
:math:`\\frac{\\alpha}{2}\\sum_t \\lVert w_{t+1} - w_t\\rVert^2`, and ``l1``
adds sparsity. This is MALSAR's temporal smoothness formulation; its
temporal *group* lasso adds an L2,1 term so that the same features are used
at every time point.
"""

# %%
# Data: 200 patients, 8 visits, drop-out over time
# ------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import RidgeCV

from skmtl import L21Regressor, SingleTaskBaseline, TaskGraphRegressor
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
# A chain over the time points
# ----------------------------
chain = np.zeros((n_times, n_times))
chain[np.arange(n_times - 1), np.arange(1, n_times)] = 1.0
chain += chain.T
models = {
    "TaskGraph(chain)": TaskGraphRegressor(graph=chain, alpha=1.0, ridge=1e-3),
    "TaskGraph(chain, l1)": TaskGraphRegressor(graph=chain, alpha=1.0, l1=0.02),
    "L21Regressor": L21Regressor(alpha=0.1),
    "single-task RidgeCV": SingleTaskBaseline(RidgeCV(alphas=np.logspace(-3, 3, 13))),
}
coefs = {}
for name, model in models.items():
    model.fit(X_train, Y_train)
    score = r2_score(Y_test, model.predict(X_test), multioutput="raw_values")
    print(f"{name:22s} held-out R² per visit {score.round(2)}")
    if hasattr(model, "coef_"):
        coefs[name] = model.coef_.T
    else:
        coefs[name] = np.array([e.coef_ for e in model.estimators_]).T

# %%
# The weights of the relevant features over time
# ----------------------------------------------
fig, axes = plt.subplots(1, 3, figsize=(11, 3.8), sharey=True)
panels = [
    ("truth", W),
    ("TaskGraph(chain, l1)", coefs["TaskGraph(chain, l1)"]),
    ("single-task RidgeCV", coefs["single-task RidgeCV"]),
]
for ax, (title, coef) in zip(axes, panels, strict=True):
    ax.plot(np.arange(n_times), coef[:5].T, marker=".")
    ax.plot(np.arange(n_times), coef[5:].T, color="grey", alpha=0.2)
    ax.set_title(title)
    ax.set_xlabel("visit")
axes[0].set_ylabel("coefficient")
plt.show()
