"""Penalties checked against their mathematical definitions.

Values, subdifferentials, dual norms and conjugates are written again here
from their definitions (numpy only), and proximal operators / conjugates are
also computed by numerical optimisation with scipy: a smooth factorised
(variational) form minimised by L-BFGS from several starts, and the plain
non-smooth objective minimised directly.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import optimize

from skmtl.penalties import (
    L1,
    L21,
    NoPenalty,
    SquaredTraceNorm,
    TaskMatrixView,
    TraceNorm,
)
from skmtl.penalties._trace import _shrink_sum

KINDS = ["l21", "l1", "trace", "sqtrace"]
NORMS = ["l21", "l1", "trace"]
CLASSES = {"l21": L21, "l1": L1, "trace": TraceNorm, "sqtrace": SquaredTraceNorm}


# ---------------------------------------------------------------- definitions
def ref_value(kind, alpha, W):
    if kind == "l21":
        return alpha * np.linalg.norm(W, axis=1).sum()
    if kind == "l1":
        return alpha * np.abs(W).sum()
    nuclear = np.linalg.svd(W, compute_uv=False).sum()
    return alpha * nuclear if kind == "trace" else 0.5 * alpha * nuclear**2


def ref_dual_norm(kind, V):
    if kind == "l21":
        return np.linalg.norm(V, axis=1).max()
    if kind == "l1":
        return np.abs(V).max()
    return np.linalg.svd(V, compute_uv=False).max()


def _shrink_spectral(M, radius):
    """Euclidean projection of M onto the spectral-norm ball of radius."""
    if M.size == 0:
        return M
    P, s, Qt = np.linalg.svd(M, full_matrices=False)
    return (P * np.minimum(s, radius)) @ Qt


def project_nuclear_subdiff(W, A, radius):
    """Projection of A onto radius * subdifferential of ||.||_* at W.

    The set is {radius U V^T + Uc M Vc^T : ||M||_2 <= radius} with full
    orthonormal complements Uc, Vc of the singular subspaces of W.
    """
    Uf, s, Vft = np.linalg.svd(W, full_matrices=True)
    r = int(np.sum(s > 1e-8 * max(s.max(initial=0.0), 1e-300)))
    U, Uc = Uf[:, :r], Uf[:, r:]
    V, Vc = Vft[:r].T, Vft[r:].T
    M = _shrink_spectral(Uc.T @ A @ Vc, radius)
    return radius * U @ V.T + Uc @ M @ Vc.T


def project_subdiff(kind, alpha, W, A):
    """Projection of A onto the subdifferential of the penalty at W."""
    if kind == "l1":
        return np.where(W != 0, alpha * np.sign(W), np.clip(A, -alpha, alpha))
    if kind == "l21":
        out = np.empty_like(A)
        for j, (w, a) in enumerate(zip(W, A, strict=True)):
            nw, na = np.linalg.norm(w), np.linalg.norm(a)
            if nw > 0:
                out[j] = alpha * w / nw
            else:
                out[j] = a if na <= alpha else alpha * a / na
        return out
    if kind == "trace":
        return project_nuclear_subdiff(W, A, alpha)
    radius = alpha * np.linalg.svd(W, compute_uv=False).sum()
    if radius == 0:
        return np.zeros_like(A)
    return project_nuclear_subdiff(W, A, radius)


def subdiff_distance(kind, alpha, W, A):
    return np.linalg.norm(A - project_subdiff(kind, alpha, W, A))


def row_subdiff_distance(kind, alpha, W, A):
    return np.linalg.norm(A - project_subdiff(kind, alpha, W, A), axis=1)


# ------------------------------------------------------- numerical optimisers
def _factorised(kind, lam, shape, theta):
    """U and a smooth upper bound phi >= lam-penalty(U), tight at the optimum.

    |u| = min_{ab=u} (a^2+b^2)/2, ||u|| = min_{a b = u} (a^2+||b||^2)/2 and
    ||U||_* = min_{AB^T=U} (||A||^2+||B||^2)/2. Returns (U, phi, grad_fn) with
    grad_fn(G_U) the gradient of f(U) + phi with respect to theta.
    """
    d, T = shape
    if kind == "l1":
        A, B = theta[: d * T].reshape(d, T), theta[d * T :].reshape(d, T)
        q = 0.5 * (np.sum(A**2) + np.sum(B**2))
        return (
            A * B,
            lam * q,
            lambda G: np.concatenate(
                [(G * B + lam * A).ravel(), (G * A + lam * B).ravel()]
            ),
        )
    if kind == "l21":
        a, B = theta[:d], theta[d:].reshape(d, T)
        q = 0.5 * (np.sum(a**2) + np.sum(B**2))
        return (
            a[:, None] * B,
            lam * q,
            lambda G: np.concatenate(
                [np.sum(G * B, axis=1) + lam * a, (G * a[:, None] + lam * B).ravel()]
            ),
        )
    k = min(d, T)
    A, B = theta[: d * k].reshape(d, k), theta[d * k :].reshape(T, k)
    q = 0.5 * (np.sum(A**2) + np.sum(B**2))
    c = lam if kind == "trace" else lam * q  # d/dq of lam q or lam q^2 / 2
    phi = lam * q if kind == "trace" else 0.5 * lam * q**2
    return (
        A @ B.T,
        phi,
        lambda G: np.concatenate([(G @ B + c * A).ravel(), (G.T @ A + c * B).ravel()]),
    )


def _n_params(kind, shape):
    d, T = shape
    return {"l1": 2 * d * T, "l21": d + d * T}.get(kind, (d + T) * min(d, T))


def minimise_quadratic_plus_penalty(kind, lam, c, V, seed=0, n_starts=4):
    """min_U c/2 ||U||^2 - <V, U> + lam * penalty(U) (penalty with alpha = 1).

    Returns (best U, best value, list of values of every start).
    """
    rng = np.random.default_rng(seed)

    def fun(theta):
        U, phi, grad = _factorised(kind, lam, V.shape, theta)
        f = 0.5 * c * np.sum(U**2) - np.sum(V * U) + phi
        return f, grad(c * U - V)

    results = []
    for _ in range(n_starts):
        theta0 = rng.standard_normal(_n_params(kind, V.shape))
        res = optimize.minimize(
            fun,
            theta0,
            jac=True,
            method="L-BFGS-B",
            options=dict(maxiter=20000, ftol=1e-15, gtol=1e-11),
        )
        results.append((res.fun, _factorised(kind, lam, V.shape, res.x)[0]))
    values = [f for f, _ in results]
    best = min(results, key=lambda r: r[0])
    return best[1], best[0], values


def prox_objective(kind, alpha, W, step, U):
    return 0.5 * np.sum((U - W) ** 2) + step * ref_value(kind, alpha, U)


def rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def low_rank(shape, rank, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((shape[0], rank)) @ rng.standard_normal((rank, shape[1]))


def with_zero_rows(W, rows):
    W = W.copy()
    W[rows] = 0.0
    return W


def make_W(case, seed):
    """Test matrices of shape (4, 3) with various structures."""
    W = rand((4, 3), seed)
    if case == "random":
        return W
    if case == "small_rows":  # some rows below threshold, one row tiny
        W[1] *= 0.05
        W[3] *= 0.1
        return W
    if case == "rank1":
        return low_rank((4, 3), 1, seed)
    if case == "zero":
        return np.zeros((4, 3))
    raise ValueError(case)


CASES = ["random", "small_rows", "rank1", "zero"]


# ------------------------------------------------------------------- the prox
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("step", [0.3, 1.0])
def test_prox_matches_factorised_minimisation(kind, case, step):
    alpha = 0.7
    W = make_W(case, seed=1)
    P = CLASSES[kind](alpha).prox(W, step)
    U, f_best, values = minimise_quadratic_plus_penalty(kind, step * alpha, 1.0, W)
    const = 0.5 * np.sum(W**2)
    f_prox = prox_objective(kind, alpha, W, step, P)
    # every start gives an upper bound of the minimum, the best attains it
    assert f_prox <= min(values) + const + 1e-10
    assert_allclose(P, U, atol=1e-6)
    assert_allclose(f_prox, f_best + const, atol=1e-9)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", ["random", "small_rows", "rank1"])
def test_prox_beats_direct_minimisation(kind, case):
    """Direct (non-smooth) minimisation from several starts never does better,
    and by 1-strong convexity ||U - prox||^2 <= 2 (F(U) - F(prox))."""
    alpha, step = 0.7, 0.8
    W = make_W(case, seed=2)
    P = CLASSES[kind](alpha).prox(W, step)
    f_prox = prox_objective(kind, alpha, W, step, P)
    rng = np.random.default_rng(0)
    for x0 in [W, rng.standard_normal(W.shape)]:
        res = optimize.minimize(
            lambda u: prox_objective(kind, alpha, W, step, u.reshape(W.shape)),
            x0.ravel(),
            method="Powell",
            options=dict(xtol=1e-7, ftol=1e-12, maxfev=1500),
        )
        U = res.x.reshape(W.shape)
        assert f_prox <= res.fun + 1e-12
        assert np.sum((U - P) ** 2) <= 2 * (res.fun - f_prox) + 1e-10


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(4))
def test_prox_strong_convexity_certificate(kind, seed):
    """F(P + D) >= F(P) + ||D||^2 / 2 for every D iff P is the minimiser."""
    alpha, step = 1.0, 0.6
    W = make_W(CASES[seed % 3], seed)
    P = CLASSES[kind](alpha).prox(W, step)
    f_prox = prox_objective(kind, alpha, W, step, P)
    rng = np.random.default_rng(seed)
    for scale in [1e-4, 1e-2, 1.0]:
        for _ in range(20):
            D = scale * rng.standard_normal(W.shape)
            f = prox_objective(kind, alpha, W, step, P + D)
            assert f >= f_prox + 0.5 * np.sum(D**2) - 1e-12


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("step", [0.2, 1.0, 5.0])
def test_prox_optimality_condition(kind, case, step):
    """(W - prox) / step lies in the subdifferential of the penalty at prox."""
    alpha = 0.9
    W = make_W(case, seed=3)
    P = CLASSES[kind](alpha).prox(W, step)
    assert subdiff_distance(kind, alpha, P, (W - P) / step) < 1e-9


@pytest.mark.parametrize("kind", ["l21", "l1", "trace"])
def test_prox_large_step_zeroes_everything(kind):
    alpha = 0.5
    W = make_W("random", seed=4)
    big = 1.01 * ref_dual_norm(kind, W) / alpha  # zero is optimal iff W/step in ball
    assert_allclose(CLASSES[kind](alpha).prox(W, big), 0.0, atol=0)
    assert np.any(CLASSES[kind](alpha).prox(W, 0.99 * big) != 0)


def test_prox_squared_trace_zero_only_at_zero():
    """(alpha/2)||.||_*^2 is differentiable at 0: the prox is never 0 for W != 0."""
    W = make_W("random", seed=5)
    P = SquaredTraceNorm(2.0).prox(W, 1e3)
    assert np.linalg.norm(P) > 0
    # its only non-zero singular value direction is the top one of W
    assert np.linalg.matrix_rank(P, tol=1e-12 * np.linalg.norm(P)) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_prox_of_zero_is_zero(kind):
    P = CLASSES[kind](1.3).prox(np.zeros((4, 3)), 0.7)
    assert P.shape == (4, 3)
    assert_allclose(P, 0.0, atol=0)


def test_l21_prox_zeroes_exactly_the_small_rows():
    W = make_W("random", seed=6)
    norms = np.linalg.norm(W, axis=1)
    thr = np.sort(norms)[1] + 1e-3  # two rows below the threshold
    P = L21(1.0).prox(W, thr)
    assert_allclose(np.linalg.norm(P, axis=1) == 0, norms <= thr)
    kept = norms > thr
    assert_allclose(P[kept], W[kept] * (1 - thr / norms[kept])[:, None])


def test_l1_prox_soft_thresholds_entries():
    W = np.array([[3.0, -0.5, 0.0], [-2.0, 1.0, 0.99]])
    assert_allclose(L1(2.0).prox(W, 0.5), [[2.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])


def test_trace_prox_thresholds_singular_values():
    W = low_rank((5, 4), 3, seed=7)
    s = np.linalg.svd(W, compute_uv=False)
    thr = 0.5 * (s[1] + s[2])
    P = TraceNorm(2.0).prox(W, thr / 2.0)
    sp = np.linalg.svd(P, compute_uv=False)
    assert_allclose(sp, np.concatenate([s[:2] - thr, [0, 0]]), atol=1e-10)


@pytest.mark.parametrize("kind", KINDS + ["none"])
@pytest.mark.parametrize("case", CASES)
def test_prox_value_is_prox_and_its_value(kind, case):
    pen = NoPenalty() if kind == "none" else CLASSES[kind](0.8)
    W = make_W(case, seed=8)
    P, value = pen.prox_value(W, 0.6)
    assert_allclose(P, pen.prox(W, 0.6), atol=1e-14)
    expected = 0.0 if kind == "none" else ref_value(kind, 0.8, P)
    assert_allclose(value, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES)
def test_value_matches_definition(kind, case):
    W = make_W(case, seed=9)
    assert_allclose(CLASSES[kind](1.7).value(W), ref_value(kind, 1.7, W), atol=1e-14)


# ------------------------------------------------------- squared trace norm
def shrink_sum_reference(v, a, r):
    """sigma_i = (v_i - a S)_+ / r with S = sum(sigma), solved for S by brentq."""
    v = np.asarray(v, float)
    if v.size == 0 or v.max() <= 0:
        return np.zeros_like(v)

    def h(S):
        return S - np.sum(np.maximum(v - a * S, 0.0)) / r

    S = optimize.brentq(h, 0.0, v.sum() / r, xtol=1e-15, rtol=1e-15)
    return np.maximum(v - a * S, 0.0) / r


@pytest.mark.parametrize(
    "v",
    [
        [3.0, 2.0, 1.0],
        [5.0, 0.1, 0.05, 0.0],
        [1.0, 1.0, 1.0],
        [2.0],
        [0.0, 0.0],
        [10.0, 9.9, 0.2, 0.1, 0.01],
    ],
)
@pytest.mark.parametrize("a", [0.01, 0.3, 1.0, 50.0])
@pytest.mark.parametrize("r", [1.0, 0.2, 7.0])
def test_shrink_sum_solves_fixed_point(v, a, r):
    sigma = _shrink_sum(np.array(v), a, r)
    expected = shrink_sum_reference(v, a, r)
    assert_allclose(sigma, expected, rtol=1e-10, atol=1e-12)
    # and it is a fixed point
    assert_allclose(sigma, np.maximum(np.array(v) - a * sigma.sum(), 0) / r, atol=1e-12)


def test_shrink_sum_empty():
    assert _shrink_sum(np.zeros(0), 1.0, 1.0).shape == (0,)


def test_shrink_sum_default_r_is_prox_of_half_squared_l1():
    v = np.array([4.0, 2.5, 1.0, 0.3])
    a = 0.4
    res = optimize.minimize(
        lambda s: 0.5 * np.sum((s - v) ** 2) + 0.5 * a * np.sum(s) ** 2,
        np.ones_like(v),
        bounds=[(0, None)] * v.size,
        method="L-BFGS-B",
        options=dict(ftol=1e-15, gtol=1e-12),
    )
    assert_allclose(_shrink_sum(v, a), res.x, atol=1e-6)


def _sqrtm_psd(M):
    w, Q = np.linalg.eigh(M)
    return (Q * np.sqrt(np.clip(w, 0, None))) @ Q.T


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("shape", [(5, 3), (6, 2), (4, 4)])
def test_squared_trace_variational_form(seed, shape):
    """||W||_*^2 = min_{Omega >= 0, tr Omega = 1} tr(W Omega^-1 W^T)."""
    alpha = 1.4
    W = rand(shape, seed)
    sq = 2 * SquaredTraceNorm(alpha).value(W) / alpha
    root = _sqrtm_psd(W.T @ W)
    omega = root / np.trace(root)
    assert_allclose(np.trace(W @ np.linalg.solve(omega, W.T)), sq, rtol=1e-10)
    rng = np.random.default_rng(seed)
    T = shape[1]
    for _ in range(50):
        L = rng.standard_normal((T, T))
        om = L @ L.T + 1e-3 * np.eye(T)
        om /= np.trace(om)
        assert np.trace(W @ np.linalg.solve(om, W.T)) >= sq * (1 - 1e-12)


# ------------------------------------------------ subdifferential distances
def make_WG(case, seed):
    W = make_W(case, seed)
    if case == "small_rows":
        W = with_zero_rows(W, [1, 3])
    return W, rand(W.shape, seed + 100)


@pytest.mark.parametrize("kind", ["l21", "l1"])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("gscale", [0.1, 1.0, 5.0])
def test_row_violations_are_subdifferential_distances(kind, case, gscale):
    alpha = 0.8
    W, G = make_WG(case, seed=10)
    G = gscale * G
    if kind == "l1":
        W[0, 1] = 0.0  # mix zero and non-zero entries in a row
    got = CLASSES[kind](alpha).row_violations(W, G)
    assert got.shape == (W.shape[0],)
    assert_allclose(got, row_subdiff_distance(kind, alpha, W, -G), atol=1e-12)


@pytest.mark.parametrize("kind", ["trace", "sqtrace"])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("gscale", [0.1, 1.0, 5.0])
def test_violation_is_subdifferential_distance(kind, case, gscale):
    alpha = 0.8
    W, G = make_WG(case, seed=11)
    G = gscale * G
    got = CLASSES[kind](alpha).violation(W, G)
    assert_allclose(got, subdiff_distance(kind, alpha, W, -G), atol=1e-10)


def _random_subgradient(kind, alpha, W, rng):
    """A random element of the subdifferential at W."""
    Z = rng.standard_normal(W.shape) * 3
    return project_subdiff(kind, alpha, W, Z)


@pytest.mark.parametrize("kind", ["trace", "sqtrace"])
@pytest.mark.parametrize("case", ["rank1", "random", "zero"])
def test_violation_below_distance_to_any_subgradient(kind, case):
    alpha = 0.8
    W, G = make_WG(case, seed=12)
    pen = CLASSES[kind](alpha)
    d = pen.violation(W, G)
    rng = np.random.default_rng(0)
    for _ in range(50):
        Y = _random_subgradient(kind, alpha, W, rng)
        assert d <= np.linalg.norm(-G - Y) + 1e-12


def test_subgradient_projection_is_feasible():
    """Sanity check of the test's own projection onto the trace subdifferential."""
    W = low_rank((4, 3), 1, seed=13)
    A = 4 * rand((4, 3), 14)
    Y = project_nuclear_subdiff(W, A, 0.7)
    assert np.linalg.svd(Y, compute_uv=False)[0] <= 0.7 + 1e-12
    nuc = np.linalg.svd(W, compute_uv=False).sum()
    assert_allclose(np.sum(Y * W), 0.7 * nuc, rtol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("alpha", [0.3, 2.0])
def test_violation_zero_at_optimum(kind, case, alpha):
    """U = prox(W0, 1) minimises 0.5||U - W0||^2 + penalty: G = U - W0."""
    W0 = 2 * make_W(case, seed=15)
    pen = CLASSES[kind](alpha)
    U = pen.prox(W0, 1.0)
    G = U - W0
    if kind in ("l21", "l1"):
        assert_allclose(pen.row_violations(U, G), 0.0, atol=1e-10)
    else:
        assert pen.violation(U, G) < 1e-10


@pytest.mark.parametrize("kind", KINDS)
def test_violation_positive_away_from_optimum(kind):
    pen = CLASSES[kind](0.5)
    W0 = make_W("random", seed=16)
    U = pen.prox(W0, 1.0)
    G = 1.5 * (U - W0)
    v = pen.row_violations(U, G).max() if kind in ("l21", "l1") else pen.violation(U, G)
    assert v > 1e-3


def test_nopenalty_row_violations():
    W, G = make_WG("small_rows", seed=17)
    assert_allclose(NoPenalty().row_violations(W, G), np.linalg.norm(G, axis=1))


# --------------------------------------------------------------- dual norms
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(3))
def test_dual_norm_definition(kind, seed):
    V = rand((4, 3), seed)
    assert_allclose(CLASSES[kind](0.3).dual_norm(V), ref_dual_norm(kind, V), rtol=1e-12)


