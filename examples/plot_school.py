"""
School: multi-task models against single-task and pooled baselines
==================================================================

The School data (Inner London Education Authority) has the exam scores of
15,362 students in 139 schools; predicting the score in each school is one
task, from 28 features of the student and the school. Many schools have few
students, so borrowing strength across schools should help.

:func:`skmtl.model_selection.compare` cross-validates every linear
multi-task regressor and two baselines on the same folds and reports, school
by school, whether each model beats one ridge regression per school
(:class:`skmtl.SingleTaskBaseline`); :class:`skmtl.PooledBaseline` fits one
ridge regression to all schools. To keep the example fast it uses 20 schools
drawn at random, 3 folds and fixed penalty strengths;
``examples/compare_on_school.py`` tunes them by an inner grid search and
``python -m skmtl compare --dataset school`` runs the command-line version.

The data file ``school.mat`` is not shipped with skmtl:
:func:`skmtl.datasets.load_school` looks for it in the directory named by the
environment variable ``SKMTL_DATA``, then in ``~/skmtl_data`` (and can
download it with ``download_if_missing=True``).
"""

# %%
# The data
# --------
# Stacked format: ``school.target[i, t]`` is the score of student ``i`` if
# ``t`` is the student's school, ``NaN`` otherwise.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmtl import (
    ClusteredRegressor,
    DirtyRegressor,
    L21Regressor,
    MeanRegularizedRegressor,
    PooledBaseline,
    RobustFeatureRegressor,
    RobustLowRankRegressor,
    SharedSubspaceRegressor,
    SingleTaskBaseline,
    SparseLowRankRegressor,
    TaskRelationRegressor,
    TraceNormRegressor,
)
from skmtl.datasets import load_school
from skmtl.model_selection import TaskStratifiedKFold, compare

try:
    school = load_school()
except OSError as exc:  # FileNotFoundError included
    school = None
    print(f"School data not available, nothing to do: {exc}")

if school is not None:
    rng = np.random.default_rng(0)
    schools = np.sort(rng.choice(school.target.shape[1], 20, replace=False))
    rows = np.isin(school.task, schools)
    X, Y = school.data[rows], school.target[rows][:, schools]
    sizes = np.sum(~np.isnan(Y), axis=0)
    print(
        f"{len(schools)} schools, {X.shape[0]} students, {X.shape[1]} features; "
        f"students per school {sizes.min()} to {sizes.max()}"
    )

# %%
# The models
# ----------
# Every model standardises the features first. The penalties are on the
# scale of standardised features; the data term sums the mean losses of the
# schools, so useful strengths grow with the number of schools (here
# :func:`skmtl.alpha_max` of L2,1 is about 20). The strengths are fixed, on
# that rough scale, to keep the example fast; choosing the best of several
# settings on these same folds would flatter the models. The
# cross-validated classes (``L21RegressorCV``, ...) tune them on inner
# folds: ``python -m skmtl compare --dataset school`` compares them.


def standardised(model):
    return make_pipeline(StandardScaler(), model)


ridge = RidgeCV(alphas=np.logspace(-3, 3, 13))
estimators = {
    "single-task ridge": standardised(SingleTaskBaseline(ridge)),
    "pooled ridge": standardised(PooledBaseline(ridge)),
    "L21Regressor": standardised(L21Regressor(alpha=3.0)),
    "TraceNormRegressor": standardised(TraceNormRegressor(alpha=3.0)),
    "MeanRegularizedRegressor": standardised(
        MeanRegularizedRegressor(alpha=1.0, ridge=0.1)
    ),
    "TaskRelationRegressor": standardised(TaskRelationRegressor(alpha=0.05)),
    "ClusteredRegressor": standardised(
        ClusteredRegressor(alpha=1.0, eta=0.1, n_clusters=2)
    ),
    "SharedSubspaceRegressor": standardised(
        SharedSubspaceRegressor(alpha=1.0, eta=0.1, n_components=3)
    ),
    "DirtyRegressor": standardised(DirtyRegressor(alpha=5.0, l1=2.0)),
    "RobustFeatureRegressor": standardised(RobustFeatureRegressor(alpha=3.0, beta=3.0)),
    "RobustLowRankRegressor": standardised(RobustLowRankRegressor(alpha=3.0, beta=3.0)),
    "SparseLowRankRegressor": standardised(SparseLowRankRegressor(alpha=3.0, l1=2.0)),
}

# %%
# Cross-validated comparison, school by school
# --------------------------------------------
# ``TaskStratifiedKFold`` spreads every school's students over the folds
# (scikit-learn's default folds would hold out whole schools). ``"r2"`` here is
# skmtl's scorer name: the mean over schools of R² on each school's students.
if school is not None:
    comparison = compare(
        estimators,
        X,
        Y,
        cv=TaskStratifiedKFold(3, random_state=0),
        scoring="r2",
        baseline="single-task ridge",
    )
    print(comparison.summary())

# %%
# Per-school scores
# -----------------
# Each panel plots a model's R² in every school against the single-task
# baseline's: points above the diagonal are schools where the model wins.
if school is not None:
    fig = comparison.plot()
    fig.set_size_inches(14, 10)
    plt.show()
