"""The example scripts run to the end and print their key results."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCHOOL_DATA = Path(
    os.environ.get("SKMTL_DATA")
    or os.environ.get("SKMTL_TEST_DATA", "")
    or ROOT.parent / "shared" / "data"
)


def run_example(name, *args, timeout=120, **environment):
    """Run ``examples/<name>`` with ``args``; return its stdout."""
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1", **environment)
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"{name} exited with {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result.stdout


def assert_lines(out, expected):
    missing = [text for text in expected if text not in out]
    assert not missing, f"missing from the output: {missing}\n{out}"


def test_joint_feature_selection():
    out = run_example("joint_feature_selection.py", "--quick")
    assert_lines(
        out,
        [
            "support recovery",
            "  L21Regressor ",
            "  single-task LassoCV ",
            "held-out R² per task",
            "L2,1 path",
            "MultiTaskLasso vs L21Regressor",
            "MultiTaskLasso: ValueError",
            "L21Regressor with NaN in Y: held-out R² mean",
            "done in",
        ],
    )
    # L21Regressor solves MultiTaskLasso's problem: the coefficients agree
    line = next(s for s in out.splitlines() if "max |coef difference|" in s)
    difference = float(line.split("max |coef difference| = ")[1].split(",")[0])
    assert difference < 1e-6


def test_task_relations_and_plot(tmp_path):
    # the synthetic examples need no data: check --plot here (if matplotlib is there)
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    plot = tmp_path / "task_relations.png"
    args = ["--quick", "--plot", plot] if has_matplotlib else ["--quick"]
    out = run_example("task_relations.py", *args)
    assert_lines(
        out,
        [
            "task_correlation_",
            "mean correlation within groups",
            "TaskGraph(true groups)",
            "TaskGraph(graph=None)",
            "single-task RidgeCV",
            "task_graph_path: held-out R²",
            "done in",
        ],
    )
    if has_matplotlib:
        assert f"plot written to {plot}" in out
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    line = next(s for s in out.splitlines() if "mean correlation within" in s)
    within = float(line.split("within groups ")[1].split(",")[0])
    across = float(line.split("across groups ")[1])
    assert within > across + 0.3


def test_low_rank_tasks():
    out = run_example("low_rank_tasks.py", "--quick")
    assert_lines(
        out,
        [
            "TraceNormRegressor, alpha = ",
            "rank_ = ",
            "singular_values_ = ",
            "held-out R² per task",
            "single-task RidgeCV",
            "TraceNormClassifier, alpha = ",
            "single-task LogisticRegression",
            "done in",
        ],
    )


@pytest.mark.skipif(
    not (SCHOOL_DATA / "school.mat").is_file(), reason="School data not found"
)
def test_compare_on_school(tmp_path):
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    plot = tmp_path / "school.png"
    args = ["--quick", "--n-tasks", 12, "--data-home", SCHOOL_DATA]
    out = run_example(
        "compare_on_school.py", *args, *(["--plot", plot] * has_matplotlib)
    )
    assert_lines(
        out,
        [
            "School: 12 of 139 schools",
            "single-task ridge *",
            "pooled ridge",
            "L21Regressor",
            "TraceNormRegressor",
            "MeanRegularized",
            "done in",
        ],
    )
    if has_matplotlib:
        assert f"plot written to {plot}" in out
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_on_school_without_data(tmp_path):
    out = run_example("compare_on_school.py", "--data-home", tmp_path / "empty")
    assert "School data not available" in out


def test_mlp_two_classification_tasks():
    out = run_example("mlp_two_classification_tasks.py", "--quick")
    assert_lines(
        out,
        [
            "shared layer coefs_: [(10, 10)]",
            "head_coefs_: [(10, 5), (10, 3)]",
            "predict_proba shapes: [(4, 5), (4, 3)]",
            "MultiTaskMLPClassifier((10,))",
            "one MLPClassifier((10,)) per task",
            "done in",
        ],
    )


def test_mlp_shared_representation():
    out = run_example("mlp_shared_representation.py", "--quick", timeout=300)
    assert_lines(
        out,
        [
            "MultiTaskMLPRegressor",
            "L21Regressor",
            "TraceNormRegressor",
            "SingleTask(MLPRegressor) *",
            "auxiliary tasks on the main task's representation",
            "auxiliary tasks on an unrelated representation",
            "uncertainty",
            "done in",
        ],
    )


# --- the gallery: examples/plot_*.py (run by the docs build, docs/build.sh) ---
GALLERY = sorted(path.name for path in EXAMPLES.glob("plot_*.py"))
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def test_gallery_is_not_empty():
    assert len(GALLERY) >= 8, GALLERY


@pytest.mark.parametrize("name", GALLERY)
def test_gallery_example_has_a_title(name):
    # sphinx-gallery takes the title from the docstring: a line underlined by "="
    import ast

    doc = ast.get_docstring(ast.parse((EXAMPLES / name).read_text()))
    assert doc, f"{name} has no docstring"
    title, underline = doc.splitlines()[:2]
    assert title.strip() and set(underline.strip()) == {"="}, (title, underline)
    assert len(underline.strip()) >= len(title.strip()), f"{name}: short underline"


@pytest.mark.skipif(
    not HAS_MATPLOTLIB,
    reason="the gallery examples draw with matplotlib (not in the test extra); "
    "the docs build (bash docs/build.sh, run by .ci/run) executes them",
)
@pytest.mark.parametrize("name", GALLERY)
def test_gallery_example_runs(name):
    # with MPLBACKEND=Agg, plt.show() does nothing: the script runs to the end;
    # School and Landmine are read from SKMTL_DATA when the data are there
    data = {"SKMTL_DATA": str(SCHOOL_DATA)} if SCHOOL_DATA.is_dir() else {}
    out = run_example(name, timeout=300, **data)
    assert out.strip(), f"{name} printed nothing"
    if data and name in ("plot_school.py", "plot_landmine.py"):
        assert "not available" not in out, out
