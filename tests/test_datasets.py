"""Tests of skmtl.datasets: synthetic generators, stacking helpers, loaders."""

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from skmtl._data import observed_mask
from skmtl.datasets import (
    _loaders,
    get_data_home,
    load_landmine,
    load_school,
    make_ill_conditioned_tasks,
    make_multitask_classification,
    make_multitask_regression,
    stack_tasks,
    unstack_tasks,
)

# the real data sets: $SKMTL_DATA (as the loaders), else ../shared/data
DATA_DIR = Path(
    os.environ.get("SKMTL_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)
SCHOOL_FILE = DATA_DIR / "school.mat"
LANDMINE_FILE = DATA_DIR / "LandmineData.mat"

STRUCTURES = ["shared_support", "groups", "mean", "independent", "low_rank"]
GENERATORS = [make_multitask_regression, make_multitask_classification]


def _need(path):
    if not path.is_file():
        pytest.skip(f"real data file {path} is not available")


# ---------------------------------------------------------------------------
# Ill-conditioned designs: condition number of the raw (= centred) design
# ---------------------------------------------------------------------------


def _condition_number(X):
    s = np.linalg.svd(X, compute_uv=False)
    s = s[s > 1e-12 * s[0]]
    return s[0] / s[-1]


@pytest.mark.parametrize("kappa", [1.0, 1e2, 1e4, 1e5])
@pytest.mark.parametrize("shared_rows", [False, True])
def test_ill_conditioned_condition_number(kappa, shared_rows):
    X, _ = make_ill_conditioned_tasks(
        n_tasks=5,
        n_rows_per_task=80,
        n_features=30,
        condition_number=kappa,
        shared_rows=shared_rows,
        random_state=0,
    )
    # the raw design, which is also the (per-task) centred design
    assert 0.5 * kappa <= _condition_number(X) <= 2 * kappa
    assert np.allclose(X.mean(axis=0), 0, atol=1e-10)
    if not shared_rows:
        for t in range(5):
            block = X[80 * t : 80 * (t + 1)]
            assert np.allclose(block.mean(axis=0), 0, atol=1e-10)
    assert np.mean(X**2) == pytest.approx(1.0)


def test_ill_conditioned_more_features_than_rows():
    X, _ = make_ill_conditioned_tasks(
        n_tasks=2,
        n_rows_per_task=20,
        n_features=50,
        condition_number=1e3,
        random_state=0,
    )
    assert np.linalg.matrix_rank(X) == 38  # 40 rows, centred in 2 blocks
    assert _condition_number(X) == pytest.approx(1e3, rel=1e-6)


def test_ill_conditioned_own_rows_pattern_and_truth():
    X, Y, truth = make_ill_conditioned_tasks(
        n_tasks=4,
        n_rows_per_task=25,
        n_features=12,
        n_informative=3,
        random_state=1,
        return_coef=True,
    )
    assert X.shape == (100, 12) and Y.shape == (100, 4)
    observed = ~np.isnan(Y)
    assert np.all(observed.sum(axis=1) == 1)
    assert np.array_equal(np.argmax(observed, axis=1), truth.task)
    assert np.array_equal(np.bincount(truth.task), [25] * 4)
    assert truth.coef.shape == (4, 12) and truth.support.size == 3
    assert np.all(truth.coef[:, truth.support] != 0)
    assert np.count_nonzero(truth.coef) == 12
    assert truth.singular_values.shape == (12,)


def test_ill_conditioned_shared_rows_missing_and_labels():
    X, Y = make_ill_conditioned_tasks(
        n_tasks=6,
        n_rows_per_task=40,
        n_features=10,
        shared_rows=True,
        missing_fraction=0.3,
        classification=True,
        random_state=0,
    )
    assert X.shape == (40, 10) and Y.shape == (40, 6)
    assert np.isnan(Y).sum() == round(0.3 * 240)
    assert np.all((~np.isnan(Y)).sum(axis=0) >= 2)
    assert set(np.unique(Y[~np.isnan(Y)])) == {0.0, 1.0}
    _, Y_full = make_ill_conditioned_tasks(
        n_tasks=3, shared_rows=True, classification=True, random_state=0
    )
    assert Y_full.dtype == np.int64


def test_ill_conditioned_random_state():
    a = make_ill_conditioned_tasks(random_state=3, return_coef=True)
    b = make_ill_conditioned_tasks(random_state=3, return_coef=True)
    c = make_ill_conditioned_tasks(random_state=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[2].coef, b[2].coef)
    assert not np.allclose(a[0], c[0])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(condition_number=0.5), ValueError, "condition_number must be >= 1"),
        (dict(condition_number=np.inf), ValueError, "must be finite"),
        (dict(n_informative=60), ValueError, "n_informative=60 exceeds"),
        (dict(n_rows_per_task=1), ValueError, "n_rows_per_task must be >= 2"),
        (dict(n_tasks=2.5), TypeError, "n_tasks must be an int"),
        (dict(missing_fraction=0.2), ValueError, "only with shared_rows=True"),
        (dict(shared_rows=True, missing_fraction=1.0), ValueError, r"\[0, 1\)"),
        (dict(noise=-1.0), ValueError, "noise must be >= 0"),
        (dict(shared_rows="yes"), TypeError, "shared_rows must be a bool"),
        (
            dict(n_features=1, n_informative=1),
            ValueError,
            "needs a design of rank >= 2",
        ),
    ],
)
def test_ill_conditioned_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_ill_conditioned_tasks(**kwargs)


