"""Per-column Grams by subtraction (missing targets) against their definition.

``skmtl.solvers._gram`` builds the Gram of a column that lacks a few rows of
``X`` as the shared Gram minus the lacking rows' outer products. Here every
moment is recomputed from its definition on the dense arrays (numpy only),
with random masks, row / entry weights, float32 designs, feature subsets,
large offsets, and columns that must take the direct route.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skmtl.datafits import Quadratic
from skmtl.penalties import L21
from skmtl.solvers import Problem, _gram


def definition(X, mask, Y, weights, features, center):
    """``H (s, s, T), C (s, T), k (T,), x_mean (s, T), y_mean (T,)``."""
    Xs = np.asarray(X, dtype=np.float64)[:, features]
    T = mask.shape[1]
    s = len(features)
    H, C = np.zeros((s, s, T)), np.zeros((s, T))
    k, xm, ym = np.zeros(T), np.zeros((s, T)), np.zeros(T)
    for t in range(T):
        w = np.where(mask[:, t], weights[:, t], 0.0)
        y = np.where(mask[:, t], Y[:, t], 0.0)
        if center and w.sum() > 0:
            xm[:, t] = w @ Xs / w.sum()
            ym[t] = w @ y / w.sum()
        Xc = Xs - xm[:, t]
        yc = np.where(mask[:, t], y - ym[t], 0.0)
        H[:, :, t] = (Xc * w[:, None]).T @ Xc
        C[:, t] = (Xc * w[:, None]).T @ yc
        k[t] = w @ (yc * yc)
    return H, C, k, xm, ym


def make(seed, n, d, T, missing, weighting, dtype, offset=0.0):
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((n, d)) + offset + rng.uniform(-1, 1, d)).astype(dtype)
    Y = rng.standard_normal((n, T)) + 3.0
    mask = rng.random((n, T)) >= missing
    if T > 2:
        mask[:, 1] = rng.random(n) < 0.2  # lacks most rows: the direct route
        mask[:, 2] = True  # lacks none
    weights = np.ones((n, T))
    if weighting == "rows":  # sample weights: every entry of a row alike
        weights = np.repeat(rng.choice([1.0, 2.0], n, p=[0.9, 0.1])[:, None], T, 1)
    elif weighting == "entries":
        weights = rng.uniform(0.5, 2.0, (n, T))
    weights = weights / np.maximum((weights * mask).sum(axis=0), 1e-300)
    cols, rows = np.nonzero(mask.T)  # sorted by column
    datafit = Quadratic(rows, cols, Y[rows, cols], weights[rows, cols], n, T)
    return X, Y, mask, weights, datafit


def _count_subtractions(monkeypatch):
    calls = []
    original = _gram._subtracted_moments

    def counted(*args, **kwargs):
        calls.append(args[2][0].size)  # planned columns
        return original(*args, **kwargs)

    monkeypatch.setattr(_gram, "_subtracted_moments", counted)
    return calls


@pytest.mark.parametrize("whole", [True, False])
@pytest.mark.parametrize("route", ["gemm", "syrk"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("weighting", ["columns", "rows", "entries"])
@pytest.mark.parametrize("shape", [(300, 12, 7), (60, 40, 5)])
def test_subtracted_grams_match_definition(monkeypatch, shape, weighting, center,
                                           dtype, route, whole):
    # the batched product or the symmetric rank-k updates (negative
    # coefficients: rows weighing more than the column's first entry); with
    # X[:, features] shifted as a whole (one SYRK per column: uniform and
    # mixed coefficients) or by chunks of rows
    monkeypatch.setattr(_gram, "_SYRK_ROWS", np.inf if route == "gemm" else 0.0)
    monkeypatch.setattr(_gram, "_WHOLE_ENTRIES", 2**22 if whole else 0)
    n, d, T = shape
    X, Y, mask, weights, datafit = make(0, n, d, T, 0.15, weighting, dtype)
    problem = Problem(X, datafit, L21(0.1), fit_intercept=center)
    calls = _count_subtractions(monkeypatch)
    for features in (np.arange(d), np.array([d - 1, 0, 3, 5])):
        model = _gram.gram_model(problem, features)
        H, C, k, xm, ym = definition(X, mask, Y, weights, features, center)
        scale = np.abs(H).max()
        assert_allclose(model.H, H, rtol=1e-10, atol=1e-12 * scale)
        assert_allclose(model.C, C, rtol=1e-10, atol=1e-12 * np.abs(C).max())
        assert_allclose(model.k, k, rtol=1e-10)
        assert_allclose(model.y_mean, ym, rtol=1e-12, atol=1e-12)
        if center:
            assert_allclose(model.x_mean, xm, rtol=1e-10, atol=1e-12)
        else:
            assert model.x_mean is None
    if weighting == "entries":
        # every entry deviates from its column's first weight: direct route
        assert calls == []
    else:
        # the column lacking most rows is left to the direct route
        assert calls and all(q < T for q in calls)


def test_subtraction_with_large_offsets_keeps_precision(monkeypatch):
    """Rows shifted by 1e4: the shift by the mean row keeps the centred
    Grams as accurate as the two-pass definition."""
    X, Y, mask, weights, datafit = make(1, 400, 10, 6, 0.2, "columns", np.float64,
                                        offset=1e4)
    problem = Problem(X, datafit, L21(0.1), fit_intercept=True)
    calls = _count_subtractions(monkeypatch)
    model = _gram.gram_model(problem, np.arange(10))
    H = definition(X, mask, Y, weights, np.arange(10), True)[0]
    assert calls
    assert_allclose(model.H, H, rtol=1e-8, atol=1e-10 * np.abs(H).max())


def test_empty_and_zero_weight_columns(monkeypatch):
    rng = np.random.default_rng(2)
    n, d, T = 200, 6, 5
    X = rng.standard_normal((n, d))
    Y = rng.standard_normal((n, T))
    mask = rng.random((n, T)) > 0.1
    mask[:, 3] = False  # no entry at all
    weights = np.where(mask, 1.0 / np.maximum(mask.sum(axis=0), 1), 0.0)
    weights[:, 4] = 0.0  # entries of zero weight
    cols, rows = np.nonzero(mask.T)
    datafit = Quadratic(rows, cols, Y[rows, cols], weights[rows, cols], n, T)
    problem = Problem(X, datafit, L21(0.1), fit_intercept=True)
    calls = _count_subtractions(monkeypatch)
    model = _gram.gram_model(problem, np.arange(d))
    H, C, k, xm, ym = definition(X, mask, Y, weights, np.arange(d), True)
    assert calls
    assert np.all(np.isfinite(model.H)) and np.all(np.isfinite(model.x_mean))
    assert_allclose(model.H, H, rtol=1e-10, atol=1e-12 * np.abs(H).max())
    assert_allclose(model.C, C, rtol=1e-10, atol=1e-12 * np.abs(C).max())
    assert_allclose(model.x_mean, xm, atol=1e-12)
    assert_allclose(model.y_mean, ym, atol=1e-12)


@pytest.mark.parametrize("chunk", [150, 600, 5000])
@pytest.mark.parametrize("center", [True, False])
def test_subtraction_in_bounded_blocks(monkeypatch, chunk, center):
    """Small chunks: groups of a few columns, single columns in row chunks
    (memory bounded by the chunk), and the same moments."""
    monkeypatch.setattr(_gram, "_CHUNK_ENTRIES", chunk)
    X, Y, mask, weights, datafit = make(3, 250, 10, 9, 0.2, "rows", np.float64)
    problem = Problem(X, datafit, L21(0.1), fit_intercept=center)
    calls = _count_subtractions(monkeypatch)
    features = np.arange(10)
    model = _gram.gram_model(problem, features)
    H, C, k, xm, ym = definition(X, mask, Y, weights, features, center)
    assert calls
    assert_allclose(model.H, H, rtol=1e-10, atol=1e-12 * np.abs(H).max())
    assert_allclose(model.C, C, rtol=1e-10, atol=1e-12 * np.abs(C).max())
    assert_allclose(model.k, k, rtol=1e-10)
    if center:
        assert_allclose(model.x_mean, xm, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("weighting", ["columns", "rows"])
def test_constant_targets_give_exact_zero_moments(monkeypatch, weighting):
    """Targets equal within each column do not depend on X: the centred
    targets, hence ``C`` and every fitted ``W``, are exactly zero."""
    X, Y, mask, weights, _ = make(4, 300, 8, 6, 0.2, weighting, np.float64)
    values = np.array([0.1, 3.7, -2.3, 1e3, 1 / 3, 7.0])
    cols, rows = np.nonzero(mask.T)
    datafit = Quadratic(rows, cols, values[cols], weights[rows, cols], 300, 6)
    problem = Problem(X, datafit, L21(0.1), fit_intercept=True)
    calls = _count_subtractions(monkeypatch)
    model = _gram.gram_model(problem, np.arange(8))
    assert calls
    subtracted = np.arange(6) != 1  # column 1 lacks most rows: direct route
    assert np.all(model.C[:, subtracted] == 0.0)
    assert np.all(model.k[subtracted] == 0.0)
    assert np.array_equal(model.y_mean[subtracted], values[subtracted])
    assert_allclose(model.C, 0.0, atol=1e-12)


@pytest.mark.parametrize("every", [True, False])
def test_entries_out_of_row_order_within_a_column(monkeypatch, every):
    """The targets are gathered by chunks of rows from each column's slice of
    entries; entries whose rows are not ascending within a column (not what
    the estimators make, but a valid datafit) give the same moments."""
    n, d, T = 300, 8, 5
    X, Y, mask, weights, datafit = make(4, n, d, T, 0.15, "columns", np.float64)
    rng = np.random.default_rng(0)
    rows, cols = datafit.entries()
    order = np.lexsort((rng.random(rows.size), cols))  # shuffled within columns
    shuffled = Quadratic(rows[order], cols[order], datafit.entry_targets[order],
                         datafit.entry_weights[order], n, T)
    problem = Problem(X, shuffled, L21(0.1), fit_intercept=True)
    monkeypatch.setattr(_gram, "_CHUNK_ENTRIES", 8 * 40)  # chunks of 40 rows
    calls = _count_subtractions(monkeypatch)
    features = np.arange(d) if every else np.array([5, 0, 2])
    model = _gram.gram_model(problem, features)
    H, C, k, xm, ym = definition(X, mask, Y, weights, features, True)
    assert calls
    assert_allclose(model.H, H, rtol=1e-10, atol=1e-12 * np.abs(H).max())
    assert_allclose(model.C, C, rtol=1e-10, atol=1e-12 * np.abs(C).max())
    assert_allclose(model.k, k, rtol=1e-10)


# -- Grams built in turn (their buffers not shared) -------------------------------
@pytest.mark.parametrize("route", ["gemm", "syrk"])
def test_grams_built_in_turn_match_definition(monkeypatch, route):
    """Grams of problems of one shape built in turn, kept alive together or
    dropped between builds, each equal to its definition: nothing of an
    earlier Gram leaks into a later one (the work arrays are written in
    place, uninitialised ones included)."""
    monkeypatch.setattr(_gram, "_SYRK_ROWS", np.inf if route == "gemm" else 0.0)
    n, d, T = 120, 9, 6
    alive = []
    for seed in range(4):
        X, Y, mask, weights, datafit = make(10 + seed, n, d, T, 0.15 + 0.05 * seed,
                                            "columns", np.float64)
        problem = Problem(X, datafit, L21(0.1), fit_intercept=True)
        model = _gram.gram_model(problem, np.arange(d))
        grams = model.column_grams()
        H = definition(X, mask, Y, weights, np.arange(d), True)[0]
        assert_allclose(model.H, H, rtol=1e-10, atol=1e-12 * np.abs(H).max())
        assert_allclose(grams, np.moveaxis(H, 2, 0), rtol=1e-10,
                        atol=1e-12 * np.abs(H).max())
        if seed % 2 == 0:
            alive.append((model, H))  # kept: later builds must not change it
        del model, grams
    for model, H in alive:  # unchanged by the later builds
        assert_allclose(model.H, H, rtol=1e-10, atol=1e-12 * np.abs(H).max())
        assert_allclose(model.column_grams(), np.moveaxis(H, 2, 0), rtol=1e-10,
                        atol=1e-12 * np.abs(H).max())


@pytest.mark.parametrize("compiled", [True, False])
def test_column_products_match_definition(monkeypatch, compiled):
    """``GramModel.hessian_product`` with per-column Grams: the compiled
    product (large Grams) and the einsum (numba absent) against the
    per-column matrix products."""
    if compiled:
        pytest.importorskip("numba")
    else:
        monkeypatch.setattr(_gram, "_compiled_products", [None])
    monkeypatch.setattr(_gram, "_COMPILED_ENTRIES", 0)
    rng = np.random.default_rng(5)
    for s, T in [(1, 1), (7, 3), (40, 9)]:
        A = rng.standard_normal((T, s, s))
        H = np.ascontiguousarray(np.moveaxis(A @ A.transpose(0, 2, 1), 0, 2))
        W = rng.standard_normal((s, T))
        expected = np.column_stack([H[:, :, t] @ W[:, t] for t in range(T)])
        model = _gram.GramModel(np.arange(s), np.zeros((s, T)), np.zeros(T),
                                np.zeros(T), None, H=H)
        assert_allclose(model.hessian_product(W), expected, rtol=1e-12,
                        atol=1e-12 * np.abs(expected).max())
        assert_allclose(model.hessian_product(np.asfortranarray(W)), expected,
                        rtol=1e-12, atol=1e-12 * np.abs(expected).max())


@pytest.mark.parametrize("center", [True, False])
def test_stacked_design_grams_from_its_block(monkeypatch, center):
    """A design declared ``[X, X]`` (a decomposed model's): the Grams of the
    first block's features, and of the second's, by subtraction equal the
    definition on ``X``."""
    X, Y, mask, weights, datafit = make(5, 200, 7, 6, 0.2, "columns", np.float64)
    problem = Problem(np.hstack([X, X]), datafit, L21(0.1), fit_intercept=center)
    problem.declare_stacked(2, X)
    calls = _count_subtractions(monkeypatch)
    H, C, k, xm, ym = definition(X, mask, Y, weights, np.arange(7), center)
    for features in (np.arange(7), np.arange(7, 14), np.array([8, 2, 3])):
        model = _gram.gram_model(problem, features)
        local = features % 7
        index = np.ix_(local, local)
        assert_allclose(model.H, H[index], rtol=1e-10,
                        atol=1e-12 * np.abs(H).max())
        assert_allclose(model.C, C[local], rtol=1e-10,
                        atol=1e-12 * np.abs(C).max())
        assert_allclose(model.k, k, rtol=1e-10)
    assert len(calls) == 3


def test_grams_laid_out_by_column_serve_before_h_is_laid_out():
    """A model built from (T, s, s) Grams: products, diagonal, row updates,
    restriction and eigenvalues against the per-column matrices, without
    and with ``H`` laid out (s, s, T)."""
    rng = np.random.default_rng(6)
    s, T = 9, 4
    A = rng.standard_normal((T, s, s))
    grams = A @ A.transpose(0, 2, 1)
    W = rng.standard_normal((s, T))
    positions = np.array([6, 1, 4])
    for laid_out in (False, True):
        model = _gram.GramModel(np.arange(s), np.zeros((s, T)), np.zeros(T),
                                np.zeros(T), None, grams=grams.copy())
        if laid_out:
            assert_allclose(model.H, np.moveaxis(grams, 0, 2), rtol=0, atol=0)
        assert_allclose(model.hessian_product(W),
                        np.column_stack([grams[t] @ W[:, t] for t in range(T)]),
                        rtol=1e-12)
        assert_allclose(model.diagonal(), np.column_stack(
            [np.diag(grams[t]) for t in range(T)]), rtol=0)
        assert_allclose(model.column_update(2, W[2]),
                        np.column_stack([grams[t][:, 2] * W[2, t] for t in range(T)]),
                        rtol=1e-12)
        small = model.restrict(positions)
        assert_allclose(small.column_grams(),
                        grams[:, positions[:, None], positions[None, :]], rtol=0)
        values, _ = model.eigen()
        assert_allclose(values, np.linalg.eigvalsh(grams), rtol=1e-10)
