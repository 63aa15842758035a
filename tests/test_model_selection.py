"""compare / Comparison: per-task cross-validated scores, wins, tests, reports."""

import numpy as np
import pytest
import scipy.sparse as sparse
from numpy.testing import assert_allclose
from scipy import stats
from sklearn import metrics as skm
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV
from sklearn.model_selection import GridSearchCV, KFold

from skmtl import (
    L21Classifier,
    L21Regressor,
    MeanRegularizedRegressor,
    PooledBaseline,
    SingleTaskBaseline,
    alpha_max,
)
from skmtl.datasets import make_multitask_classification, make_multitask_regression
from skmtl.metrics import get_scorer
from skmtl.model_selection import (
    Comparison,
    RelativeAlpha,
    TaskStratifiedKFold,
    compare,
)


def shared_support_data(seed=0):
    """Few rows per task, many features, one support: made for L2,1."""
    return make_multitask_regression(
        25,
        40,
        15,
        structure="shared_support",
        noise=0.3,
        shared_rows=False,
        random_state=seed,
    )


@pytest.fixture(scope="module")
def favourable():
    X, Y = shared_support_data()
    models = {
        "L21": L21Regressor(alpha=0.1 * alpha_max(L21Regressor(), X, Y)),
        "single": SingleTaskBaseline(RidgeCV()),
        "pooled": PooledBaseline(Ridge()),
    }
    return X, Y, models, compare(models, X, Y, cv=3, random_state=0)


def test_mtl_beats_single_task_when_tasks_share_features(favourable):
    *_, result = favourable
    n_tasks = len(result.task_names)
    assert result.baseline == "single"  # the SingleTaskBaseline, by default
    assert result.wins["L21"] >= 0.8 * n_tasks
    assert result.pvalues["L21"] < 0.05
    assert result.median_difference["L21"] > 0
    assert result.verdict("L21").startswith(
        f"L21 beats the single-task baseline on {result.wins['L21']} of {n_tasks}"
    )
    assert "is worse than the single-task baseline" in result.verdict("pooled")


def test_no_win_is_claimed_on_independent_tasks():
    X, Y = make_multitask_regression(
        150,
        10,
        10,
        structure="independent",
        noise=0.3,
        shared_rows=False,
        random_state=0,
    )
    grid = {"alpha": alpha_max(L21Regressor(), X, Y) * np.array([0.1, 0.03, 0.01])}
    tuned = GridSearchCV(
        L21Regressor(),
        grid,
        scoring=get_scorer("r2"),
        cv=KFold(3, shuffle=True, random_state=0),
    )
    models = {"L21": tuned, "single": SingleTaskBaseline(RidgeCV())}
    result = compare(models, X, Y, cv=3, random_state=0)
    verdict = result.verdict("L21")
    assert "beats" not in verdict
    assert "no significant difference" in verdict or "is worse than" in verdict


def test_scores_equal_a_hand_loop_over_folds_and_tasks():
    X, Y = make_multitask_regression(
        60, 8, 4, missing_fraction=0.3, noise=0.5, random_state=1
    )
    model = MeanRegularizedRegressor(alpha=0.5, ridge=0.1)
    cv = KFold(4, shuffle=True, random_state=3)
    result = compare({"mean": model}, X, Y, cv=cv, scoring="neg_mean_squared_error")
    expected = np.full((4, Y.shape[1]), np.nan)
    for k, (train, test) in enumerate(cv.split(X)):
        fitted = clone(model).fit(X[train], Y[train])
        pred = fitted.predict(X[test])
        for t in range(Y.shape[1]):
            rows = ~np.isnan(Y[test, t])
            expected[k, t] = -skm.mean_squared_error(Y[test][rows, t], pred[rows, t])
    assert_allclose(result.scores["mean"], expected, rtol=1e-12)
    assert_allclose(result.mean[:, 0], expected.mean(axis=0), rtol=1e-12)
    assert_allclose(result.std[:, 0], expected.std(axis=0), rtol=1e-12)
    assert result.fit_time["mean"].shape == (4,)


