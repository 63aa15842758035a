"""Proximal Newton with the exact multinomial Hessian blocks
(:mod:`skmtl.solvers._exact_newton`).

Every certificate is written here from the definitions: the multinomial /
logistic gradient (``_solver_reference.logistic_parts``, which imports
nothing from skmtl), the penalties' subdifferentials, and long FISTA runs
on the objectives written out below. Tasks differ in their classes (binary,
3 and 4 classes), targets are missing and rows and tasks are weighted.
"""

import warnings

import numpy as np
import pytest
from _solver_reference import (
    fista,
    l1,
    l1_violation,
    l21,
    l21_violation,
    logistic_parts,
    nuclear,
    nuclear_violation,
    prox,
    weights_of,
)
from sklearn.exceptions import ConvergenceWarning

import skmtl
import skmtl.solvers._exact_newton as exact_module
import skmtl.solvers._prox_newton as newton_module
from skmtl._data import ColumnLayout, target_weights, validate_classification_targets
from skmtl.datafits import Logistic
from skmtl.datasets import make_ill_conditioned_tasks
from skmtl.penalties import L1, L21, NoPenalty, TraceNorm
from skmtl.solvers import Problem, minimize


def mixed_data(seed, classes=(2, 3, 4), n_per_task=60, d=5, missing=0.2):
    """Labels 0..K_t-1 per task (NaN: missing); every class present."""
    rng = np.random.default_rng(seed)
    T = len(classes)
    n = n_per_task * T
    X = rng.standard_normal((n, d))
    Y = np.full((n, T), np.nan)
    for t, K in enumerate(classes):
        scores = X @ rng.standard_normal((d, K)) + rng.gumbel(size=(n, K))
        Y[:, t] = scores.argmax(axis=1)
    Y[rng.random(Y.shape) < missing] = np.nan
    for t, K in enumerate(classes):
        rows = np.flatnonzero(~np.isnan(Y[:, t]))[:K]
        Y[rows, t] = np.arange(K)
    sw = rng.uniform(0.5, 2.0, n)
    tw = rng.uniform(0.5, 2.0, T)
    return X, Y, sw, tw


def widths_of(classes):
    return [1 if K == 2 else K for K in classes]


def problem_of(X, Y, sw, tw, penalty, *, fit_intercept=True, ridge=0.0,
               coupling=None):
    targets = validate_classification_targets(Y, X.shape[0])
    weights = target_weights(targets, sw, tw)
    layout = ColumnLayout.from_classes(targets.classes)
    datafit = Logistic(targets.entry_rows, targets.entry_tasks, targets.entry_codes,
                       weights, X.shape[0], layout)
    return Problem(X, datafit, penalty, fit_intercept=fit_intercept, ridge=ridge,
                   coupling=coupling)


def kkt_sequence(problem, n_steps):
    """KKT distance after 0, 1, ... Newton steps (the solver restarted with
    ``max_iter = k``: the same deterministic path cut at step ``k``)."""
    return [minimize(problem, tol=1e-14, max_iter=k).kkt for k in range(n_steps)]


CLASSES = (2, 3, 4)


