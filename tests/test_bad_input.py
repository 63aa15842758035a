"""Every bad input skmtl handles, in one table: the input, the error, its words.

Each row of ``CASES`` is a bad input, the estimators it applies to, the
exception type and a fragment (regular expression) its message must contain;
``{name}`` in a fragment stands for the estimator's class name. The table runs
over every public estimator the row applies to. Every message must be free of
numpy scalar reprs (``np.float64(...)``): users read them.
"""

import inspect
import re

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils._param_validation import InvalidParameterError

import skmtl
from skmtl.estimators._base import _MultiTaskLinearModel

FAST_MLP = dict(hidden_layer_sizes=(4,), max_iter=20, random_state=0)

ESTIMATORS = {
    "L21Regressor": lambda: skmtl.L21Regressor(),
    "TraceNormRegressor": lambda: skmtl.TraceNormRegressor(),
    "MeanRegularizedRegressor": lambda: skmtl.MeanRegularizedRegressor(),
    "TaskGraphRegressor": lambda: skmtl.TaskGraphRegressor(),
    "TaskRelationRegressor": lambda: skmtl.TaskRelationRegressor(),
    "MultiTaskMLPRegressor": lambda: skmtl.MultiTaskMLPRegressor(**FAST_MLP),
    "SingleTaskBaseline(Ridge)": lambda: skmtl.SingleTaskBaseline(Ridge()),
    "PooledBaseline(Ridge)": lambda: skmtl.PooledBaseline(Ridge()),
    "L21Classifier": lambda: skmtl.L21Classifier(),
    "TraceNormClassifier": lambda: skmtl.TraceNormClassifier(),
    "MeanRegularizedClassifier": lambda: skmtl.MeanRegularizedClassifier(),
    "TaskGraphClassifier": lambda: skmtl.TaskGraphClassifier(),
    "TaskRelationClassifier": lambda: skmtl.TaskRelationClassifier(),
    "MultiTaskMLPClassifier": lambda: skmtl.MultiTaskMLPClassifier(**FAST_MLP),
    "SingleTaskBaseline(LogisticRegression)": lambda: skmtl.SingleTaskBaseline(
        LogisticRegression()
    ),
    "PooledBaseline(LogisticRegression)": lambda: skmtl.PooledBaseline(
        LogisticRegression()
    ),
}

# every other public linear model (those of the model-breadth issue) too
for _name in skmtl.__all__:
    _cls = getattr(skmtl, _name)
    if (inspect.isclass(_cls) and issubclass(_cls, _MultiTaskLinearModel)
            and not _name.endswith("CV")):
        ESTIMATORS.setdefault(_name, _cls)

LINEAR = {
    name.replace("Regressor", "").replace("Classifier", "")
    for name, make in ESTIMATORS.items()
    if isinstance(make, type) or isinstance(make(), _MultiTaskLinearModel)
}


def groups(name):
    """The groups an estimator belongs to (a case applies to some groups)."""
    kind = "clf" if "Classifier" in name or "Logistic" in name else "reg"
    family = name.replace("Regressor", "").replace("Classifier", "")
    out = {"all", kind}
    if "Baseline" in name:
        out.add("baseline")
        return out
    out |= {"own", f"own_{kind}", "task_weights"}
    if family in LINEAR:
        out |= {"linear", family}
    if family == "MultiTaskMLP":
        out |= {"mlp", f"mlp_{kind}"}
    if kind == "clf":
        out.add("class_weight")
    if family in ("L21", "TraceNorm"):
        out.add("auto")
    return out


