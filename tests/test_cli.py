"""The command line: python -m skmtl compare."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from skmtl.__main__ import main
from skmtl._registry import model_names

MTL_REGRESSORS = [
    "L21Regressor",
    "TraceNormRegressor",
    "MeanRegularizedRegressor",
    "TaskGraphRegressor",
    "TaskRelationRegressor",
]
MTL_REGRESSORS = [name + "CV" for name in MTL_REGRESSORS]  # each tuned by its CV
MTL_CLASSIFIERS = [name.replace("Regressor", "Classifier") for name in MTL_REGRESSORS]
# the real data sets: $SKMTL_DATA (as the loaders), else ../shared/data
DATA = Path(
    os.environ.get("SKMTL_DATA")
    or os.environ.get("SKMTL_TEST_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)


def test_quick_synthetic_run_prints_every_model_and_writes_the_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "comparison.png"
    assert main(["compare", "--quick", "--plot", str(plot)]) == 0
    out, err = capsys.readouterr()
    for name in [*MTL_REGRESSORS, "SingleTask(RidgeCV) *", "Pooled(RidgeCV)"]:
        assert name in out
    # the built-in data favour multi-task learning: L2,1 must win
    assert "L21RegressorCV beats the single-task baseline" in out
    # every registry model and the 2 baselines, 2 splits each
    n_fits = 2 * (len(model_names(False)) + 2)
    assert f"[compare {n_fits}/{n_fits}]" in err and "plot written to" in err
    assert plot.stat().st_size > 1000


def write_csv(path, classification, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for site in ["north", "south", "east", "west"]:
        X = rng.standard_normal((30, 3))
        y = X @ np.array([1.0, -1.0, 0.5]) + 0.3 * rng.standard_normal(30)
        target = np.where(y > 0, "yes", "no") if classification else y
        rows += [(site, *x, t) for x, t in zip(X, target, strict=True)]
    with open(path, "w") as file:
        file.write("site,a,b,c,outcome\n")
        file.writelines(",".join(map(str, row)) + "\n" for row in rows)
    return path


@pytest.mark.parametrize("classification", [False, True])
def test_csv_input(tmp_path, capsys, classification):
    pytest.importorskip("pandas")
    path = write_csv(tmp_path / "data.csv", classification)
    argv = ["compare", "--quick", "--csv", str(path), "--target", "outcome"]
    argv += ["--task", "site", "--cv", "2"]
    assert main(argv + (["--classification"] if classification else [])) == 0
    out = capsys.readouterr().out
    names = MTL_CLASSIFIERS if classification else MTL_REGRESSORS
    assert all(name in out for name in names)
    assert ("roc_auc" if classification else "r2") in out
    assert "4 tasks, 2 cross-validation splits" in out


@pytest.mark.skipif(not (DATA / "school.mat").is_file(), reason="no school.mat")
def test_school_quick_subsample(capsys):
    argv = ["compare", "--dataset", "school", "--data-home", str(DATA), "--quick"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "15 tasks, 2 cross-validation splits; r2 per task" in out
    assert all(name in out for name in MTL_REGRESSORS)
    assert "school: 15 schools" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--cv", "1"], "--cv: must be at least 2"),
        (["--cv", "two"], "--cv: expected an integer"),
        (["--n-jobs", "0"], "--n-jobs: must not be 0"),
        (["--train-size", "0"], "--train-size: expected a number of rows"),
        (["--dataset", "mnist"], "invalid choice: 'mnist'"),
        (["--csv", "x.csv"], "--csv needs --target COL and --task COL"),
        (["--target", "y"], "--target applies only with --csv"),
        (["--data-home", "."], "--data-home applies only with --dataset school"),
        (["--dataset", "school", "--csv", "x.csv"], "not allowed with argument"),
        (["--csv", "missing.csv", "--target", "y", "--task", "t"], "no such file"),
        (["--plot", "/no/such/dir/plot.png"], "--plot: no such directory"),
        (["--dataset", "school", "--data-home", "/no/such/dir"], "not found"),
        (["--models", "Lasso"], "--models: unknown regression model(s) ['Lasso']"),
        (["--models", "L21Classifier"], "choose among L21Regressor, TraceNorm"),
        (["--scoring", "roc_auc"], "--scoring: 'roc_auc' is not a regression"),
        (["--scoring", "r3"], "choose among explained_variance"),
        (["--test", "t"], "argument --test: invalid choice: 't'"),
        (["--output", "/no/such/dir/t.csv"], "--output: no such directory"),
    ],
)
def test_bad_arguments_exit_with_a_clear_message(argv, message, capsys):
    if argv[0] == "--plot":
        pytest.importorskip("matplotlib")
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: skmtl compare" in err and message in err


def test_csv_errors_name_the_problem(tmp_path, capsys):
    pytest.importorskip("pandas")
    path = write_csv(tmp_path / "data.csv", classification=False)
    for argv, message in [
        (["--target", "nope", "--task", "site"], "--target: column 'nope' is not in"),
        (["--target", "outcome", "--task", "site", "--cv", "40"], "fewer rows than"),
    ]:
        with pytest.raises(SystemExit):
            main(["compare", "--csv", str(path), *argv])
        assert message in capsys.readouterr().err
    lines = path.read_text().splitlines()
    text = {"a": lines[0] + ",colour\n" + "\n".join(f"{r},red" for r in lines[1:]),
            "hole": "\n".join([*lines[:3], "north,,0.5,0.1,1.0", *lines[3:]])}
    for name, message in [
        ("a", "the feature columns ['colour'] are not numeric; encode them"),
        ("hole", "the feature columns ['a'] have missing values (in 1 rows); fill"),
    ]:
        bad = tmp_path / f"{name}.csv"
        bad.write_text(text[name] + "\n")
        with pytest.raises(SystemExit):
            main(["compare", "--csv", str(bad), "--target", "outcome",
                  "--task", "site"])
        assert message in capsys.readouterr().err


def test_csv_rows_without_target_are_reported(tmp_path, capsys):
    pytest.importorskip("pandas")
    from argparse import Namespace

    from skmtl.__main__ import _read_csv

    path = write_csv(tmp_path / "data.csv", classification=False)
    lines = path.read_text().splitlines()
    lines[1] = ",".join(lines[1].split(",")[:-1]) + ","  # no outcome
    path.write_text("\n".join(lines) + "\n")
    frame = _read_csv(Namespace(csv=str(path), target="outcome", task="site"))
    assert len(frame) == len(lines) - 2
    assert "1 of 120 rows have no 'outcome' value and are left out" in (
        capsys.readouterr().err)


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "compare" in capsys.readouterr().err


def test_python_dash_m_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "skmtl", "compare", "--cv", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "--cv: must be at least 2" in result.stderr


def test_version(capsys):
    import skmtl

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"skmtl {skmtl.__version__}"


def test_models_scoring_test_and_output(tmp_path, capsys):
    output = tmp_path / "tasks.csv"
    argv = ["compare", "--quick", "--n-jobs", "1"]
    argv += ["--models", "TraceNormRegressor,L21Regressor"]
    argv += ["--scoring", "neg_mean_absolute_error", "--test", "wilcoxon"]
    assert main([*argv, "--output", str(output)]) == 0
    out, err = capsys.readouterr()
    assert "neg_mean_absolute_error per task" in out
    assert "Wilcoxon signed-rank test over 12 tasks" in out
    listed = [line.split()[0] for line in out.splitlines()[4:8]]
    assert listed == [
        "TraceNormRegressorCV",
        "L21RegressorCV",
        "SingleTask(RidgeCV)",
        "Pooled(RidgeCV)",
    ]
    assert "MeanRegularizedRegressor" not in out
    assert f"per-task table written to {output}" in err
    import csv

    with open(output) as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 4 * 12  # 4 models x 12 tasks of the quick synthetic data
    assert {row["estimator"] for row in rows} == {
        "TraceNormRegressorCV",
        "L21RegressorCV",
        "SingleTask(RidgeCV)",
        "Pooled(RidgeCV)",
    }
    l21 = [row for row in rows if row["estimator"] == "L21RegressorCV"]
    assert all(float(row["mean"]) < 0 for row in l21)  # a negated error


def test_registry_lists_every_estimator_once():
    import inspect

    from skmtl import estimators
    from skmtl._registry import FAMILIES, model_names

    classes = {
        name
        for name in estimators.__all__
        if inspect.isclass(getattr(estimators, name))
    }
    registered = model_names(False) + model_names(True)
    assert sorted(registered) == sorted(classes)
    for family in FAMILIES:
        for classification in (False, True):
            if family.cls(classification) is None:  # a one-kind family
                continue
            model = family.model(classification)
            keys = model.get_params()
            assert all(key in keys for key in family.grid)
            assert all(key in keys for key in family.quick_grid)


@pytest.mark.parametrize("classification", [False, True])
def test_models_are_the_cv_estimators_with_the_registry_grids(classification):
    from skmtl.__main__ import _N_ALPHAS, _models
    from skmtl._registry import FAMILIES
    from skmtl.model_selection import TaskStratifiedKFold, cv_class

    models = _models(classification, quick=True, seed=0)
    registered = [f for f in FAMILIES if f.cls(classification) is not None]
    for family in registered:
        cls = cv_class(family.cls(classification))
        model = models[cls.__name__].named_steps["model"]
        assert type(model) is cls
        assert model.alphas == min(_N_ALPHAS[True], cls._n_alphas)
        assert isinstance(model.cv, TaskStratifiedKFold)
        grid = family.quick_grid
        if cls._second is not None:
            key = "ratio" if family.relative == cls._second else cls._second
            expected = list(grid[key]) if key in grid else cls._second_default
            assert getattr(model, cls._second) == expected
    names = [n for n in models if not n.startswith(("SingleTask", "Pooled"))]
    assert len(names) == len(registered)


@pytest.mark.parametrize(
    "classification, scoring, expected",
    [(False, None, "r2"), (True, None, "roc_auc"),
     (True, "accuracy", "accuracy"), (False, "explained_variance_mtl",
                                      "explained_variance_mtl")],
)
def test_inner_folds_tune_by_the_comparison_scoring(classification, scoring,
                                                    expected):
    from skmtl.__main__ import _models

    models = _models(classification, quick=True, seed=0, scoring=scoring)
    tuned = [m.named_steps["model"] for name, m in models.items()
             if not name.startswith(("SingleTask", "Pooled"))]
    assert tuned and all(model.scoring == expected for model in tuned)


def test_default_models_leave_out_the_kernel_model_on_large_training_sets():
    """The kernel model's exact solve is cubic in the training entries: above
    3,000 per split the default list leaves it out and says how to run it;
    below, every regressor is compared (the synthetic main job: 600)."""
    from skmtl.__main__ import _default_names
    from skmtl._registry import model_names

    every = model_names(False)
    small = np.full((1200, 20), np.nan)
    small[:600] = 1.0
    names, note = _default_names(False, small, [(np.arange(30), np.arange(30, 60))])
    assert names == every and note is None
    large = np.ones((4000, 1))
    split = (np.arange(3500), np.arange(3500, 4000))
    names, note = _default_names(False, large, [split])
    assert "MultiTaskKernelRidge" in every and "MultiTaskKernelRidge" not in names
    assert names == [n for n in every if n != "MultiTaskKernelRidge"]
    assert "3,500 training entries" in note and "--models MultiTaskKernelRidge" in note