def test_task_missing_from_a_test_fold_gets_nan_and_is_left_out():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    Y = X @ rng.standard_normal((4, 3)) + 0.1 * rng.standard_normal((60, 3))
    Y[30:, 2] = np.nan  # task 2 observes only rows 0..29
    rows = np.arange(60)
    splits = [
        (np.r_[0:20, 30:45], np.r_[45:60]),  # no row of task 2 in this test fold
        (rows[1::2], rows[::2]),
        (rows[::2], rows[1::2]),
    ]
    models = {"ridge": SingleTaskBaseline(Ridge()), "pooled": PooledBaseline(Ridge())}
    with pytest.warns(UndefinedMetricWarning, match="undefined"):
        result = compare(models, X, Y, cv=splits)
    scores = result.scores["ridge"]
    assert np.isnan(scores[0, 2]) and np.isfinite(np.delete(scores.ravel(), 2)).all()
    assert_allclose(result.mean[2, 0], scores[1:, 2].mean())
    assert np.all(np.isfinite(result.mean))


def test_parallel_fits_give_the_same_scores(favourable):
    X, Y, models, sequential = favourable
    parallel = compare(models, X, Y, cv=3, random_state=0, n_jobs=2)
    for name in models:
        assert_allclose(parallel.scores[name], sequential.scores[name], rtol=1e-9)
    assert parallel.wins == sequential.wins


def test_wins_ties_losses_partition_the_tasks(favourable):
    *_, result = favourable
    n_tasks = len(result.task_names)
    for name in result.estimator_names:
        total = result.wins[name] + result.ties[name] + result.losses[name]
        assert total == n_tasks
    assert result.ties["single"] == n_tasks
    assert np.isnan(result.pvalues["single"])


def test_wilcoxon_option_tests_the_relative_differences(favourable):
    X, Y, models, _ = favourable
    result = compare(models, X, Y, cv=3, random_state=0, test="wilcoxon")
    d = (result.mean[:, 0] - result.mean[:, 1]) / (1.0 - result.mean[:, 1])
    expected = stats.wilcoxon(d, zero_method="zsplit").pvalue
    assert result.pvalues["L21"] == pytest.approx(expected)
    assert "Wilcoxon signed-rank test over 15 tasks" in result.verdict("L21")


def comparison(mtl, base, **kwargs):
    scores = {"mtl": np.atleast_2d(mtl), "base": np.atleast_2d(base)}
    times = {
        "mtl": [1.0] * scores["mtl"].shape[0],
        "base": [1.0] * scores["mtl"].shape[0],
    }
    names = [f"t{i}" for i in range(scores["mtl"].shape[1])]
    kwargs = {"best_score": 1.0, **kwargs}  # r2
    return Comparison(scores, times, names, "base", scoring="r2", **kwargs)


def test_identical_scores_give_p_one_and_no_claim():
    result = comparison([0.5, 0.6, 0.7, 0.8, 0.9, 0.4], [0.5, 0.6, 0.7, 0.8, 0.9, 0.4])
    assert result.pvalues["mtl"] == 1.0
    assert result.ties["mtl"] == 6
    assert "no significant difference" in result.verdict("mtl")


def test_worse_verdict_and_ties_within_tolerance():
    base = np.linspace(0.2, 0.8, 12)
    result = comparison(base - np.linspace(0.05, 0.15, 12), base)
    assert result.losses["mtl"] == 12
    assert result.verdict().startswith("mtl is worse than base on 12 of 12 tasks")
    result = comparison(base + 1e-6, base)  # below the tie tolerance
    assert result.ties["mtl"] == 12 and result.pvalues["mtl"] == 1.0


def test_undefined_task_counts_as_tie_and_is_left_out_of_the_test():
    base = np.array([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, np.nan]])
    result = comparison(base + 0.2, base, test="wilcoxon")
    assert (result.wins["mtl"], result.ties["mtl"]) == (6, 1)
    assert result.pvalues["mtl"] == pytest.approx(
        stats.wilcoxon(np.full(6, 0.2) + np.arange(6) * 0, zero_method="zsplit").pvalue
    )


def test_summary_and_str_name_every_estimator(favourable):
    *_, result = favourable
    text = result.summary()
    assert str(result) == text
    for name in result.estimator_names:
        assert name in text
    assert "single *" in text and "sign-flip permutation test over 15 tasks" in text
    assert "3 splits" in repr(result)


