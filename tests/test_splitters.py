"""TaskStratifiedKFold and task_train_test_split on stacked targets."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.model_selection import GridSearchCV, KFold

from skmtl import L21Regressor, alpha_max
from skmtl.datasets import make_multitask_classification, make_multitask_regression
from skmtl.metrics import get_scorer
from skmtl.model_selection import TaskStratifiedKFold, task_train_test_split


def per_task_data(n_rows=30, n_tasks=6, seed=0):
    """Each task with its own rows, stacked task by task (the hard case)."""
    return make_multitask_regression(
        n_rows, 6, n_tasks, noise=0.3, shared_rows=False, random_state=seed
    )


def unbalanced_per_task(seed=0):
    """Tasks with 5 to 40 rows each, stacked task by task."""
    rng = np.random.default_rng(seed)
    sizes = [5, 7, 12, 40, 9, 23]
    X = rng.standard_normal((sum(sizes), 3))
    Y = np.full((sum(sizes), len(sizes)), np.nan)
    start = 0
    for t, size in enumerate(sizes):
        Y[start : start + size, t] = rng.standard_normal(size)
        start += size
    return X, Y, np.array(sizes)


def observed(Y):
    return ~np.isnan(Y)


def check_partition(splits, n_samples):
    tests = np.concatenate([test for _, test in splits])
    assert_array_equal(np.sort(tests), np.arange(n_samples))
    for train, test in splits:
        assert np.intersect1d(train, test).size == 0
        assert train.size + test.size == n_samples


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("n_splits", [2, 3, 5])
def test_every_training_fold_observes_every_task_and_tests_partition(shuffle, n_splits):
    X, Y, sizes = unbalanced_per_task()
    cv = TaskStratifiedKFold(n_splits, shuffle=shuffle, random_state=0)
    splits = list(cv.split(X, Y))
    assert len(splits) == cv.get_n_splits() == n_splits
    check_partition(splits, len(X))
    for train, test in splits:
        assert observed(Y[train]).any(axis=0).all()
        # each task's test rows: floor or ceil of its share
        counts = observed(Y[test]).sum(axis=0)
        assert np.all(counts >= sizes // n_splits)
        assert np.all(counts <= -(-sizes // n_splits))


def test_sklearn_default_folds_lose_whole_tasks_and_ours_do_not():
    X, Y = per_task_data(30, 5)  # KFold(5): one whole task per test fold
    lost = [not observed(Y[train]).any(axis=0).all() for train, _ in KFold(5).split(X)]
    assert all(lost)  # the failure TaskStratifiedKFold exists for
    for train, _ in TaskStratifiedKFold(5, random_state=0).split(X, Y):
        assert observed(Y[train]).any(axis=0).all()


def test_classes_are_stratified_within_each_task():
    X, Y = make_multitask_classification(90, 6, 3, shared_rows=False, random_state=0)
    cv = TaskStratifiedKFold(3, random_state=0)
    for train, test in cv.split(X, Y):
        for t in range(Y.shape[1]):
            rows = observed(Y[:, t])
            for label in np.unique(Y[rows, t]):
                total = np.sum(Y[rows, t] == label)
                in_test = np.sum(Y[test, t] == label)
                assert total // 3 <= in_test <= -(-total // 3)
                assert np.sum(Y[train, t] == label) > 0


def test_string_labels_with_none_are_stratified():
    rng = np.random.default_rng(0)
    Y = np.full((40, 2), None, dtype=object)
    Y[:20, 0] = rng.permutation(["a"] * 6 + ["b"] * 14)
    Y[20:, 1] = rng.permutation(["x"] * 10 + ["y"] * 10)
    splits = list(TaskStratifiedKFold(2, random_state=0).split(np.zeros((40, 1)), Y))
    check_partition(splits, 40)
    for _, test in splits:
        assert np.sum(Y[test, 0] == "a") == 3 and np.sum(Y[test, 1] == "x") == 5


def test_label_detection_rule_and_override():
    # integer-valued with 2 distinct values: labels, stratified by class
    y = np.r_[np.zeros(4), np.ones(10), np.zeros(6)]
    for _, test in TaskStratifiedKFold(2, random_state=0).split(y[:, None], y):
        assert np.sum(y[test] == 0) == 5
    continuous = np.linspace(0.0, 1.0, 20)
    folds = TaskStratifiedKFold(2, random_state=0, labels=True)
    with pytest.warns(UserWarning, match="fewer observed rows than n_splits"):
        list(folds.split(continuous[:, None], continuous))  # 20 classes of 1 row


def test_shared_design_rows_in_one_test_fold_and_balanced_per_task():
    X, Y = make_multitask_regression(
        400, 5, 8, missing_fraction=0.6, noise=0.3, random_state=0
    )
    expected = observed(Y).sum(axis=0) / 4
    splits = list(TaskStratifiedKFold(4, random_state=0).split(X, Y))
    check_partition(splits, len(X))
    for train, test in splits:
        counts = observed(Y[test]).sum(axis=0)
        assert np.all(np.abs(counts - expected) <= 0.1 * expected + 2)
        assert observed(Y[train]).any(axis=0).all()
    # better balanced per task than shuffled KFold over the rows on average
    kfold = KFold(4, shuffle=True, random_state=0).split(X)
    ours = np.mean(
        [np.abs(observed(Y[te]).sum(0) - expected).max() for _, te in splits]
    )
    theirs = np.mean(
        [np.abs(observed(Y[te]).sum(0) - expected).max() for _, te in kfold]
    )
    assert ours < theirs


def to_sparse(Y):
    """CSR matrix storing exactly the observed entries (zeros included)."""
    rows, tasks = np.nonzero(observed(Y))
    return sp.csr_array((Y[rows, tasks], (rows, tasks)), shape=Y.shape)


def test_sparse_targets_give_the_dense_nan_splits():
    X, Y, _ = unbalanced_per_task()
    Y[[0, 10, 30], [0, 1, 3]] = 0.0  # explicitly stored zeros are observed
    dense = list(TaskStratifiedKFold(3, random_state=1).split(X, Y))
    sparse = list(TaskStratifiedKFold(3, random_state=1).split(X, to_sparse(Y)))
    for (a, b), (c, d) in zip(dense, sparse, strict=True):
        assert_array_equal(a, c)
        assert_array_equal(b, d)
    kept = task_train_test_split(X, to_sparse(Y), train_size=3, random_state=0)
    dense_kept = task_train_test_split(X, Y, train_size=3, random_state=0)
    assert_array_equal(kept[0], dense_kept[0])
    assert sp.issparse(kept[2]) and kept[2].nnz == observed(dense_kept[2]).sum()


def test_too_few_rows_name_the_task_and_bad_parameters():
    X, Y, _ = unbalanced_per_task()
    with pytest.raises(ValueError, match=r"\['task_0'\] have \[5\] observed rows"):
        list(TaskStratifiedKFold(6).split(X, Y))
    with pytest.raises(ValueError, match="at least 2"):
        TaskStratifiedKFold(1)
    with pytest.raises(ValueError, match="labels"):
        TaskStratifiedKFold(labels="yes")
    with pytest.raises(ValueError, match="needs the stacked targets"):
        list(TaskStratifiedKFold(2).split(X))


def test_repr_is_sklearns():
    assert repr(TaskStratifiedKFold(3, random_state=2)) == (
        "TaskStratifiedKFold(labels='auto', n_splits=3, random_state=2, shuffle=True)"
    )


def test_grid_search_that_failed_with_default_folds_now_works():
    X, Y = per_task_data(30, 6)  # KFold(5) fails 2 of 5 folds per candidate
    grid = {"alpha": alpha_max(L21Regressor(), X, Y) * np.array([0.3, 0.1, 0.03])}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        broken = GridSearchCV(L21Regressor(), grid, cv=5).fit(X, Y)
    assert np.isnan(broken.cv_results_["mean_test_score"]).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no failed fit, no undefined score
        search = GridSearchCV(
            L21Regressor(),
            grid,
            scoring=get_scorer("r2"),
            cv=TaskStratifiedKFold(random_state=0),
        ).fit(X, Y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


@pytest.mark.parametrize("train_size", [1, 4, 10])
def test_int_sizes_give_exactly_that_many_training_rows_per_task(train_size):
    X, Y, sizes = unbalanced_per_task()
    weight = np.arange(len(X), dtype=float)
    X_tr, X_te, Y_tr, Y_te, w_tr, w_te = task_train_test_split(
        X, Y, weight, train_size=min(train_size, 4), random_state=0
    )
    n = min(train_size, 4)
    assert_array_equal(observed(Y_tr).sum(axis=0), np.full(Y.shape[1], n))
    assert_array_equal(observed(Y_te).sum(axis=0), sizes - n)
    assert_array_equal(np.sort(np.r_[w_tr, w_te]), weight)
    assert_array_equal(X_tr, X[w_tr.astype(int)])


def test_fraction_and_both_sizes():
    X, Y, sizes = unbalanced_per_task()
    _, _, Y_tr, Y_te = task_train_test_split(X, Y, test_size=0.5, random_state=0)
    assert_array_equal(observed(Y_te).sum(axis=0), np.ceil(0.5 * sizes))
    _, _, Y_tr, Y_te = task_train_test_split(
        X, Y, train_size=2, test_size=2, random_state=0
    )
    assert_array_equal(observed(Y_tr).sum(axis=0), 2)
    assert_array_equal(observed(Y_te).sum(axis=0), 2)
    with pytest.raises(ValueError, match="Task 'task_0' has 5 observed rows"):
        task_train_test_split(X, Y, train_size=5)
    with pytest.raises(ValueError, match="train_size must be"):
        task_train_test_split(X, Y, train_size=1.5)


def test_train_test_split_stratifies_classes():
    X, Y = make_multitask_classification(40, 6, 3, shared_rows=False, random_state=1)
    _, _, Y_tr, Y_te = task_train_test_split(X, Y, train_size=10, random_state=0)
    for t in range(Y.shape[1]):
        rows = observed(Y[:, t])
        share = np.mean(Y[rows, t] == 1)
        train_rows = observed(Y_tr[:, t])
        assert train_rows.sum() == 10
        assert abs(np.sum(Y_tr[train_rows, t] == 1) - 10 * share) <= 1
        assert len(np.unique(Y_te[observed(Y_te[:, t]), t])) == 2


def test_without_shuffle_the_split_is_deterministic():
    X, Y, sizes = unbalanced_per_task()
    first = task_train_test_split(X, Y, train_size=2, shuffle=False)
    again = task_train_test_split(X, Y, train_size=2, shuffle=False, random_state=5)
    assert_array_equal(first[0], again[0])
    assert_array_equal(observed(first[2]).sum(axis=0), 2)


@pytest.mark.parametrize("seed", range(20))
def test_rows_placed_by_other_strata_still_leave_every_task_in_training(seed):
    # task 0 observes rows 0 and 1; row 0 is also in the rare task 1 (rows 0,
    # 2), row 1 in the rare task 2 (rows 1, 3): a greedy that places rows by
    # their rarest stratum alone can put rows 0 and 1 in one test fold
    Y = np.full((4, 3), np.nan)
    Y[[0, 1], 0] = 0.5, 1.5
    Y[[0, 2], 1] = 0.5, 1.5
    Y[[1, 3], 2] = 0.5, 1.5
    cv = TaskStratifiedKFold(2, random_state=seed)
    splits = list(cv.split(np.zeros((4, 1)), Y))
    check_partition(splits, 4)
    for train, _ in splits:
        assert observed(Y[train]).any(axis=0).all()
