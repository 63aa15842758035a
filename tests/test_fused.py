"""Fused group lasso over ordered tasks.

References in tests/_models_reference.py import nothing from skmtl: the TV
prox from its dual (a box-constrained least-squares solve), accelerated
proximal gradient, and the subdifferential distance as a bounded
least-squares problem.
"""

import numpy as np
import pytest
from _models_reference import (
    fista,
    fused_subgradient_distance,
    fused_value,
    group_shrink,
    lipschitz,
    logistic_loss,
    missing,
    soft,
    squared_loss,
    tv_prox_dual,
)
from numpy.testing import assert_allclose
from sklearn.base import is_classifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmtl import FusedTaskClassifier, FusedTaskRegressor, alpha_max
from skmtl.penalties._fused import FusedGroupLasso, tv_prox

TIGHT = dict(tol=1e-13, max_iter=100000)


def _data(seed=0, n=40, d=6, T=5, classification=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = np.zeros((d, T))
    W[0] = [1, 1, 1, 2, 2][:T]
    W[1] = [0, 0, -1, -1, -1][:T]
    W[2] = 0.5
    Z = X @ W + 0.3 + 0.4 * rng.standard_normal((n, T))
    Y = (Z > 0.3).astype(float) if classification else Z
    return X, missing(Y, 0.2, rng)


def _reference_prox(V, step, alpha, l1, fused):
    rows = [soft(tv_prox_dual(v, step * fused), step * l1) for v in V]
    return group_shrink(np.array(rows), step * alpha)


def _reference(X, Y, alpha, l1, fused, loss, curvature, n_iter=400):
    d, T = X.shape[1], Y.shape[1]
    return fista(
        lambda W, b: loss(X, Y, W, b), lambda W: (0.0, 0.0),
        lambda V, step: _reference_prox(V, step, alpha, l1, fused),
        lambda W: fused_value(W, alpha, l1, fused),
        np.zeros((d, T)), np.zeros(T), lipschitz(X, Y, curvature), n_iter,
    )


def test_tv_prox_matches_its_dual():
    rng = np.random.default_rng(0)
    for _ in range(300):
        T = int(rng.integers(1, 10))
        y = np.round(rng.standard_normal(T) * 3, int(rng.integers(0, 3)))
        lam = float(rng.choice([0.01, 0.3, 1.0, 10.0]))
        assert_allclose(tv_prox(y, lam), tv_prox_dual(y, lam), atol=1e-10)


def test_composed_prox_is_the_prox():
    """``v - prox(v)`` lies in ``step`` times the subdifferential at the prox."""
    rng = np.random.default_rng(1)
    for alpha, l1, fused in [(0.3, 0.2, 0.4), (1.0, 0.0, 0.5), (0.1, 0.5, 2.0)]:
        penalty = FusedGroupLasso(alpha, l1, fused)
        for _ in range(20):
            v, step = rng.standard_normal(6) * 2, float(rng.uniform(0.2, 2))
            p = penalty.prox(v[None], step)[0]
            dist = fused_subgradient_distance(p, (v - p) / step, alpha, l1, fused)
            assert dist <= 1e-9


@pytest.mark.parametrize("l1", [0.0, 0.02])
def test_regression_objective_matches_reference(l1):
    X, Y = _data()
    alpha, fused = 0.05, 0.05
    model = FusedTaskRegressor(alpha=alpha, l1=l1, fused=fused, **TIGHT).fit(X, Y)
    W, b = model.coef_.T, model.intercept_
    ours = squared_loss(X, Y, W, b)[0] + fused_value(W, alpha, l1, fused)
    *_, reference = _reference(X, Y, alpha, l1, fused, squared_loss, 1.0)
    assert abs(ours - reference) <= 1e-6 * abs(reference)
    assert 0 <= model.dual_gap_ <= 1e-10


def test_classifier_objective_matches_reference():
    X, Y = _data(1, classification=True)
    alpha, l1, fused = 0.02, 0.005, 0.02
    model = FusedTaskClassifier(alpha=alpha, l1=l1, fused=fused, tol=1e-10,
                                max_iter=10000).fit(X, Y)
    W, b = model.coef_.T, model.intercept_
    ours = logistic_loss(X, Y, W, b)[0] + fused_value(W, alpha, l1, fused)
    *_, reference = _reference(X, Y, alpha, l1, fused, logistic_loss, 0.25)
    assert abs(ours - reference) <= 1e-6 * abs(reference)


def test_optimality_conditions_and_structure():
    X, Y = _data(2)
    alpha, l1, fused = 0.08, 0.01, 0.05
    model = FusedTaskRegressor(alpha=alpha, l1=l1, fused=fused, **TIGHT).fit(X, Y)
    W, b = model.coef_.T, model.intercept_
    _, G, gb = squared_loss(X, Y, W, b)
    assert_allclose(gb, 0.0, atol=1e-10)
    for w, g in zip(W, G, strict=True):
        assert fused_subgradient_distance(w, -g, alpha, l1, fused) <= 1e-6
    assert np.any(np.all(W == 0, axis=1))  # whole features removed
    assert np.any(np.diff(W[0]) == 0)  # fused neighbours
    assert model.kkt_violation_ <= 1e-6


def test_alpha_max():
    X, Y = _data(3)
    model = FusedTaskRegressor(l1=0.01, fused=0.05, **TIGHT)
    top = alpha_max(model, X, Y)
    assert not np.any(model.set_params(alpha=1.001 * top).fit(X, Y).coef_)
    assert np.any(model.set_params(alpha=0.99 * top).fit(X, Y).coef_)


def test_reversing_tasks_reverses_coef():
    X, Y = _data(4)
    params = dict(alpha=0.05, l1=0.01, fused=0.05, **TIGHT)
    W = FusedTaskRegressor(**params).fit(X, Y).coef_
    Wr = FusedTaskRegressor(**params).fit(X, Y[:, ::-1]).coef_
    assert_allclose(Wr, W[::-1], atol=1e-8)


def test_alpha_zero_and_errors():
    X, Y = _data(5)
    model = FusedTaskRegressor(alpha=0.0, l1=0.03, fused=0.05, **TIGHT).fit(X, Y)
    W, b = model.coef_.T, model.intercept_
    _, G, _ = squared_loss(X, Y, W, b)
    for w, g in zip(W, G, strict=True):
        assert fused_subgradient_distance(w, -g, 0.0, 0.03, 0.05) <= 1e-6
    with pytest.raises(ValueError, match="only the fused"):
        FusedTaskRegressor(alpha=0.0, l1=0.0, fused=0.1).fit(X, Y)


def test_warm_start():
    X, Y = _data(6)
    model = FusedTaskRegressor(alpha=0.05, fused=0.05, tol=1e-10, warm_start=True)
    first = model.fit(X, Y).n_iter_
    assert model.fit(X, Y).n_iter_ <= max(first // 2, 1)


def _expected_failed(estimator):
    if is_classifier(estimator):
        return {"check_classifier_multioutput": "predict_proba is a list per task"}
    return {}


@parametrize_with_checks([FusedTaskRegressor(), FusedTaskClassifier()],
                         expected_failed_checks=_expected_failed)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("l1, fused", [(0.0, 0.3), (0.2, 0.3), (0.2, 0.0)])
def test_violation_matches_bounded_least_squares(l1, fused):
    """The run-by-run distance (taut strings) equals the bounded least-squares
    distance of the reference, rows with zero entries and equal neighbours."""
    rng = np.random.default_rng(7)
    T, alpha = 8, 0.5
    W = np.round(rng.standard_normal((30, T)), 0)  # ties and zeros
    W[:3] = 0.0
    W[3] = [1, 1, 0, 0, 0, 2, 2, -1]
    G = rng.standard_normal(W.shape)
    penalty = FusedGroupLasso(alpha, l1, fused)
    ours = penalty.violation(W, G)
    reference = np.sqrt(sum(
        fused_subgradient_distance(w, -g, alpha, l1, fused) ** 2
        for w, g in zip(W, G, strict=True)
    ))
    assert_allclose(ours, reference, rtol=1e-9)


def test_compiled_taut_string_equals_the_python_one():
    from skmtl.penalties._fused import tv_prox_rows

    rng = np.random.default_rng(8)
    for T in (2, 3, 9):
        V = rng.standard_normal((40, T)) * rng.integers(0, 3, (40, 1))
        for lam in (0.01, 0.4, 3.0):
            expected = np.array([tv_prox(v, lam) for v in V])
            np.testing.assert_array_equal(tv_prox_rows(V, lam), expected)


@pytest.mark.parametrize("alpha, l1, fused", [(0.3, 0.2, 0.4), (0.0, 0.2, 0.4),
                                              (3.0, 0.1, 0.2), (0.5, 0.0, 0.0)])
def test_compiled_admm_prox_matches_the_reference_prox(alpha, l1, fused):
    """The fused prox of the compiled ADMM (skmtl.solvers._admm_kernels)
    against the reference composition (TV prox from its dual, soft
    thresholding, group shrinkage), rows zeroed by the group included."""
    pytest.importorskip("numba")
    from skmtl.penalties._fused import FusedLasso
    from skmtl.solvers import _admm_kernels

    rng = np.random.default_rng(4)
    V = rng.standard_normal((15, 6)) * 2
    V[2] *= 0.05
    penalty = FusedGroupLasso(alpha, l1, fused) if alpha else FusedLasso(l1, fused)
    for step in (0.3, 1.0):
        got = _admm_kernels.prox(penalty, V, step)
        assert_allclose(got, _reference_prox(V, step, alpha, l1, fused), atol=1e-9)


def test_compiled_and_numpy_admm_agree(monkeypatch):
    pytest.importorskip("numba")
    from skmtl.solvers import _admm_kernels

    X, Y = _data(5)
    params = dict(alpha=0.05, l1=0.01, fused=0.05, tol=1e-10, max_iter=20000)
    compiled = FusedTaskRegressor(**params).fit(X, Y)
    monkeypatch.setattr(_admm_kernels, "stepper", lambda *args: None)
    plain = FusedTaskRegressor(**params).fit(X, Y)
    values = [squared_loss(X, Y, m.coef_.T, m.intercept_)[0]
              + fused_value(m.coef_.T, 0.05, 0.01, 0.05) for m in (compiled, plain)]
    assert abs(values[0] - values[1]) <= 1e-8 * abs(values[1])
    assert compiled.dual_gap_ <= 1e-9 and plain.dual_gap_ <= 1e-9


def test_compiled_kkt_distance_equals_the_python_one(monkeypatch):
    """The compiled free-subgradient distances (runs of equal entries, taut
    strings) give the KKT distance of the Python loop over rows."""
    pytest.importorskip("numba")
    import skmtl.penalties._fused as fused_module

    rng = np.random.default_rng(6)
    W = np.round(rng.standard_normal((30, 7)), 0)  # zeros and equal neighbours
    W[3] = 0.0
    G = rng.standard_normal((30, 7))
    for alpha, l1, fused in [(0.3, 0.2, 0.4), (0.3, 0.0, 0.4), (0.3, 0.2, 0.0)]:
        penalty = FusedGroupLasso(alpha, l1, fused)
        compiled = penalty.violation(W, G)
        with monkeypatch.context() as patch:
            patch.setattr(fused_module, "_numba_available", lambda: False)
            plain = penalty.violation(W, G)
        assert_allclose(compiled, plain, rtol=1e-12)


def test_compiled_free_distances_match_the_python_ones():
    """The compiled free distances (runs of equal entries copied out for the
    taut string) equal :meth:`FusedGroupLasso._free_distance`, squared, on
    rows with runs of every length, zero runs, and runs at both ends."""
    pytest.importorskip("numba")
    from skmtl.penalties._fused import _kernels

    rng = np.random.default_rng(5)
    for l1, fused in [(0.3, 0.5), (0.0, 0.4), (0.2, 0.0)]:
        penalty = FusedGroupLasso(0.1, l1, fused)
        W = rng.choice([-1.0, 0.0, 0.5, 2.0], size=(40, 12))
        W[:, 3:7] = W[:, [3]]  # a run inside
        W[::3, :4] = 0.0  # a zero run at the start
        W[1::4, -5:] = W[1::4, [-1]]  # a run at the end
        target = rng.standard_normal(W.shape) * 2
        out = np.empty(W.shape[0])
        _kernels()["free"](W, target, l1, fused, out)
        expected = [penalty._free_distance(w, r) ** 2
                    for w, r in zip(W, target, strict=True)]
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