def test_to_frame_wide_and_long(favourable):
    pytest.importorskip("pandas")
    *_, result = favourable
    n_tasks, n_est = len(result.task_names), len(result.estimator_names)
    wide = result.to_frame()
    assert wide.shape == (n_tasks, 2 * n_est)
    assert list(wide.columns[:2]) == [("L21", "mean"), ("L21", "std")]
    assert_allclose(wide[("L21", "mean")], result.mean[:, 0])
    long = result.to_frame("long")
    assert long.shape == (n_tasks * n_est, 8)
    assert set(long["outcome"]) <= {"win", "tie", "loss", "baseline"}
    assert (long.query("estimator == 'L21'")["outcome"] == "win").sum() == result.wins[
        "L21"
    ]


def test_plot_saves_a_png(favourable, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    *_, result = favourable
    figure = result.plot()
    path = tmp_path / "comparison.png"
    figure.savefig(path)
    assert path.stat().st_size > 1000
    assert len([ax for ax in figure.axes if ax.get_visible()]) == 3  # 2 models + diffs
    figure2 = result.plot(kind="differences")
    assert len(figure2.axes) == 1
    _, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="3 panels"):
        result.plot(ax=axes)
    plt.close("all")


def test_classification_with_roc_auc():
    X, Y = make_multitask_classification(
        40, 10, 6, noise=0.5, shared_rows=False, random_state=0
    )
    models = {
        "L21": L21Classifier(alpha=0.01),
        "single": SingleTaskBaseline(LogisticRegression()),
    }
    result = compare(models, X, Y, cv=3, random_state=0)
    assert result.scoring == "roc_auc"
    scores = result.scores["L21"]
    assert scores.shape == (3, 6) and np.all((scores >= 0) & (scores <= 1))
    log_loss = compare(models, X, Y, cv=3, random_state=0, scoring="neg_log_loss")
    assert np.all(log_loss.scores["single"] < 0)


def test_progress_hook_and_printed_lines(favourable, capsys):
    X, Y, models, _ = favourable
    calls = []
    compare(models, X, Y, cv=2, random_state=0, verbose=calls.append)
    assert len(calls) == 6 and calls[-1]["done"] == calls[-1]["total"] == 6
    assert {c["estimator"] for c in calls} == set(models)
    compare(models, X, Y, cv=2, random_state=0, verbose=1)
    err = capsys.readouterr().err
    assert err.count("[compare") == 6 and "L21, split" in err


def test_callable_scoring_and_its_shape_check(favourable):
    X, Y, models, _ = favourable

    def first_rows(estimator, X_test, Y_test):
        return np.arange(Y_test.shape[1], dtype=float)

    result = compare(models, X, Y, cv=2, scoring=first_rows)
    assert result.scoring == "first_rows"
    assert_allclose(result.scores["L21"][0], np.arange(Y.shape[1]))
    with pytest.raises(ValueError, match="one score per task"):
        compare(models, X, Y, cv=2, scoring=lambda est, X_, Y_: 0.5)


def test_bad_arguments_are_clear(favourable):
    X, Y, models, _ = favourable
    with pytest.raises(ValueError, match="baseline='nope'"):
        compare(models, X, Y, baseline="nope")
    with pytest.raises(ValueError, match="scoring must be one of"):
        compare(models, X, Y, scoring="precision")
    with pytest.raises(ValueError, match="'f1' does not apply to regressors"):
        compare(models, X, Y, scoring="f1")
    with pytest.raises(ValueError, match="test must be one of"):
        compare(models, X, Y, test="t-test")
    with pytest.raises(ValueError, match="needs the best possible score"):
        compare(
            models, X, Y, scoring=lambda e, X_, Y_: np.zeros(15), difference="relative"
        )
    with pytest.raises(ValueError, match="mixes classifiers and regressors"):
        compare({"a": L21Regressor(), "b": L21Classifier()}, X, Y)
    with pytest.raises(TypeError, match="non-empty dict"):
        compare([L21Regressor()], X, Y)
    with pytest.raises(ValueError, match="at least 2"):
        compare(models, X, Y, cv=1)


def test_sample_weight_reaches_fit_and_score(favourable):
    X, Y, _, _ = favourable
    weight = np.random.default_rng(0).uniform(0.2, 2.0, X.shape[0])
    models = {"ridge": SingleTaskBaseline(Ridge())}
    weighted = compare(models, X, Y, cv=3, random_state=0, sample_weight=weight)
    cv = TaskStratifiedKFold(3, random_state=0, labels=False)  # what cv=3 means
    train, test = next(cv.split(X, Y))
    fitted = SingleTaskBaseline(Ridge()).fit(
        X[train], Y[train], sample_weight=weight[train]
    )
    expected = get_scorer("r2")._metric(
        Y[test],
        fitted.predict(X[test]),
        sample_weight=weight[test],
        multioutput="raw_values",
    )
    assert_allclose(weighted.scores["ridge"][0], expected)


