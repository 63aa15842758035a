"""Stacked targets: validation, masks, sample / task weights and column layout."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skmtl._data import (
    ColumnLayout,
    check_sample_weight,
    check_task_weights,
    entry_weights,
    validate_classification_targets,
    validate_regression_targets,
)

NAN = np.nan


# --------------------------------------------------------- regression targets
def test_regression_1d_is_single_task():
    out = validate_regression_targets([1.0, 2.5, -3.0], 3)
    assert out.single_task
    assert out.values.shape == (3, 1) and out.n_tasks == 1
    assert_array_equal(out.values[:, 0], [1.0, 2.5, -3.0])
    assert out.mask.all()
    assert list(out.task_names) == ["task_0"]


@pytest.mark.parametrize("as_list", [False, True])
def test_regression_2d(as_list):
    Y = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    out = validate_regression_targets(Y if as_list else np.array(Y), 2)
    assert not out.single_task
    assert out.values.dtype == np.float64
    assert_array_equal(out.values, Y)
    assert list(out.task_names) == ["task_0", "task_1", "task_2"]


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, bool, np.float32])
def test_regression_numeric_dtypes(dtype):
    Y = np.array([[1, 0], [0, 1], [1, 1]], dtype=dtype)
    out = validate_regression_targets(Y, 3)
    assert out.values.dtype == np.float64
    assert_array_equal(out.values, Y.astype(float))


def test_regression_nan_is_missing_and_zeroed():
    Y = np.array([[1.0, NAN], [NAN, 2.0], [3.0, 4.0]])
    out = validate_regression_targets(Y, 3)
    assert_array_equal(out.mask, ~np.isnan(Y))
    assert_array_equal(out.values, np.nan_to_num(Y, nan=0.0))


@pytest.mark.parametrize(
    "height",
    [
        [1.0, None, 3.0],
        [1.0, NAN, 3.0],
        pd.array([1.0, pd.NA, 3.0], dtype="Float64"),
        pd.Series([1.0, pd.NA, 3.0], dtype=object),
    ],
)
def test_regression_dataframe(height):
    wage = pd.array([4, 5, None], dtype="Int64")
    out = validate_regression_targets(pd.DataFrame({"height": height, "wage": wage}), 3)
    assert list(out.task_names) == ["height", "wage"]
    assert not out.single_task
    assert_array_equal(out.mask, [[True, True], [False, True], [True, False]])
    assert_array_equal(out.values, [[1.0, 4.0], [0.0, 5.0], [3.0, 0.0]])


def test_regression_dataframe_non_string_columns():
    out = validate_regression_targets(pd.DataFrame({0: [1.0, 2.0], 7: [3.0, 4.0]}), 2)
    assert list(out.task_names) == ["0", "7"]


@pytest.mark.parametrize("name, expected", [("y", ["y"]), (None, ["task_0"])])
def test_regression_series(name, expected):
    out = validate_regression_targets(pd.Series([1.0, None, 2.0], name=name), 3)
    assert out.single_task
    assert list(out.task_names) == expected
    assert_array_equal(out.mask[:, 0], [True, False, True])
    assert_array_equal(out.values[:, 0], [1.0, 0.0, 2.0])


def test_regression_object_array_with_none():
    Y = np.array([[1, None], [None, 2.5], [3, 4]], dtype=object)
    out = validate_regression_targets(Y, 3)
    assert_array_equal(out.mask, [[True, False], [False, True], [True, True]])
    assert_array_equal(out.values, [[1.0, 0.0], [0.0, 2.5], [3.0, 4.0]])


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_regression_infinity_names_task_and_row(value):
    Y = np.ones((4, 3))
    Y[2, 1] = value
    with pytest.raises(ValueError, match=r"infinity.*'task_1'.*row 2"):
        validate_regression_targets(Y, 4)


def test_regression_infinity_in_dataframe_names_column():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [np.inf, 1.0]})
    with pytest.raises(ValueError, match=r"'b'.*row 0"):
        validate_regression_targets(frame, 2)


@pytest.mark.parametrize("column", [0, 2])
def test_regression_task_without_observation(column):
    Y = np.ones((3, 3))
    Y[:, column] = NAN
    with pytest.raises(ValueError, match=f"'task_{column}'.*no observed"):
        validate_regression_targets(Y, 3)


@pytest.mark.parametrize("n_rows, n_samples", [(3, 4), (5, 2)])
@pytest.mark.parametrize("ndim", [1, 2])
def test_regression_wrong_number_of_rows(n_rows, n_samples, ndim):
    Y = np.ones((n_rows,) if ndim == 1 else (n_rows, 2))
    with pytest.raises(ValueError, match=f"{n_rows} rows.*{n_samples}"):
        validate_regression_targets(Y, n_samples)


def test_regression_3d_raises():
    with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
        validate_regression_targets(np.ones((2, 3, 4)), 2)


def test_regression_scalar_raises():
    with pytest.raises(ValueError, match="scalar"):
        validate_regression_targets(3.0, 1)


def test_regression_no_column_raises():
    with pytest.raises(ValueError, match="0 columns"):
        validate_regression_targets(np.ones((3, 0)), 3)


@pytest.mark.parametrize(
    "Y, task, bad",
    [
        (np.array([[1.0, "cat"], [2.0, 3.0]], dtype=object), "task_1", "cat"),
        (np.array(["a", "b"]), "task_0", "a"),
        (np.array([[1, None], [2, "dog"], [3, 1.0]], dtype=object), "task_1", "dog"),
    ],
)
def test_regression_non_numeric_names_task_and_value(Y, task, bad):
    with pytest.raises(ValueError, match=f"'{task}'.*'{bad}'"):
        validate_regression_targets(Y, Y.shape[0])


def test_regression_non_numeric_dataframe():
    frame = pd.DataFrame({"score": [1.0, 2.0], "label": ["x", None]})
    with pytest.raises(ValueError, match=r"'label'.*'x'"):
        validate_regression_targets(frame, 2)


def test_regression_non_numeric_reports_the_failing_value():
    Y = np.array([["1.5"], ["abc"]], dtype=object)
    with pytest.raises(ValueError, match="'abc'"):
        validate_regression_targets(Y, 2)


# ----------------------------------------------------- classification targets
def check_codes(out, Y):
    """classes sorted, codes index them on observed entries, -1 elsewhere."""
    Y = np.asarray(Y, dtype=object).reshape(out.codes.shape)
    for t, classes in enumerate(out.classes):
        assert list(classes) == sorted(classes)
        assert len(set(classes.tolist())) == len(classes)
        observed = out.mask[:, t]
        codes = out.codes[:, t]
        assert_array_equal(codes[~observed], -1)
        assert np.all((codes[observed] >= 0) & (codes[observed] < len(classes)))
        assert classes[codes[observed]].tolist() == Y[observed, t].tolist()
        assert set(Y[observed, t].tolist()) == set(classes.tolist())


def test_classification_numeric_with_nan():
    Y = np.array([[0, 2.0], [1, NAN], [NAN, 5.0], [1, 2.0], [0, 7.0]])
    out = validate_classification_targets(Y, 5)
    assert_array_equal(out.mask, ~np.isnan(Y))
    assert_array_equal(out.classes[0], [0.0, 1.0])
    assert_array_equal(out.classes[1], [2.0, 5.0, 7.0])
    assert_array_equal(out.codes, [[0, 0], [1, -1], [-1, 1], [1, 0], [0, 2]])
    check_codes(out, Y)


@pytest.mark.parametrize("missing", [None, NAN])
def test_classification_strings_with_missing(missing):
    Y = np.array(
        [["cat", "b"], [missing, "a"], ["dog", missing], ["ant", "b"]], dtype=object
    )
    out = validate_classification_targets(Y, 4)
    assert_array_equal(out.mask, [[1, 1], [0, 1], [1, 0], [1, 1]])
    assert_array_equal(out.classes[0], ["ant", "cat", "dog"])
    assert_array_equal(out.classes[1], ["a", "b"])
    assert_array_equal(out.codes, [[1, 1], [-1, 0], [2, -1], [0, 1]])
    check_codes(out, Y)


def test_classification_integer_labels_keep_integers():
    Y = np.array([[3, 1], [1, 1], [3, 0], [2, 0]])
    out = validate_classification_targets(Y, 4)
    assert out.mask.all()
    assert out.classes[0].dtype.kind == "i"
    assert_array_equal(out.classes[0], [1, 2, 3])
    check_codes(out, Y)


def test_classification_object_integers_with_none():
    Y = np.array([5, None, 9, 5, 9, 7], dtype=object)
    out = validate_classification_targets(Y, 6)
    assert out.single_task
    assert_array_equal(out.classes[0], [5, 7, 9])
    assert_array_equal(out.codes[:, 0], [0, -1, 2, 0, 2, 1])
    check_codes(out, Y)


@pytest.mark.parametrize("n_classes", [[2, 3], [4, 2, 5]])
def test_classification_different_numbers_of_classes(n_classes):
    rng = np.random.default_rng(0)
    n = 40
    Y = np.column_stack([np.arange(n) % k for k in n_classes]).astype(float)
    Y[rng.random(Y.shape) < 0.1] = NAN
    out = validate_classification_targets(Y, n)
    assert [len(c) for c in out.classes] == n_classes
    check_codes(out, Y)


def test_classification_dataframe_strings_and_numbers():
    frame = pd.DataFrame(
        {"animal": ["cat", None, "dog", "cat"], "grade": [1.0, 0.0, NAN, 2.0]}
    )
    out = validate_classification_targets(frame, 4)
    assert list(out.task_names) == ["animal", "grade"]
    assert_array_equal(out.mask, [[1, 1], [0, 1], [1, 0], [1, 1]])
    assert_array_equal(out.classes[0], ["cat", "dog"])
    assert_array_equal(out.classes[1], [0, 1, 2])
    check_codes(out, frame.to_numpy(dtype=object))


def test_classification_dataframe_pandas_na():
    frame = pd.DataFrame(
        {
            "s": pd.array(["u", pd.NA, "v", "u"], dtype="string"),
            "i": pd.array([1, 0, pd.NA, 2], dtype="Int64"),
        }
    )
    out = validate_classification_targets(frame, 4)
    assert_array_equal(out.mask, [[1, 1], [0, 1], [1, 0], [1, 1]])
    assert_array_equal(out.classes[0], ["u", "v"])
    assert_array_equal(out.classes[1], [0, 1, 2])
    assert_array_equal(out.codes, [[0, 1], [-1, 0], [1, -1], [0, 2]])


def test_classification_series():
    out = validate_classification_targets(pd.Series(["b", "a", None], name="s"), 3)
    assert out.single_task and list(out.task_names) == ["s"]
    assert_array_equal(out.codes[:, 0], [1, 0, -1])


def test_classification_dataframe_numeric_strings_stay_strings():
    frame = pd.DataFrame({"a": ["1", "2", "1"]})
    out = validate_classification_targets(frame, 3)
    assert_array_equal(out.classes[0], np.array(["1", "2"]))
    check_codes(out, frame.to_numpy(dtype=object))


@pytest.mark.parametrize(
    "Y, name",
    [
        (np.array([[0, 1], [1, 1], [0, 1]]), "task_1"),
        (np.array([["a", "x"], ["b", None], ["c", "x"]], dtype=object), "task_1"),
        (pd.DataFrame({"p": [1, 1, 1], "q": [0, 1, 0]}), "p"),
    ],
)
def test_classification_one_class_raises(Y, name):
    with pytest.raises(ValueError, match=f"'{name}'.*class"):
        validate_classification_targets(Y, 3)


@pytest.mark.parametrize("as_object", [False, True])
def test_classification_continuous_raises(as_object):
    Y = np.array([[0, 0.5], [1, 1.5], [0, 2.25]], dtype=object if as_object else float)
    with pytest.raises(ValueError, match="task_1.*Unknown label type"):
        validate_classification_targets(Y, 3)


@pytest.mark.parametrize("numeric", [1, 2.0, np.int64(3)])
def test_classification_mixed_types_raises(numeric):
    Y = np.array([["a", 0], [numeric, 1], ["b", 0]], dtype=object)
    with pytest.raises(ValueError, match="task_0.*mixes"):
        validate_classification_targets(Y, 3)


@pytest.mark.parametrize("missing", [None, NAN])
def test_classification_task_without_labels_raises(missing):
    Y = np.array([["a", missing], ["b", missing]], dtype=object)
    with pytest.raises(ValueError, match="'task_1'.*no observed"):
        validate_classification_targets(Y, 2)


def test_classification_wrong_rows_raises():
    with pytest.raises(ValueError, match="3 rows.*4"):
        validate_classification_targets([0, 1, 0], 4)


# ----------------------------------------------------------- sample weights
def test_sample_weight_none():
    assert check_sample_weight(None, 4, 2) is None


@pytest.mark.parametrize("value", [2, 0.5, np.float64(3.0)])
def test_sample_weight_scalar(value):
    out = check_sample_weight(value, 4, 2)
    assert out.shape == (4,) and out.dtype == np.float64
    assert_array_equal(out, np.full(4, float(value)))


@pytest.mark.parametrize("n_tasks", [1, 3])
def test_sample_weight_1d(n_tasks):
    out = check_sample_weight([1, 2, 0, 4], 4, n_tasks)
    assert out.dtype == np.float64
    assert_array_equal(out, [1, 2, 0, 4])


def test_sample_weight_column_for_multitask_is_flattened():
    out = check_sample_weight([[1.0], [2.0], [3.0]], 3, 2)
    assert_array_equal(out, [1.0, 2.0, 3.0])


def test_sample_weight_column_for_single_task_is_kept():
    out = check_sample_weight(np.ones((3, 1)), 3, 1)
    assert out.shape in {(3,), (3, 1)}
    assert_array_equal(out.ravel(), np.ones(3))


def test_sample_weight_per_entry():
    sw = np.arange(6.0).reshape(3, 2)
    assert_array_equal(check_sample_weight(sw, 3, 2), sw)


@pytest.mark.parametrize("shape", [(3,), (5,), (4, 3), (4, 2, 1), (2, 4), ()])
def test_sample_weight_wrong_shape(shape):
    sw = np.ones(shape)
    with pytest.raises(ValueError, match="shape"):
        check_sample_weight(sw, 4, 2)


@pytest.mark.parametrize("sw", [[1.0, -1.0, 1.0], [[1, 1], [1, 1], [1, -0.5]], -2.0])
def test_sample_weight_negative(sw):
    with pytest.raises(ValueError, match="negative"):
        check_sample_weight(sw, 3, 2)


@pytest.mark.parametrize("bad", [NAN, np.inf, -np.inf])
def test_sample_weight_non_finite(bad):
    with pytest.raises(ValueError, match="NaN or infinity"):
        check_sample_weight([1.0, bad, 1.0], 3, 2)


# ------------------------------------------------------------- task weights
def test_task_weights_none_is_ones():
    out = check_task_weights(None, 3)
    assert_array_equal(out, np.ones(3))


@pytest.mark.parametrize("value", [2, 0.25])
def test_task_weights_scalar(value):
    assert_array_equal(check_task_weights(value, 3), np.full(3, float(value)))


def test_task_weights_vector():
    out = check_task_weights([1, 0, 2.5], 3)
    assert out.dtype == np.float64
    assert_array_equal(out, [1.0, 0.0, 2.5])


@pytest.mark.parametrize("bad", [-1.0, NAN, np.inf])
@pytest.mark.parametrize("pos", [0, 2])
def test_task_weights_bad_value_names_task(bad, pos):
    weights = [1.0, 1.0, 1.0]
    weights[pos] = bad
    names = np.array(["red", "green", "blue"], dtype=object)
    with pytest.raises(ValueError, match=f"'{names[pos]}'.*column {pos}"):
        check_task_weights(weights, 3, names)


def test_task_weights_bad_value_without_names():
    with pytest.raises(ValueError, match="column 1"):
        check_task_weights([1.0, -2.0], 2)


@pytest.mark.parametrize("weights", [[1.0, 2.0], [1, 2, 3, 4], [[1, 2, 3]]])
def test_task_weights_wrong_length(weights):
    with pytest.raises(ValueError, match=r"\(3,\)"):
        check_task_weights(weights, 3)


@pytest.mark.parametrize("weights", [[0, 0, 0], 0.0])
def test_task_weights_all_zero(weights):
    with pytest.raises(ValueError, match="all zero"):
        check_task_weights(weights, 3)


# ------------------------------------------------------------ entry weights
def reference_entry_weights(mask, sw, tw):
    n, T = mask.shape
    out = np.zeros((n, T))
    for t in range(T):
        s = np.ones(n) if sw is None else (sw if sw.ndim == 1 else sw[:, t])
        rows = [i for i in range(n) if mask[i, t]]
        total = sum(s[i] for i in rows)
        for i in rows:
            out[i, t] = tw[t] * s[i] / total
    return out


def random_mask(n, T, seed):
    mask = np.random.default_rng(seed).random((n, T)) < 0.7
    mask[0] = True  # every task observed
    return mask


@pytest.mark.parametrize("sw_kind", ["none", "1d", "2d"])
@pytest.mark.parametrize("seed", range(3))
def test_entry_weights_definition(sw_kind, seed):
    n, T = 12, 4
    rng = np.random.default_rng(seed)
    mask = random_mask(n, T, seed)
    sw = {"none": None, "1d": rng.random(n) + 0.1, "2d": rng.random((n, T)) + 0.1}
    sw = sw[sw_kind]
    tw = rng.random(T) * 3
    names = np.array([f"task_{t}" for t in range(T)], dtype=object)
    W = entry_weights(mask, sw, tw, names)
    assert_allclose(W, reference_entry_weights(mask, sw, tw), rtol=1e-13)
    assert_array_equal(W[~mask], 0.0)
    assert_allclose(W.sum(axis=0), tw, rtol=1e-13)


def test_entry_weights_full_mask_no_weights_is_uniform():
    n, T = 7, 3
    names = np.array(["a", "b", "c"], dtype=object)
    W = entry_weights(np.ones((n, T), bool), None, np.ones(T), names)
    assert_allclose(W, np.full((n, T), 1 / n), rtol=1e-15)


def test_entry_weights_zero_task_weight_column_is_zero():
    mask = random_mask(6, 3, 0)
    W = entry_weights(mask, None, np.array([1.0, 0.0, 2.0]), np.array(list("abc")))
    assert_array_equal(W[:, 1], 0.0)


@pytest.mark.parametrize("sw_kind", ["1d", "2d"])
def test_entry_weights_zero_total_raises_naming_task(sw_kind):
    mask = np.array([[1, 1], [0, 1], [1, 1]], bool)
    sw = np.array([0.0, 1.0, 0.0])  # task "beta" observes row 1, "alpha" does not
    if sw_kind == "2d":
        sw = np.column_stack([sw, np.ones(3)])
    names = np.array(["alpha", "beta"], dtype=object)
    with pytest.raises(ValueError, match="'alpha'.*column 0"):
        entry_weights(mask, sw, np.ones(2), names)


# ------------------------------------------------------------ column layout
@pytest.mark.parametrize("n_tasks", [1, 4])
def test_layout_one_per_task(n_tasks):
    layout = ColumnLayout.one_per_task(n_tasks)
    assert layout.n_tasks == n_tasks and layout.n_columns == n_tasks
    assert_array_equal(layout.task_of_column, np.arange(n_tasks))
    for t in range(n_tasks):
        assert list(range(layout.n_columns))[layout.columns(t)] == [t]


@pytest.mark.parametrize(
    "sizes, columns",
    [
        ([2, 2], [[0], [1]]),
        ([3, 2, 4], [[0, 1, 2], [3], [4, 5, 6, 7]]),
        ([2, 5, 2], [[0], [1, 2, 3, 4, 5], [6]]),
    ],
)
def test_layout_from_classes(sizes, columns):
    classes = [np.arange(k) for k in sizes]
    layout = ColumnLayout.from_classes(classes)
    n_columns = sum(len(c) for c in columns)
    assert layout.n_tasks == len(sizes)
    assert layout.n_columns == n_columns
    idx = np.arange(n_columns)
    for t, expected in enumerate(columns):
        assert idx[layout.columns(t)].tolist() == expected
    expected_owner = [t for t, c in enumerate(columns) for _ in c]
    assert_array_equal(layout.task_of_column, expected_owner)


def test_layout_from_string_classes():
    classes = [np.array(["a", "b"]), np.array(["x", "y", "z"])]
    layout = ColumnLayout.from_classes(classes)
    assert layout.n_columns == 4
    assert_array_equal(layout.task_of_column, [0, 1, 1, 1])


@pytest.mark.parametrize("density", [0.002, 0.05, 0.5, 1.0])
@pytest.mark.parametrize("shape", [(300, 1), (200, 7), (60, 400)])
def test_mask_entries_are_sorted_by_task_then_row(shape, density):
    """Both reading orders give the entries of the transposed mask."""
    from skmtl._data import _mask_entries

    mask = np.random.default_rng(0).random(shape) < density
    rows, tasks = _mask_entries(mask)
    expected_tasks, expected_rows = np.nonzero(mask.T)
    assert np.array_equal(rows, expected_rows) and np.array_equal(tasks, expected_tasks)
    assert rows.dtype == tasks.dtype == np.intp


def test_boolean_labels_with_missing_entries_stay_boolean():
    """An object array of True / False with None where missing: the classes
    are the booleans (as scikit-learn keeps them for a bool y), not 0 / 1."""
    from skmtl import L21Classifier

    rng = np.random.default_rng(5)
    X = rng.standard_normal((80, 4))
    labels = X @ rng.standard_normal((4, 2)) > 0
    Y = np.where(rng.random(labels.shape) < 0.2, None, labels).astype(object)
    model = L21Classifier().fit(X, Y)
    for classes in model.classes_:
        assert classes.dtype == bool and list(classes) == [False, True]
    predictions = model.predict(X)
    assert predictions.dtype == bool
    dense = L21Classifier().fit(X, labels)  # no missing entry: a bool array
    assert predictions.dtype == dense.predict(X).dtype


@pytest.mark.parametrize("order", ["C", "F"])
def test_fully_observed_targets_entries(order):
    """Every target observed: the entries are those of the mask route
    (task by task, rows in order, written here), the values a copy (the
    caller's ``Y`` is not shared), and the shared-design test of the solver
    layer finds the same rows and scales as for weights it must compare."""
    from skmtl.datafits import Quadratic
    from skmtl.solvers._problem import _shared_rows

    rng = np.random.default_rng(3)
    Y = np.asarray(rng.standard_normal((7, 4)), order=order)
    targets = validate_regression_targets(Y, 7)
    assert_array_equal(targets.entry_rows, np.tile(np.arange(7), 4))
    assert_array_equal(targets.entry_tasks, np.repeat(np.arange(4), 7))
    assert_array_equal(targets.entry_values, Y.T.ravel())
    targets.entry_values[0] = 99.0
    assert Y[0, 0] != 99.0
    holed = Y.copy()
    holed[2, 1] = np.nan  # the mask route, on the other entries
    other = validate_regression_targets(holed, 7)
    keep = ~((targets.entry_rows == 2) & (targets.entry_tasks == 1))
    assert_array_equal(other.entry_rows, targets.entry_rows[keep])
    assert_array_equal(other.entry_tasks, targets.entry_tasks[keep])
    rows, cols = targets.entry_rows, targets.entry_tasks
    scale = np.array([1.0, 2.0, 0.5, 3.0])
    equal = Quadratic(rows, cols, Y.T.ravel(), scale[cols] / 7, 7, 4)
    m, a, g = _shared_rows(equal)
    assert_array_equal(m, np.arange(7))
    assert_allclose(a * g[0], np.full(7, 1 / 7), rtol=1e-15)
    assert_allclose(g / g[0], scale / scale[0], rtol=1e-15)
    row_weights = rng.uniform(0.5, 2.0, 7)  # a_i g_t: the ratio route
    product = Quadratic(rows, cols, Y.T.ravel(), row_weights[rows] * scale[cols], 7, 4)
    m, a, g = _shared_rows(product)
    assert_allclose(np.outer(g, a), (row_weights[None, :] * scale[:, None]),
                    rtol=1e-12)
    rough = product.entry_weights.copy()
    rough[3] *= 1.01  # not a product a_i g_t: no shared design
    assert _shared_rows(Quadratic(rows, cols, Y.T.ravel(), rough, 7, 4)) is None