@pytest.mark.parametrize("case", ["plain", "stacked", "wide"])
def test_exact_model_is_the_second_order_expansion(case):
    """The model's Hessian product against central differences of the
    gradient written in the test (mixed classes, missing, weights); for a
    decomposed model over ``[P; Q]`` (design ``[X, X]``) and for blocks
    large enough for the power iterations."""
    d = 80 if case == "wide" else 5
    X, Y, sw, tw = mixed_data(0, d=d)
    widths = widths_of(CLASSES)
    q = sum(widths)
    ridge = 0.3
    if case == "stacked":
        est = skmtl.DirtyClassifier(alpha=0.02, l1=0.01, ridge=ridge, task_weights=tw)
        Xv, _, datafit = est._prepare(X, Y, sw)
        problem, _ = est._build_problem(Xv, datafit)
        assert exact_module.stacked_blocks(problem) == 2
    else:
        problem = problem_of(X, Y, sw, tw, L21(0.01), ridge=ridge)
    B = problem.n_features // d
    rng = np.random.default_rng(1)
    W = 0.3 * rng.standard_normal((B * d, q)) / np.sqrt(d)
    b = 0.2 * rng.standard_normal(q)
    z = problem.linear_predictor(W) + b[problem.cols]
    model = exact_module.ExactModel(problem, z)
    DW, Db = rng.standard_normal((B * d, q)), rng.standard_normal(q)
    HW, Hb = model.apply(DW, Db)
    weights = weights_of(Y, sw, tw)
    eps = 1e-5

    def grads(s):
        V = W + s * DW
        S = V.reshape(B, d, q).sum(axis=0)
        _, GW, Gb = logistic_parts(X, Y, S, b + s * Db, weights, widths)
        return np.vstack([GW] * B) + ridge * V, Gb

    (GWp, Gbp), (GWm, Gbm) = grads(eps), grads(-eps)
    np.testing.assert_allclose(HW, (GWp - GWm) / (2 * eps), atol=1e-7)
    np.testing.assert_allclose(Hb, (Gbp - Gbm) / (2 * eps), atol=1e-7)
    # the step size bound is at least the largest curvature of the model
    # (power iterations on the wide blocks: from below the largest
    # eigenvalue, lifted by 5%; here checked along the top eigenvector of
    # the model's matrix, formed column by column)
    N = DW.size + Db.size
    columns = []
    for k in range(N):
        e = np.zeros(N)
        e[k] = 1.0
        hw, hb = model.apply(e[:DW.size].reshape(DW.shape), e[DW.size:])
        columns.append(np.concatenate([hw.ravel(), hb]))
    top = np.linalg.eigvalsh(np.array(columns))[-1]
    assert model.lipschitz() >= top * (1 - 1e-9)
    assert model.lipschitz() <= (B * 1.06) * top + ridge


def _penalised(name, alpha):
    return {"l21": L21(alpha), "l1": L1(alpha), "trace": TraceNorm(alpha)}[name]


def _violation(name, W, GW, alpha):
    if name == "l21":
        return l21_violation(W, GW, alpha)
    if name == "l1":
        return l1_violation(W, GW, alpha)
    return nuclear_violation(W, GW, alpha)[0]


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("name", ["l21", "l1", "trace"])
def test_multinomial_kkt_and_reference(name, fit_intercept):
    """Optimality at the returned point (gradient and subdifferential written
    here) and the objective of a long FISTA run to 1e-6."""
    X, Y, sw, tw = mixed_data(2)
    widths = widths_of(CLASSES)
    weights = weights_of(Y, sw, tw)
    q = sum(widths)
    _, G0, _ = logistic_parts(X, Y, np.zeros((5, q)), np.zeros(q), weights, widths)
    alpha = 0.05 * np.abs(G0).max()
    problem = problem_of(X, Y, sw, tw, _penalised(name, alpha),
                         fit_intercept=fit_intercept)
    result = minimize(problem, tol=1e-10, max_iter=200)
    assert result.status == "converged", result
    assert result.solver == "proximal Newton"  # no fallback needed
    W, b = result.W, result.b
    value, GW, Gb = logistic_parts(X, Y, W, b, weights, widths)
    scale = np.abs(G0).max()
    assert _violation(name, W, GW, alpha) <= 1e-7 * scale
    if fit_intercept:
        assert np.abs(Gb).max() <= 1e-7 * scale
    penalty = {"l21": l21, "l1": l1, "trace": nuclear}[name]
    mine = value + alpha * penalty(W)
    ref = _fista_reference(X, Y, weights, widths, lambda V, s: prox(name, V, s * alpha),
                           lambda V: alpha * penalty(V), fit_intercept)
    assert abs(mine - ref) <= 1e-6 * abs(ref)
    assert mine <= ref + 1e-9 * abs(ref)