@pytest.mark.parametrize("kind", NORMS)
@pytest.mark.parametrize("seed", range(3))
def test_dual_norm_holder(kind, seed):
    """dual_norm(V) <= alpha implies <V, W> <= value(W), with equality reachable."""
    alpha = 1.7
    pen = CLASSES[kind](alpha)
    rng = np.random.default_rng(seed)
    V = rng.standard_normal((4, 3))
    V *= alpha / pen.dual_norm(V)
    for _ in range(200):
        W = rng.standard_normal((4, 3)) * rng.exponential()
        assert np.sum(V * W) <= pen.value(W) * (1 + 1e-12) + 1e-14
    W = _aligned(kind, V)  # a W aligned with V attains equality
    assert_allclose(np.sum(V * W), pen.value(W), rtol=1e-10)


def _aligned(kind, V):
    """A non-zero W with <V, W> = dual_norm(V) * primal_norm(W)."""
    W = np.zeros_like(V)
    if kind == "l21":
        j = np.argmax(np.linalg.norm(V, axis=1))
        W[j] = V[j]
    elif kind == "l1":
        idx = np.unravel_index(np.argmax(np.abs(V)), V.shape)
        W[idx] = np.sign(V[idx])
    else:
        U, _, Vt = np.linalg.svd(V)
        W = np.outer(U[:, 0], Vt[0])
    return W