# ---------------------------------------------------------------------------
# Synthetic data: shapes, missing entries, reproducibility
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("structure", STRUCTURES)
def test_shared_rows_shapes(make, structure):
    X, Y, truth = make(
        60,
        8,
        4,
        structure=structure,
        n_informative=3,
        random_state=0,
        return_coef=True,
    )
    assert X.shape == (60, 8) and Y.shape == (60, 4)
    assert observed_mask(Y).all()
    assert truth.coef.shape == (4, 8)
    assert truth.task_group.shape == (4,) and truth.noise_std.shape == (4,)
    assert truth.task is None


@pytest.mark.parametrize("make", GENERATORS)
def test_own_rows_one_observed_entry_per_row(make):
    sizes = np.array([5, 12, 7])
    X, Y, truth = make(
        sizes,
        6,
        3,
        n_informative=2,
        shared_rows=False,
        random_state=1,
        return_coef=True,
    )
    assert X.shape == (24, 6) and Y.shape == (24, 3)
    mask = observed_mask(Y)
    assert np.all(mask.sum(axis=1) == 1)
    np.testing.assert_array_equal(mask.sum(axis=0), sizes)
    np.testing.assert_array_equal(np.argmax(mask, axis=1), truth.task)
    X, Y = make(10, 6, 3, n_informative=2, shared_rows=False, random_state=1)
    np.testing.assert_array_equal(observed_mask(Y).sum(axis=0), [10, 10, 10])


def test_regression_targets_follow_the_linear_model():
    X, Y, truth = make_multitask_regression(
        500, 10, 3, noise=0.1, random_state=0, return_coef=True
    )
    residual = Y - X @ truth.coef.T
    signal_std = (X @ truth.coef.T).std(axis=0)
    np.testing.assert_allclose(truth.noise_std, 0.1 * signal_std)
    np.testing.assert_allclose(residual.std(axis=0), truth.noise_std, rtol=0.15)
    X, Y, truth = make_multitask_regression(
        50, 10, 3, noise=0.0, random_state=0, return_coef=True
    )
    np.testing.assert_allclose(Y, X @ truth.coef.T)


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_missing_fraction_is_honoured(make, fraction):
    n, T = 40, 5
    _, Y = make(n, 6, T, n_informative=2, missing_fraction=fraction, random_state=3)
    mask = observed_mask(Y)
    assert (~mask).sum() == round(fraction * n * T)
    assert np.all(mask.sum(axis=0) >= 2)


def test_missing_fraction_too_large_for_two_rows_per_task():
    with pytest.raises(ValueError, match="missing_fraction"):
        make_multitask_regression(3, 4, 2, n_informative=2, missing_fraction=0.9)


@pytest.mark.parametrize("make", GENERATORS)
def test_random_state_reproducibility(make):
    kwargs = dict(structure="groups", missing_fraction=0.2, return_coef=True)
    X1, Y1, t1 = make(30, 7, 4, random_state=42, **kwargs)
    X2, Y2, t2 = make(30, 7, 4, random_state=np.random.RandomState(42), **kwargs)
    X3, _, _ = make(30, 7, 4, random_state=43, **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)
    np.testing.assert_array_equal(t1.coef, t2.coef)
    assert not np.array_equal(X1, X3)


# ---------------------------------------------------------------------------
# Synthetic data: each structure has its structure
# ---------------------------------------------------------------------------