def _fista_reference(X, Y, weights, widths, prox_step, penalty_value,
                     fit_intercept=True, d_blocks=1, n_iter=20000):
    """FISTA over ``(W_1, ..., W_B, b)`` with ``W = sum W_b`` (``d_blocks``
    blocks of the features); returns the best objective."""
    n, d = X.shape
    q = int(np.sum(widths))
    Xa = np.hstack([X] * d_blocks + ([np.ones((n, 1))] if fit_intercept else []))
    wmax = weights.max(axis=1)
    L = 0.5 * np.linalg.eigvalsh(Xa.T @ (wmax[:, None] * Xa))[-1]
    D = d * d_blocks

    def split(V):
        W = V[:D].reshape(d_blocks, d, q).sum(axis=0)
        return W, (V[D] if fit_intercept else np.zeros(q))

    def value(V):
        W, b = split(V)
        return logistic_parts(X, Y, W, b, weights, widths)[0] + penalty_value(V[:D])

    def grad(V):
        W, b = split(V)
        _, GW, Gb = logistic_parts(X, Y, W, b, weights, widths)
        G = np.vstack([GW] * d_blocks)
        return np.vstack([G, Gb[None]]) if fit_intercept else G

    def prox_all(V, step):
        out = V.copy()
        out[:D] = prox_step(V[:D], step)
        return out

    V = fista(value, grad, prox_all, np.zeros((Xa.shape[1], q)), L, n_iter)
    return value(V)


def test_no_penalty_with_coupling_and_ridge():
    """Mean-regularised coupling and ridge, no penalty: the gradient of the
    whole smooth objective (written here) vanishes; superlinear steps."""
    X, Y, sw, tw = mixed_data(3)
    widths = widths_of(CLASSES)
    q = sum(widths)
    rng = np.random.default_rng(4)
    A = rng.standard_normal((q, q))
    C = 0.05 * A @ A.T
    problem = problem_of(X, Y, sw, tw, NoPenalty(), ridge=0.01, coupling=C)
    result = minimize(problem, tol=1e-11, max_iter=100)
    assert result.status == "converged"
    W, b = result.W, result.b
    _, GW, Gb = logistic_parts(X, Y, W, b, weights_of(Y, sw, tw), widths)
    assert np.abs(GW + 0.01 * W + W @ C).max() <= 1e-8
    assert np.abs(Gb).max() <= 1e-8


def _ratios(kkts, floor):
    """Ratios of successive KKT distances once below ``floor`` (the last
    step that reaches the tolerance excluded: it may stop on rounding)."""
    kkts = np.asarray(kkts)
    return kkts[1:][kkts[:-1] < floor] / kkts[:-1][kkts[:-1] < floor]


@pytest.mark.parametrize("name", ["l21", "l1", "trace"])
def test_superlinear_near_the_optimum(name):
    """Near the optimum each Newton step divides the KKT distance by more
    than 10 (the isotropic majorisation gave ratios of about 0.9)."""
    X, Y, sw, tw = mixed_data(5)
    widths = widths_of(CLASSES)
    q = sum(widths)
    _, G0, _ = logistic_parts(X, Y, np.zeros((5, q)), np.zeros(q),
                              weights_of(Y, sw, tw), widths)
    scale = np.abs(G0).max()
    problem = problem_of(X, Y, sw, tw, _penalised(name, 0.05 * scale))
    kkts = kkt_sequence(problem, 9)
    ratios = _ratios([k for k in kkts if k > 1e-12 * scale], 1e-3 * scale)
    assert ratios.size >= 1, kkts
    assert np.all(ratios <= 0.1), (kkts, ratios)


DECOMPOSED = ["Dirty", "RobustFeature", "SparseLowRank"]


def _decomposed_case(name, classes):
    X, Y, sw, tw = mixed_data(6, classes=classes, n_per_task=50, d=4)
    if name == "Dirty":
        est = skmtl.DirtyClassifier(alpha=0.02, l1=0.015, task_weights=tw)
    elif name == "RobustFeature":
        est = skmtl.RobustFeatureClassifier(alpha=0.02, beta=0.03, task_weights=tw)
    else:
        est = skmtl.SparseLowRankClassifier(alpha=0.02, l1=0.01, task_weights=tw)
    return X, Y, sw, tw, est


def _linf1_violation(P, G, alpha, rel=1e-7):
    """``-G_j in alpha d max_t |P_jt|`` row by row."""
    out = 0.0
    for p, g in zip(P, G, strict=True):
        top = np.abs(p).max()
        if top == 0:
            out = max(out, np.abs(g).sum() - alpha)
            continue
        on = np.abs(p) >= top * (1 - rel)
        out = max(out, np.abs(g[~on]).max(initial=0.0),
                  np.abs(np.abs(g[on]).sum() - alpha),
                  np.max(np.maximum(g[on] * np.sign(p[on]), 0.0)))
    return out