def test_dataframe_targets_name_the_tasks():
    pd = pytest.importorskip("pandas")
    X, Y = make_multitask_regression(
        40, 5, 3, missing_fraction=0.2, noise=0.5, random_state=0
    )
    frame = pd.DataFrame(Y, columns=["paris", "lyon", "nice"])
    models = {"ridge": SingleTaskBaseline(Ridge()), "pooled": PooledBaseline(Ridge())}
    result = compare(models, pd.DataFrame(X), frame, cv=3, random_state=0)
    assert result.task_names == ["paris", "lyon", "nice"]
    assert list(result.to_frame().index) == ["paris", "lyon", "nice"]
    plain = compare(models, X, Y, cv=3, random_state=0)
    assert_allclose(result.scores["pooled"], plain.scores["pooled"])


# ---------------------------------------------------------------------------
# Tests over tasks, effect sizes, scale-free differences
# ---------------------------------------------------------------------------


def brute_force_sign_flip(d):
    """Two-sided p of the mean of d over all 2^T sign patterns, by loops."""
    d = list(d)
    observed = abs(sum(d) / len(d))
    hits = total = 0
    for pattern in range(2 ** len(d)):
        signs = [1 if (pattern >> t) & 1 else -1 for t in range(len(d))]
        mean = abs(sum(s * x for s, x in zip(signs, d, strict=True)) / len(d))
        hits += mean >= observed - 1e-12
        total += 1
    return hits / total


@pytest.mark.parametrize("seed", range(4))
def test_sign_flip_pvalue_equals_brute_force_enumeration(seed):
    rng = np.random.default_rng(seed)
    n_tasks = [5, 7, 12, 17][seed]
    base = rng.uniform(0.2, 0.6, n_tasks)
    gain = rng.normal(0.03, 0.05, n_tasks)
    result = comparison(base + gain, base, difference="absolute")
    d = result.difference("mtl")
    assert result.pvalues["mtl"] == pytest.approx(brute_force_sign_flip(d))
    assert "(exact)" in result.verdict("mtl")
    # the relative basis is a different statistic, also exact
    relative = comparison(base + gain, base)
    assert relative.pvalues["mtl"] == pytest.approx(
        brute_force_sign_flip(gain / (1 - base))
    )


def test_monte_carlo_sign_flip_beyond_20_tasks_is_close_to_exact():
    rng = np.random.default_rng(0)
    d = rng.normal(0.01, 0.05, 21)
    base = np.full(21, 0.5)
    result = comparison(base + d, base, difference="absolute", n_resamples=9999)
    # exact, enumerated by blocks of sign patterns (a loop would be too slow)
    hits = 0
    for start in range(0, 2**21, 2**15):
        codes = np.arange(start, start + 2**15)[:, None]
        signs = 1.0 - 2.0 * ((codes >> np.arange(21)) & 1)
        hits += np.sum(np.abs(signs @ d) >= abs(d.sum()) - 1e-12)
    exact = hits / 2**21
    assert 0.02 < exact < 0.98
    assert abs(result.pvalues["mtl"] - exact) < 0.02
    assert "9999 random sign patterns" in result.verdict("mtl")
    again = comparison(base + d, base, difference="absolute", random_state=0)
    assert again.pvalues["mtl"] == result.pvalues["mtl"]  # seeded


def test_few_tasks_verdict_says_the_test_cannot_reach_005():
    base = np.array([0.2, 0.3, 0.4, 0.5, 0.6])
    result = comparison(base + 0.1, base)
    assert result.pvalues["mtl"] == pytest.approx(2 / 2**5)
    verdict = result.verdict("mtl")
    assert "no significant difference" in verdict
    assert "with 5 tasks this test cannot give p < 0.05" in verdict
    six = comparison(np.r_[base, 0.7] + 0.1, np.r_[base, 0.7])
    assert six.verdict("mtl").startswith("mtl beats base on 6 of 6 tasks")


