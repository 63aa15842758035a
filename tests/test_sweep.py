"""Regression tests of the reliability sweep: inputs from outside the
repository's usual cases (wide designs, odd targets, odd workflows) on which
a public estimator failed once. Each test states the input and checks the
result by a formula written here."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import skmtl


def _wide(seed):
    """15 rows, 400 features, 3 noiseless tasks on the first 3 features."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((15, 400))
    return X, X[:, :3] @ rng.standard_normal((3, 3))


def _robust_feature_kkt(X, Y, P, Q, b, alpha, beta):
    """Largest violation of the optimality conditions of
    ``sum_t ||y_t - X w_t - b_t||^2 / (2 n) + alpha sum_j ||P_j|| + beta
    sum_t ||Q_t||`` with ``W = P + Q`` (every entry observed), relative to
    the strengths: the gradient ``G`` of the loss in ``W`` must be
    ``-alpha P_j / ||P_j||`` on a non-zero row of ``P`` (norm at most
    ``alpha`` on a zero row), the same for the columns of ``Q`` with
    ``beta``, and the residuals must have zero means (the intercepts)."""
    n = X.shape[0]
    R = Y - X @ (P + Q) - b
    G = -X.T @ R / n
    worst = np.abs(R.mean(axis=0)).max() / alpha
    for j in range(P.shape[0]):
        norm = np.linalg.norm(P[j])
        if norm > 0:
            worst = max(worst, np.linalg.norm(G[j] + alpha * P[j] / norm) / alpha)
        else:
            worst = max(worst, (np.linalg.norm(G[j]) - alpha) / alpha)
    for t in range(Q.shape[1]):
        norm = np.linalg.norm(Q[:, t])
        if norm > 0:
            worst = max(worst, np.linalg.norm(G[:, t] + beta * Q[:, t] / norm) / beta)
        else:
            worst = max(worst, (np.linalg.norm(G[:, t]) - beta) / beta)
    return worst


@pytest.mark.parametrize("seed", [2, 3])
def test_robust_feature_wide_design_converges(seed):
    # 15 x 400: the compiled ADMM's step size cycled between two values (1.9
    # and 7.7, every 5 iterations) and the iterates drifted away; the fit
    # "stalled" at a duality gap 3000 times the tolerance, with advice
    # (standardise, ridge, tol) that changed nothing
    X, Y = _wide(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = skmtl.RobustFeatureRegressor(tol=1e-8, max_iter=5000).fit(X, Y)
    P, Q = est.shared_coef_.T, est.outlier_coef_.T
    assert _robust_feature_kkt(X, Y, P, Q, est.intercept_, 0.1, 0.2) < 1e-3


@pytest.mark.parametrize("name", ["RobustFeatureRegressor", "SparseLowRankRegressor"])
def test_decomposed_wide_design_defaults_converge(name):
    X, Y = _wide(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        getattr(skmtl, name)().fit(X, Y)


CV_CLASSES = sorted(skmtl._CV_MODELS)


def _small(classification=False):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4))
    Y = X @ rng.standard_normal((4, 3))
    return X, (Y > 0).astype(int) if classification else Y


@pytest.mark.parametrize("name", CV_CLASSES)
def test_cv_rows_mismatch_is_named(name):
    # the CVs whose grid comes from the data's scale (TaskRelation, Clustered,
    # MLP, kernel ridge, ...) read rows of X by Y's entries before any check:
    # an IndexError "index 29 is out of bounds"
    X, Y = _small("Classifier" in name)
    with pytest.raises(ValueError, match="Y has 30 rows but X has 29"):
        getattr(skmtl, name)().fit(X[:-1], Y)


@pytest.mark.parametrize("name", CV_CLASSES)
def test_cv_sample_weight_length_is_named(name):
    X, Y = _small("Classifier" in name)
    with pytest.raises(ValueError, match=r"sample_weight has shape \(29,\)"):
        getattr(skmtl, name)().fit(X, Y, sample_weight=np.ones(29))