def _group_violation(Q, G, beta, starts):
    out = 0.0
    for lo, hi in zip(starts[:-1], starts[1:], strict=True):
        q, g = Q[:, lo:hi], G[:, lo:hi]
        norm = np.linalg.norm(q)
        if norm == 0:
            out = max(out, np.linalg.norm(g) - beta)
        else:
            out = max(out, np.abs(g + beta * q / norm).max())
    return out


def _decomposed_parts(name, est, widths):
    """Prox and value of the stacked penalty (the blocks in the estimator's
    order, d rows each), and the KKT violation of ``(P, Q)`` given the loss's
    gradient."""
    starts = np.concatenate([[0], np.cumsum(widths)])
    d = None

    def project_l1(v, r):
        if np.abs(v).sum() <= r:
            return v
        u = np.sort(np.abs(v))[::-1]
        css = np.cumsum(u) - r
        k = np.flatnonzero(u - css / np.arange(1, u.size + 1) > 0)[-1]
        return np.sign(v) * np.maximum(np.abs(v) - css[k] / (k + 1), 0.0)

    if name == "Dirty":
        a, c = est.alpha, est.l1

        def prox_step(V, s):
            d = V.shape[0] // 2
            P = V[:d] - np.array([project_l1(v, s * a) for v in V[:d]])
            return np.vstack([P, prox("l1", V[d:], s * c)])

        def value(V):
            d = V.shape[0] // 2
            return a * np.abs(V[:d]).max(axis=1).sum() + c * l1(V[d:])

        def violation(P, Q, G):
            return max(_linf1_violation(P, G, a), l1_violation(Q, G, c))
    elif name == "RobustFeature":
        a, c = est.alpha, est.beta

        def prox_step(V, s):
            d = V.shape[0] // 2
            Q = V[d:].copy()
            for lo, hi in zip(starts[:-1], starts[1:], strict=True):
                norm = np.linalg.norm(Q[:, lo:hi])
                Q[:, lo:hi] *= max(1 - s * c / max(norm, 1e-300), 0.0)
            return np.vstack([prox("l21", V[:d], s * a), Q])

        def value(V):
            d = V.shape[0] // 2
            return a * l21(V[:d]) + c * sum(
                np.linalg.norm(V[d:, lo:hi]) for lo, hi in zip(starts[:-1], starts[1:],
                                                               strict=True))

        def violation(P, Q, G):
            return max(l21_violation(P, G, a), _group_violation(Q, G, c, starts))
    else:  # the trace norm of Q's columns (classes included)
        a, c = est.alpha, est.l1

        def prox_step(V, s):
            d = V.shape[0] // 2
            return np.vstack([prox("trace", V[:d], s * a), prox("l1", V[d:], s * c)])

        def value(V):
            d = V.shape[0] // 2
            return a * nuclear(V[:d]) + c * l1(V[d:])

        def violation(P, Q, G):
            return max(l1_violation(P, G, c), nuclear_violation(Q, G, a)[0])
    del d
    return prox_step, value, violation


@pytest.mark.parametrize("name", DECOMPOSED)
def test_decomposed_multinomial(name):
    """The decomposed classifiers on multinomial tasks: KKT of both blocks
    (written here), the objective of a long FISTA over ``(P, Q, b)`` to 1e-6,
    and superlinear Newton steps."""
    classes = CLASSES
    X, Y, sw, tw, est = _decomposed_case(name, classes)
    widths = widths_of(classes)
    Xv, _, datafit = est._prepare(X, Y, sw)
    problem, _ = est._build_problem(Xv, datafit)
    assert list(datafit.layout.widths) == widths
    result = minimize(problem, tol=1e-10, max_iter=200)
    assert result.status == "converged", result
    assert result.solver == "proximal Newton"
    d = X.shape[1]
    blocks = {"SparseLowRank": (1, 0)}.get(name, (0, 1))  # (P, Q) positions
    P = result.W[blocks[0] * d:(blocks[0] + 1) * d]
    Q = result.W[blocks[1] * d:(blocks[1] + 1) * d]
    weights = weights_of(Y, sw, tw)
    loss, G, Gb = logistic_parts(X, Y, P + Q, result.b, weights, widths)
    prox_step, value, violation = _decomposed_parts(name, est, widths)
    stacked = result.W
    _, G0, _ = logistic_parts(X, Y, np.zeros((d, sum(widths))), np.zeros(sum(widths)),
                              weights, widths)
    scale = np.abs(G0).max()
    assert violation(P, Q, G) <= 1e-7 * scale
    assert np.abs(Gb).max() <= 1e-7 * scale
    mine = loss + value(stacked)
    ref = _fista_reference(X, Y, weights, widths, prox_step, value, d_blocks=2,
                           n_iter=30000)
    assert abs(mine - ref) <= 1e-6 * abs(ref), (mine, ref)
    assert mine <= ref + 1e-9 * abs(ref)
    ratios = _ratios([k for k in kkt_sequence(problem, 9) if k > 1e-12 * scale],
                     1e-3 * scale)
    assert ratios.size >= 1 and np.all(ratios <= 0.1), ratios


