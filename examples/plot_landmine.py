"""
Landmine: classifiers with few labelled rows per task
=====================================================

The Landmine data has 29 mine fields (tasks), each with 445 to 690 radar
readings of 9 features, labelled mine / no mine (about 6 % mines). Fields of
the same terrain type are alike, so a classifier trained on all fields at
once should need fewer labelled readings per field.

We keep ``n`` labelled readings of every field for training
(:func:`skmtl.model_selection.task_train_test_split` with ``train_size=n``
counts rows *per task*, classes in proportion), test on the others, and plot
the mean over fields of the ROC AUC against ``n`` for three multi-task
classifiers, one logistic regression per field and one for all fields.

:func:`skmtl.datasets.load_landmine` reads ``LandmineData.mat`` from the
directory named by ``SKMTL_DATA``, else ``~/skmtl_data``.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmtl import (
    L21Classifier,
    MeanRegularizedClassifier,
    PooledBaseline,
    SingleTaskBaseline,
    TraceNormClassifier,
)
from skmtl.datasets import load_landmine
from skmtl.metrics import roc_auc_score
from skmtl.model_selection import task_train_test_split

try:
    X, Y = load_landmine(return_X_y=True)
except OSError as exc:
    X = Y = None
    print(f"Landmine data not available, nothing to do: {exc}")

if X is not None:
    observed = ~np.isnan(Y)
    print(
        f"{Y.shape[1]} fields, {X.shape[0]} readings, {X.shape[1]} features; "
        f"mines: {np.nansum(Y) / observed.sum():.1%} of the readings"
    )

# %%
# Models
# ------
# The logistic data term averages each field's loss over its own rows, so
# the penalties are small numbers (see each classifier's ``alpha`` default);
# these were chosen by hand on other random splits. ``liblinear`` is the
# fastest of scikit-learn's solvers for these tiny single-task problems.
models = {
    "L21Classifier": L21Classifier(alpha=0.1),
    "TraceNormClassifier": TraceNormClassifier(alpha=0.1),
    "MeanRegularizedClassifier": MeanRegularizedClassifier(alpha=1.0, ridge=0.01),
    "single-task logistic": SingleTaskBaseline(LogisticRegression(solver="liblinear")),
    "pooled logistic": PooledBaseline(LogisticRegression(solver="liblinear")),
}

# %%
# ROC AUC against the number of labelled rows per field
# -----------------------------------------------------
# Two random training sets for each ``n``.
sizes = [20, 40, 80]
auc = {name: [] for name in models}
if X is not None:
    for n in sizes:
        scores = {name: [] for name in models}
        for seed in range(2):
            X_train, X_test, Y_train, Y_test = task_train_test_split(
                X, Y, train_size=n, random_state=seed
            )
            for name, model in models.items():
                fitted = make_pipeline(StandardScaler(), model).fit(X_train, Y_train)
                proba = fitted.predict_proba(X_test)
                # one (n_rows, 2) array per task: the probability of a mine
                positive = np.column_stack([p[:, 1] for p in proba])
                scores[name].append(roc_auc_score(Y_test, positive))
        for name in models:
            auc[name].append(np.mean(scores[name]))
            print(f"n = {n:3d}  {name:26s} ROC AUC {auc[name][-1]:.3f}")

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for name, values in auc.items():
        ax.plot(
            sizes,
            values,
            marker="o",
            label=name,
            linestyle="--" if "logistic" in name else "-",
        )
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.set_xlabel("labelled readings per field")
    ax.set_ylabel("ROC AUC (mean over fields)")
    ax.legend()
    plt.show()