@pytest.mark.parametrize("name", CV_CLASSES)
def test_cv_nan_in_X_is_named(name):
    # "Input contains NaN." without naming X from the data-scale grids
    X, Y = _small("Classifier" in name)
    X[2, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        getattr(skmtl, name)().fit(X, Y)


def _scaled_features():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    return X, X @ rng.standard_normal((6, 3)) + 0.1 * rng.standard_normal((40, 3))


@pytest.mark.parametrize("name", ["ClusteredRegressor", "SharedSubspaceRegressor"])
def test_quadratic_structure_models_on_features_scaled_by_1e4(name):
    # X * 1e4: the compiled ADMM's step size went from 1e8 to 0.2 in 20
    # iterations (residual balancing) and the fit "stalled" at 400 times the
    # tolerance. The penalty is quadratic in W, so the fit on c X with alpha
    # equals the fit on X with alpha / c^2, coefficients divided by c
    X, Y = _scaled_features()
    c, estimator = 1e4, getattr(skmtl, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        scaled = estimator(tol=1e-6).fit(c * X, Y)
        plain = estimator(alpha=scaled.alpha / c**2, tol=1e-6).fit(X, Y)
    np.testing.assert_allclose(c * scaled.coef_, plain.coef_, atol=1e-3)
    np.testing.assert_allclose(scaled.predict(c * X), plain.predict(X), atol=1e-3)


def test_fused_on_features_scaled_by_1e4():
    # as above; the fused penalty is a sum of norms: alpha, l1, fused / c
    X, Y = _scaled_features()
    c = 1e4
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        scaled = skmtl.FusedTaskRegressor().fit(c * X, Y)
        plain = skmtl.FusedTaskRegressor(
            alpha=scaled.alpha / c, l1=scaled.l1 / c, fused=scaled.fused / c).fit(X, Y)
    np.testing.assert_allclose(c * scaled.coef_, plain.coef_, atol=1e-4)


@pytest.mark.parametrize("scale", [1e-4, 1e4])
def test_trace_norm_on_scaled_features(scale):
    # the ADMM of the trace-norm model balanced absolute residuals (units of W
    # against units of the gradient): 16 iterations on X, 1000 and a
    # ConvergenceWarning on X * 1e4 or X * 1e-4. The trace norm is a norm:
    # the fit on c X with alpha equals the fit on X with alpha / c, W / c
    X, Y = _scaled_features()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        scaled = skmtl.TraceNormRegressor(alpha=0.3 * scale).fit(scale * X, Y)
        plain = skmtl.TraceNormRegressor(alpha=0.3).fit(X, Y)
    np.testing.assert_allclose(scale * scaled.coef_, plain.coef_, atol=1e-4)


def _task_csv(path, sizes):
    rng = np.random.default_rng(0)
    lines = ["store,a,b,c,y"]
    for name, n in sizes.items():
        X = rng.standard_normal((n, 3))
        y = X @ np.array([1.0, -1.0, 0.5]) + 0.3 * rng.standard_normal(n)
        lines += [f"{name},{a},{b},{c},{t}" for (a, b, c), t in zip(X, y, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_csv_task_too_small_for_the_inner_folds(tmp_path, capsys):
    # a task of 3 rows passes the --cv 2 check, then its 1 training row met
    # the inner 2-fold tuning: a traceback from inside compare, naming the
    # task 'task_3' instead of the CSV's 'tiny'
    pytest.importorskip("pandas")
    from skmtl.__main__ import main

    path = _task_csv(tmp_path / "stores.csv", {"north": 30, "south": 25, "tiny": 3})
    with pytest.raises(SystemExit):
        main(["compare", "--quick", "--csv", str(path), "--target", "y",
              "--task", "store", "--models", "L21Regressor"])
    err = capsys.readouterr().err
    assert "task 'tiny' has 1 training row(s)" in err
    assert "inner folds" in err


def test_cli_csv_output_uses_the_csv_task_names(tmp_path, capsys):
    # the per-task table said task_0, task_1 for the stores of the file
    pytest.importorskip("pandas")
    from skmtl.__main__ import main

    path = _task_csv(tmp_path / "stores.csv", {"north": 30, "south": 25, "west": 20})
    output = tmp_path / "tasks.csv"
    assert main(["compare", "--quick", "--csv", str(path), "--target", "y",
                 "--task", "store", "--models", "L21Regressor", "--n-jobs", "1",
                 "--output", str(output)]) == 0
    import csv

    with open(output) as file:
        rows = list(csv.DictReader(file))
    assert {row["task"] for row in rows} == {"north", "south", "west"}


@pytest.mark.parametrize("name", ["r2_score", "mean_squared_error",
                                  "mean_absolute_error", "explained_variance_mtl"])
def test_metrics_refuse_infinite_predictions(name):
    # r2_score gave -inf and mean_squared_error inf (scikit-learn raises), and
    # the task average with them
    from skmtl import metrics

    Y = np.random.default_rng(0).standard_normal((10, 3))
    P = Y.copy()
    P[4, 1] = np.inf
    with pytest.raises(ValueError, match=r"Task 'task_1'.*infinite at 1 row.*row 4"):
        getattr(metrics, name)(Y, P)
    Y[4, 1] = np.nan  # an unobserved entry may hold anything
    assert np.isfinite(getattr(metrics, name)(Y, P))


def _mlp_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5))
    Y = np.tanh(X @ rng.standard_normal((5, 3))) + 0.1 * rng.standard_normal((60, 3))
    return X, Y


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_mlp_warns_on_tiny_targets_and_the_advice_works(solver):
    # targets 1e-4 times unit scale: training R^2 -0.35 (lbfgs) and -3179
    # (adam), the fit "converged", no warning
    X, Y = _mlp_data()
    small = 1e-4 * Y
    with pytest.warns(UserWarning, match="standard deviation 7.1e-05.*standardise"):
        skmtl.MultiTaskMLPRegressor(solver=solver, random_state=0).fit(X, small)
    scale = small.std(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = skmtl.MultiTaskMLPRegressor(
            solver=solver, random_state=0, max_iter=2000).fit(X, small / scale)
    prediction = model.predict(X) * scale
    r2 = 1 - ((small - prediction) ** 2).sum(0) / ((small - small.mean(0)) ** 2).sum(0)
    assert r2.min() > 0.8


def test_mlp_convergence_warning_names_large_targets():
    # targets of scale 1e6 under adam: R^2 1e-4 after max_iter epochs, and
    # the advice was "increase max_iter, or standardise X" (X was standard;
    # 10000 epochs gave 0.03)
    X, Y = _mlp_data()
    with pytest.warns(ConvergenceWarning, match="targets' standard deviation is up to"):
        skmtl.MultiTaskMLPRegressor(solver="adam", random_state=0).fit(X, 1e6 * Y)


def test_weak_strength_advice_names_them_and_works():
    # RobustLowRankRegressor's absolute defaults (alpha=0.1, beta=0.09) on
    # targets of scale 1e6: "did not converge ... Increase max_iter", and 20
    # times max_iter did not converge either
    X, Y = _scaled_features()
    Y = 1e6 * Y
    with pytest.warns(ConvergenceWarning, match=r"alpha=0\.1: 2\.\de-08 alpha_max"):
        skmtl.RobustLowRankRegressor().fit(X, Y)
    strengths = {name: 0.1 * skmtl.alpha_max(skmtl.RobustLowRankRegressor(), X, Y,
                                             param=name) for name in ("alpha", "beta")}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        skmtl.RobustLowRankRegressor(**strengths).fit(X, Y)


def test_weak_strength_advice_not_for_zero_or_graph_strengths():
    # the task graph's l1 = l21 = 0 are its defaults, not weak strengths
    X, Y = _scaled_features()
    with pytest.warns(ConvergenceWarning) as caught:
        skmtl.TaskGraphClassifier(max_iter=1).fit(X, (Y > 0).astype(int))
    assert not any("tiny for these targets" in str(w.message) for w in caught)