def test_relative_differences_are_scale_free_and_agree_for_mse_and_nmse():
    rng = np.random.default_rng(1)
    n_splits, n_tasks = 3, 8
    mse_base = rng.uniform(0.5, 1.0, (n_splits, n_tasks))
    mse_mtl = mse_base * rng.uniform(0.7, 1.1, (n_splits, n_tasks))
    variance = 10.0 ** rng.uniform(-2, 3, n_tasks)  # wildly different scales
    times = {"mtl": [1.0] * n_splits, "base": [1.0] * n_splits}
    names = [f"t{t}" for t in range(n_tasks)]

    def result(scale, basis):
        scores = {"mtl": -mse_mtl * scale, "base": -mse_base * scale}
        return Comparison(
            scores, times, names, "base", best_score=0.0, difference=basis
        )

    mse = result(variance, "relative")
    nmse = result(1.0, "relative")
    assert_allclose(mse.effect("mtl"), nmse.effect("mtl"), rtol=1e-10)
    assert_allclose(
        mse.effect("mtl"), 1 - mse_mtl.mean(0) / mse_base.mean(0), rtol=1e-10
    )
    assert mse.pvalues["mtl"] == pytest.approx(nmse.pvalues["mtl"])
    assert mse.verdict("mtl").split("(")[0] == nmse.verdict("mtl").split("(")[0]
    absolute = result(variance, "absolute")
    assert not np.allclose(absolute.effect("mtl"), nmse.effect("mtl"))


def test_mean_difference_and_bootstrap_interval():
    rng = np.random.default_rng(3)
    base = rng.uniform(0.1, 0.5, 10)
    gain = rng.normal(0.1, 0.05, 10)
    result = comparison(base + gain, base, difference="absolute")
    assert result.mean_difference["mtl"] == pytest.approx(gain.mean())
    low, high = result.confidence_interval["mtl"]
    assert low < gain.mean() < high
    assert low > gain.mean() - 4 * gain.std() / np.sqrt(10)
    boot = comparison(base + gain, base, difference="absolute", test="bootstrap")
    assert 0 < boot.pvalues["mtl"] < 0.01
    assert "bootstrap test of the mean over 10 tasks" in boot.verdict("mtl")
    wide = comparison(base + gain, base, difference="absolute", confidence_level=0.99)
    assert wide.confidence_interval["mtl"][0] <= low


def test_explained_variance_mtl_pooled_in_the_table_shares_per_task():
    X, Y = make_multitask_regression(
        40, 6, 4, noise=0.5, shared_rows=False, random_state=2
    )
    models = {"single": SingleTaskBaseline(Ridge()), "pooled": PooledBaseline(Ridge())}
    cv = TaskStratifiedKFold(3, random_state=0)
    result = compare(models, X, Y, cv=cv, scoring="explained_variance_mtl")
    from skmtl.metrics import explained_variance_mtl

    for k, (train, test) in enumerate(cv.split(X, Y)):
        pred = clone(models["pooled"]).fit(X[train], Y[train]).predict(X[test])
        expected = explained_variance_mtl(Y[test], pred)
        assert result.task_averaged("pooled")[k] == pytest.approx(expected)
        # the row-weighted mean of the task shares is the pooled value
        n_rows = np.sum(~np.isnan(Y[test]), axis=0)
        shares = result.scores["pooled"][k]
        assert np.average(shares, weights=n_rows) == pytest.approx(expected)
    assert "pooled over tasks" in result.summary()


def test_compare_warns_when_a_search_chose_among_nan_scores():
    X, Y = shared_support_data()
    grid = {"alpha": [0.3, 0.1]}
    models = {
        "broken": GridSearchCV(
            L21Regressor(), grid, scoring="r2", cv=KFold(3, shuffle=True)
        ),
        "single": SingleTaskBaseline(Ridge()),
    }
    with pytest.warns(UserWarning, match="got NaN validation scores") as caught:
        compare(models, X, Y, cv=2, random_state=0)
    text = " ".join(str(w.message) for w in caught)
    assert "skmtl.metrics.get_scorer('r2')" in text


def test_to_csv_writes_the_long_table(favourable, tmp_path):
    import csv

    *_, result = favourable
    path = tmp_path / "tasks.csv"
    result.to_csv(path)
    with open(path) as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == len(result.task_names) * len(result.estimator_names)
    first = rows[0]
    assert first["estimator"] == "L21" and first["task"] == result.task_names[0]
    assert float(first["mean"]) == pytest.approx(result.mean[0, 0])
    assert float(first["relative_difference"]) == pytest.approx(
        result.relative_difference("L21")[0]
    )