def test_dual_norm_of_empty_is_zero():
    for kind in KINDS:
        assert CLASSES[kind](1.0).dual_norm(np.zeros((0, 3))) == 0.0


# --------------------------------------------------------------- conjugates
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("ridge", [0.5, 2.0])
@pytest.mark.parametrize("vscale", [0.3, 3.0])
def test_conjugate_matches_numerical_sup(kind, ridge, vscale):
    alpha = 0.9
    V = vscale * rand((4, 3), 20)
    _, f_min, _ = minimise_quadratic_plus_penalty(kind, alpha, ridge, V)
    assert_allclose(CLASSES[kind](alpha).conjugate(V, ridge), -f_min, atol=1e-8)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("alpha", [0.4, 2.5])
def test_squared_trace_conjugate_without_ridge(seed, alpha):
    V = rand((4, 3), seed)
    conj = SquaredTraceNorm(alpha).conjugate(V, 0.0)
    spectral = np.linalg.svd(V, compute_uv=False)[0]
    assert_allclose(conj, spectral**2 / (2 * alpha), rtol=1e-12)
    _, f_min, _ = minimise_quadratic_plus_penalty("sqtrace", alpha, 0.0, V, seed)
    assert_allclose(conj, -f_min, atol=1e-8)


@pytest.mark.parametrize("ridge", [0.5, 3.0])
def test_nopenalty_conjugate_and_prox(ridge):
    V = rand((4, 3), 21)
    pen = NoPenalty()
    assert_allclose(pen.conjugate(V, ridge), np.sum(V**2) / (2 * ridge))
    assert pen.prox(V, 10.0) is V or np.array_equal(pen.prox(V, 10.0), V)
    assert pen.value(V) == 0.0