def test_exact_path_agrees_with_the_majorised_path(monkeypatch):
    """Solver against solver: the exact-Hessian steps and the weighted
    least-squares (majorised) steps reach the same optimum."""
    X, Y, sw, tw = mixed_data(7)
    problem = problem_of(X, Y, sw, tw, TraceNorm(0.02))
    exact = minimize(problem, tol=1e-11, max_iter=500)
    monkeypatch.setattr(exact_module, "_MAX_ENTRIES", 0)
    problem = problem_of(X, Y, sw, tw, TraceNorm(0.02))
    assert not exact_module.affordable(problem)
    majorised = minimize(problem, tol=1e-11, max_iter=2000)
    assert exact.converged and majorised.converged
    assert exact.n_iter < majorised.n_iter
    np.testing.assert_allclose(exact.W, majorised.W, atol=1e-7)
    np.testing.assert_allclose(exact.b, majorised.b, atol=1e-7)


def test_a_failed_exact_step_falls_back(monkeypatch):
    """When the exact model gives no descent the step falls back to the
    majorised model, then to proximal gradient; the fit still converges."""
    X, Y, sw, tw = mixed_data(8)

    def uphill(model, penalty, W, b, G, gb, *, tol, max_iter):
        return W + G, b, "converged"  # ascent: the line search must refuse it

    monkeypatch.setattr(newton_module, "solve_model", uphill)
    problem = problem_of(X, Y, sw, tw, L1(0.02))
    result = minimize(problem, tol=1e-8, max_iter=500)
    assert result.converged
    weights = weights_of(Y, sw, tw)
    _, GW, Gb = logistic_parts(X, Y, result.W, result.b, weights, widths_of(CLASSES))
    assert l1_violation(result.W, GW, 0.02) <= 1e-6


def test_weights_equal_repeated_rows():
    """Integer sample weights and repeated rows give the same fit (the
    damping of the exact model follows the weights)."""
    X, Y, _, tw = mixed_data(9, n_per_task=30)
    counts = np.random.default_rng(10).integers(1, 4, X.shape[0])
    problem = problem_of(X, Y, counts.astype(float), tw, TraceNorm(0.02))
    weighted = minimize(problem, tol=1e-11, max_iter=200)
    index = np.repeat(np.arange(X.shape[0]), counts)
    problem = problem_of(X[index], Y[index], None, tw, TraceNorm(0.02))
    repeated = minimize(problem, tol=1e-11, max_iter=200)
    assert weighted.converged and repeated.converged
    np.testing.assert_allclose(weighted.W, repeated.W, atol=1e-7)


MULTINOMIAL_CLASSIFIERS = [
    skmtl.L21Classifier, skmtl.TraceNormClassifier, skmtl.DirtyClassifier,
    skmtl.RobustFeatureClassifier, skmtl.RobustLowRankClassifier,
    skmtl.SparseLowRankClassifier, skmtl.ClusteredClassifier,
    skmtl.SharedSubspaceClassifier, skmtl.FusedTaskClassifier,
    skmtl.TaskGraphClassifier, skmtl.TaskRelationClassifier,
    skmtl.MeanRegularizedClassifier,
]