def _coef(structure, **kwargs):
    params = dict(
        n_samples=20,
        n_features=30,
        n_tasks=8,
        n_informative=4,
        structure=structure,
        random_state=0,
        return_coef=True,
    )
    params.update(kwargs)
    return make_multitask_regression(**params)[2]


def test_shared_support_structure():
    coef = _coef("shared_support").coef
    support = coef != 0
    assert support[0].sum() == 4
    assert np.all(support == support[0])
    assert not np.allclose(coef[0], coef[1])  # same features, other weights


def test_groups_structure():
    truth = _coef("groups", n_groups=3)
    coef, group = truth.coef, truth.task_group
    np.testing.assert_array_equal(np.bincount(group), [3, 3, 2])
    distances = np.linalg.norm(coef[:, None] - coef[None], axis=2)
    same = group[:, None] == group[None]
    off_diagonal = ~np.eye(len(group), dtype=bool)
    within = distances[same & off_diagonal]
    between = distances[~same]
    assert within.max() < between.min() / 3
    for g in range(3):  # tasks of a group share their group's support
        supports = coef[group == g] != 0
        assert np.all(supports == supports[0]) and supports[0].sum() == 4


def test_mean_structure():
    coef = _coef("mean").coef
    common = coef.mean(axis=0)
    deviations = np.linalg.norm(coef - common, axis=1)
    assert deviations.max() < 0.5 * np.linalg.norm(common)


def test_independent_structure():
    coef = _coef("independent").coef
    supports = {tuple(np.flatnonzero(w)) for w in coef}
    assert len(supports) == coef.shape[0]
    assert all(len(s) == 4 for s in supports)


@pytest.mark.parametrize("rank", [1, 2, 4])
def test_low_rank_structure(rank):
    coef = _coef("low_rank", n_groups=rank).coef
    assert np.linalg.matrix_rank(coef) == rank


def test_classification_labels():
    _, Y = make_multitask_classification(200, 6, 3, n_informative=3, random_state=0)
    assert Y.dtype == np.int64
    for t in range(3):
        assert set(np.unique(Y[:, t])) == {0, 1}
    X, Y, truth = make_multitask_classification(
        200,
        6,
        3,
        n_classes=4,
        n_informative=3,
        noise=0.0,
        missing_fraction=0.1,
        random_state=0,
        return_coef=True,
    )
    assert Y.dtype == np.float64 and np.isnan(Y).sum() == 60
    assert truth.coef.shape == (3, 4, 6)
    observed = ~np.isnan(Y[:, 0])
    np.testing.assert_array_equal(
        Y[observed, 0], np.argmax(X @ truth.coef[0].T, axis=1)[observed]
    )
    X, Y, truth = make_multitask_classification(
        100, 6, 2, noise=0.0, random_state=1, return_coef=True
    )
    np.testing.assert_array_equal(Y, (X @ truth.coef.T > 0).astype(int))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(structure="sparse"), ValueError, "structure"),
        (dict(structure="groups", n_groups=9), ValueError, "n_groups"),
        (dict(structure="low_rank", n_groups=30), ValueError, "n_groups"),
        (dict(n_informative=50), ValueError, "n_informative"),
        (dict(n_samples=[10, 20]), ValueError, "n_samples"),
        (dict(n_samples=[10, 20], shared_rows=False), ValueError, "n_samples"),
        (dict(n_samples=2.5), TypeError, "n_samples"),
        (dict(noise=-1.0), ValueError, "noise"),
        (dict(missing_fraction=1.0), ValueError, "missing_fraction"),
        (dict(missing_fraction=0.1, shared_rows=False), ValueError, "missing_fraction"),
        (dict(coef_scale=0.0), ValueError, "coef_scale"),
    ],
)
@pytest.mark.parametrize("make", GENERATORS)
def test_generator_errors(make, kwargs, error, match):
    params = dict(n_samples=20, n_features=10, n_tasks=5)
    params.update(kwargs)
    with pytest.raises(error, match=match):
        make(**params)


def test_classification_n_classes_error():
    with pytest.raises(ValueError, match="n_classes"):
        make_multitask_classification(n_classes=1)


# ---------------------------------------------------------------------------
# stack_tasks / unstack_tasks
# ---------------------------------------------------------------------------


def _task_data(rng, sizes=(3, 5, 2), n_features=4):
    Xs = [rng.standard_normal((n, n_features)) for n in sizes]
    ys = [rng.standard_normal(n) for n in sizes]
    return Xs, ys