# without ridge the conjugate of a norm is an indicator: only sqtrace is finite
FY_CASES = [(kind, 0.7) for kind in KINDS] + [("sqtrace", 0.0)]


@pytest.mark.parametrize("kind, ridge", FY_CASES)
@pytest.mark.parametrize("seed", range(3))
def test_fenchel_young_inequality(kind, ridge, seed):
    alpha = 1.1
    pen = CLASSES[kind](alpha)
    rng = np.random.default_rng(seed)
    for _ in range(100):
        W = rng.standard_normal((4, 3)) * rng.exponential()
        V = rng.standard_normal((4, 3)) * rng.exponential()
        lhs = pen.value(W) + 0.5 * ridge * np.sum(W**2) + pen.conjugate(V, ridge)
        assert lhs >= np.sum(V * W) - 1e-10


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("ridge", [0.4, 2.0])
@pytest.mark.parametrize("case", CASES)
def test_fenchel_young_equality_at_subgradient_pairs(kind, ridge, case):
    """W = argmin ridge/2||W - V/ridge||^2 + value(W) gives V in the
    subdifferential of value + ridge/2||.||^2 at W: equality holds."""
    alpha = 1.1
    V = 3 * make_W(case, seed=22)
    W = closed_form_prox(kind, alpha, V / ridge, 1.0 / ridge)
    pen = CLASSES[kind](alpha)
    lhs = ref_value(kind, alpha, W) + 0.5 * ridge * np.sum(W**2)
    assert_allclose(lhs + pen.conjugate(V, ridge), np.sum(V * W), atol=1e-10)