# ---------------------------------------------------------------------------
# RelativeAlpha
# ---------------------------------------------------------------------------


def test_relative_alpha_fits_the_estimator_at_ratio_times_alpha_max():
    X, Y = shared_support_data()
    top = alpha_max(L21Regressor(), X, Y)
    model = RelativeAlpha(L21Regressor(), ratio=0.2).fit(X, Y)
    direct = L21Regressor(alpha=0.2 * top).fit(X, Y)
    assert model.alpha_max_ == pytest.approx(top)
    assert_allclose(model.estimator_.coef_, direct.coef_)
    assert_allclose(model.predict(X), direct.predict(X))
    assert model.score(X, Y) == pytest.approx(direct.score(X, Y))
    at_top = RelativeAlpha(L21Regressor(), ratio=1.0).fit(X, Y)
    assert not at_top.estimator_.coef_.any()
    with pytest.raises(ValueError, match="ratio must be a positive number"):
        RelativeAlpha(L21Regressor(), ratio=0.0).fit(X, Y)


def test_relative_alpha_in_a_grid_search_and_for_classifiers():
    X, Y = make_multitask_classification(40, 6, 3, shared_rows=False, random_state=0)
    search = GridSearchCV(
        RelativeAlpha(L21Classifier()),
        {"ratio": [0.5, 0.1]},
        scoring=get_scorer("neg_log_loss"),
        cv=TaskStratifiedKFold(3, random_state=0),
        error_score="raise",
    ).fit(X, Y)
    best = search.best_estimator_
    assert len(best.classes_) == 3
    assert len(best.predict_proba(X)) == 3
    assert hasattr(best, "decision_function")
    assert not hasattr(RelativeAlpha(Ridge()), "predict_proba")


# ---------------------------------------------------------------------------
# Parallel and distributed fits
# ---------------------------------------------------------------------------