def test_stack_unstack_round_trip_dense():
    Xs, ys = _task_data(np.random.default_rng(0))
    X, Y, task_of_row = stack_tasks(Xs, ys)
    assert X.shape == (10, 4) and Y.shape == (10, 3)
    np.testing.assert_array_equal(task_of_row, [0, 0, 0, 1, 1, 1, 1, 1, 2, 2])
    np.testing.assert_array_equal(observed_mask(Y).sum(axis=1), np.ones(10))
    np.testing.assert_array_equal(np.argmax(observed_mask(Y), axis=1), task_of_row)
    Xs2, ys2 = unstack_tasks(X, Y)
    for t in range(3):
        np.testing.assert_array_equal(Xs2[t], Xs[t])
        np.testing.assert_array_equal(ys2[t], ys[t])


def test_stack_unstack_round_trip_sparse():
    Xs, ys = _task_data(np.random.default_rng(1))
    Xs = [sp.csr_matrix(np.where(X_t > 0, X_t, 0.0)) for X_t in Xs]
    Xs[1] = Xs[1].toarray()  # a dense block among sparse ones
    X, Y, _ = stack_tasks(Xs, ys)
    assert sp.issparse(X) and X.format == "csr" and X.shape == (10, 4)
    Xs2, ys2 = unstack_tasks(X.tocoo(), Y)
    for t in range(3):
        assert sp.issparse(Xs2[t])
        dense = Xs[t].toarray() if sp.issparse(Xs[t]) else Xs[t]
        np.testing.assert_array_equal(Xs2[t].toarray(), dense)
        np.testing.assert_array_equal(ys2[t], ys[t])


def test_stack_unstack_round_trip_string_labels():
    Xs, _ = _task_data(np.random.default_rng(2))
    ys = [["cat", "dog", "cat"], np.array(["a", "b", "a", "b", "b"]), ["x", "y"]]
    X, Y, _ = stack_tasks(Xs, ys)
    assert Y.dtype == object
    assert Y[0, 0] == "cat" and Y[0, 1] is None and Y[9, 2] == "y"
    _, ys2 = unstack_tasks(X, Y)
    for t in range(3):
        assert list(ys2[t]) == list(ys[t])


def test_unstack_shared_rows_and_one_task():
    X = np.arange(8.0).reshape(4, 2)
    Y = np.array([[1.0, np.nan], [2.0, 5.0], [np.nan, 6.0], [3.0, 7.0]])
    Xs, ys = unstack_tasks(X, Y)
    np.testing.assert_array_equal(Xs[0], X[[0, 1, 3]])
    np.testing.assert_array_equal(ys[1], [5.0, 6.0, 7.0])
    Xs, ys = unstack_tasks(X, np.array([1.0, np.nan, 2.0, 3.0]))
    assert len(Xs) == 1 and Xs[0].shape == (3, 2)


def test_stack_errors_name_the_task():
    Xs, ys = _task_data(np.random.default_rng(3))
    with pytest.raises(ValueError, match="3 tasks but ys has 2"):
        stack_tasks(Xs, ys[:2])
    with pytest.raises(ValueError, match="task 1"):
        stack_tasks(Xs, [ys[0], ys[1][:-1], ys[2]])
    with pytest.raises(ValueError, match="task 2"):
        stack_tasks([Xs[0], Xs[1], Xs[2][:, :3]], ys)
    with pytest.raises(ValueError, match="task 0"):
        stack_tasks([Xs[0][:, 0], Xs[1], Xs[2]], ys)
    with pytest.raises(ValueError, match="task 1"):
        stack_tasks(Xs, [ys[0], np.ones((5, 2)), ys[2]])
    with pytest.raises(TypeError, match="Xs"):
        stack_tasks(Xs[0], ys[0])
    with pytest.raises(ValueError, match="empty"):
        stack_tasks([], [])
    with pytest.raises(ValueError, match="rows"):
        unstack_tasks(np.ones((4, 2)), np.ones((3, 2)))


# ---------------------------------------------------------------------------
# Real data
# ---------------------------------------------------------------------------