@pytest.mark.parametrize("cls", MULTINOMIAL_CLASSIFIERS, ids=lambda c: c.__name__)
def test_every_classifier_converges_in_few_newton_steps(cls):
    """Default strengths, three tasks of three classes, tol 1e-6: converged
    without a warning, in Newton steps only, as few as for binary tasks."""
    X, Y, _, _ = mixed_data(11, classes=(3, 3, 3), n_per_task=100, d=10, missing=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = cls(tol=1e-6).fit(X, Y)
    assert est.solver_ == "proximal Newton"
    assert est.n_iter_ <= 12


@pytest.mark.parametrize("budget", [None, 3000])
def test_working_set_of_features(monkeypatch, budget):
    """A row-sparse penalty on many features: the exact model is built on
    the support and the most violating rows (fewer rows than features), the
    KKT conditions (written here) hold on every feature; with a budget that
    cuts the working set the fit still converges."""
    X, Y, sw, tw = mixed_data(12, d=60, n_per_task=50)
    widths = widths_of(CLASSES)
    q = sum(widths)
    weights = weights_of(Y, sw, tw)
    _, G0, _ = logistic_parts(X, Y, np.zeros((60, q)), np.zeros(q), weights, widths)
    alpha = 0.3 * np.sqrt(np.sum(G0**2, axis=1)).max()
    if budget is not None:
        monkeypatch.setattr(exact_module, "_MAX_ENTRIES", budget)
    sizes = []
    original = exact_module.ExactModel

    class Recording(original):
        def __init__(self, problem, z, damping=0.0, features=None):
            sizes.append(problem.n_features if features is None else features.size)
            super().__init__(problem, z, damping, features)

    monkeypatch.setattr(newton_module, "ExactModel", Recording)
    problem = problem_of(X, Y, sw, tw, L21(alpha))
    result = minimize(problem, tol=1e-9, max_iter=500)
    assert result.converged, result
    assert sizes and max(sizes) < 60
    _, GW, Gb = logistic_parts(X, Y, result.W, result.b, weights, widths)
    scale = np.abs(G0).max()
    assert l21_violation(result.W, GW, alpha) <= 1e-7 * scale
    assert np.abs(Gb).max() <= 1e-7 * scale
    assert 0 < np.count_nonzero(np.any(result.W != 0, axis=1)) < 60


@pytest.mark.parametrize("name", ["l21", "l1", "trace"])
def test_an_unreachable_tolerance_says_stalled(name):
    """Asked for a KKT distance below what float64 resolves, the solver
    stops well before ``max_iter`` and says "stalled" (not "max_iter", whose
    advice, more iterations, would not help), at a point whose KKT distance
    (written here) is at rounding level."""
    X, Y, sw, tw = mixed_data(13)
    problem = problem_of(X, Y, sw, tw, _penalised(name, 0.02))
    result = minimize(problem, kkt_tol=1e-30, max_iter=500)
    assert result.status == "stalled"
    assert result.n_iter < 500
    weights = weights_of(Y, sw, tw)
    _, GW, Gb = logistic_parts(X, Y, result.W, result.b, weights, widths_of(CLASSES))
    assert _violation(name, result.W, GW, 0.02) <= 1e-12
    assert np.abs(Gb).max() <= 1e-12


@pytest.mark.parametrize("kind", ["sparse", "float32"])
def test_sparse_and_float32_designs(kind):
    """The exact model from a sparse or a float32 design: the fit of the
    float64 dense design (both certified by the KKT conditions written
    here)."""
    from scipy import sparse

    X, Y, sw, tw = mixed_data(14)
    X[np.abs(X) < 0.7] = 0.0
    dense = minimize(problem_of(X, Y, sw, tw, TraceNorm(0.02)), tol=1e-11,
                     max_iter=200)
    other = sparse.csr_matrix(X) if kind == "sparse" else X.astype(np.float32)
    result = minimize(problem_of(other, Y, sw, tw, TraceNorm(0.02)), tol=1e-11,
                      max_iter=200)
    assert dense.converged and result.converged
    assert result.solver == "proximal Newton"
    Xd = X if kind == "sparse" else X.astype(np.float32).astype(np.float64)
    _, GW, Gb = logistic_parts(Xd, Y, result.W, result.b, weights_of(Y, sw, tw),
                               widths_of(CLASSES))
    assert nuclear_violation(result.W, GW, 0.02)[0] <= 1e-8
    assert np.abs(Gb).max() <= 1e-8
    atol = 1e-7 if kind == "sparse" else 1e-4  # float32 rounding of X
    np.testing.assert_allclose(result.W, dense.W, atol=atol)


# -- the objective has settled when a default fit stops --------------------------
def _logistic_objective(X, Y, W, b):
    """``sum_t 1/n_t sum_{i observed} log(1 + e^z) - y z`` (binary 0/1 tasks)."""
    mask = ~np.isnan(Y)
    Z = X @ W + b
    loss = np.where(mask, np.logaddexp(0.0, Z) - np.nan_to_num(Y) * Z, 0.0)
    return float(np.sum(loss.sum(axis=0) / mask.sum(axis=0)))


def _settled_penalty(name, est):
    T = lambda A: np.atleast_2d(A).T  # noqa: E731 (coef layout -> features x tasks)
    if name == "RobustFeature":
        P, Q = T(est.shared_coef_), T(est.outlier_coef_)
        return (est.alpha * np.sum(np.linalg.norm(P, axis=1))
                + est.beta * np.sum(np.linalg.norm(Q, axis=0)))
    Q, P = T(est.low_rank_coef_), T(est.sparse_coef_)  # SparseLowRank
    return (est.alpha * np.sum(np.linalg.svd(Q, compute_uv=False))
            + est.l1 * np.sum(np.abs(P)))


@pytest.mark.parametrize("name, strengths", [
    ("RobustFeature", ("alpha", "beta")), ("SparseLowRank", ("alpha", "l1"))])
def test_default_tol_settles_the_objective(name, strengths):
    """On a badly conditioned design (condition number 1e4) at 1e-3 times
    each strength's alpha_max, the default fit's objective is within 1e-4
    (relative) of a fit at tol=1e-10 (the objective written here). A KKT
    distance of 1e-4 alone left it 1.7-2.1e-4 above."""
    X, Y = make_ill_conditioned_tasks(
        condition_number=1e4, classification=True, random_state=0)
    cls = getattr(skmtl, f"{name}Classifier")
    params = {p: 1e-3 * skmtl.alpha_max(cls(), X, Y, param=p) for p in strengths}

    def value(est):
        W, b = np.atleast_2d(est.coef_).T, np.atleast_1d(est.intercept_)
        return _logistic_objective(X, Y, W, b) + _settled_penalty(name, est)

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        default = cls(**params).fit(X, Y)
    reference = cls(**params, tol=1e-10, max_iter=200).fit(X, Y)
    best = min(value(default), value(reference))
    assert (value(default) - best) / best <= 1e-4


def test_a_warm_start_whose_kkt_rises_is_not_handed_to_proximal_gradient(monkeypatch):
    """Landmine, one fold of ``python -m skmtl compare --dataset landmine``
    (a task with two positives): ``RobustFeatureClassifier`` warm-started
    from the previous strength of its CV path. Newton's KKT distance rises
    for four steps while the objective falls, then converges (8 steps);
    counting only the KKT distance as progress handed over to proximal
    gradient, which stopped at max_iter (1000) without converging."""
    import os
    from pathlib import Path

    from sklearn.preprocessing import StandardScaler
    from sklearn.utils import Bunch

    import skmtl.__main__ as cli
    from skmtl.datasets import load_landmine

    data_dir = Path(os.environ.get("SKMTL_DATA")
                    or Path(__file__).resolve().parents[2] / "shared" / "data")
    if not (data_dir / "LandmineData.mat").is_file():
        pytest.skip("Landmine is not available")
    d = load_landmine(data_dir)
    data = Bunch(X=d.data, Y=d.target, task=d.task, classification=True)
    train = cli._per_task_splits(data, 80, 5, 0)[4][0]
    X = StandardScaler().fit_transform(d.data[train])
    Y = d.target[train]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a class short of rows
        fold = next(iter(cli.TaskStratifiedKFold(3, random_state=0, labels=True)
                         .split(X, Y)))[0]
    beta, previous, alpha = 0.0271824878256363, 0.0014779849, 0.0008867909587377887

    def warm_fit():
        est = skmtl.RobustFeatureClassifier(alpha=previous, beta=beta,
                                            warm_start=True).fit(X[fold], Y[fold])
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            return est.set_params(alpha=alpha).fit(X[fold], Y[fold])

    est = warm_fit()
    assert est.solver_ == "proximal Newton" and est.n_iter_ <= 30  # no warning
    monkeypatch.setattr(newton_module, "_PROGRESS", np.inf)  # KKT only
    with pytest.raises(ConvergenceWarning):
        warm_fit()