def closed_form_prox(kind, alpha, W, step):
    """Prox written from its closed form, independently of the package."""
    if kind == "l1":
        return np.sign(W) * np.maximum(np.abs(W) - step * alpha, 0)
    if kind == "l21":
        n = np.linalg.norm(W, axis=1, keepdims=True)
        return W * np.maximum(1 - step * alpha / np.where(n > 0, n, 1), 0)
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    if kind == "trace":
        return (U * np.maximum(s - step * alpha, 0)) @ Vt
    return (U * shrink_sum_reference(s, step * alpha, 1.0)) @ Vt


@pytest.mark.parametrize("seed", range(3))
def test_squared_trace_fenchel_equality_without_ridge(seed):
    """V = alpha ||W||_* U V^T is the gradient of (alpha/2)||W||_*^2."""
    alpha = 0.6
    W = low_rank((4, 3), 2, seed)
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    r = int(np.sum(s > 1e-10 * s[0]))
    V = alpha * s.sum() * U[:, :r] @ Vt[:r]
    pen = SquaredTraceNorm(alpha)
    assert_allclose(pen.value(W) + pen.conjugate(V, 0.0), np.sum(V * W), rtol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_own_closed_form_prox_agrees(kind):
    """The test's closed-form prox (used above) matches the package's prox."""
    W = make_W("small_rows", seed=23)
    assert_allclose(
        closed_form_prox(kind, 0.7, W, 0.9), CLASSES[kind](0.7).prox(W, 0.9), atol=1e-12
    )


# --------------------------------------------------------- task matrix view
@pytest.mark.parametrize("kind", ["trace", "sqtrace"])
def test_task_matrix_view_stacks_class_columns(kind):
    d, T, K = 3, 4, 2
    W = rand((d, T * K), 24)
    view = TaskMatrixView(CLASSES[kind](0.5), T, K)
    M = view.to_tasks(W)
    for t in range(T):
        assert_allclose(M[:, t], W[:, t * K : (t + 1) * K].ravel())
    assert_allclose(view.from_tasks(M), W)
    assert_allclose(view.value(W), ref_value(kind, 0.5, M))
    P = view.prox(W, 0.8)
    assert_allclose(view.to_tasks(P), closed_form_prox(kind, 0.5, M, 0.8), atol=1e-12)


# ------------------------------------------------ centring over classes (flag)
def _centre_classes(W, T, K):
    """Each task's K class columns of every row centred (task-major columns)."""
    blocks = W.reshape(W.shape[0], T, K)
    return (blocks - blocks.mean(axis=2, keepdims=True)).reshape(W.shape)


@pytest.mark.parametrize("kind", ["l21", "trace", "sqtrace", "l1"])
@pytest.mark.parametrize("seed", range(3))
def test_class_centring_flag_matches_the_penalty(kind, seed):
    """``class_centring_safe`` (read by the estimators to pick the canonical
    multinomial solution) promises the penalty never increases when each
    task's class weights are centred: checked on random matrices with the
    formulas of this file; L1, which says no, increases on a witness."""
    T, K = 3, 4
    penalty = CLASSES[kind](0.7)
    W = rand((5, T * K), 40 + seed) + rand((5, 1), 50 + seed)  # offset rows
    before = ref_value(kind, 0.7, W)
    after = ref_value(kind, 0.7, _centre_classes(W, T, K))
    if penalty.class_centring_safe:
        assert after <= before * (1 + 1e-12)
    else:
        witness = np.array([[1.0, 0.0, 0.0, 0.0]])  # sum |w|: 1 -> 0.75 + 3 * 0.25
        assert ref_value(kind, 0.7, _centre_classes(witness, 1, 4)) > ref_value(
            kind, 0.7, witness
        )
    assert NoPenalty().class_centring_safe
    view = TaskMatrixView(TraceNorm(0.7), T, K)
    assert view.class_centring_safe
    assert view.value(_centre_classes(W, T, K)) <= view.value(W) * (1 + 1e-12)