def test_load_school():
    _need(SCHOOL_FILE)
    school = load_school(DATA_DIR)
    X, Y, task = school.data, school.target, school.task
    assert X.shape == (15362, 28) and X.dtype == np.float64
    assert Y.shape == (15362, 139)
    mask = observed_mask(Y)
    assert np.all(mask.sum(axis=1) == 1)
    np.testing.assert_array_equal(np.argmax(mask, axis=1), task)
    sizes = np.bincount(task, minlength=139)
    assert sizes.sum() == 15362 and sizes.min() == 22 and sizes.max() == 251
    scores = Y[mask]
    assert scores.min() >= 1 and scores.max() <= 70
    assert np.all(scores == np.round(scores))
    assert len(school.feature_names) == 28 and school.feature_names[-1] == "bias"
    assert len(set(school.feature_names)) == 28
    assert np.all(X[:, 27] == 1.0)
    assert len(school.task_names) == 139 and "School" in school.DESCR
    for t in (0, 50, 138):  # school-level columns are constant within a school
        block = X[task == t, 21:27]
        assert np.all(block == block[0])


def test_load_landmine():
    _need(LANDMINE_FILE)
    landmine = load_landmine(DATA_DIR)
    X, Y, task = landmine.data, landmine.target, landmine.task
    assert X.shape == (14820, 9) and X.dtype == np.float64
    assert Y.shape == (14820, 29) and Y.dtype == np.float64
    mask = observed_mask(Y)
    assert np.all(mask.sum(axis=1) == 1)
    np.testing.assert_array_equal(np.argmax(mask, axis=1), task)
    sizes = np.bincount(task, minlength=29)
    assert sizes.min() == 445 and sizes.max() == 690
    labels = Y[mask]
    assert set(np.unique(labels)) == {0.0, 1.0}
    assert 0.05 < labels.mean() < 0.07
    assert len(landmine.feature_names) == 9 and len(landmine.task_names) == 29


def test_return_X_y():
    _need(LANDMINE_FILE)
    X, Y = load_landmine(DATA_DIR, return_X_y=True)
    assert X.shape == (14820, 9) and Y.shape == (14820, 29)


def test_data_home_from_environment(monkeypatch, tmp_path):
    _need(SCHOOL_FILE)
    monkeypatch.setenv("SKMTL_DATA", str(DATA_DIR))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_data_home() == DATA_DIR
    X, _ = load_school(return_X_y=True)
    assert X.shape == (15362, 28)


def test_missing_file_error_lists_directories(monkeypatch, tmp_path):
    env_dir, home = tmp_path / "env", tmp_path / "home"
    monkeypatch.setenv("SKMTL_DATA", str(env_dir))
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(FileNotFoundError, match="school.mat") as info:
        load_school()
    message = str(info.value)
    assert str(env_dir) in message and str(home / "skmtl_data") in message
    assert "download_if_missing=True" in message
    monkeypatch.delenv("SKMTL_DATA")
    assert get_data_home() == home / "skmtl_data"
    with pytest.raises(FileNotFoundError, match="LandmineData.mat"):
        load_landmine(tmp_path / "nowhere")
    with pytest.raises(TypeError, match="data_home"):
        load_school(3.5)


def test_checksum_mismatch_of_local_copy(tmp_path):
    (tmp_path / "school.mat").write_bytes(b"not the school data")
    with pytest.raises(OSError, match="SHA-256 checksum mismatch"):
        load_school(tmp_path)


def test_checksums_of_reference_files():
    for path, expected in (
        (SCHOOL_FILE, _loaders.SCHOOL_SHA256),
        (LANDMINE_FILE, _loaders.LANDMINE_SHA256),
    ):
        _need(path)
        assert _loaders._sha256(path) == expected


def test_download_verifies_checksum(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"some bytes")
    digest = hashlib.sha256(b"some bytes").hexdigest()
    target = tmp_path / "cache" / "data.bin"
    _loaders._download(source.as_uri(), target, digest)
    assert target.read_bytes() == b"some bytes"
    bad_target = tmp_path / "cache" / "other.bin"
    with pytest.raises(OSError, match="SHA-256 checksum mismatch"):
        _loaders._download(source.as_uri(), bad_target, "0" * 64)
    assert not bad_target.exists()
    assert list((tmp_path / "cache").iterdir()) == [target]  # no .part left
    with pytest.raises(OSError, match="Could not download"):
        _loaders._download((tmp_path / "absent").as_uri(), bad_target, digest)


def test_load_with_download(monkeypatch, tmp_path):
    _need(LANDMINE_FILE)
    monkeypatch.setattr(_loaders, "LANDMINE_URL", LANDMINE_FILE.as_uri())
    landmine = load_landmine(tmp_path / "new", download_if_missing=True)
    assert (tmp_path / "new" / "LandmineData.mat").is_file()
    assert landmine.data.shape == (14820, 9)