def test_compare_on_a_dask_cluster_equals_the_serial_run():
    distributed = pytest.importorskip("dask.distributed")
    from joblib import parallel_backend

    X, Y = shared_support_data(seed=4)
    grid = {"ratio": [0.3, 0.1]}
    models = {
        "L21": GridSearchCV(
            RelativeAlpha(L21Regressor()),
            grid,
            scoring=get_scorer("r2"),
            cv=TaskStratifiedKFold(2, random_state=0),
            n_jobs=2,
        ),
        "single": SingleTaskBaseline(Ridge(), n_jobs=2),
    }
    serial = compare(models, X, Y, cv=2, random_state=0, n_jobs=1)
    with (
        distributed.LocalCluster(
            n_workers=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        with parallel_backend("dask"):
            remote = compare(models, X, Y, cv=2, random_state=0, n_jobs=-1)
    for name in models:
        assert_allclose(remote.scores[name], serial.scores[name], rtol=1e-10)
    assert remote.verdict() == serial.verdict()


class NaNMeanRegressor(RegressorMixin, BaseEstimator):
    """Predicts each task's training mean; reads dense-NaN or sparse targets."""

    def fit(self, X, Y):
        Y = dense_targets(Y)
        self.means_ = np.nanmean(Y, axis=0)
        return self

    def predict(self, X):
        return np.tile(self.means_, (len(X), 1))


def dense_targets(Y):
    if sparse.issparse(Y):
        coo = sparse.coo_array(Y)
        dense = np.full(coo.shape, np.nan)
        dense[coo.row, coo.col] = coo.data
        return dense
    return np.asarray(Y, dtype=float)


def test_sparse_targets_give_the_dense_comparison():
    X, Y = make_multitask_regression(
        30, 6, 3, noise=0.5, shared_rows=False, random_state=5
    )
    Y[0, 0] = 0.0  # a stored zero is observed
    rows, tasks = np.nonzero(~np.isnan(Y))
    Y_sparse = sparse.coo_array((Y[rows, tasks], (rows, tasks)), shape=Y.shape)
    models = {"mean": NaNMeanRegressor(), "other": NaNMeanRegressor()}
    dense = compare(
        models, X, Y, cv=3, random_state=0, scoring="neg_mean_squared_error"
    )
    stored = compare(
        models, X, Y_sparse, cv=3, random_state=0, scoring="neg_mean_squared_error"
    )
    assert_allclose(stored.scores["mean"], dense.scores["mean"])


# ---------------------------------------------------------------------------
# compare(None, X, Y): the cross-validated models by default
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("classification", [False, True])
def test_default_models_are_the_cv_estimators_of_the_registry(classification):
    from skmtl._registry import FAMILIES
    from skmtl.model_selection import cv_class, default_models

    models = default_models(classification)
    expected = [
        cv_class(f.cls(classification)).__name__
        for f in FAMILIES
        if f.cls(classification) is not None
    ]
    assert list(models)[: len(expected)] == expected
    for name in expected:
        assert type(models[name]).__name__ == name
    baselines = list(models)[len(expected):]
    assert [type(models[n]) for n in baselines] == [SingleTaskBaseline, PooledBaseline]


def test_compare_without_estimators_tunes_every_model(monkeypatch):
    import skmtl.model_selection as ms

    chosen = {}
    original = ms.default_models

    def small(classification=False):
        chosen["classification"] = classification
        models = original(classification)
        for name, model in models.items():
            if name.endswith("CV"):
                model.set_params(alphas=3, cv=2)
        return models

    monkeypatch.setattr(ms, "default_models", small)
    X, Y = make_multitask_regression(
        20, 5, 4, noise=0.5, shared_rows=False, random_state=0
    )
    result = compare(None, X, Y, cv=2, random_state=0)
    assert chosen["classification"] is False
    assert result.baseline == "SingleTask(RidgeCV)"
    assert "L21RegressorCV" in result.scores
    assert all(np.all(np.isfinite(s)) for s in result.scores.values())
    labels = np.where(np.isnan(Y), np.nan, (Y > 0).astype(float))
    assert ms._holds_labels(labels) and not ms._holds_labels(Y)


# ---------------------------------------------------------------------------
# Group splitters: rows of one subject never on both sides of a fold
# ---------------------------------------------------------------------------


def _grouped_data(seed=3):
    X, Y = make_multitask_regression(
        90, 6, 3, noise=0.5, missing_fraction=0.2, random_state=seed)
    groups = np.repeat(np.arange(15), 6)  # 15 subjects of 6 rows
    return X, Y, groups


def test_cv_class_passes_groups_to_a_group_splitter():
    from sklearn.model_selection import GroupKFold

    X, Y, groups = _grouped_data()
    splits = list(GroupKFold(3).split(X, Y, groups))
    for train, test in splits:  # the property the groups buy
        assert not set(groups[train]) & set(groups[test])
    from skmtl import L21RegressorCV

    model = L21RegressorCV(alphas=6, cv=GroupKFold(3)).fit(X, Y, groups=groups)
    reference = L21RegressorCV(alphas=6, cv=splits).fit(X, Y)
    assert model.alpha_ == reference.alpha_
    assert_allclose(model.mean_score_path_, reference.mean_score_path_, rtol=1e-12)
    with pytest.raises(ValueError, match="groups"):
        L21RegressorCV(alphas=6, cv=GroupKFold(3)).fit(X, Y)
    with pytest.raises(ValueError, match="one label per row"):
        L21RegressorCV(alphas=6, cv=GroupKFold(3)).fit(X, Y, groups=groups[:-1])


def test_compare_passes_groups_to_the_outer_and_the_inner_splits():
    from sklearn.model_selection import GroupKFold

    from skmtl import L21RegressorCV

    X, Y, groups = _grouped_data(seed=4)
    models = {
        "ridge": SingleTaskBaseline(Ridge()),
        # its inner folds need the training rows' groups: it raises without
        "l21": L21RegressorCV(alphas=4, cv=GroupKFold(2)),
    }
    grouped = compare(models, X, Y, cv=GroupKFold(3), groups=groups)
    splits = list(GroupKFold(3).split(X, Y, groups))
    manual = []
    for train, test in splits:
        inner = list(GroupKFold(2).split(X[train], Y[train], groups[train]))
        model = L21RegressorCV(alphas=4, cv=inner).fit(X[train], Y[train])
        prediction = model.predict(X[test])
        manual.append([_observed_r2(Y[test][:, t], prediction[:, t])
                       for t in range(Y.shape[1])])
    assert_allclose(grouped.scores["l21"], np.array(manual), rtol=1e-10)
    with pytest.raises(ValueError, match="groups"):
        compare(models, X, Y, cv=GroupKFold(3))


def _observed_r2(y, p):
    seen = ~np.isnan(y)
    y, p = y[seen], p[seen]
    return 1 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2)