N, D = 20, 3
RNG = np.random.default_rng(0)
X = RNG.standard_normal((N, D))
Y_REG = X @ RNG.standard_normal((D, 2)) + 0.1 * RNG.standard_normal((N, 2))
Y_CLF = np.column_stack([np.arange(N) % 2, (np.arange(N) // 2) % 2])


def targets(name):
    return Y_CLF if "clf" in groups(name) else Y_REG


def with_entry(A, row, column, value, dtype=float):
    """A copy of ``A`` with ``A[row, column] = value`` (``column=None``: 1-D)."""
    A = np.array(A, dtype=dtype)
    A[row if column is None else (row, column)] = value
    return A


def fit(X=None, Y=None, **fit_params):
    """An action: fit on the given data (the defaults where None)."""

    def run(est, name):
        est.fit(X if X is not None else globals()["X"],
                Y if Y is not None else targets(name), **fit_params)

    return run


def fit_targets(make_Y):
    """Fit with targets built from the estimator's own (regression or labels)."""
    return lambda est, name: est.fit(X, make_Y(targets(name)))


def with_params(action=None, **params):
    def run(est, name):
        est.set_params(**params)
        (action or fit())(est, name)

    run.params = params  # the case applies to estimators with these parameters
    return run


def construct(**params):
    return lambda est, name: type(est)(**params)


def predict_with(X_new, method="predict"):
    def run(est, name):
        est.fit(X, targets(name))
        getattr(est, method)(X_new)

    return run


def sparse_with_duplicate(Y):
    coo = sparse.coo_matrix(Y)
    rows = np.append(coo.row, coo.row[0])
    cols = np.append(coo.col, coo.col[0])
    data = np.append(coo.data, coo.data[0])
    return sparse.coo_matrix((data, (rows, cols)), shape=Y.shape)


def empty_task(Y, columns=(1,)):
    Y = np.array(Y, dtype=float)
    Y = np.column_stack([Y] + [Y[:, :1]] * max(0, max(columns) + 1 - Y.shape[1]))
    Y[:, list(columns)] = np.nan
    return Y


def one_row_task(Y):
    Y = np.array(Y, dtype=float)
    Y[1:, 1] = np.nan
    return Y


def frame_with_text_column():
    frame = pd.DataFrame(X, columns=["height", "weight", "age"])
    frame["city"] = ["Paris", "Oslo"] * (N // 2)
    return frame


def early_stopping_one_row(est, name):
    est.set_params(solver="adam", early_stopping=True)
    est.fit(X, one_row_task(targets(name)))


REG, CLF = "reg", "clf"
CASES = [
    # ------------------------------------------------------------------ X
    ("X NaN", "all", fit(X=with_entry(X, 3, 1, np.nan)), ValueError,
     "Input X contains NaN"),
    ("X infinite", "all", fit(X=with_entry(X, 3, 1, np.inf)), ValueError,
     "Input X contains infinity"),
    ("X 1-D", "all", fit(X=X[:, 0]), ValueError, "Expected 2D array"),
    ("X 3-D", "all", fit(X=X[:, :, None]), ValueError, "dim 3"),
    ("X empty", "all", fit(X=X[:0], Y=Y_REG[:0]), ValueError, "0 sample"),
    ("X no feature", "all", fit(X=X[:, :0]), ValueError, "0 feature"),
    ("X complex", "all", fit(X=X + 1j), ValueError, "Complex data not supported"),
    ("X sparse complex", "own", fit(X=sparse.csr_matrix(X + 1j)), ValueError,
     "Complex data not supported"),
    ("X strings", "all", fit(X=with_entry(X, 2, 1, "a", dtype=object)), ValueError,
     "X holds the non-numeric value 'a' at row 2, column 1"),
    ("X DataFrame text column", "own", fit(X=frame_with_text_column()), ValueError,
     r"X column 'city' \(position 3, dtype .*\) is not numeric: it holds 'Paris'"),
    ("predict other n_features", "all", predict_with(X[:, :2]), ValueError,
     r"X has 2 features, but \w+ is expecting 3 features"),
    ("predict DataFrame text column", "own", predict_with(frame_with_text_column()),
     ValueError, "X column 'city'"),
    ("predict before fit", "all", lambda est, name: est.predict(X), NotFittedError,
     "not fitted yet"),
    # ------------------------------------------------------------------ Y
    ("y None", "all", lambda est, name: est.fit(X, None), ValueError,
     "requires y to be passed"),
    ("Y other n_rows", "all", fit_targets(lambda Y: Y[:-1]), ValueError,
     f"Y has {N - 1} rows but X has {N}"),
    ("Y 3-D", "all", fit_targets(lambda Y: Y[:, :, None]), ValueError,
     "Y must be 1-D .* or 2-D"),
    ("Y no task", "all", fit_targets(lambda Y: Y[:, :0]), ValueError, "no task"),
    ("task without target", "all", fit_targets(empty_task), ValueError,
     r"Task 'task_1' has no observed target.*TaskStratifiedKFold"),
    ("seven tasks without target", "all",
     fit_targets(lambda Y: empty_task(Y, range(1, 8))), ValueError,
     r"Tasks 'task_1', 'task_2', 'task_3', 'task_4', 'task_5' and 2 more have no "
     "observed target"),
    ("Y DataFrame duplicate task names", "all",
     fit_targets(lambda Y: pd.DataFrame(Y, columns=["a", "a"])), ValueError,
     r"task names\) must be unique; \['a'\] appear more than once \(columns \[0, 1\]"),
    ("Y sparse, entry stored twice", "all",
     fit_targets(sparse_with_duplicate), ValueError,
     r"stores entry \(row \d+, task column 0\) more than once.*sum_duplicates"),
    ("Y sparse, other n_rows", "all",
     fit_targets(lambda Y: sparse.csr_matrix(Y[:-1])), ValueError,
     f"Y has {N - 1} rows but X has {N}"),
    ("Y sparse, 1-D", "all", fit_targets(lambda Y: sparse.coo_array(Y[:, 0])),
     ValueError, "sparse Y must be 2-D"),
    # regression targets
    ("Y infinite", REG, fit_targets(lambda Y: with_entry(Y, 4, 1, np.inf)),
     ValueError, r"Y contains infinity: task 'task_1' \(column 1\), row 4"),
    ("Y sparse infinite", REG,
     fit_targets(lambda Y: sparse.csr_matrix(with_entry(Y, 4, 1, np.inf))),
     ValueError, r"stores inf at row 4 of task 'task_1'.*must be finite"),
    ("strings to a regressor", REG,
     fit_targets(lambda Y: np.where(Y > 0, "up", "down")), ValueError,
     r"regressor needs numeric targets, but task 'task_0' \(column 0\) holds "
     r"'(up|down)'\. Use a classifier"),
    ("complex targets", REG, fit_targets(lambda Y: Y + 1j), ValueError,
     "complex numbers.*needs real targets"),
    ("labels scored by a regressor", REG,
     lambda est, name: est.fit(X, Y_REG).score(X, np.where(Y_REG > 0, "up", "down")),
     ValueError,
     r"Task 'task_0' \(column 0\): Y_true holds a non-numeric value '(up|down)'"),
    # classification targets
    ("task with one class", CLF,
     fit_targets(lambda Y: with_entry(Y, slice(None), 1, 0)), ValueError,
     r"Task 'task_1' \(column 1\) has only one class \(0\.0\) among its observed"),
    ("task with one observed row", CLF, fit_targets(one_row_task), ValueError,
     r"Task 'task_1' \(column 1\) has only one class \(0\.0\)"),
    ("one sample", CLF, fit(X=X[:1], Y=Y_CLF[:1]), ValueError, "only one class"),
    ("continuous labels", CLF, fit_targets(lambda Y: Y + 0.5 * X[:, :2]),
     ValueError, r"Task 'task_0' \(column 0\): Unknown label type"),
    ("infinite label", CLF,
     fit_targets(lambda Y: with_entry(Y, 2, 0, np.inf)), ValueError,
     r"Task 'task_0' \(column 0\).*infinity"),
    ("mixed label types in a task", CLF,
     fit_targets(lambda Y: with_entry(Y, 0, 1, "cat", dtype=object)), ValueError,
     r"Task 'task_1' \(column 1\) mixes string and numeric labels"),
    # ------------------------------------------------------------ weights
    ("negative sample_weight", "all",
     fit(sample_weight=with_entry(np.ones(N), 5, None, -1.0)), ValueError,
     "sample_weight must be non-negative; it is -1.0 at row 5"),
    ("negative sample_weight entry", "all",
     fit(sample_weight=with_entry(np.ones((N, 2)), 5, 1, -2.0)), ValueError,
     "it is -2.0 at row 5, task column 1"),
    ("NaN sample_weight", "all",
     fit(sample_weight=with_entry(np.ones(N), 7, None, np.nan)),
     ValueError, r"sample_weight contains NaN or infinity \(first at row 7\)"),
    ("all-zero sample_weight of a task", "all",
     fit(sample_weight=np.column_stack([np.ones(N), np.zeros(N)])), ValueError,
     r"Task 'task_1' \(column 1\) has zero total sample_weight"),
    ("all-zero sample_weight", "all", fit(sample_weight=np.zeros(N)), ValueError,
     r"Task 'task_0' \(column 0\) has zero total sample_weight"),
    ("sample_weight shape", "all", fit(sample_weight=np.ones(N - 1)), ValueError,
     rf"sample_weight has shape \({N - 1},\); expected \({N},\) or \({N}, 2\)"),
    ("negative task_weights", "task_weights", with_params(task_weights=[1.0, -1.0]),
     ValueError, r"task 'task_1' \(column 1\) has weight -1.0"),
    ("NaN task_weights", "task_weights", with_params(task_weights=[np.nan, 1.0]),
     ValueError, r"task 'task_0' \(column 0\) has weight nan"),
    ("all-zero task_weights", "task_weights", with_params(task_weights=[0.0, 0.0]),
     ValueError, "task_weights are all zero"),
    ("task_weights shape", "task_weights", with_params(task_weights=[1.0, 1.0, 1.0]),
     ValueError, r"task_weights has shape \(3,\); expected \(2,\)"),
    ("task_weights text", "linear", with_params(task_weights="abc"),
     InvalidParameterError, "The 'task_weights' parameter of {name} must be"),
    # --------------------------------------------------------- task graphs
    ("graph shape", "TaskGraph", with_params(graph=np.ones((3, 3))), ValueError,
     r"graph must be a \(2, 2\) matrix.*got shape \(3, 3\)"),
    ("graph 1-D", "TaskGraph", with_params(graph=[1.0, 2.0]), ValueError,
     r"got shape \(2,\)"),
    ("graph negative", "TaskGraph", with_params(graph=[[0, -1], [-1, 0]]),
     ValueError, r"graph must be non-negative; graph\[0, 1\] = -1"),
    ("graph asymmetric", "TaskGraph", with_params(graph=[[0, 1], [2, 0]]),
     ValueError, r"graph must be symmetric; graph\[\d, \d\] = \d.0 but"),
    ("graph NaN", "TaskGraph", with_params(graph=[[0, np.nan], [np.nan, 0]]),
     ValueError, "graph contains NaN or infinity"),
    ("graph text", "TaskGraph", with_params(graph="chain"), InvalidParameterError,
     "The 'graph' parameter of {name} must be"),
    # ---------------------------------------------------------- strengths
    ("negative alpha", "linear", with_params(alpha=-1.0), InvalidParameterError,
     r"The 'alpha' parameter of {name} must be .*range [\[(]0.0, inf\)"),
    ("NaN alpha", "linear", with_params(alpha=np.nan), InvalidParameterError,
     "The 'alpha' parameter of {name} must be"),
    ("infinite alpha", "linear", with_params(alpha=np.inf), InvalidParameterError,
     "The 'alpha' parameter of {name} must be"),
    ("alpha text", "linear", with_params(alpha="big"), InvalidParameterError,
     "The 'alpha' parameter of {name} must be"),
    ("alpha 'auto' without alpha_max", "TaskRelation", with_params(alpha="auto"),
     InvalidParameterError, r"The 'alpha' parameter of {name} must be a float in the "
     r"range \[0.0, inf\). Got 'auto'"),
    ("alpha 'auto' without alpha_max", "MeanRegularized", with_params(alpha="auto"),
     InvalidParameterError, r"The 'alpha' parameter of {name} must be a float in the "
     r"range \[0.0, inf\). Got 'auto'"),
    ("alpha 'auto' that is not the sparsity strength", "TaskGraph",
     with_params(alpha="auto"), InvalidParameterError,
     "The 'alpha' parameter of {name} must be a float"),
    ("negative ridge", "linear", with_params(ridge=-0.1), InvalidParameterError,
     "The 'ridge' parameter of {name} must be"),
    ("negative l1", "TaskGraph", with_params(l1=-0.1), InvalidParameterError,
     "The 'l1' parameter of {name} must be"),
    ("negative tol", "own", with_params(tol=-1.0), InvalidParameterError,
     "The 'tol' parameter of {name} must be"),
    ("max_iter 0", "own", with_params(max_iter=0), InvalidParameterError,
     "The 'max_iter' parameter of {name} must be"),
    ("negative MLP alpha", "mlp", with_params(alpha=-1.0), InvalidParameterError,
     "The 'alpha' parameter of {name} must be"),
    ("hidden_layer_sizes with a zero", "mlp",
     with_params(hidden_layer_sizes=(4, 0)), ValueError,
     "hidden_layer_sizes must be a tuple of positive integers"),
    ("early stopping, task with one row", "mlp_reg", early_stopping_one_row, ValueError,
     r"early_stopping needs at least 2 observed rows in every task; task 'task_1' "
     r"\(column 1\) has 1"),
    # -------------------------------------------------------- class_weight
    ("class_weight unknown label", "class_weight",
     with_params(class_weight={5: 2.0}), ValueError,
     r"class_weight of task 'task_0' \(column 0\) names label 5, which the task "
     r"does not have; its classes are \[0, 1\]"),
    ("class_weight negative", "class_weight",
     with_params(class_weight={1: -1.0}), ValueError,
     "the weight of label 1 is -1.0; class weights must be finite and non-negative"),
    ("class_weight NaN", "class_weight", with_params(class_weight={1: np.nan}),
     ValueError, "the weight of label 1 is nan"),
    ("class_weight all zero", "class_weight",
     with_params(class_weight={0: 0.0, 1: 0.0}), ValueError,
     "gives every observed class weight 0"),
    ("class_weight other string", "class_weight", with_params(class_weight="auto"),
     ValueError, "(is 'auto'; the only string is 'balanced'|The 'class_weight' "
     "parameter of {name} must be a str among \\{'balanced'\\})"),
    ("class_weight list length", "class_weight",
     with_params(class_weight=["balanced"]), ValueError,
     "list of 1 entries; a list needs one entry .* per task, 2 here"),
    ("class_weight unknown task", "class_weight",
     with_params(class_weight={"task_9": "balanced"}), ValueError,
     r"class_weight names task 'task_9', which is not a task of Y"),
    ("class_weight number", "class_weight", with_params(class_weight=3.0),
     ValueError, "(class_weight must be None, 'balanced', a dict|The 'class_weight' "
     "parameter of {name} must be)"),
    ("class_weight text weights", "class_weight",
     with_params(class_weight=[{0: "a"}, None]), ValueError,
     r"class_weight of task 'task_0' \(column 0\) must be None, 'balanced' or a "
     "dict"),
    # -------------------------------------------------------- constructor
    ("unknown keyword", "own", construct(graph=np.eye(2), alhpa=1.0), TypeError,
     r"^{name}\(\) got an unexpected keyword argument"),
    ("misspelt keyword", "linear", construct(alhpa=1.0), TypeError,
     r"^{name}\(\) got an unexpected keyword argument 'alhpa' \(did you mean "
     r"'alpha'\?\); valid parameters are "),
    ("too many positional arguments", "linear",
     lambda est, name: type(est)(*range(20)), TypeError,
     r"^{name}\(\) takes at most"),
]


def _params():
    for case_id, group, action, error, fragment in CASES:
        for name, make in ESTIMATORS.items():
            needs = set(getattr(action, "params", ()))
            if group in groups(name) and needs <= set(make().get_params()):
                yield pytest.param(
                    make, name, action, error, fragment, id=f"{case_id}-{name}"
                )


@pytest.mark.parametrize("make, name, action, error, fragment", list(_params()))
def test_bad_input(make, name, action, error, fragment):
    est = make()
    pattern = fragment.replace("{name}", re.escape(type(est).__name__))
    with pytest.raises(error, match=pattern) as info:
        action(est, name)
    assert not re.search(r"np\.\w+\(", str(info.value)), str(info.value)


def test_every_case_applies_to_some_estimator():
    applied = {group for group in {c[1] for c in CASES}
               if any(group in groups(name) for name in ESTIMATORS)}
    assert applied == {c[1] for c in CASES}


# Legal edge cases next to the table: accepted, and the fit is finite.
@pytest.mark.parametrize("name", [n for n in ESTIMATORS if "reg" in groups(n)])
@pytest.mark.parametrize("case", ["one sample", "task with one observed row"])
def test_regression_edge_cases_fit_finite(name, case):
    est = ESTIMATORS[name]()
    if case == "one sample":
        est.fit(X[:1], Y_REG[:1])
    else:
        est.fit(X, one_row_task(Y_REG))
    prediction = est.predict(X)
    assert np.all(np.isfinite(prediction))
    if case == "task with one observed row" and "linear" in groups(name):
        # the unpenalised intercept fits the task's lone row exactly
        assert abs(prediction[0, 1] - Y_REG[0, 1]) < 1e-3


def test_convergence_warning_reports_the_gap_and_the_scale_of_the_features():
    """The warning's value is the fitted dual_gap_; with feature scales far
    apart it advises standardising (which converges), not max_iter alone."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.preprocessing import StandardScaler

    from skmtl import TraceNormRegressor

    rng = np.random.default_rng(0)
    scales = np.array([1e-3, 1.0, 1e3, 1.0, 1e4, 1.0])
    X = rng.standard_normal((80, 6)) * scales
    Y = X @ (rng.standard_normal((6, 3)) / scales[:, None]) * 100
    Y += 1e5 + rng.standard_normal(Y.shape)
    # max_iter=10: since the ADMM balances relative residuals it converges
    # here in 24 iterations (1000 and a warning before)
    model = TraceNormRegressor(max_iter=10)
    with pytest.warns(ConvergenceWarning) as record:
        model.fit(X, Y)
    message = str(record[0].message)
    assert f"duality_gap {model.dual_gap_:.3e} (" in message
    assert "scales of the features differ by a factor" in message
    assert "StandardScaler" in message
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        TraceNormRegressor(max_iter=50).fit(StandardScaler().fit_transform(X), Y)
